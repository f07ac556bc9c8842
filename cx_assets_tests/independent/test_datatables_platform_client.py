"""Contract: `DataTablesPlatformClient` works against the independent data tables server
(written from the contract text by someone who had read neither the client nor the emulator),
with every "other reasonable reading" it offers on (`Quirks()`) and off (`Quirks.obvious()`).

What a user sees: every table listed; an export's Parquet holding exactly the table's rows,
typed (the key with `/`, `,`, `"` and the string with a newline intact, empty cells null,
defaults not filled in); Append upserts, ReplaceAll leaves exactly the file; a refused row comes
back with its row number; failures, expired URLs, 403s and 429s handled as the interface says.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from cx_assets.genesys.datatables.platform import (
    DataTablesPlatformClient,
    DataTablesSettings,
    PlatformTable,
)
from cx_assets.genesys.datatables.platform_csv_write import write_import_csv
from cx_assets.genesys.datatables.platform_errors import ExportJobFailed, ImportJobFailed
from cx_assets.genesys.datatables.platform_schema import SchemaError
from cx_assets.genesys.datatables.platform_validate import check_columns, validate_import_rows
from cx_assets.http.auth import ClientCredentialsAuth
from cx_assets.http.client import ApiClient
from cx_assets.lake.datatables_sources import read_source_rows
from cx_assets_tests.genesys.genesys_testkit import FAST_RETRY
from cx_assets_tests.independent.datatables_platform_seed import (
    TRICKY_KEY,
    TRICKY_NOTE,
    Prop,
    Table,
    seed_tables,
)
from cx_assets_tests.independent.datatables_platform_server import (
    VIEW,
    DataTablesServer,
    Quirks,
    serve_datatables,
)
from cx_assets_tests.independent.genesys_platform_server import RunningServer

pytestmark = pytest.mark.integration
SEED = seed_tables()
ACCOUNTS, ROUTING, CONTACTS, EMPTY, SWITCHES = list(SEED)
KINDS: dict[str, Any] = {"string": lambda t: t == pl.String, "boolean": lambda t: t == pl.Boolean}
KINDS |= {"integer": lambda t: t.is_integer(), "number": lambda t: t.is_float()}


@pytest.fixture(params=["quirks", "obvious"])
def running(request: pytest.FixtureRequest) -> Iterator[RunningServer]:
    server = DataTablesServer()
    server.quirks = Quirks() if request.param == "quirks" else Quirks.obvious()
    with serve_datatables(server) as running:
        yield running


@contextlib.contextmanager
def client_for(
    running: RunningServer, client_id: str = "", secret: str = ""
) -> Iterator[DataTablesPlatformClient]:
    """The platform client as a run builds it: Basic auth, no scope, the shared transport."""
    auth = ClientCredentialsAuth(
        f"{running.url}/oauth/token",
        client_id or running.client_id,
        secret or running.client_secret,
        retry=FAST_RETRY,
    )
    settings = DataTablesSettings(poll_initial_s=0.01, poll_max_s=0.05, timeout_s=10.0)
    with ApiClient(running.url, auth=auth, retry=FAST_RETRY, timeout=5.0) as api:
        yield DataTablesPlatformClient(api, settings)


def table_of(client: DataTablesPlatformClient, table_id: str) -> PlatformTable:
    return next(t for t in client.list_tables() if t.id == table_id)


def parquet_rows(path: Path, table: Table) -> list[dict[str, Any]]:
    """The Parquet's rows (property columns only), typed as the schema says, sorted by key."""
    data = pl.read_parquet(path)
    for prop in table.props:
        assert prop.name in data.columns, f"{prop.name} missing from {data.schema}"
        kind = data.schema[prop.name]
        assert KINDS[prop.type](kind), f"{table.name}.{prop.name} is {kind}, not {prop.type}"
    rows = data.select([p.name for p in table.props]).to_dicts()
    return sorted(rows, key=lambda r: r["key"])


