"""Contract: the tutorial data tables client and its flows (snapshot a table into the lake and
the catalog, import a file into a table) against the independent tutorial data tables server,
written from the contract and the tutorial by someone who had read neither the client nor the
emulator, with its other readings on (`Quirks()`) and off (`Quirks.obvious()`).

What a user sees: every table listed and snapshotted whole (every row once, typed as the schema
says, schema and ETag as served, the key flag read only where the server sets it, timestamps in
date columns kept as dates), a table edited mid-read restarting instead of mixing versions, an
import upserted and verified against the rows the server then holds (idempotent on a re-run,
a concurrent edit reported), and each fault the server offers ending as the client promises.

No quirk is switched off here: every reading the server offers is one the client now reads.
The client never sends `If-Match` (so `if_match_honoured` cannot 412 it) and always sends
`upsert=true` (so no 409): the tests assert both, since the flow relies on them.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import polars as pl
import pytest

from cx_assets.catalog.queries import query
from cx_assets.flows.context import Target
from cx_assets.flows.datatables import ImportRun, run_import, snapshot_table
from cx_assets.genesys.datatables import endpoints
from cx_assets.genesys.datatables.declarations import ImportDeclaration
from cx_assets.genesys.datatables.rows import SchemaMismatch
from cx_assets.genesys.datatables.tutorial import DataTablesClient, SnapshotInconsistent
from cx_assets.http.auth import ClientCredentialsAuth
from cx_assets.http.client import ApiClient
from cx_assets.http.errors import (
    ApiError,
    ForbiddenError,
    RetriesExhausted,
    UnreadableResponse,
)
from cx_assets.lake.datatables import snapshot_path
from cx_assets.lake.paths import DataLayout
from cx_assets_tests.genesys.genesys_testkit import FAST_RETRY
from cx_assets_tests.independent.tutorial_datatables_seed import table_id as seeded_id
from cx_assets_tests.independent.tutorial_datatables_server import (
    DatatablesServer,
    Quirks,
    RunningDatatables,
    serve_datatables,
)

pytestmark = pytest.mark.integration

TIERS, HOLIDAYS = "Customer Tiers", "Regional Holidays"
LOG = logging.getLogger("test_tutorial_datatables_client")
#: A few more attempts than FAST_RETRY: a storm of four 429s or 5xxs is survivable.
RETRY = dataclasses.replace(FAST_RETRY, max_attempts=6)
CSV_HEADER = "customer_id,tier,credit_limit,vip,last_interaction"


@pytest.fixture(scope="module", params=["quirks", "obvious"])
def served(request: pytest.FixtureRequest) -> Iterator[RunningDatatables]:
    quirks = Quirks() if request.param == "quirks" else Quirks.obvious()
    with serve_datatables(DatatablesServer(quirks, seed=11)) as running:
        yield running


@pytest.fixture
def running(served: RunningDatatables) -> RunningDatatables:
    served.server.reset()  # the seeded tables again, no tokens, faults or records
    return served


@pytest.fixture
def layout(tmp_path: Path) -> DataLayout:
    return DataLayout(tmp_path / "data")


def client_for(
    running: RunningDatatables, *, write: bool = True, **options: Any
) -> contextlib.AbstractContextManager[DataTablesClient]:
    """A context manager of the real client against `running` (the flows' client factory)."""

    @contextlib.contextmanager
    def opened() -> Iterator[DataTablesClient]:
        scopes = endpoints.DATATABLE_WRITE_SCOPES if write else endpoints.DATATABLE_READ_SCOPES
        auth = ClientCredentialsAuth(
            f"{running.url}/oauth/token",
            running.client_id,
            running.client_secret,
            scopes=scopes,
            retry=RETRY,
        )
        with ApiClient(running.url, auth=auth, retry=RETRY, timeout=5.0) as api:
            yield DataTablesClient(api, **options)

    return opened()


def queues_of(running: RunningDatatables) -> str:
    """The 37-row queue table (`awkward_names` renames it `Queue Routing / EU (v2)`)."""
    return seeded_id(running.server.seed, "queue-routing")


def target(running: RunningDatatables) -> Target:
    return Target("the independent data tables server", running.url, is_emulator=False)


def today() -> str:
    return dt.datetime.now(dt.UTC).date().isoformat()


def snapshot(running: RunningDatatables, layout: DataLayout, table_id: str, **options: Any) -> Any:
    return snapshot_table(
        lambda: client_for(running, write=False, **options),
        layout,
        table_id,
        today(),
        run_id="snap-1",
        target=target(running),
        log=LOG,
    )


def as_parquet(value: Any, kind: str) -> Any:
    """A stored value as the snapshot file holds it: numbers as doubles, a timestamp in a date
    column as its UTC date."""
    if value is None:
        return None
    if kind == "number":
        return float(value)
    if kind == "date" and isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).date()
    return value


