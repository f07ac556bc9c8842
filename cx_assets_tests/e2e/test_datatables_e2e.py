"""Data tables through Dagster: discovered partitions, consistent snapshots with checks and
schema drift, and declared imports that quarantine bad rows and are idempotent."""

from __future__ import annotations

import datetime as dt
import threading
import time
from pathlib import Path
from typing import Any

import dagster as dg
import httpx
import pytest

from cx_assets.defs.datatables.discovery import add_table_partitions, datatables_discovery_sensor
from cx_assets.defs.datatables.import_files import imports_dir
from cx_assets.defs.datatables.imports import build_import_asset
from cx_assets.defs.datatables.partitions import snapshot_partition_key, table_id_of, table_key_in
from cx_assets.defs.datatables.snapshots import genesys_datatable_snapshot
from cx_assets.flows.datatables_history import SNAPSHOT_GRACE
from cx_assets.genesys.datatables.declarations import ImportDeclaration, load_declarations
from cx_assets.lake.locks import exclusive
from cx_assets_tests.e2e.pipeline_testkit import Pipeline

TIERS = "6b1f6a0e-1c2d-4e5f-8a9b-000000000001"
HOLIDAYS = "6b1f6a0e-1c2d-4e5f-8a9b-000000000003"
DAY = dt.datetime.now(dt.UTC).date().isoformat()  # a table keeps no history: today only


def _checks(result: dg.ExecuteInProcessResult) -> dict[str, dg.AssetCheckEvaluation]:
    return {e.check_name: e for e in result.get_asset_check_evaluations()}


def _metadata(result: dg.ExecuteInProcessResult) -> dict[str, Any]:
    [event] = result.get_asset_materialization_events()
    return {k: getattr(v, "value", v) for k, v in event.materialization.metadata.items()}


def _snapshot(pipeline: Pipeline, table_id: str, day: str = DAY) -> dg.ExecuteInProcessResult:
    return pipeline.materialize_assets(
        [genesys_datatable_snapshot],
        partition_key=snapshot_partition_key(table_key_in(pipeline.instance, table_id), day),
    )


def _discover(pipeline: Pipeline) -> list[str]:
    return add_table_partitions(pipeline.instance, pipeline.resources()["genesys"])


def test_sensor_adds_every_table_as_a_partition(pipeline: Pipeline) -> None:
    context = dg.build_sensor_context(
        instance=pipeline.instance, resources={"genesys": pipeline.resources()["genesys"]}
    )
    result = datatables_discovery_sensor(context)
    assert isinstance(result, dg.SensorResult)
    [request] = result.dynamic_partitions_requests or []
    assert f"Customer Tiers [{TIERS}]" in request.partition_keys  # a name people recognise
    assert f"Holiday Calendar [{HOLIDAYS}]" in request.partition_keys
    assert len(request.partition_keys) == 4


def test_a_renamed_table_moves_to_a_key_with_its_new_name(pipeline: Pipeline) -> None:
    _discover(pipeline)
    name = "genesys_datatables"
    pipeline.instance.delete_dynamic_partition(name, f"Customer Tiers [{TIERS}]")
    pipeline.instance.add_dynamic_partitions(name, [f"Old Tiers [{TIERS}]", HOLIDAYS])

    added = _discover(pipeline)  # as if the table had been renamed, and a key from before names

    assert added == [f"Customer Tiers [{TIERS}]"]
    keys = pipeline.instance.get_dynamic_partitions(name)
    assert f"Old Tiers [{TIERS}]" not in keys and HOLIDAYS not in keys
    assert sorted(table_id_of(k) for k in keys) == sorted({table_id_of(k) for k in keys})


def test_snapshot_lands_in_the_catalog_with_passing_checks(pipeline: Pipeline) -> None:
    assert len(_discover(pipeline)) == 4
    result = _snapshot(pipeline, TIERS)
    checks = _checks(result)
    assert {name: c.passed for name, c in checks.items()} == {
        "rows_match_server": True,
        "primary_key_unique": True,
        "schema_matches_server": True,
        "schema_drift": False,  # the first snapshot: a WARN, nothing to compare with
    }
    metadata = _metadata(result)
    assert metadata["dagster/row_count"] == 2500
    assert metadata["pages"] == 3
    [(rows, day)] = pipeline.sql(
        "SELECT count(*), min(snapshot_date) FROM datatables.customer_tiers"
    )
    assert rows == 2500 and str(day) == DAY
    [(table_name, row_count)] = pipeline.sql(
        "SELECT table_name, row_count FROM datatable_snapshots WHERE table_id = ?", [TIERS]
    )
    assert (table_name, row_count) == ("Customer Tiers", 2500)