def expected(table: Table, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    full = [{p.name: row.get(p.name) for p in table.props} for row in rows]
    return sorted(full, key=lambda r: r["key"])


def export_rows(
    client: DataTablesPlatformClient, table_id: str, tmp_path: Path
) -> list[dict[str, Any]]:
    table = table_of(client, table_id)
    result = client.export_table(table, tmp_path / f"{table_id}.parquet")
    assert result.quarantined == [] and result.missing_columns == ()
    return parquet_rows(result.parquet, SEED[table_id])


def row_number(failure: Any) -> int:
    """The source row number a RowFailure carries (the interface names no attribute)."""
    for name in ("row_number", "row"):
        if hasattr(failure, name):
            return int(getattr(failure, name))
    raise AssertionError(f"no row number on {failure!r}")


def test_list_tables_finds_every_table(running: RunningServer) -> None:
    with client_for(running) as client:
        tables = {t.id: t for t in client.list_tables()}
    assert {i: t.name for i, t in tables.items()} == {i: t.name for i, t in SEED.items()}
    assert all(t.columns for t in tables.values())
    assert tables[ACCOUNTS].description == "Per-account switches (independent seed)"
    sparse = running.quirks.sparse_tables
    assert tables[CONTACTS].description == (None if sparse else "On-call phone numbers")


def test_a_table_whose_schema_cannot_be_typed_is_skipped_naming_it(
    running: RunningServer, caplog: pytest.LogCaptureFixture
) -> None:
    odd = Table("0dd0dd00-0000-4000-8000-000000000001", "Odd Shapes", [Prop("key", "Key", "string"),
                Prop("tags", "Tags", "array")])  # fmt: skip
    running.server.tables[odd.id] = odd
    with client_for(running) as client, caplog.at_level("WARNING"):
        listed = {t.id for t in client.list_tables()}
        with pytest.raises(SchemaError, match="tags"):
            client.get_table(odd.id)
    assert listed == set(SEED)  # every other table is still there
    assert "Odd Shapes" in caplog.text and "tags" in caplog.text


def test_exports_hold_exactly_the_seeded_rows_typed(running: RunningServer, tmp_path: Path) -> None:
    with client_for(running) as client:
        for table_id, seeded in SEED.items():
            table = table_of(client, table_id)
            result = client.export_table(table, tmp_path / f"{table_id}.parquet")
            assert parquet_rows(result.parquet, seeded) == expected(
                seeded, list(seeded.rows.values())
            )
            assert (result.rows, result.records_processed) == (len(seeded.rows), len(seeded.rows))
            assert result.quarantined == [] and result.attempts == 1
            served = running.server.jobs_api.exports[result.job_id].csv
            assert result.csv_bytes == len(served)
            assert result.csv_sha256 == hashlib.sha256(served).hexdigest()
    accounts = {r["key"]: r for r in parquet_rows(tmp_path / f"{ACCOUNTS}.parquet", SEED[ACCOUNTS])}
    assert accounts[TRICKY_KEY]["notes"] == TRICKY_NOTE and accounts[TRICKY_KEY]["seats"] == 20000
    assert accounts["A-0002"]["open_balance"] == 0.00001
    assert accounts["A-0004"]["active"] is None  # the schema default is never filled in
    assert accounts["A-0005"]["notes"] == "  padded  "
    downloads = [p for p in running.server.presigned if p.method == "GET"]
    assert len(downloads) == len(SEED) and all(
        "authorization" not in p.header_names for p in downloads
    )


def test_append_upserts_by_key(running: RunningServer, tmp_path: Path) -> None:
    source = tmp_path / "accounts.csv"
    source.write_text(
        'key,seats,active,notes\nA-0002,41,true,"new, note"\nA-0100,5,false,\n'
        '"acme/eu, ""north""",1,0,"x\ny"\n',
        encoding="utf-8",
    )
    with client_for(running) as client:
        result = client.import_csv(table_of(client, ACCOUNTS), source, "Append")
        assert (result.mode, result.status) == ("Append", "Succeeded")
        assert (result.updated, result.deleted, result.failed, result.failures) == (3, 0, 0, [])
        rows = {r["key"]: r for r in export_rows(client, ACCOUNTS, tmp_path)}
    assert set(rows) == {TRICKY_KEY, "A-0002", "A-0003", "A-0004", "A-0005", "A-0100"}
    new_2 = {"key": "A-0002", "open_balance": None, "seats": 41, "active": True}
    assert rows["A-0002"] == new_2 | {"notes": "new, note"}  # replaced whole
    assert rows["A-0100"] == {"key": "A-0100", "open_balance": None, "seats": 5, "active": False,
                              "notes": None}  # fmt: skip
    assert rows[TRICKY_KEY] == {"key": TRICKY_KEY, "open_balance": None, "seats": 1,
                                "active": False, "notes": "x\ny"}  # fmt: skip
    assert rows["A-0003"] == expected(SEED[ACCOUNTS], [SEED[ACCOUNTS].rows["A-0003"]])[0]


def test_a_spreadsheet_export_imports_as_typed(running: RunningServer, tmp_path: Path) -> None:
    """BOM, CRLF, titles in the header, TRUE and an integral `41.0`: all valid per the
    interface's validation rules, so the rows must land (whatever the server's cell reading).
    As an import runs them: read, validated, written as the client's own CSV, then sent."""
    source = tmp_path / "accounts.csv"
    text = "\ufeffAccount,Seats,Active,Open Balance\r\nA-0002,41.0,TRUE,2.5\r\nA-0200,7,FALSE,\r\n"
    source.write_bytes(text.encode())
    with client_for(running) as client:
        table = table_of(client, ACCOUNTS)
        rows_in = read_source_rows(source)
        mapping = check_columns(rows_in.columns, table.columns, max_fields=50)
        valid = validate_import_rows(rows_in.rows, table.columns, columns=mapping).valid
        upload = tmp_path / "upload.csv"
        write_import_csv(valid, table.columns, upload, columns=list(mapping.values()))
        result = client.import_csv(table, upload)
        assert (result.status, result.updated, result.failed, result.failures) == (
            "Succeeded",
            2,
            0,
            [],
        )
        rows = {r["key"]: r for r in export_rows(client, ACCOUNTS, tmp_path)}
    assert rows["A-0002"] == {"key": "A-0002", "open_balance": 2.5, "seats": 41, "active": True,
                              "notes": None}  # fmt: skip
    assert rows["A-0200"] == {"key": "A-0200", "open_balance": None, "seats": 7, "active": False,
                              "notes": None}  # fmt: skip


def test_replace_all_leaves_exactly_the_file(running: RunningServer, tmp_path: Path) -> None:
    source = tmp_path / "routing.csv"
    source.write_text(
        "key,weight,priority,enabled\nQ-02,0.125,2,true\nQ-77,3,1,\n", encoding="utf-8"
    )
    with client_for(running) as client:
        result = client.import_csv(table_of(client, ROUTING), source, "ReplaceAll")
        assert (result.status, result.updated, result.deleted, result.failed) == (
            "Succeeded",
            2,
            6,
            0,
        )
        rows = export_rows(client, ROUTING, tmp_path)
    assert rows == [
        {"key": "Q-02", "weight": 0.125, "priority": 2, "enabled": True},
        {"key": "Q-77", "weight": 3.0, "priority": 1, "enabled": None},
    ]


def test_a_refused_row_comes_back_with_its_row_number(
    running: RunningServer, tmp_path: Path
) -> None:
    running.server.refuse_cells = {"blocked"}
    source = tmp_path / "contacts.csv"
    source.write_text("key,contact,level\n+1,Ada L,1\n+2,Grace,2\n+3,blocked,3\n+4,Alan,4\n")
    with client_for(running) as client:
        result = client.import_csv(table_of(client, CONTACTS), source)
        assert (result.status, result.updated, result.failed) == ("Succeeded", 3, 1)
        [failure] = result.failures
        assert row_number(failure) == 3 and "+3" in repr(failure)
        keys = [r["key"] for r in export_rows(client, CONTACTS, tmp_path)]
    assert keys == ["+1", "+15550001", "+15550002", "+15550003", "+2", "+4"]


def test_every_row_refused_fails_the_import(running: RunningServer, tmp_path: Path) -> None:
    running.server.refuse_cells = {"blocked"}
    source = tmp_path / "contacts.csv"
    source.write_text("key,contact\n+9,blocked\n")
    with client_for(running) as client, pytest.raises(ImportJobFailed) as err:
        client.import_csv(table_of(client, CONTACTS), source)
    [job] = running.server.jobs_api.imports.values()
    message = str(err.value)
    assert job.id in message and "Escalation Contacts" in message and CONTACTS in message
    assert [row_number(f) for f in err.value.result.failures] == [1]
    assert err.value.result.failed == 1 and "+9" not in running.server.tables[CONTACTS].rows


def test_a_failed_export_names_table_job_and_error(running: RunningServer, tmp_path: Path) -> None:
    running.server.fail_next_exports = ["the export store is unavailable"]
    with client_for(running) as client, pytest.raises(ExportJobFailed) as err:
        client.export_table(table_of(client, SWITCHES), tmp_path / "out.parquet")
    [job] = running.server.jobs_api.exports.values()
    message = str(err.value)
    assert "the export store is unavailable" in message and "datatable.export.failed" in message
    assert job.id in message and "Feature Switches" in message and SWITCHES in message
    assert not (tmp_path / "out.parquet").exists()


def test_an_expired_url_is_fetched_fresh(running: RunningServer, tmp_path: Path) -> None:
    running.server.expire_next_downloads = 1
    running.server.add_fault("http_429", count=2, path_contains="/export/jobs/", method="GET")
    with client_for(running) as client:
        result = client.export_table(table_of(client, EMPTY), tmp_path / "empty.parquet")
    assert (result.attempts, result.rows, result.records_processed) == (2, 0, 0)
    assert pl.read_parquet(result.parquet).height == 0
    assert [p.status for p in running.server.presigned] == [403, 200]


def test_403_names_the_missing_permission(running: RunningServer, tmp_path: Path) -> None:
    running.server.add_client("no-view", "secret-1", set())
    with client_for(running, "no-view", "secret-1") as client, pytest.raises(Exception) as err:
        client.list_tables()
    assert VIEW in str(err.value)
    edit = {VIEW, "architect:datatable:edit", "architect:datatableRow:add"}
    running.server.add_client("no-delete", "secret-2", edit)
    source = tmp_path / "r.csv"
    source.write_text("key\nQ-01\n")
    with client_for(running, "no-delete", "secret-2") as client, pytest.raises(Exception) as err:
        client.import_csv(table_of(client, ROUTING), source, "ReplaceAll")
    assert "architect:datatableRow:delete" in str(err.value)
    assert running.server.jobs_api.imports == {}
