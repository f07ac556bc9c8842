"""Per-day check evaluations for `cxone_interactions`.

A run may cover up to 90 days, and Dagster records an `AssetCheckResult` once per run, so the
asset logs one `AssetCheckEvaluation` per day instead (the check specs are partitioned like the
asset). Each evaluation names its day and rate, so a failing day reads on its own in the UI.
"""

from __future__ import annotations

import dagster as dg
from dagster._core.definitions.asset_checks.asset_check_evaluation import (
    AssetCheckEvaluationTargetMaterializationData as Target,  # not exported by `dagster`
)

from cx_assets.flows.cxone import LandedDay
from cx_assets.lake.cxone import DayAlignment

INTEGRITY_AT_LEAST_THRESHOLD = "integrity_at_least_threshold"
ROWS_MATCH_PAGES = "rows_match_pages"


def _missing_text(alignment: DayAlignment) -> str:
    missing = {k: v for k, v in alignment.missing_by_field.items() if v}
    return ", ".join(f"{k} {v}" for k, v in sorted(missing.items())) or "none"


def integrity_description(alignment: DayAlignment, threshold: float) -> str:
    verdict = ">=" if alignment.integrity_rate >= threshold else "<"
    return (
        f"{alignment.day}: integrity {alignment.integrity_rate:.4f} {verdict} {threshold:g} "
        f"({alignment.valid} of {alignment.total} complete; missing: {_missing_text(alignment)})"
    )


def integrity_at_least_threshold(
    asset_key: dg.AssetKey, landed: LandedDay, threshold: float, target: Target | None = None
) -> dg.AssetCheckEvaluation:
    a = landed.alignment
    return dg.AssetCheckEvaluation(
        asset_key=asset_key,
        check_name=INTEGRITY_AT_LEAST_THRESHOLD,
        passed=a.integrity_rate >= threshold,
        partition=a.day.isoformat(),
        target_materialization_data=target,
        blocking=False,
        description=integrity_description(a, threshold),
        metadata={
            "day": a.day.isoformat(),
            "integrity_rate": a.integrity_rate,
            "threshold": threshold,
            "total": a.total,
            "valid": a.valid,
            "missing_by_field": dict(a.missing_by_field),
        },
    )


def rows_match_pages(
    asset_key: dg.AssetKey, landed: LandedDay, target: Target | None = None
) -> dg.AssetCheckEvaluation:
    """Nothing lost on the way: the day's file holds the day's records, and across the export
    rows written + quarantined == records fetched over all pages == the server's totalRecords."""
    problems: list[str] = []
    if landed.written.rows != landed.alignment.total:
        problems.append(
            f"{landed.day}: file has {landed.written.rows} rows, day had {landed.alignment.total}"
        )
    accounted = landed.export_rows_written + landed.export_quarantined
    if accounted != landed.export_records:
        problems.append(
            f"export {landed.export_id}: {accounted} rows written or quarantined, "
            f"{landed.export_records} records fetched"
        )
    if landed.export_total_reported is not None and (
        landed.export_total_reported != landed.export_records
    ):
        problems.append(
            f"export {landed.export_id}: {landed.export_records} records fetched over "
            f"{landed.export_pages} page(s), server reported {landed.export_total_reported}"
        )
    return dg.AssetCheckEvaluation(
        asset_key=asset_key,
        check_name=ROWS_MATCH_PAGES,
        passed=not problems,
        partition=landed.day.isoformat(),
        target_materialization_data=target,
        blocking=False,
        description="; ".join(problems) or f"{landed.day}: {landed.written.rows} rows accounted",
        metadata={
            "day": landed.day.isoformat(),
            "rows_written": landed.written.rows,
            "export_id": landed.export_id,
            "export_records_fetched": landed.export_records,
            "export_total_reported": landed.export_total_reported,
            "export_pages": landed.export_pages,
            "export_rows_quarantined": landed.export_quarantined,
        },
    )
