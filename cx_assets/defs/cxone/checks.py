"""Checks for `cxone_interactions`: one result per check per run, naming its days.

A run may cover up to 90 days. Dagster records an `AssetCheckResult` once per run (per-partition
results need partitioned check specs, a preview API that warns on every start), so each check
evaluates every day of the run, passes only when all of them pass, starts its description with
the days it covers (`2024-03-01..2024-03-07: ...`), names each failing day, and carries the
range (`first_day`, `last_day`) and each day's figures (`per_day`) in its metadata. Each day's
own materialization carries the same figures too.

A day below the integrity threshold also fails the run (`integrity_failure`): the check result
is recorded first, the data stays landed, and the run turns red where people look (Runs,
Backfills, the asset's latest run).
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


def days_label(landed: Sequence[LandedDay]) -> str:
    """The days a result covers: `2024-03-01` or `2024-03-01..2024-03-07` (or `no days`)."""
    days = sorted(d.day for d in landed)
    if not days:
        return "no days"
    return str(days[0]) if days[0] == days[-1] else f"{days[0]}..{days[-1]}"


def _range_metadata(landed: Sequence[LandedDay]) -> dict[str, Any]:
    days = sorted(d.day.isoformat() for d in landed)
    return {"first_day": days[0] if days else "", "last_day": days[-1] if days else ""}


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
    span: str,
    failing: Sequence[str],
    days: int,
    passed_text: str,
    head: str = "{n} of {days} day(s) failed",
) -> str:
    if not failing:
        return f"{span}: {passed_text}"
    shown = list(failing[:LISTED_DAYS])
    more = len(failing) - len(shown)
    tail = f"\n... and {more} more" if more else ""
    return f"{span}: " + head.format(n=len(failing), days=days) + ":\n" + "\n".join(shown) + tail


def integrity_at_least_threshold(
    landed: Sequence[LandedDay], threshold: float
) -> dg.AssetCheckResult:
    """Every day of the run has at least `threshold` of its records complete (a run with no
    records at all has no rate to compare: it warns that nothing was compared)."""
    span = days_label(landed)
    if not any(d.alignment.total for d in landed):
        return nothing_to_compare(
            INTEGRITY_AT_LEAST_THRESHOLD,
            f"the run's {len(landed)} day(s) ({span}) hold no records to measure",
            threshold=str(threshold),
            days=len(landed),
            **_range_metadata(landed),
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
    measured = [d for d in landed if d.alignment.total]
    worst = min(measured, key=lambda d: d.alignment.integrity_rate)
    lowest = worst.alignment.integrity_rate
    below = [d.day.isoformat() for d in landed if d.alignment.integrity_rate < threshold]
    return dg.AssetCheckResult(
        check_name=INTEGRITY_AT_LEAST_THRESHOLD,
        passed=not failing,
        description=_summary(
            span,
            failing,
            len(landed),
            f"all {len(landed)} day(s) at integrity >= {threshold:g} "
            f"(lowest {lowest:.4f} on {worst.day})",
            head="{n} of {days} day(s) below the threshold",
        ),
        metadata={
            **_range_metadata(landed),
            "threshold": dg.MetadataValue.float(threshold),
            "days": dg.MetadataValue.int(len(landed)),
            "failing_days": below,
            "failing_day_count": dg.MetadataValue.int(len(below)),
            "lowest_integrity": dg.MetadataValue.float(lowest),
            "lowest_integrity_day": worst.day.isoformat(),
            "per_day": dg.MetadataValue.json(per_day),
        },
    )


def integrity_failure(landed: Sequence[LandedDay], threshold: float) -> dg.Failure | None:
    """The run's failure when a day is below `threshold` (None when every day with records is
    at or above it). Raised after the days landed and the check results were recorded, and
    never retried: a re-run reads the same records."""
    failing = [d for d in landed if d.alignment.total and d.alignment.integrity_rate < threshold]
    if not failing:
        return None
    lines = [integrity_description(d.alignment, threshold) for d in failing]
    shown = lines[:LISTED_DAYS]
    more = f"\n... and {len(lines) - len(shown)} more" if len(lines) > len(shown) else ""
    return dg.Failure(
        description=(
            f"CXone integrity below {threshold:g} on {len(failing)} of {len(landed)} day(s) "
            f"({days_label(landed)}):\n" + "\n".join(shown) + more + "\n"
            f"Every day of the run is landed all the same ({len(landed)} day(s) in "
            "cxone.interactions, nothing dropped); the check integrity_at_least_threshold has "
            "each day's figures. The run fails so such a day cannot hide under a green run."
        ),
        metadata={
            **_range_metadata(landed),
            "threshold": dg.MetadataValue.float(threshold),
            "failing_days": [d.day.isoformat() for d in failing],
            "failing_rates": {
                d.day.isoformat(): round(d.alignment.integrity_rate, 6) for d in failing
            },
            "days_landed": dg.MetadataValue.int(len(landed)),
        },
        allow_retries=False,
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
            days_label(landed),
            problems,
            len(landed),
            f"all {len(landed)} day(s) hold exactly what was served",
            head="{n} problem(s) over {days} day(s)",
        ),
        metadata={
            **_range_metadata(landed),
            "days": len(landed),
            "rows": sum(d.built.written.rows for d in landed),
            "records_served": sum({d.read.read_id: d.read.records for d in landed}.values()),
            "per_day": dg.MetadataValue.json(per_day),
        },
    )
