"""Contract: data table snapshots and import runs are recorded in the catalog (a re-run replaces
its row; the latest earlier snapshot is found for drift checks; quarantined rows are queryable);
each table gets a view `datatables.<slug>` over all its snapshot days with `snapshot_date`, and
`datatables.snapshot_index` lists every snapshot; every write leaves an audit entry and the chain
verifies; vendor ids and names never reach SQL or paths unchecked."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from cx_assets.catalog import (
    ImportRecord,
    SnapshotRecord,
    audit_chain,
    last_import,
    previous_snapshot,
    quarantined_rows,
    query,
    register_import,
    register_snapshot,
    register_table_view,
    snapshot_for,
    write_transaction,
)
from cx_assets.catalog.datatable_tables import SNAPSHOT_ADDED, SNAPSHOT_COLUMNS
from cx_assets.lake.datatables import (
    QuarantineRow,
    WrittenFile,
    quarantine_path,
    snapshot_path,
    write_quarantine,
    write_snapshot,
)
from cx_assets.lake.paths import DataLayout

TIERS = "6b1f6a0e-1c2d-4e5f-8a9b-000000000001"
OTHER = "6b1f6a0e-1c2d-4e5f-8a9b-000000000002"
T0 = dt.datetime(2024, 3, 1, 6, 0, tzinfo=dt.UTC)
TIER_COLUMNS = [("customer_id", "string"), ("Credit Limit", "number"), ("vip", "boolean")]


def _schema(columns: list[tuple[str, str]]) -> list[dict[str, Any]]:
    return [{"name": n, "type": t, "isPrimaryKey": i == 0} for i, (n, t) in enumerate(columns)]


def _snapshot(
    root: Path,
    table_id: str,
    day: str,
    rows: list[dict[str, Any]],
    columns: list[tuple[str, str]] = TIER_COLUMNS,
    name: str = "Customer Tiers",
    **overrides: Any,
) -> SnapshotRecord:
    """Write the day's Parquet file and return the record the snapshot asset would register."""
    written: WrittenFile = write_snapshot(
        snapshot_path(DataLayout(root), table_id, day), rows, columns
    )
    fields: dict[str, Any] = {
        "table_id": table_id,
        "table_name": name,
        "day": day,
        "etag": '"3"',
        "version": 3,
        "row_count": written.rows,
        "pages": 1,
        "restarts": 0,
        "columns": _schema(columns),
        "path": written.path.relative_to(root).as_posix(),
        "bytes": written.bytes,
        "sha256": written.sha256,
        "requests": 2,
        "retries": 0,
        "throttled": 1,
        "is_emulator": True,
        "api_base_url": "http://127.0.0.1:9000/api?access_token=s3cr3t",
        "run_id": "run-1",
        "started_at": T0,
        "finished_at": T0 + dt.timedelta(seconds=3),
    }
    fields.update(overrides)
    return SnapshotRecord(**fields)


def _rows(*ids: str) -> list[dict[str, Any]]:
    return [{"customer_id": i, "Credit Limit": 100.0, "vip": False} for i in ids]


def _import(run_id: str, quarantined: int, **overrides: Any) -> ImportRecord:
    fields: dict[str, Any] = {
        "import_name": "customer_tiers_update",
        "run_id": run_id,
        "table_id": TIERS,
        "source": "imports/tiers.csv",
        "started_at": T0,
        "finished_at": T0 + dt.timedelta(seconds=4),
        "rows_total": 10,
        "valid": 10 - quarantined,
        "inserted": 6,
        "updated": 1,
        "unchanged": 0,
        "quarantined": quarantined,
        "batches": 2,
        "bisections": 1,
        "chunk_sizes": [250, 4],
        "verified": True,
        "missing": 0,
        "different": 0,
        "requests": 5,
        "throttled": 0,
        "status": "verified",
    }
    fields.update(overrides)
    return ImportRecord(**fields)


