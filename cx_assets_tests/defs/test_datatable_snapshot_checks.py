"""Contract: a platform snapshot's `rows_match_server` passes only when the file holds every row
the export job said it processed (a quarantined row fails it; no count from the server warns
that nothing was compared), and drift names a retyped or re-keyed column."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import polars as pl

from cx_assets.defs.datatables import snapshot_checks as checks
from cx_assets.lake.datatable_columns import SnapshotColumn


def _file(tmp_path: Path, rows: int) -> Path:
    path = tmp_path / "snapshot.parquet"
    pl.DataFrame({"key": [f"k-{i}" for i in range(rows)]}).write_parquet(path)
    return path


def test_rows_match_the_jobs_count_or_the_check_fails(tmp_path: Path) -> None:
    path = _file(tmp_path, 3)
    assert checks.rows_match_server(path, 3).passed
    short = checks.rows_match_server(path, 4, quarantined=1)
    assert not short.passed and short.metadata["rows_quarantined"].value == 1
    unsaid = checks.rows_match_server(path, None)
    assert not unsaid.passed and unsaid.metadata["rows_returned_by_server"].value == "not said"
    assert unsaid.severity == dg.AssetCheckSeverity.WARN  # nothing to compare, not an error


def test_drift_names_a_retyped_and_a_rekeyed_column() -> None:
    before = [SnapshotColumn("key", "string", True), SnapshotColumn("limit", "integer")]
    after = [SnapshotColumn("key", "string", False), SnapshotColumn("limit", "number")]
    assert checks.describe_drift(before, after) == [
        "key left the primary key",
        "retyped limit: integer -> number",
    ]
