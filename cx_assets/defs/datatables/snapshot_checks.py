"""Checks on a table snapshot, evaluated on the Parquet file just written."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import dagster as dg

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


def _md(lines: Sequence[str]) -> dg.MetadataValue:
    return dg.MetadataValue.md("\n".join(f"- {line}" for line in lines) or "none")


def rows_match_server(
    path: Path, rows_returned: int | None, quarantined: int = 0
) -> dg.AssetCheckResult:
    """Every row the server said the table holds is in the file (a quarantined row is not):
    tutorial mode, the rows served; platform mode, the export job's `countRecordsProcessed`."""
    written = parquet_row_count(path)
    return dg.AssetCheckResult(
        check_name=ROWS_MATCH_SERVER,
        passed=rows_returned is not None and written == rows_returned,
        metadata={
            "rows_returned_by_server": rows_returned if rows_returned is not None else "not said",
            "rows_in_parquet": written,
            "rows_quarantined": quarantined,
        },
    )


def primary_key_unique(path: Path, columns: Sequence[SnapshotColumn]) -> dg.AssetCheckResult:
    key = list(key_names(columns))
    duplicates = duplicate_key_count(path, key)
    return dg.AssetCheckResult(
        check_name=PRIMARY_KEY_UNIQUE,
        passed=duplicates == 0,
        metadata={"primary_key": ", ".join(key), "duplicate_keys": duplicates},
    )


def schema_matches_server(
    path: Path, columns: Sequence[SnapshotColumn], version: int | None = None
) -> dg.AssetCheckResult:
    expected = [(c.name, TYPE_MAP[c.type]) for c in columns]
    problems = schema_differences(parquet_columns(path), expected)
    return dg.AssetCheckResult(
        check_name=SCHEMA_MATCHES_SERVER,
        passed=not problems,
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
        return dg.AssetCheckResult(
            check_name=SCHEMA_DRIFT,
            passed=True,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={"compared_with": "no earlier snapshot"},
        )
    changes = describe_drift(previous, columns)
    return dg.AssetCheckResult(
        check_name=SCHEMA_DRIFT,
        passed=not changes,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"compared_with": previous_day or "", "changes": _md(changes)},
    )