def test_a_backfilled_range_writes_a_snapshot_only_under_the_day_it_was_taken(
    pipeline: Pipeline,
) -> None:
    _discover(pipeline)
    today = dt.date.fromisoformat(DAY)
    days = [(today - dt.timedelta(days=n)).isoformat() for n in (30, 3, 2, 1, 0)]
    if dt.datetime.now(dt.UTC) - dt.datetime.combine(today, dt.time(), dt.UTC) < SNAPSHOT_GRACE:
        days.remove(days[-2])  # yesterday is still in its grace: a late schedule may take it
    requests_before = pipeline.emulator.stats()["requests"]

    results = {
        day: pipeline.materialize_assets(
            [genesys_datatable_snapshot],
            partition_key=snapshot_partition_key(table_key_in(pipeline.instance, HOLIDAYS), day),
            raise_on_error=False,
        )
        for day in days
    }

    assert [d for d, r in results.items() if r.success] == [DAY]
    for day in days[:-1]:
        [failure] = [e for e in results[day].all_events if e.is_step_failure]
        message = str(failure.step_failure_data.error)
        assert f"snapshot for {day}" in message and "keeps no history" in message
    assert pipeline.sql("SELECT CAST(day AS VARCHAR) FROM datatable_snapshots") == [(DAY,)]
    dates = pipeline.sql(
        "SELECT DISTINCT CAST(snapshot_date AS VARCHAR) FROM datatables.holiday_calendar"
    )
    assert dates == [(DAY,)]
    lake = pipeline.data_dir / "lake" / "genesys" / "datatables" / f"table_id={HOLIDAYS}"
    assert sorted(p.name for p in lake.iterdir()) == [f"date={DAY}"]
    # the refused days asked the server nothing: one run's requests (token, schema, rows) only
    assert pipeline.emulator.stats()["requests"] - requests_before < 10


def test_composite_key_table_snapshot(pipeline: Pipeline) -> None:
    _discover(pipeline)
    result = _snapshot(pipeline, HOLIDAYS)
    checks = _checks(result)
    assert checks.pop("schema_drift").severity == dg.AssetCheckSeverity.WARN  # the first one
    assert all(c.passed for c in checks.values())
    assert pipeline.sql("SELECT count(*) FROM datatables.holiday_calendar") == [(60,)]


def test_table_changed_mid_snapshot_restarts_and_stays_consistent(pipeline: Pipeline) -> None:
    _discover(pipeline)
    pipeline.emulator.add_faults(
        {"kind": "table_modified", "count": 1, "path_prefix": f"/api/v2/datatables/{TIERS}/rows"}
    )
    result = _snapshot(pipeline, TIERS)
    metadata = _metadata(result)
    assert metadata["restarts"] == 1
    assert metadata["dagster/row_count"] == 2500
    checks = _checks(result)
    assert checks.pop("schema_drift").severity == dg.AssetCheckSeverity.WARN  # the first one
    assert all(c.passed for c in checks.values())
    [(etag,)] = pipeline.sql("SELECT etag FROM datatable_snapshots WHERE table_id = ?", [TIERS])
    assert etag == metadata["etag"]


def test_schema_drift_is_reported_as_a_warning(pipeline: Pipeline) -> None:
    _discover(pipeline)
    _snapshot(pipeline, HOLIDAYS)
    headers = {"Authorization": f"Bearer {pipeline.token()}"}
    url = f"{pipeline.emulator.url}/api/v2/datatables/{HOLIDAYS}/schema"
    schema = httpx.get(url, headers=headers).json()
    columns = [*schema["columns"], {"name": "hours", "type": "string", "isPrimaryKey": False}]
    httpx.put(url, headers=headers, json={"columns": columns}).raise_for_status()
    result = _snapshot(pipeline, HOLIDAYS)  # a second run today follows the first
    drift = _checks(result)["schema_drift"]
    assert not drift.passed
    assert drift.severity == dg.AssetCheckSeverity.WARN
    assert "added hours (string)" in str(drift.metadata["changes"].value)
    assert _checks(result)["schema_matches_server"].passed