def test_snapshot_round_trip_and_rerun_replaces(tmp_path: Path, catalog_path: Path) -> None:
    first = _snapshot(tmp_path, TIERS, "2024-03-01", _rows("C-1"))
    register_snapshot(catalog_path, first)
    rerun = _snapshot(tmp_path, TIERS, "2024-03-01", _rows("C-1", "C-2"), version=4)
    register_snapshot(catalog_path, rerun)

    stored = snapshot_for(catalog_path, TIERS, "2024-03-01")

    assert stored is not None
    assert dataclasses.replace(stored, registered_at=None) == rerun
    assert stored.day == dt.date(2024, 3, 1)
    assert stored.columns[1] == {"name": "Credit Limit", "type": "number", "isPrimaryKey": False}
    assert stored.api_base_url == "http://127.0.0.1:9000/api"  # the query (a token) is dropped
    count = query(catalog_path, "SELECT count(*), max(row_count) FROM datatable_snapshots").rows
    assert count == [(1, 2)]
    assert snapshot_for(catalog_path, TIERS, "2024-03-02") is None


def test_previous_snapshot_is_the_latest_earlier_day(tmp_path: Path, catalog_path: Path) -> None:
    for day in ("2024-03-01", "2024-03-03", "2024-03-05"):
        register_snapshot(catalog_path, _snapshot(tmp_path, TIERS, day, _rows("C-1")))
    register_snapshot(catalog_path, _snapshot(tmp_path, OTHER, "2024-03-04", _rows("C-9")))

    found = previous_snapshot(catalog_path, TIERS, "2024-03-05")
    assert found is not None and found.day == dt.date(2024, 3, 3)
    found = previous_snapshot(catalog_path, TIERS, dt.date(2024, 3, 3))
    assert found is not None and found.day == dt.date(2024, 3, 1)
    assert previous_snapshot(catalog_path, TIERS, "2024-03-01") is None


def test_import_and_its_quarantine_are_queryable(tmp_path: Path, catalog_path: Path) -> None:
    rejected = [
        QuarantineRow(3, "Credit Limit", "expects number, got string 'gold'", '{"x": 1}'),
        QuarantineRow(8, None, "invalid JSON", '"{oops"'),
    ]
    write_quarantine(quarantine_path(DataLayout(tmp_path), "customer_tiers_update", "r1"), rejected)
    register_import(catalog_path, _import("r1", 2), rejected)
    # The same run registered again (a retried step) replaces, it does not add.
    register_import(catalog_path, _import("r1", 2), rejected)
    register_import(catalog_path, _import("r2", 0, inserted=0, unchanged=8), [])

    latest = last_import(catalog_path, "customer_tiers_update")
    assert latest is not None
    assert (latest.run_id, latest.inserted, latest.unchanged) == ("r2", 0, 8)
    assert latest.chunk_sizes == [250, 4]
    assert quarantined_rows(catalog_path, "customer_tiers_update", "r1") == rejected
    per_run = query(
        catalog_path,
        "SELECT i.run_id, i.quarantined, count(q.row_number) FROM datatable_imports i "
        "LEFT JOIN datatable_quarantine q USING (import_name, run_id) GROUP BY ALL ORDER BY 1",
    ).rows
    assert per_run == [("r1", 2, 2), ("r2", 0, 0)]
    reasons = query(
        catalog_path,
        "SELECT row_number, field, source FROM datatable_quarantine ORDER BY row_number",
    ).rows
    assert reasons == [(3, "Credit Limit", "imports/tiers.csv"), (8, None, "imports/tiers.csv")]
    assert last_import(catalog_path, "never_ran") is None


def test_quarantine_count_must_match_the_rows_given(catalog_path: Path) -> None:
    with pytest.raises(ValueError, match="record says 2 quarantined row"):
        register_import(catalog_path, _import("r1", 2), [QuarantineRow(1, None, "x", "{}")])
    assert last_import(catalog_path, "customer_tiers_update") is None


