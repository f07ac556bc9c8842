"""Contract: `DataTablesPlatformClient` against the emulator's platform data tables (real sockets,
uvicorn): the listing pages through every table with its schema typed; each seeded table exports
to Parquet with exactly the server's row count and typed values (no temp CSV left behind);
imports Append (upsert) and ReplaceAll with the server's counts, per-row failures with row, key
and field, a job whose every row is refused; a role without a permission gets an error naming
it; logs hold no secret. Fault switches (and slow or lost answers) are in
test_platform_faults.py.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from cx_assets.emulator import EmulatorServer
from cx_assets.genesys.datatables.platform import (
    DataTablesPlatformClient,
    DataTablesSettings,
    ImportJobFailed,
    PlatformTable,
)
from cx_assets.genesys.datatables.platform_csv_write import write_import_csv
from cx_assets.genesys.datatables.platform_validate import check_columns, validate_import_rows
from cx_assets.genesys.permissions import MissingPermission
from cx_assets.http.auth import ClientCredentialsAuth
from cx_assets.http.client import ApiClient
from cx_assets_tests.emulator.emulator_fixtures import EmulatorFactory
from cx_assets_tests.genesys.genesys_testkit import FAST_RETRY

pytestmark = pytest.mark.integration

BASE = "/api/v2/flows/datatables"
CUSTOMERS = "7c2a9f10-2d3e-4f60-9b1c-000000000101"
VIPS = "7c2a9f10-2d3e-4f60-9b1c-000000000102"
HOLIDAYS = "7c2a9f10-2d3e-4f60-9b1c-000000000103"
SKILLS = "7c2a9f10-2d3e-4f60-9b1c-000000000104"
SEEDED = {CUSTOMERS: 2500, VIPS: 300, HOLIDAYS: 60, SKILLS: 12}
NAMES = ["Customer Tiers", "VIP List", "Holiday Calendar", "Routing Skills"]
DTYPES = {"string": pl.String, "integer": pl.Int64, "number": pl.Float64, "boolean": pl.Boolean}
FAST_JOBS: dict[str, Any] = {"datatable_job_delay_s": 0.05}
FAST = DataTablesSettings(poll_initial_s=0.01, poll_max_s=0.05, timeout_s=10.0)
VIEW = "architect:datatable:view"
EDIT = "architect:datatable:edit"
ROW_ADD = "architect:datatableRow:add"
ROW_DELETE = "architect:datatableRow:delete"


@pytest.fixture
def emu(emulator_factory: EmulatorFactory) -> EmulatorServer:
    return emulator_factory(**FAST_JOBS)


@contextlib.contextmanager
def dt_client(
    emu: EmulatorServer,
    client_id: str = "",
    secret: str = "",
    *,
    timeout: float = 10.0,
    **settings: Any,
) -> Iterator[DataTablesPlatformClient]:
    """The client as a platform run builds it (Basic auth, no scope, the shared transport),
    with test-sized waits."""
    auth = ClientCredentialsAuth(
        f"{emu.url}/oauth/token",
        client_id or emu.client_id,
        secret or emu.client_secret,
        retry=FAST_RETRY,
    )
    with ApiClient(emu.url, auth=auth, retry=FAST_RETRY, timeout=timeout) as api:
        yield DataTablesPlatformClient(api, dataclasses.replace(FAST, **settings), sleep=time.sleep)


def server_rows(client: DataTablesPlatformClient, table_id: str) -> list[dict[str, Any]]:
    """The table's rows as the rows API serves them (full maps, absent = no value)."""
    rows: list[dict[str, Any]] = []
    number = 1
    while True:
        params = {"pageSize": 500, "pageNumber": number, "showbrief": "false"}
        page = client.api.get_json(f"{BASE}/{table_id}/rows", params=params)
        rows += page["entities"]
        if "nextUri" not in page:
            return rows
        number += 1


def parquet_rows(path: Path) -> list[dict[str, Any]]:
    """Rows of an export with no-value cells dropped, comparable with `server_rows`."""
    return [
        {k: v for k, v in row.items() if v is not None}
        for row in pl.read_parquet(path).rows(named=True)
    ]


def events(emu: EmulatorServer) -> dict[str, int]:
    return emu.stats()["events"]


def import_file(table: PlatformTable, rows: list[dict[str, Any]], path: Path) -> Path:
    """Rows checked and written the way a flow does it: validated, then the import CSV."""
    source = list(rows[0])
    columns = check_columns(source, table.columns, max_fields=50)
    checked = validate_import_rows(rows, table.columns, columns=columns)
    assert checked.rejected == []
    write_import_csv(checked.valid, table.columns, path, columns=list(columns.values()))
    return path


