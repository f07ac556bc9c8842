"""Data tables through Dagster in platform mode (the real /api/v2/flows/datatables on the
emulator): discovered partitions, snapshots through export jobs with every check green, a failed
export job named, and a declared import that quarantines bad rows, keeps the columns it does not
name, reports rows the server refused, and changes nothing when run twice."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from cx_assets.defs.datatables.discovery import add_table_partitions
from cx_assets.defs.datatables.import_files import imports_dir
from cx_assets.defs.datatables.imports import build_import_asset
from cx_assets.defs.datatables.partitions import snapshot_partition_key, table_key_in
from cx_assets.defs.datatables.snapshots import genesys_datatable_snapshot
from cx_assets.genesys.datatables.declarations import ImportDeclaration, load_declarations
from cx_assets_tests.e2e.pipeline_testkit import Pipeline, running_pipeline

TIERS = "7c2a9f10-2d3e-4f60-9b1c-000000000101"
SKILLS = "7c2a9f10-2d3e-4f60-9b1c-000000000104"
TODAY = dt.datetime.now(dt.UTC).date().isoformat()
PLATFORM = {"api_mode": "platform", "poll_initial_s": 0.02, "poll_max_s": 0.1}


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[Pipeline]:
    with running_pipeline(tmp_path, datatable_job_delay_s=0.02) as running:
        yield running


def _checks(result: dg.ExecuteInProcessResult) -> dict[str, dg.AssetCheckEvaluation]:
    return {e.check_name: e for e in result.get_asset_check_evaluations()}


def _metadata(result: dg.ExecuteInProcessResult) -> dict[str, Any]:
    [event] = result.get_asset_materialization_events()
    return {k: getattr(v, "value", v) for k, v in event.materialization.metadata.items()}


def _snapshot(pipeline: Pipeline, table_id: str, **kw: Any) -> dg.ExecuteInProcessResult:
    add_table_partitions(pipeline.instance, pipeline.resources(**PLATFORM)["genesys"])
    key = snapshot_partition_key(table_key_in(pipeline.instance, table_id), TODAY)
    return pipeline.materialize_assets(
        [genesys_datatable_snapshot], partition_key=key, **PLATFORM, **kw
    )


def _failure(result: dg.ExecuteInProcessResult) -> str:
    [failure] = [e for e in result.all_events if e.is_step_failure]
    return str(failure.step_failure_data.error)


def _declaration(name: str = "customer_tiers_platform") -> ImportDeclaration:
    [found] = [d for d in load_declarations(imports_dir()) if d.name == name]
    return found


def test_discovery_and_a_snapshot_through_an_export_job(platform: Pipeline) -> None:
    added = add_table_partitions(platform.instance, platform.resources(**PLATFORM)["genesys"])
    assert f"Customer Tiers [{TIERS}]" in added and f"Routing Skills [{SKILLS}]" in added
    assert len(added) == 4

    result = _snapshot(platform, TIERS)

    assert result.success
    assert {n: c.passed for n, c in _checks(result).items()} == {
        "rows_match_server": True,
        "primary_key_unique": True,
        "schema_matches_server": True,
        "schema_drift": False,  # the first snapshot: a WARN, nothing to compare with
    }
    metadata = _metadata(result)
    assert (metadata["api_mode"], metadata["records_processed"]) == ("platform", 2500)
    [(rows, no_discount, types)] = platform.sql(
        "SELECT count(*), count(*) FILTER (WHERE discount IS NULL), "
        "list(DISTINCT typeof(credit_limit)) FROM datatables.customer_tiers"
    )
    assert (rows, types) == (2500, ["BIGINT"]) and 0 < no_discount < 100
    [(job, processed, mode)] = platform.sql(
        "SELECT export_job_id, records_processed, api_mode FROM datatable_snapshots"
    )
    assert (job, processed, mode) == (metadata["export_job_id"], 2500, "platform")
    assert platform.emulator.stats()["events"]["datatable_export_jobs_created"] == 1


def test_a_failed_export_job_fails_the_snapshot_naming_table_and_reason(
    platform: Pipeline,
) -> None:
    platform.emulator.add_faults({"kind": "datatable_export_failed", "count": 10})

    result = _snapshot(platform, SKILLS, raise_on_error=False)

    assert not result.success
    message = _failure(result)
    assert "Routing Skills" in message and SKILLS in message
    assert "datatable.export.failed" in message or "injected" in message
    assert platform.sql("SELECT count(*) FROM datatable_snapshots") == [(0,)]


def test_an_import_quarantines_bad_rows_keeps_other_columns_and_changes_nothing_twice(
    platform: Pipeline,
) -> None:
    asset = build_import_asset(_declaration())
    [(discount_before,)] = _discount_of(platform, "C-000001")

    first = platform.materialize_assets([asset], **PLATFORM)
    second = platform.materialize_assets([asset], **PLATFORM)

    for result in (first, second):
        assert result.success
        assert {n: c.passed for n, c in _checks(result).items()} == {
            "import_verified": True,
            "nothing_lost": True,
        }
    one, two = _metadata(first), _metadata(second)
    assert (one["inserted"], one["updated"], one["unchanged"], one["quarantined"]) == (6, 1, 0, 5)
    assert (two["inserted"], two["updated"], two["unchanged"], two["quarantined"]) == (0, 0, 7, 5)
    assert two["import_job_id"] == "none: nothing to change"
    events = platform.emulator.stats()["events"]
    assert events["datatable_import_jobs_created"] == 1
    reasons = platform.sql(
        "SELECT row_number, field FROM datatable_quarantine WHERE run_id = ? ORDER BY 1",
        [first.run_id],
    )
    assert reasons == [
        (6, "credit_limit"),
        (7, "credit_limit"),
        (8, "key"),
        (9, "vip"),
        (11, "key"),
    ]
    # the source has no discount column: the row it updated keeps the one it had
    assert _discount_of(platform, "C-000001") == [(discount_before,)]


def _discount_of(pipeline: Pipeline, key: str) -> list[tuple[Any, ...]]:
    _snapshot(pipeline, TIERS)
    return pipeline.sql("SELECT discount FROM datatables.customer_tiers WHERE key = ?", [key])


def test_rows_the_server_refuses_are_quarantined_with_its_reason(platform: Pipeline) -> None:
    platform.emulator.add_faults("datatable_import_row_failures:match=C-900004")

    result = platform.materialize_assets([build_import_asset(_declaration())], **PLATFORM)

    assert result.success
    checks = _checks(result)
    assert checks["import_verified"].passed and checks["nothing_lost"].passed
    [(number, reason)] = platform.sql(
        "SELECT row_number, reason FROM datatable_quarantine WHERE reason LIKE 'refused by%'"
    )
    assert number == 4 and "C-900004" in reason
    metadata = _metadata(result)
    # C-900004 is a new key: refused, it was not inserted (6 new keys in the source, 5 landed)
    assert (metadata["quarantined"], metadata["inserted"], metadata["updated"]) == (6, 5, 1)


def test_a_declaration_for_the_other_api_mode_is_refused_before_anything_is_sent(
    platform: Pipeline,
) -> None:
    asset = build_import_asset(_declaration("customer_tiers_update"))  # api_mode: tutorial

    result = platform.materialize_assets([asset], raise_on_error=False, **PLATFORM)

    assert not result.success
    assert "declared for tutorial mode" in _failure(result)
    assert platform.emulator.stats()["events"].get("datatable_import_jobs_created", 0) == 0


def test_a_row_deleted_before_the_read_back_fails_import_verified(platform: Pipeline) -> None:
    """A colleague deletes a row the job just wrote: the read-back names it, the run says so."""
    platform.emulator.add_faults("concurrent_edit:match=C-900004")

    result = platform.materialize_assets([build_import_asset(_declaration())], **PLATFORM)

    verified = _checks(result)["import_verified"]
    assert not verified.passed
    assert verified.metadata["missing"].value == 1
    [(status, missing)] = platform.sql(
        "SELECT status, missing FROM datatable_imports WHERE run_id = ?", [result.run_id]
    )
    assert (status, missing) == ("verification_failed", 1)
