"""Contract: the data table snapshot checks fail through the real pipeline and say what differs: a
key the server's paging served twice fails `primary_key_unique` naming the key, a row the file
could not hold fails `rows_match_server` with both counts, and a first snapshot's
`schema_drift` (and an empty table's `primary_key_unique`) warns that there was nothing to
compare instead of passing.

(`schema_matches_server` is compared with the column list the file was written from, so nothing
outside the writer can make it fail; the import checks are tested elsewhere.)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import dagster as dg
import httpx
import polars as pl
import pytest

from cx_assets.defs.datatables.discovery import add_table_partitions
from cx_assets.defs.datatables.partitions import snapshot_partition_key, table_key_in
from cx_assets.defs.datatables.snapshot_checks import (
    PRIMARY_KEY_UNIQUE,
    ROWS_MATCH_SERVER,
    SCHEMA_DRIFT,
)
from cx_assets.defs.datatables.snapshots import genesys_datatable_snapshot
from cx_assets.lake.datatables import snapshot_path, snapshot_quarantine_path
from cx_assets.lake.paths import DataLayout
from cx_assets_tests.e2e.pipeline_testkit import Pipeline, running_pipeline

pytestmark = pytest.mark.e2e

TODAY = dt.datetime.now(dt.UTC).date().isoformat()  # a table keeps no history: today only
TUTORIAL_TIERS = "6b1f6a0e-1c2d-4e5f-8a9b-000000000001"  # 2,500 rows: three pages of 1,000
TUTORIAL_HOLIDAYS = "6b1f6a0e-1c2d-4e5f-8a9b-000000000003"
PLATFORM_TIERS = "7c2a9f10-2d3e-4f60-9b1c-000000000101"
PLATFORM_SKILLS = "7c2a9f10-2d3e-4f60-9b1c-000000000104"  # seeded empty here
PLATFORM_ROWS = 40
PLATFORM = {"api_mode": "platform", "poll_initial_s": 0.02, "poll_max_s": 0.1}


@pytest.fixture(scope="module")
def tutorial(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pipeline]:
    with running_pipeline(tmp_path_factory.mktemp("tutorial")) as running:
        add_table_partitions(running.instance, running.resources()["genesys"])
        yield running


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pipeline]:
    with running_pipeline(
        tmp_path_factory.mktemp("platform"),
        datatable_job_delay_s=0.02,
        datatable_seed_rows={PLATFORM_TIERS: PLATFORM_ROWS, PLATFORM_SKILLS: 0},
    ) as running:
        add_table_partitions(running.instance, running.resources(**PLATFORM)["genesys"])
        yield running


def _snapshot(pipeline: Pipeline, table_id: str, **genesys: Any) -> dg.ExecuteInProcessResult:
    key = snapshot_partition_key(table_key_in(pipeline.instance, table_id), TODAY)
    return pipeline.materialize_assets(
        [genesys_datatable_snapshot], partition_key=key, raise_on_error=False, **genesys
    )


def _check(result: dg.ExecuteInProcessResult, name: str) -> dg.AssetCheckEvaluation:
    [evaluation] = [e for e in result.get_asset_check_evaluations() if e.check_name == name]
    return evaluation


def _value(evaluation: dg.AssetCheckEvaluation, key: str) -> Any:
    return evaluation.metadata[key].value


def test_a_key_the_server_served_twice_fails_primary_key_unique_naming_it(
    tutorial: Pipeline,
) -> None:
    rows = f"/api/v2/datatables/{TUTORIAL_TIERS}/rows"
    tutorial.emulator.add_faults({"kind": "row_served_twice", "count": 1, "path_prefix": rows})

    result = _snapshot(tutorial, TUTORIAL_TIERS)

    assert result.success  # not blocking: the snapshot lands, the check says what is wrong
    file = snapshot_path(DataLayout(tutorial.data_dir), TUTORIAL_TIERS, TODAY)
    [repeated] = (
        pl.read_parquet(file)
        .group_by("customer_id")
        .len()
        .filter(pl.col("len") > 1)
        .get_column("customer_id")
        .to_list()
    )
    check = _check(result, PRIMARY_KEY_UNIQUE)
    assert not check.passed and check.severity == dg.AssetCheckSeverity.ERROR
    assert _value(check, "duplicate_keys") == 1
    assert _value(check, "repeated_keys") == repeated
    assert f"1 duplicate key(s) of (customer_id): {repeated}" == check.description
    # The count check cannot see it: the file holds every row the server served.
    assert _check(result, ROWS_MATCH_SERVER).passed
    assert tutorial.sql("SELECT count(*) FROM datatables.customer_tiers") == [(2501,)]


def test_a_first_snapshot_warns_that_there_was_no_schema_to_compare_then_compares(
    tutorial: Pipeline,
) -> None:
    first = _snapshot(tutorial, TUTORIAL_HOLIDAYS)
    second = _snapshot(tutorial, TUTORIAL_HOLIDAYS)

    assert first.success and second.success
    drift = _check(first, SCHEMA_DRIFT)
    assert not drift.passed and drift.severity == dg.AssetCheckSeverity.WARN
    assert (drift.description or "").startswith("nothing to compare: no earlier snapshot")
    assert "no earlier snapshot" in str(_value(drift, "nothing_to_compare"))
    again = _check(second, SCHEMA_DRIFT)
    assert again.passed and _value(again, "compared_with") == TODAY


def test_a_row_the_file_cannot_hold_fails_rows_match_server_with_both_counts(
    platform: Pipeline,
) -> None:
    url = f"{platform.emulator.url}/api/v2/flows/datatables/{PLATFORM_TIERS}/rows"
    too_big = {"key": "C-900001", "credit_limit": 10**20}  # a valid integer, not an int64
    added = httpx.post(url, headers={"Authorization": f"Bearer {platform.token()}"}, json=too_big)
    added.raise_for_status()

    result = _snapshot(platform, PLATFORM_TIERS, **PLATFORM)

    assert result.success
    check = _check(result, ROWS_MATCH_SERVER)
    assert not check.passed and check.severity == dg.AssetCheckSeverity.ERROR
    assert _value(check, "rows_returned_by_server") == PLATFORM_ROWS + 1
    assert _value(check, "rows_in_parquet") == PLATFORM_ROWS
    assert _value(check, "rows_quarantined") == 1
    assert check.description == (
        f"the server reported {PLATFORM_ROWS + 1} row(s), the file holds {PLATFORM_ROWS} "
        "(1 quarantined)"
    )
    quarantine = snapshot_quarantine_path(DataLayout(platform.data_dir), PLATFORM_TIERS, TODAY)
    assert "C-900001" in pl.read_parquet(quarantine).write_csv()


def test_an_empty_table_warns_that_there_were_no_keys_to_compare(platform: Pipeline) -> None:
    result = _snapshot(platform, PLATFORM_SKILLS, **PLATFORM)

    assert result.success
    check = _check(result, PRIMARY_KEY_UNIQUE)
    assert not check.passed and check.severity == dg.AssetCheckSeverity.WARN
    assert check.description == "nothing to compare: the table has no rows"
    assert _value(check, "primary_key") == "key"
    rows = _check(result, ROWS_MATCH_SERVER)  # the server said 0 and the file holds 0
    assert rows.passed and _value(rows, "rows_returned_by_server") == 0