def test_table_view_spans_days_with_snapshot_date(tmp_path: Path, catalog_path: Path) -> None:
    register_snapshot(catalog_path, _snapshot(tmp_path, TIERS, "2024-03-01", _rows("C-1", "C-2")))
    # Day 2: one more row and a column added (schema drift): day 1 reads it as NULL.
    drifted = [*TIER_COLUMNS, ("since", "date")]
    day2 = [{**r, "since": "2021-05-06"} for r in _rows("C-1", "C-2", "C-3")]
    register_snapshot(catalog_path, _snapshot(tmp_path, TIERS, "2024-03-02", day2, drifted))

    view = register_table_view(catalog_path, TIERS, "Customer Tiers")

    assert view == "datatables.customer_tiers"
    per_day = query(
        catalog_path,
        'SELECT snapshot_date, count(*), count(since), sum("Credit Limit") '
        "FROM datatables.customer_tiers GROUP BY 1 ORDER BY 1",
    ).rows
    assert per_day == [
        (dt.date(2024, 3, 1), 2, 0, 200.0),
        (dt.date(2024, 3, 2), 3, 3, 300.0),
    ]
    columns = query(catalog_path, "DESCRIBE datatables.customer_tiers").rows
    assert [c[0] for c in columns] == [
        "snapshot_date",
        "customer_id",
        "Credit Limit",
        "vip",
        "since",
    ]
    index = query(
        catalog_path,
        "SELECT table_id, table_name, day, row_count, view_name FROM datatables.snapshot_index "
        "ORDER BY day",
    ).rows
    assert index == [
        (TIERS, "Customer Tiers", dt.date(2024, 3, 1), 2, "datatables.customer_tiers"),
        (TIERS, "Customer Tiers", dt.date(2024, 3, 2), 3, "datatables.customer_tiers"),
    ]


def test_vendor_column_named_date_is_not_mistaken_for_the_folder(
    tmp_path: Path, catalog_path: Path
) -> None:
    columns = [("region", "string"), ("date", "date"), ("open", "boolean")]
    rows = [{"region": "EU", "date": "2024-12-25", "open": False}]
    register_snapshot(
        catalog_path, _snapshot(tmp_path, OTHER, "2024-03-01", rows, columns, "Holiday Calendar")
    )

    view = register_table_view(catalog_path, OTHER, "Holiday Calendar", tmp_path / "lake")

    assert query(catalog_path, f"SELECT snapshot_date, date, open FROM {view}").rows == [
        (dt.date(2024, 3, 1), dt.date(2024, 12, 25), False)
    ]


def test_same_slug_gets_a_deterministic_suffix_and_keeps_it(
    tmp_path: Path, catalog_path: Path
) -> None:
    for table_id in (TIERS, OTHER):
        register_snapshot(
            catalog_path, _snapshot(tmp_path, table_id, "2024-03-01", _rows(table_id))
        )

    first = register_table_view(catalog_path, TIERS, "Customer Tiers")
    second = register_table_view(catalog_path, OTHER, "customer-tiers!")
    again = register_table_view(catalog_path, TIERS, "Customer Tiers")

    assert (first, second, again) == (
        "datatables.customer_tiers",
        "datatables.customer_tiers_6b1f6a0e",
        "datatables.customer_tiers",
    )
    assert query(catalog_path, f"SELECT customer_id FROM {second}").rows == [(OTHER,)]


def test_renamed_table_moves_to_its_new_view(tmp_path: Path, catalog_path: Path) -> None:
    register_snapshot(catalog_path, _snapshot(tmp_path, TIERS, "2024-03-01", _rows("C-1")))
    register_table_view(catalog_path, TIERS, "Customer Tiers")

    view = register_table_view(catalog_path, TIERS, "Customer Levels")

    assert view == "datatables.customer_levels"
    views = query(
        catalog_path,
        "SELECT view_name FROM duckdb_views() WHERE schema_name = 'datatables' ORDER BY 1",
    ).rows
    assert views == [("customer_levels",), ("snapshot_index",)]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ('x"; DROP TABLE datatable_snapshots; --', "datatables.x_drop_table_datatable_snapshots"),
        ("2024 Holidays", "datatables.t_2024_holidays"),
        ("!!!", "datatables.unnamed"),
        ("Select", "datatables.t_select"),
        ("Snapshot Index", "datatables.t_snapshot_index"),
    ],
)
def test_hostile_or_odd_names_become_safe_slugs(
    tmp_path: Path, catalog_path: Path, name: str, expected: str
) -> None:
    register_snapshot(
        catalog_path, _snapshot(tmp_path, TIERS, "2024-03-01", _rows("C-1"), name=name)
    )

    view = register_table_view(catalog_path, TIERS, name)

    assert view == expected
    assert query(catalog_path, f"SELECT count(*) FROM {view}").rows == [(1,)]
    assert query(catalog_path, "SELECT table_name FROM datatable_snapshots").rows == [(name,)]