def test_listing_pages_through_every_table_with_typed_schemas(emu: EmulatorServer) -> None:
    with dt_client(emu, page_size=3) as client:
        tables = client.list_tables()
        one = client.get_table(SKILLS)
    assert [t.id for t in tables] == list(SEEDED)
    assert [t.name for t in tables] == NAMES
    assert emu.stats()["by_path"][BASE] == {"200": 2}  # 4 tables, 3 a page
    customers = tables[0].columns
    assert [(c.name, c.title, c.type) for c in customers.columns] == [
        ("key", "Customer ID", "string"),
        ("tier", "Tier", "string"),
        ("credit_limit", "Credit Limit", "integer"),
        ("discount", "Discount", "number"),
        ("vip", "VIP", "boolean"),
    ]
    assert customers.key.is_key and tables[0].description
    assert one == tables[3]
    assert list(one.columns.column_types().items()) == [
        ("key", "string"), ("queue", "string"), ("proficiency", "integer"), ("weight", "number"),
        ("active", "boolean"),
    ]  # fmt: skip


@pytest.mark.parametrize("table_id", list(SEEDED))
def test_each_seeded_table_exports_whole_and_typed(
    emu: EmulatorServer, tmp_path: Path, table_id: str
) -> None:
    out = tmp_path / "lake" / f"{table_id}.parquet"
    with dt_client(emu) as client:
        table = client.get_table(table_id)
        export = client.export_table(table, out)
        served = server_rows(client, table_id)
    assert export.rows == export.records_processed == SEEDED[table_id]
    assert export.quarantined == [] and export.attempts == 1
    assert export.ignored_columns == () and export.missing_columns == ()
    assert [p.name for p in out.parent.iterdir()] == [out.name]  # the temp CSV is gone
    frame = pl.read_parquet(out)
    assert list(frame.schema.items()) == [(c.name, DTYPES[c.type]) for c in table.columns.columns]
    assert parquet_rows(out) == served  # every value typed as the rows API serves it
    assert export.csv_bytes > 0 and len(export.csv_sha256) == 64
    [logged] = [j for j in emu.stats()["datatable_export_jobs"] if j["jobId"] == export.job_id]
    assert logged["countRecordsProcessed"] == export.rows


def test_customer_tiers_without_a_discount_are_null(emu: EmulatorServer, tmp_path: Path) -> None:
    with dt_client(emu) as client:
        export = client.export_table(client.get_table(CUSTOMERS), tmp_path / "c.parquet")
    frame = pl.read_parquet(export.parquet)
    nulls = frame.null_count().row(0, named=True)
    assert 0 < nulls["discount"] < 0.05 * export.rows  # about 2% have no value
    assert {k: v for k, v in nulls.items() if k != "discount"} == dict.fromkeys(
        ["key", "tier", "credit_limit", "vip"], 0
    )
    assert frame["vip"].dtype == pl.Boolean and frame["discount"].max() <= 0.21


def test_append_upserts_by_key_and_reports_the_counts(emu: EmulatorServer, tmp_path: Path) -> None:
    rows = [
        {"Skill": "billing-en", "Queue": 'Q Gold, "VIP"', "Proficiency": 5, "Weight": 1.25},
        {"Skill": "new-skill", "Queue": "Q Ünïcode\nline two", "Proficiency": "2", "Weight": 0.5},
    ]
    with dt_client(emu) as client:
        table = client.get_table(SKILLS)
        result = client.import_csv(table, import_file(table, rows, tmp_path / "in.csv"))
        after = {r["key"]: r for r in server_rows(client, SKILLS)}
    assert (result.status, result.mode) == ("Succeeded", "Append")
    assert (result.updated, result.deleted, result.failed, result.failures) == (2, 0, 0, [])
    assert len(after) == 13
    # a row is replaced whole: `active` was not in the file, so it has no value now
    billing = {"key": "billing-en", "queue": 'Q Gold, "VIP"', "proficiency": 5, "weight": 1.25}
    assert after["billing-en"] == billing
    assert after["new-skill"]["queue"] == "Q Ünïcode\nline two"
    assert events(emu)["datatable_import_jobs_created"] == events(emu)["datatable_uploads"] == 1


