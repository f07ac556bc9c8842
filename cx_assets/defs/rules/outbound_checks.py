"""Drift: does the live rule set or filter still equal its file? Names who changed it if not.

A separate asset check, so the hourly drift schedule evaluates it without applying anything;
who changed it and when come from the audit API (`POST /api/v2/audits/query`, polled, read by
cursor) and go into the check's metadata. It is blocking: a drift fails the run
(`drift_severity.py`; a dry run only warns).
"""

from functools import partial

import dagster as dg

from cx_assets.defs.resources import CatalogResource, GenesysCloudResource
from cx_assets.defs.rules.checks import LIVE_MATCHES_REPO
from cx_assets.defs.rules.drift_severity import drift_severity
from cx_assets.defs.rules.outbound_assets import diff_markdown, require_platform
from cx_assets.defs.rules.outbound_files import OutboundFile, outbound_files
from cx_assets.flows.rules_outbound import FLOW, drift_of_outbound_file
from cx_assets.genesys.rules.outbound_apply import when
from cx_assets.genesys.rules.platform import LABELS


def evaluate_outbound_drift(
    file: OutboundFile,
    genesys: GenesysCloudResource,
    catalog: CatalogResource,
    severity: dg.AssetCheckSeverity = dg.AssetCheckSeverity.ERROR,
) -> dg.AssetCheckResult:
    require_platform(genesys)
    result = drift_of_outbound_file(
        partial(genesys.api_client, flow=FLOW), file.kind, file.path, catalog.layout.catalog_path
    )
    if result.drift is None:
        return dg.AssetCheckResult(
            passed=False,
            severity=severity,
            description=str(result.invalid),
            metadata={"rule_file": str(file.path)},
        )
    drift = result.drift
    last = drift.last_change
    return dg.AssetCheckResult(
        passed=not drift.drifted,
        severity=severity,
        description=drift.summary(),
        metadata={
            "rule_file": str(file.path),
            "entity_id": drift.entity_id or "missing",
            "live_version": drift.live_version if drift.live_version is not None else "none",
            "differing_units": ", ".join(drift.units) or "none",
            "diff": diff_markdown(drift.diff),
            "changed_by": last.who if last else "n/a",
            "changed_at": when(last.event_date) if last and last.event_date else "n/a",
            "change": (last.action or "n/a") if last else "n/a",
            "audit_entries_read": len(drift.changes),
        },
    )


def build_outbound_drift_check(file: OutboundFile) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=file.key,
        name=LIVE_MATCHES_REPO,
        blocking=True,
        description=f"Fails (and fails its run) when the live outbound {LABELS[file.kind]} "
        f"differs from {file.path.name}, naming what differs and who changed it when (Genesys "
        "audit API). Runs in outbound_rules_drift_job and after every apply (platform mode "
        "only); in a dry run a drift only warns.",
    )
    def _drift(
        context: dg.AssetCheckExecutionContext,
        genesys: GenesysCloudResource,
        catalog: CatalogResource,
    ) -> dg.AssetCheckResult:
        return evaluate_outbound_drift(file, genesys, catalog, drift_severity(context, file.key))

    return _drift


def outbound_drift_checks(
    files: list[OutboundFile] | None = None,
) -> list[dg.AssetChecksDefinition]:
    return [build_outbound_drift_check(f) for f in (outbound_files() if files is None else files)]