def _demo_import() -> ImportDeclaration:
    [declaration] = [
        d for d in load_declarations(imports_dir()) if d.name == "customer_tiers_update"
    ]
    return declaration


def test_import_quarantines_invalid_rows_and_is_idempotent(pipeline: Pipeline) -> None:
    asset = build_import_asset(_demo_import())
    first = pipeline.materialize_assets([asset])
    metadata = _metadata(first)
    assert (metadata["inserted"], metadata["updated"], metadata["quarantined"]) == (7, 0, 5)
    assert all(c.passed for c in _checks(first).values())
    reasons = pipeline.sql("SELECT row_number, field FROM datatable_quarantine ORDER BY row_number")
    assert reasons == [
        (7, "credit_limit"),
        (8, "customer_id"),
        (9, "vip"),
        (10, "since"),
        (11, "customer_id"),
    ]

    second = pipeline.materialize_assets([asset])
    metadata = _metadata(second)
    assert (metadata["inserted"], metadata["updated"], metadata["unchanged"]) == (0, 0, 7)
    assert all(c.passed for c in _checks(second).values())
    _discover(pipeline)
    _snapshot(pipeline, TIERS)
    rows = pipeline.sql(
        "SELECT customer_id, credit_limit FROM datatables.customer_tiers "
        "WHERE customer_id LIKE 'C-900%' ORDER BY customer_id"
    )
    assert [r[0] for r in rows] == [f"C-90000{n}" for n in range(1, 7)] + ["C-900012"]
    assert ("C-900005", 7500.0) in rows
    assert pipeline.sql("SELECT count(*) FROM datatables.customer_tiers") == [(2507,)]


def test_a_row_the_server_lost_fails_import_verified(pipeline: Pipeline) -> None:
    """The server answers for the whole batch but never stores its last row: only the
    read-back can tell, and import_verified names the row that is missing."""
    pipeline.emulator.add_faults(
        {"kind": "row_lost_on_upsert", "count": 1, "path_prefix": f"/api/v2/datatables/{TIERS}"}
    )
    result = pipeline.materialize_assets([build_import_asset(_demo_import())], raise_on_error=False)

    verified = _checks(result)["import_verified"]
    assert not verified.passed
    metadata = {k: getattr(v, "value", v) for k, v in verified.metadata.items()}
    assert (metadata["rows_checked"], metadata["missing"], metadata["different"]) == (7, 1, 0)
    assert metadata["first_missing"] == "C-900012"  # the batch's last row, never stored


def test_a_source_column_the_table_lacks_halts_before_any_write(
    pipeline: Pipeline, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CX_DATATABLE_IMPORT_ROOTS", str(tmp_path))  # a root allowed explicitly
    source = tmp_path / "tiers.csv"
    source.write_text("customer_id,tier,region\nC-1,gold,EMEA\n")
    declaration = ImportDeclaration(name="bad_columns", table_id=TIERS, source=source)
    result = pipeline.materialize_assets([build_import_asset(declaration)], raise_on_error=False)
    assert not result.success
    [failure] = [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE]
    assert "region" in str(failure.event_specific_data)
    assert pipeline.emulator.stats().get("datatable_batches", {}).get(TIERS, []) == []


def test_an_import_waits_while_another_writer_holds_the_table(pipeline: Pipeline) -> None:
    """Only one import writes to a table at a time: with the table's lock held elsewhere the
    run sends nothing, and it proceeds once the lock is released."""
    asset = build_import_asset(_demo_import())
    results: list[dg.ExecuteInProcessResult] = []
    with exclusive(pipeline.data_dir, f"datatable-{TIERS}"):
        worker = threading.Thread(
            target=lambda: results.append(pipeline.materialize_assets([asset]))
        )
        worker.start()
        time.sleep(2.0)
        assert worker.is_alive()
        assert pipeline.emulator.stats().get("datatable_batches", {}).get(TIERS, []) == []
    worker.join(120)
    assert results and results[0].success
    assert sum(pipeline.emulator.stats()["datatable_batches"][TIERS]) == 7