def expected_rows(running: RunningDatatables, table_id: str) -> list[dict[str, Any]]:
    table = running.server.table(table_id)
    return [
        {c.name: as_parquet(row[c.name], c.type) for c in table.columns}
        for row in running.server.rows(table_id)
    ]


def parquet_rows(layout: DataLayout, table_id: str) -> list[dict[str, Any]]:
    return pl.read_parquet(snapshot_path(layout, table_id, today())).to_dicts()


def sql(layout: DataLayout, statement: str, *params: Any) -> list[tuple[Any, ...]]:
    return list(query(layout.catalog_path, statement, list(params)).rows)


# -- snapshots --------------------------------------------------------------------------------


def test_every_table_is_listed_and_snapshotted_whole(
    running: RunningDatatables, layout: DataLayout
) -> None:
    with client_for(running, write=False) as client:
        listed = {t.id: t.name for t in client.list_tables()}
    server = running.server
    assert listed == {t.id: t.name for t in server.tables.values()}
    for table_id, name in listed.items():
        result = snapshot(running, layout, table_id)
        table = server.table(table_id)
        assert result.table_name == name
        assert parquet_rows(layout, table_id) == expected_rows(running, table_id)
        assert result.details["etag"] == table.etag
        assert result.details["table_version"] == table.version
        assert [(c.name, c.type, c.is_key) for c in result.columns] == [
            (c.name, c.type, c.key) for c in table.columns
        ]
        [(count,)] = sql(layout, f"SELECT count(*) FROM {result.view}")
        assert count == len(table.rows)
    recorded = sql(layout, "SELECT table_id, table_name, row_count, etag FROM datatable_snapshots")
    assert sorted(recorded) == sorted(
        (t.id, t.name, len(t.rows), t.etag) for t in server.tables.values()
    )


def test_the_key_is_the_flagged_columns_in_column_order(running: RunningDatatables) -> None:
    holidays = running.server.table_id(HOLIDAYS)
    with client_for(running, write=False) as client:
        schema = client.get_schema(holidays)
    table = running.server.table(holidays)
    assert schema.primary_key == ("region", "day")
    assert [(c.name, c.is_primary_key) for c in schema.columns] == [
        (c.name, c.key) for c in table.columns
    ]
    assert (schema.id, schema.name, schema.version) == (holidays, HOLIDAYS, table.version)


def test_a_snapshot_pages_every_row_once(running: RunningDatatables, layout: DataLayout) -> None:
    tiers = running.server.table_id(TIERS)
    result = snapshot(running, layout, tiers, page_size=100)
    keys = [r["customer_id"] for r in parquet_rows(layout, tiers)]
    assert len(keys) == len(set(keys)) == len(running.server.table(tiers).rows) == 1234
    assert result.details["pages"] >= 13  # 1234 rows at 100 (or the server's cap) a page
    reads = [r for r in running.server.requests if r.path.endswith("/rows")]
    assert len(reads) == result.details["pages"]


def test_timestamps_in_date_columns_are_kept_as_dates(running: RunningDatatables) -> None:
    tiers = running.server.table_id(TIERS)
    stored = [r["last_interaction"] for r in running.server.rows(tiers)]
    with client_for(running, write=False) as client:
        snap = client.snapshot(tiers)
    assert [r["last_interaction"] for r in snap.rows] == [
        None if v is None else as_parquet(v, "date").isoformat() for v in stored
    ]
    with_time = sum(isinstance(v, dt.datetime) and v.timetz() != dt.time(0) for v in stored)
    assert snap.times_dropped == ({"last_interaction": with_time} if with_time else {})
    assert bool(with_time) == running.quirks.timestamps


def test_a_table_edited_mid_read_restarts_and_never_mixes_versions(
    running: RunningDatatables, layout: DataLayout
) -> None:
    tiers = running.server.table_id(TIERS)
    running.server.edit_during(tiers, on="rows", after=1)  # lands on the second page
    result = snapshot(running, layout, tiers)
    table = running.server.table(tiers)
    assert result.details["restarts"] == 1
    assert (result.details["etag"], result.details["table_version"]) == (table.etag, 4)
    rows = parquet_rows(layout, tiers)
    assert rows == expected_rows(running, tiers)
    assert "edited" in rows[0]["tier"]  # the other writer's change, not the old value


