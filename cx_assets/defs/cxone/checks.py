"""Checks for `cxone_interactions`: one result per check per run, naming every failing day.

A run may cover up to 90 days. Dagster records an `AssetCheckResult` once per run, and per-
partition check results need non-public APIs, so each check evaluates every day of the run,
passes only when all of them pass, names the failing days in its description, and carries each
day's figures in its metadata. Each day's own materialization carries the same figures too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import dagster as dg

from cx_assets.defs.check_results import nothing_to_compare
from cx_assets.flows.cxone import LandedDay
from cx_assets.lake.cxone_days import DayAlignment, count_rows

INTEGRITY_AT_LEAST_THRESHOLD = "integrity_at_least_threshold"
ROWS_MATCH_RECORDS = "rows_match_records"
#: Days listed in a check description before "and N more".
LISTED_DAYS = 20


def _missing_text(alignment: DayAlignment) -> str:
    missing = {k: v for k, v in alignment.missing_by_field.items() if v}
    return ", ".join(f"{k} {v}" for k, v in sorted(missing.items())) or "none"


def integrity_description(alignment: DayAlignment, threshold: float) -> str:
    verdict = ">=" if alignment.integrity_rate >= threshold else "<"
    return (
        f"{alignment.day}: integrity {alignment.integrity_rate:.4f} {verdict} {threshold:g} "
        f"({alignment.valid} of {alignment.total} complete; missing: {_missing_text(alignment)})"
    )


def _summary(
    failing: Sequence[str], days: int, passed_text: str, head: str = "{n} of {days} day(s) failed"
) -> str:
    if not failing:
        return passed_text
    shown = list(failing[:LISTED_DAYS])
    more = len(failing) - len(shown)
    tail = f"\n… and {more} more" if more else ""
    return head.format(n=len(failing), days=days) + ":\n" + "\n".join(shown) + tail


def integrity_at_least_threshold(
    landed: Sequence[LandedDay], threshold: float
) -> dg.AssetCheckResult:
    """Every day of the run has at least `threshold` of its records complete (a run with no
    records at all has no rate to compare: it warns that nothing was compared)."""
    if not any(d.alignment.total for d in landed):
        return nothing_to_compare(
            INTEGRITY_AT_LEAST_THRESHOLD,
            f"the run's {len(landed)} day(s) hold no records to measure",
            threshold=str(threshold),
            days=len(landed),
        )
    failing = [
        integrity_description(d.alignment, threshold)
        for d in landed
        if d.alignment.integrity_rate < threshold
    ]
    per_day = {
        d.day.isoformat(): {
            "integrity_rate": round(d.alignment.integrity_rate, 6),
            "valid": d.alignment.valid,
            "total": d.alignment.total,
        }
        for d in landed
    }
    lowest = min((d.alignment.integrity_rate for d in landed), default=1.0)
    below = [d.day.isoformat() for d in landed if d.alignment.integrity_rate < threshold]
    return dg.AssetCheckResult(
        check_name=INTEGRITY_AT_LEAST_THRESHOLD,
        passed=not failing,
        description=_summary(
            failing, len(landed), f"all {len(landed)} day(s) at integrity >= {threshold:g}"
        ),
        metadata={
            "threshold": threshold,
            "days": len(landed),
            "failing_days": below,
            "lowest_integrity": lowest,
            "per_day": dg.MetadataValue.json(per_day),
        },
    )


def day_accounting_problems(day: LandedDay) -> list[str]:
    """Why the day's file does not hold exactly the records its read served (empty = fine)."""
    built, read = day.built, day.read
    problems: list[str] = []
    path = built.written.path
    on_disk = count_rows(path) if path.is_file() else None
    if on_disk is None:
        problems.append(f"{day.day}: file {path} is missing")
    elif on_disk != built.expected_rows:
        problems.append(
            f"{day.day}: file has {on_disk} rows, expected {built.expected_rows} "
            f"({built.received} received, {built.duplicates} served twice, {built.replaced} "
            "replaced a stored row)"
        )
    if built.alignment.total != built.written.rows:
        problems.append(
            f"{day.day}: integrity counted {built.alignment.total} rows, file has "
            f"{built.written.rows}"
        )
    if day.read_placed + read.quarantined != read.records:
        problems.append(
            f"read {read.read_id}: {day.read_placed} placed + {read.quarantined} quarantined "
            f"!= {read.records} served over {read.pages} response(s)"
        )
    if read.total_reported is not None and read.total_reported != read.records:
        problems.append(
            f"read {read.read_id}: {read.records} served, server reported {read.total_reported}"
        )
    return problems


def rows_match_records(landed: Sequence[LandedDay]) -> dg.AssetCheckResult:
    """Nothing lost or doubled: each day's file holds the records served for it, less repeats
    and replaced rows; every served record is in a day or in quarantine; and the server's
    total, where it gives one, matches what was served."""
    # A read spans several days: its own problem is listed once, not once per day.
    problems = list(dict.fromkeys(p for d in landed for p in day_accounting_problems(d)))
    per_day: dict[str, Any] = {
        d.day.isoformat(): {
            "rows": d.built.written.rows,
            "received": d.built.received,
            "duplicates": d.built.duplicates,
            "replaced": d.built.replaced,
            "read": d.read.read_id,
            "read_kind": d.read.kind,
        }
        for d in landed
    }
    return dg.AssetCheckResult(
        check_name=ROWS_MATCH_RECORDS,
        passed=not problems,
        description=_summary(
            problems,
            len(landed),
            f"all {len(landed)} day(s) hold exactly what was served",
            head="{n} problem(s) over {days} day(s)",
        ),
        metadata={
            "days": len(landed),
            "rows": sum(d.built.written.rows for d in landed),
            "records_served": sum({d.read.read_id: d.read.records for d in landed}.values()),
            "per_day": dg.MetadataValue.json(per_day),
        },
    )