def test_replace_all_makes_the_table_exactly_the_file(emu: EmulatorServer, tmp_path: Path) -> None:
    rows = [
        {"key": f"+1555000000{n}", "name": f"Caller {n}", "priority": n, "notify": "true"}
        for n in range(1, 4)
    ]
    with dt_client(emu) as client:
        table = client.get_table(VIPS)
        result = client.import_csv(
            table, import_file(table, rows, tmp_path / "in.csv"), "ReplaceAll"
        )
        export = client.export_table(table, tmp_path / "after.parquet")
    counts = (result.status, result.mode, result.updated, result.deleted)
    assert counts == ("Succeeded", "ReplaceAll", 3, 300)
    assert parquet_rows(export.parquet) == [
        {"key": f"+1555000000{n}", "name": f"Caller {n}", "priority": n, "notify": True}
        for n in range(1, 4)
    ]
    [logged] = emu.stats()["datatable_import_jobs"]
    assert (logged["importMode"], logged["countRecordsDeleted"]) == ("ReplaceAll", 300)


def test_rows_the_server_refuses_are_reported_with_row_key_and_field(
    emu: EmulatorServer, tmp_path: Path
) -> None:
    """A file written without our checks: the server refuses two rows, applies the rest."""
    long_key = "k" * 300
    path = tmp_path / "in.csv"
    path.write_text(f"key,proficiency\r\nfine,3\r\nbad-int,high\r\n{long_key},2\r\nalso-fine,1\r\n")
    with dt_client(emu) as client:
        result = client.import_csv(client.get_table(SKILLS), path)
    assert (result.status, result.updated, result.failed) == ("Succeeded", 2, 2)
    assert [(f.row_number, f.key, f.field) for f in result.failures] == [
        (2, "bad-int", "proficiency"),
        (3, long_key, "key"),
    ]
    assert "'high' is not integer" in result.failures[0].reason


def test_a_job_whose_every_row_is_refused_fails_carrying_the_result(
    emu: EmulatorServer, tmp_path: Path
) -> None:
    path = tmp_path / "in.csv"
    path.write_text("key,weight\nw1,heavy\nw2,light\n")
    with dt_client(emu) as client, pytest.raises(ImportJobFailed) as err:
        client.import_csv(client.get_table(SKILLS), path)
    result = err.value.result
    assert (result.status, result.updated, result.failed) == ("Failed", 0, 2)
    refused = [(f.row_number, f.key, f.field) for f in result.failures]
    assert refused == [(1, "w1", "weight"), (2, "w2", "weight")]
    message = str(err.value)
    assert message.startswith(
        f"data table 'Routing Skills' ({SKILLS}): import job {result.job_id} (Append) Failed:"
    )
    assert "2 record(s) failed (code datatable.import.records.failed)" in message
    assert "row 1 (key 'w1')" in message
    assert (err.value.table_id, err.value.job_id) == (SKILLS, result.job_id)


CLIENTS = {"emulator-client": "emulator-secret", "viewer": "v", "editor": "e", "none": "n"}


@pytest.mark.parametrize(
    ("who", "mode", "needs"),
    [
        ("viewer", "Append", f"the permissions {EDIT} and {ROW_ADD}; add them"),
        ("editor", "ReplaceAll", f"the permissions {EDIT}, {ROW_ADD} and {ROW_DELETE}; add them"),
        ("none", None, f"the permission {VIEW}; add it"),
    ],
)
def test_403_names_the_permission_the_role_lacks(
    emulator_factory: EmulatorFactory, tmp_path: Path, who: str, mode: str | None, needs: str
) -> None:
    roles = {"viewer": [VIEW], "editor": [VIEW, EDIT, ROW_ADD], "none": ["routing:queue:view"]}
    emu = emulator_factory(**FAST_JOBS, clients=CLIENTS, client_permissions=roles)
    path = tmp_path / "in.csv"
    path.write_text("key\nx\n")
    with dt_client(emu) as admin:
        table = admin.get_table(VIPS)
    with dt_client(emu, who, CLIENTS[who]) as client, pytest.raises(MissingPermission) as err:
        if mode is None:
            client.list_tables()
        else:
            client.import_csv(table, path, mode)
    message = str(err.value)
    assert "-> 403: Unable to perform the requested action" in message
    assert (
        f"The OAuth client's role needs {needs} to a role assigned to the OAuth client" in message
    )
    assert events(emu).get("datatable_import_jobs_created", 0) == 0


def test_logs_hold_no_token_or_url_signature(
    emu: EmulatorServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with dt_client(emu) as client:
        table = client.get_table(SKILLS)
        client.export_table(table, tmp_path / "s.parquet")
        client.import_csv(
            table, import_file(table, [{"key": "x", "weight": 1}], tmp_path / "in.csv")
        )
    assert "X-Amz-Signature" not in caplog.text and "Bearer" not in caplog.text
    assert emu.client_secret not in caplog.text
    assert "export job" in caplog.text and "import job" in caplog.text
