"""Drift: does the live data action still equal the repo's rule? Names who changed it if not.

A separate asset check (not a result of the apply), so the drift schedule can evaluate it
without applying anything; it also runs right after each apply. It is blocking: a drift fails
the run (`drift_severity.py`; a dry run only warns). The comparison itself is
`flows.rules.drift_of_rule_file`; this module turns it into the check's result.
"""

from functools import partial
from pathlib import Path

import dagster as dg

from cx_assets.defs.resources import GenesysCloudResource
from cx_assets.defs.rules.assets import diff_markdown
from cx_assets.defs.rules.drift_severity import drift_severity
from cx_assets.defs.rules.rule_files import asset_key_for, rule_files
from cx_assets.flows.rules import DATA_ACTION_FLOW, drift_of_rule_file

LIVE_MATCHES_REPO = "live_matches_repo"


def evaluate_drift(
    path: Path,
    genesys: GenesysCloudResource,
    severity: dg.AssetCheckSeverity = dg.AssetCheckSeverity.ERROR,
) -> dg.AssetCheckResult:
    drift = drift_of_rule_file(partial(genesys.api_client, flow=DATA_ACTION_FLOW), path)
    if drift.rule is None or drift.report is None:
        return dg.AssetCheckResult(
            passed=False,
            severity=severity,
            description=str(drift.invalid),
            metadata={"rule_file": str(path)},
        )
    rule, report = drift.rule, drift.report
    last = report.last_change
    return dg.AssetCheckResult(
        passed=not report.drifted,
        severity=severity,
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
    key = asset_key_for(path)

    @dg.asset_check(
        asset=key,
        name=LIVE_MATCHES_REPO,
        blocking=True,
        description=f"Fails (and fails its run) when live data action {path.stem} differs from "
        f"{path.name}, naming the diff and who changed it (vendor audit log). Runs in "
        "data_action_drift_job (hourly schedule, and on each data.action.updated event) and "
        "after every apply; in a dry run a drift only warns.",
    )
    def _drift(
        context: dg.AssetCheckExecutionContext, genesys: GenesysCloudResource
    ) -> dg.AssetCheckResult:
        return evaluate_drift(path, genesys, drift_severity(context, key))

    return _drift


def drift_checks(folder: Path | None = None) -> list[dg.AssetChecksDefinition]:
    files = rule_files(folder) if folder is not None else rule_files()
    return [build_drift_check(p) for p in files]
