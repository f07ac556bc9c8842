"""Checks on a table snapshot, evaluated on the Parquet file just written."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import dagster as dg
import polars as pl

from cx_assets.defs.check_results import nothing_to_compare
from cx_assets.lake.datatable_columns import SnapshotColumn, key_names
from cx_assets.lake.datatables import TYPE_MAP
from cx_assets.lake.parquet_schema import (
    duplicate_key_count,
    parquet_columns,
    parquet_row_count,
    schema_differences,
)

ROWS_MATCH_SERVER = "rows_match_server"
PRIMARY_KEY_UNIQUE = "primary_key_unique"
SCHEMA_MATCHES_SERVER = "schema_matches_server"
SCHEMA_DRIFT = "schema_drift"
#: Key values listed in a check description before the rest are left off.
LISTED_KEYS = 10


def _md(lines: Sequence[str]) -> dg.MetadataValue:
    return dg.MetadataValue.md("\n".join(f"- {line}" for line in lines) or "none")


def rows_match_server(
    path: Path, rows_returned: int | None, quarantined: int = 0
) -> dg.AssetCheckResult:
    """Every row the server said the table holds is in the file (a quarantined row is not):
    tutorial mode, the rows served; platform mode, the export job's `countRecordsProcessed`."""
    written = parquet_row_count(path)
    if rows_returned is None:
        return nothing_to_compare(
            ROWS_MATCH_SERVER,
            "the server did not say how many rows the table holds",
            rows_returned_by_server="not said",
            rows_in_parquet=written,
            rows_quarantined=quarantined,
        )
    return dg.AssetCheckResult(
        check_name=ROWS_MATCH_SERVER,
        passed=written == rows_returned,
        description=f"the server reported {rows_returned} row(s), the file holds {written}"
        + (f" ({quarantined} quarantined)" if quarantined else ""),
        metadata={
            "rows_returned_by_server": rows_returned,
            "rows_in_parquet": written,
            "rows_quarantined": quarantined,
        },
    )


def repeated_keys(path: Path, key: Sequence[str], limit: int = LISTED_KEYS) -> list[str]:
    """The first `limit` key values that occur more than once, `|`-joined as the API joins them."""
    repeated = (
        pl.scan_parquet(path)
        .group_by(list(key))
        .len()
        .filter(pl.col("len") > 1)
        .sort(list(key))
        .head(limit)
        .collect()
    )
    return ["|".join(str(row[k]) for k in key) for row in repeated.iter_rows(named=True)]


def primary_key_unique(path: Path, columns: Sequence[SnapshotColumn]) -> dg.AssetCheckResult:
    key = list(key_names(columns))
    if not parquet_row_count(path):
        return nothing_to_compare(
            PRIMARY_KEY_UNIQUE, "the table has no rows", primary_key=", ".join(key)
        )
    duplicates = duplicate_key_count(path, key)
    repeated = repeated_keys(path, key) if duplicates else []
    return dg.AssetCheckResult(
        check_name=PRIMARY_KEY_UNIQUE,
        passed=duplicates == 0,
        description=(
            f"{duplicates} duplicate key(s) of ({', '.join(key)}): {', '.join(repeated)}"
            if duplicates
            else f"every ({', '.join(key)}) value once"
        ),
        metadata={
            "primary_key": ", ".join(key),
            "duplicate_keys": duplicates,
            "repeated_keys": ", ".join(repeated) or "none",
        },
    )


def schema_matches_server(
    path: Path, columns: Sequence[SnapshotColumn], version: int | None = None
) -> dg.AssetCheckResult:
    expected = [(c.name, TYPE_MAP[c.type]) for c in columns]
    problems = schema_differences(parquet_columns(path), expected)
    return dg.AssetCheckResult(
        check_name=SCHEMA_MATCHES_SERVER,
        passed=not problems,
        description="; ".join(problems) or f"{len(expected)} column(s) as the server declares",
        metadata={
            "server_schema_version": version if version is not None else "none (platform)",
            "problems": _md(problems),
        },
    )


def describe_drift(
    previous: Sequence[SnapshotColumn], current: Sequence[SnapshotColumn]
) -> list[str]:
    """Columns added, removed, retyped or re-keyed since the previous snapshot."""
    before = {c.name: c for c in previous}
    after = {c.name: c for c in current}
    changes = [f"added {n} ({after[n].type})" for n in after if n not in before]
    changes += [f"removed {n} (was {before[n].type})" for n in before if n not in after]
    for name in after.keys() & before.keys():
        old, new = before[name], after[name]
        if old.type != new.type:
            changes.append(f"retyped {name}: {old.type} -> {new.type}")
        if old.is_key != new.is_key:
            changes.append(f"{name} {'joined' if new.is_key else 'left'} the primary key")
    return sorted(changes)


def schema_drift(
    previous: Sequence[SnapshotColumn] | None,
    previous_day: str | None,
    columns: Sequence[SnapshotColumn],
) -> dg.AssetCheckResult:
    """A warning, not a failure: drift is news for downstream users, not bad data."""
    if previous is None:
        return nothing_to_compare(
            SCHEMA_DRIFT,
            "no earlier snapshot of this table to compare the columns with",
            compared_with="no earlier snapshot",
        )
    changes = describe_drift(previous, columns)
    return dg.AssetCheckResult(
        check_name=SCHEMA_DRIFT,
        passed=not changes,
        severity=dg.AssetCheckSeverity.WARN,
        description="; ".join(changes) or f"the same columns as on {previous_day}",
        metadata={"compared_with": previous_day or "", "changes": _md(changes)},
    )
