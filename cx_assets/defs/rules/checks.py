"""Drift: does the live data action still equal the repo's rule? Names who changed it if not.

A separate asset check (not a result of the apply), so the drift schedule can evaluate it
without applying anything; it also runs right after each apply. The comparison itself is
`flows.rules.drift_of_rule_file`; this module turns it into the check's result.
"""

from functools import partial
from pathlib import Path

import dagster as dg

from cx_assets.defs.resources import GenesysCloudResource
from cx_assets.defs.rules.assets import diff_markdown
from cx_assets.defs.rules.rule_files import asset_key_for, rule_files
from cx_assets.flows.rules import DATA_ACTION_FLOW, drift_of_rule_file

LIVE_MATCHES_REPO = "live_matches_repo"


def evaluate_drift(path: Path, genesys: GenesysCloudResource) -> dg.AssetCheckResult:
    drift = drift_of_rule_file(partial(genesys.api_client, flow=DATA_ACTION_FLOW), path)
    if drift.rule is None or drift.report is None:
        return dg.AssetCheckResult(
            passed=False, description=str(drift.invalid), metadata={"rule_file": str(path)}
        )
    rule, report = drift.rule, drift.report
    last = report.last_change
    return dg.AssetCheckResult(
        passed=not report.drifted,
        description=report.summary(),
        metadata={
            "action_id": rule.action_id,
            "live_version": report.live_version,
            "diff": diff_markdown(report.diff.text),
            "changed_lines": report.diff.changed_lines,
            "changed_by": last.actor_id if last else "n/a",
            "changed_at": last.timestamp if last else "n/a",
        },
    )


def build_drift_check(path: Path) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=asset_key_for(path),
        name=LIVE_MATCHES_REPO,
        description=f"Fails when live data action {path.stem} differs from {path.name}, "
        "naming the diff and who changed it (vendor audit log).",
    )
    def _drift(genesys: GenesysCloudResource) -> dg.AssetCheckResult:
        return evaluate_drift(path, genesys)

    return _drift


def drift_checks(folder: Path | None = None) -> list[dg.AssetChecksDefinition]:
    files = rule_files(folder) if folder is not None else rule_files()
    return [build_drift_check(p) for p in files]