@pytest.mark.parametrize("table_id", ["../../etc", "a/b", "x' OR '1'='1", ""])
def test_unsafe_table_ids_are_refused_everywhere(
    tmp_path: Path, catalog_path: Path, table_id: str
) -> None:
    good = _snapshot(tmp_path, TIERS, "2024-03-01", _rows("C-1"))
    with pytest.raises(ValueError, match="table id"):
        dataclasses.replace(good, table_id=table_id)
    with pytest.raises(ValueError, match="table id"):
        register_table_view(catalog_path, table_id, "Customer Tiers")
    with pytest.raises(ValueError, match="relative to the data root"):
        dataclasses.replace(good, path="../../etc/passwd")


def test_view_without_any_snapshot_file_is_a_clear_error(
    tmp_path: Path, catalog_path: Path
) -> None:
    register_snapshot(catalog_path, _snapshot(tmp_path, TIERS, "2024-03-01", _rows("C-1")))

    with pytest.raises(ValueError, match=r"no snapshot of data table .* pass the lake root"):
        register_table_view(
            catalog_path, TIERS, "Customer Tiers", tmp_path / "lake" / "genesys" / "datatables"
        )


def test_every_write_is_audited_and_the_chain_verifies(tmp_path: Path, catalog_path: Path) -> None:
    register_snapshot(catalog_path, _snapshot(tmp_path, TIERS, "2024-03-01", _rows("C-1")))
    register_snapshot(catalog_path, _snapshot(tmp_path, TIERS, "2024-03-01", _rows("C-1", "C-2")))
    register_import(catalog_path, _import("r1", 0), [], actor="tester")

    entries = query(
        catalog_path, "SELECT flow, action, entity, actor FROM audit_log ORDER BY seq"
    ).rows
    assert entries == [
        ("datatables", "snapshot", f"{TIERS}/2024-03-01", "run run-1"),
        ("datatables", "snapshot", f"{TIERS}/2024-03-01", "run run-1"),
        ("datatables", "import", "customer_tiers_update/r1", "tester"),
    ]
    replaced = query(
        catalog_path, "SELECT details->>'replaced_sha256' FROM audit_log WHERE seq = 2"
    ).rows
    assert replaced[0][0] is not None
    report = audit_chain(catalog_path)
    assert (report.ok, report.entries) == (True, 3)


def test_a_catalog_from_before_platform_mode_gains_its_columns_and_keeps_its_rows(
    tmp_path: Path, catalog_path: Path
) -> None:
    old = [c for c in SNAPSHOT_COLUMNS if c not in SNAPSHOT_ADDED]
    body = ", ".join(f"{name} {kind}" for name, kind in old)
    with write_transaction(catalog_path) as con:  # the table as the first release made it
        con.execute("DROP VIEW IF EXISTS datatables.snapshot_index")
        con.execute("DROP TABLE datatable_snapshots")
        con.execute(f"CREATE TABLE datatable_snapshots ({body}, PRIMARY KEY (table_id, day))")
    record = _snapshot(tmp_path, TIERS, "2024-03-01", _rows("C-1"), export_job_id="job-9")

    register_snapshot(catalog_path, record)

    found = snapshot_for(catalog_path, TIERS, "2024-03-01")
    assert found is not None and (found.export_job_id, found.row_count) == ("job-9", 1)