def test_a_table_that_never_holds_still_fails_naming_it(
    running: RunningDatatables, layout: DataLayout
) -> None:
    queues = queues_of(running)
    for after in (1, 3, 5):  # the second page of every attempt
        running.server.edit_during(queues, on="rows", after=after)
    with pytest.raises(SnapshotInconsistent) as raised:
        snapshot(running, layout, queues, page_size=10, max_restarts=2)
    message = str(raised.value)
    assert queues in message and "2 restart(s)" in message
    assert '"1", "2", "2", "3", "3", "4"' in message  # each attempt's schema and page ETags
    assert not snapshot_path(layout, queues, today()).exists()


def test_a_column_added_by_another_writer_shows_in_the_next_snapshot(
    running: RunningDatatables, layout: DataLayout
) -> None:
    queues = queues_of(running)
    snapshot(running, layout, queues)
    table = running.server.table(queues)
    columns = [{"name": c.name, "type": c.type, "isPrimaryKey": c.key} for c in table.columns]
    columns.append({"name": "region", "type": "string", "isPrimaryKey": False})
    token = httpx.post(
        f"{running.url}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(running.client_id, running.client_secret),
    ).json()["access_token"]
    put = httpx.put(
        f"{running.url}/api/v2/datatables/{queues}/schema",
        json={"columns": columns},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert put.status_code == 200 and (put.content == b"") == running.quirks.put_schema_no_body
    again = snapshot(running, layout, queues)
    assert [c.name for c in again.columns][-1] == "region"
    assert again.previous_columns is not None and "region" not in {
        c.name for c in again.previous_columns
    }
    assert {r["region"] for r in parquet_rows(layout, queues)} == {None}
    assert again.details["table_version"] == running.server.table(queues).version == 2


# -- imports ----------------------------------------------------------------------------------


def write_csv(folder: Path, name: str, lines: list[str]) -> Path:
    path = folder / f"{name}.csv"
    path.write_text("\n".join([CSV_HEADER, *lines]) + "\n", encoding="utf-8")
    return path


def new_customers(count: int, first: int = 1) -> list[str]:
    return [
        f"N-{n:04d},{('gold', 'silver')[n % 2]},{250 * n}.5,{'true' if n % 3 else 'false'},"
        f"2024-0{1 + n % 9}-1{n % 10}"
        for n in range(first, first + count)
    ]


def declare(source: Path, chunk_size: int = 50) -> ImportDeclaration:
    return ImportDeclaration(name="tiers", table=TIERS, source=source, chunk_size=chunk_size)


def do_import(
    running: RunningDatatables,
    layout: DataLayout,
    declaration: ImportDeclaration,
    run_id: str = "imp-1",
) -> ImportRun:
    return run_import(
        declaration,
        lambda: client_for(running),
        layout,
        run_id=run_id,
        target=target(running),
        log=LOG,
    )


def test_an_import_is_upserted_verified_and_idempotent(
    running: RunningDatatables, layout: DataLayout, tmp_path: Path
) -> None:
    tiers = running.server.table_id(TIERS)
    before = len(running.server.table(tiers).rows)
    update = "C-000002,platinum,1000,true,2024-05-12T00:00:00Z"  # a midnight stamp is a date
    source = write_csv(tmp_path, "tiers", [*new_customers(120), update])
    first = do_import(running, layout, declare(source))
    assert first.record.status == "verified"
    assert (first.record.inserted, first.record.updated, first.accepted) == (120, 1, 121)
    assert len(running.server.table(tiers).rows) == before + 120
    stored = {r["customer_id"]: r for r in running.server.rows(tiers)}
    assert stored["C-000002"]["tier"] == "platinum"
    assert stored["C-000002"]["last_interaction"] == dt.date(2024, 5, 12)
    assert stored["N-0007"]["credit_limit"] == 1750.5
    version = running.server.table(tiers).version

    again = do_import(running, layout, declare(source), run_id="imp-2")
    assert again.record.status == "verified"
    assert (again.record.inserted, again.record.updated, again.record.unchanged) == (0, 0, 121)
    assert running.server.table(tiers).version == version
    assert all(u.upsert and u.if_match is None for u in running.server.upserts)
    assert {u.status for u in running.server.upserts} == {200}
    imports = sql(layout, "SELECT run_id, status, inserted FROM datatable_imports ORDER BY 1")
    assert imports == [("imp-1", "verified", 120), ("imp-2", "verified", 0)]


def test_invalid_rows_are_quarantined_and_the_rest_go_in(
    running: RunningDatatables, layout: DataLayout, tmp_path: Path
) -> None:
    tiers = running.server.table_id(TIERS)
    bad = [
        "N-9001,gold,lots,true,2024-01-01",  # not a number
        ",gold,1,true,2024-01-01",  # no key
        "N-9002,gold,1,maybe,2024-01-01",  # not a boolean
    ]
    source = write_csv(tmp_path, "mixed", [*new_customers(10), *bad])
    result = do_import(running, layout, declare(source))
    assert result.record.status == "verified"
    assert (result.record.inserted, result.record.quarantined) == (10, 3)
    assert not {"N-9001", "N-9002"} & {r["customer_id"] for r in running.server.rows(tiers)}
    [(count, fields)] = sql(
        layout,
        "SELECT count(*), string_agg(field, ',' ORDER BY row_number) FROM datatable_quarantine",
    )
    assert (count, fields) == (3, "credit_limit,customer_id,vip")


def test_a_source_column_the_table_lacks_halts_before_any_write(
    running: RunningDatatables, layout: DataLayout, tmp_path: Path
) -> None:
    source = tmp_path / "extra.csv"
    source.write_text(CSV_HEADER + ",nickname\nN-1,gold,1,true,2024-01-01,Al\n", encoding="utf-8")
    with pytest.raises(SchemaMismatch, match="new column 'nickname'"):
        do_import(running, layout, declare(source))
    assert running.server.upserts == []


def test_a_concurrent_edit_during_an_import_is_reported(
    running: RunningDatatables, layout: DataLayout, tmp_path: Path
) -> None:
    tiers = running.server.table_id(TIERS)
    update = "C-000001,silver,500,false,2024-02-02"
    source = write_csv(tmp_path, "edited", [update, *new_customers(60)])
    running.server.edit_during(tiers, on="post", after=1)  # another writer edits C-000001
    result = do_import(running, layout, declare(source))
    assert result.record.status == "verification_failed"
    assert result.verification.different == [("C-000001",)]
    assert result.verification.missing == []
    assert running.server.rows(tiers)[0]["tier"] == "silver (edited)"


# -- faults -----------------------------------------------------------------------------------


def test_throttling_and_server_errors_are_retried(
    running: RunningDatatables, layout: DataLayout, tmp_path: Path
) -> None:
    server = running.server
    tiers = server.table_id(TIERS)
    server.add_fault("http_429", count=2, path_contains="/rows", method="GET")
    server.add_fault("http_5xx", count=2, path_contains="/rows", method="POST", status=503)
    result = snapshot(running, layout, tiers)
    assert parquet_rows(layout, tiers) == expected_rows(running, tiers)
    assert result.stats["throttled"] >= 2 and result.stats["retries"] >= 2
    imported = do_import(running, layout, declare(write_csv(tmp_path, "t", new_customers(40))))
    assert imported.record.status == "verified" and imported.record.inserted == 40
    assert [r.status for r in server.requests].count(503) == 2
    assert len(server.rows(tiers)) == 1234 + 40


def test_over_budget_waits_for_the_window(running: RunningDatatables) -> None:
    running.server.auth.budget, running.server.auth.window_s = 3, 0.3
    queues = queues_of(running)
    with client_for(running, write=False, page_size=10) as client:
        snap = client.snapshot(queues)
        throttled = client.api.stats.as_dict()["throttled"]
        waited = client.api.stats.as_dict()["wait_seconds"]
    assert len(snap.rows) == 37
    assert throttled >= 1 or waited > 0  # throttled and retried, or paced under the budget


def test_dropped_and_truncated_reads_are_read_again(
    running: RunningDatatables, layout: DataLayout
) -> None:
    server = running.server
    tiers = server.table_id(TIERS)
    server.add_fault("drop", path_contains="/rows", method="GET", after=1)
    server.add_fault("truncate", path_contains="/rows", method="GET", after=1)
    server.add_fault("truncate", path_contains="/schema")
    snapshot(running, layout, tiers)
    assert parquet_rows(layout, tiers) == expected_rows(running, tiers)
    assert sum(1 for r in server.requests if r.cut) == 3


def test_an_answer_lost_after_the_write_fails_the_run_and_a_rerun_completes(
    running: RunningDatatables, layout: DataLayout, tmp_path: Path
) -> None:
    """A POST is not resent after its connection broke (the request may have been applied):
    the run fails as a transient error the step retry repeats, and the idempotent rerun
    finishes the job with the counts the server reports."""
    tiers = running.server.table_id(TIERS)
    source = write_csv(tmp_path, "lost", new_customers(100))
    running.server.add_fault("drop_after_apply", path_contains="/rows", method="POST", after=1)
    with pytest.raises(ApiError) as raised:
        do_import(running, layout, declare(source))
    assert raised.value.status is None and raised.value.transient
    assert len(running.server.rows(tiers)) == 1234 + 100  # both batches of 50 were applied
    rerun = do_import(running, layout, declare(source), run_id="imp-2")
    assert rerun.record.status == "verified"
    assert (rerun.record.inserted, rerun.record.unchanged) == (0, 100)


def test_expired_tokens_are_refreshed(running: RunningDatatables) -> None:
    queues = queues_of(running)
    with client_for(running, write=False, page_size=10) as client:
        client.get_schema(queues)
        running.server.expire_tokens()
        snap = client.snapshot(queues)
    assert len(snap.rows) == 37
    assert any(r.status == 401 for r in running.server.requests)


def test_a_missing_scope_fails_once_naming_it(
    running: RunningDatatables, layout: DataLayout, tmp_path: Path
) -> None:
    tiers = running.server.table_id(TIERS)
    with client_for(running, write=False) as client, pytest.raises(ForbiddenError) as raised:
        client.upsert(tiers, [{"customer_id": "N-1"}])
    assert "data-table:write" in str(raised.value) and not raised.value.transient
    running.server.lack("data-table:write")
    with pytest.raises(ApiError) as refused:
        do_import(running, layout, declare(write_csv(tmp_path, "s", new_customers(5))))
    assert "data-table:write" in str(refused.value) and not refused.value.transient
    assert running.server.upserts == []  # refused before any write


def test_a_server_that_keeps_failing_ends_in_a_transient_failure(
    running: RunningDatatables, layout: DataLayout
) -> None:
    queues = queues_of(running)
    running.server.add_fault("http_5xx", count=50, path_contains="/rows", status=502)
    with pytest.raises(RetriesExhausted) as raised:
        snapshot(running, layout, queues)
    assert raised.value.status == 502 and raised.value.transient
    assert "max_attempts=6" in str(raised.value)
    assert not snapshot_path(layout, queues, today()).exists()


def test_a_schema_the_contract_does_not_allow_fails_once_naming_the_field(
    running: RunningDatatables, layout: DataLayout
) -> None:
    """A column type outside the contract's four (line 237) cannot be typed: the snapshot fails
    once (not transient, so the step is not retried), naming the field and what arrived."""
    odd = running.server.add_table("Odd", [("id", "string", True), ("when", "datetime", False)])
    with pytest.raises(UnreadableResponse) as raised:
        snapshot(running, layout, odd)
    message = str(raised.value)
    assert "columns.1.type" in message and "(got string)" in message
    assert "datetime" not in message  # the kind of what arrived, never the value
    assert not raised.value.transient
    assert [r.path.rsplit("/", 1)[-1] for r in running.server.requests] == ["schema"]
    assert not snapshot_path(layout, odd, today()).exists()


def test_the_tutorials_own_timestamp_spelling_for_dates(tmp_path: Path) -> None:
    """`Quirks()` serves dates as `...T00:00:00.000+00:00`; the tutorial's own spelling is
    `2024-05-12T14:30:00Z`. With it, a composite key holding a date (spread among the other
    columns) is read, snapshotted and imported into, and the import verifies key by key."""
    quirks = Quirks.only("date_timestamps", "key_columns_spread", "schema_columns_only")
    with serve_datatables(DatatablesServer(quirks, seed=5)) as running:
        layout = DataLayout(tmp_path / "data")
        holidays = running.server.table_id(HOLIDAYS)
        seeded = running.server.table(holidays).rows
        snapshot(running, layout, holidays)
        assert parquet_rows(layout, holidays) == expected_rows(running, holidays)
        source = tmp_path / "holidays.csv"
        first = next(iter(seeded.values()))
        lines = [
            f"Renamed,{first['region']},true,{first['day'].isoformat()}T00:00:00Z",
            "New Year,EU,false,2026-01-01",
        ]
        source.write_text("label,region,open,day\n" + "\n".join(lines) + "\n", encoding="utf-8")
        declaration = ImportDeclaration(name="holidays", table=HOLIDAYS, source=source)
        result = do_import(running, layout, declaration)
        assert result.record.status == "verified"
        assert (result.record.inserted, result.record.updated) == (1, 1)
        stored = running.server.table(holidays).rows
        assert stored[(first["region"], first["day"])]["label"] == "Renamed"
        assert stored[("EU", dt.date(2026, 1, 1))]["open"] is False
        posted = [r["day"] for r in running.server.posted_rows(holidays)]
        assert posted == [first["day"].isoformat(), "2026-01-01"]  # sent as YYYY-MM-DD
