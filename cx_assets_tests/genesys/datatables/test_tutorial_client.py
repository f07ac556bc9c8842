"""Contract: the data tables client and import engine against the real emulator over loopback.

Snapshots page with cursors and never mix versions (a table modified mid-read restarts the
snapshot; one that never holds still fails with SnapshotInconsistent naming table and ETags).
Imports send only valid rows, isolate server-refused rows by bisection, are idempotent, adapt
their chunk size to the rate-limit headers (as the emulator's `datatable_batches` shows), and
recover from a 429 storm. Faults come only from the emulator's own switches.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest

from cx_assets.emulator import EmulatorServer
from cx_assets.genesys.auth import TOKEN_PATH
from cx_assets.genesys.datatables import endpoints
from cx_assets.genesys.datatables.imports import ImportSettings, import_rows, verify_rows
from cx_assets.genesys.datatables.rows import ValidRow, validate_rows
from cx_assets.genesys.datatables.tutorial import DataTablesClient, SnapshotInconsistent
from cx_assets.http.auth import ClientCredentialsAuth
from cx_assets.http.client import ApiClient
from cx_assets.http.errors import ForbiddenError
from cx_assets.http.pacing import RateLimitPacer
from cx_assets_tests.emulator.emulator_fixtures import EmulatorFactory
from cx_assets_tests.genesys.genesys_testkit import (
    FAST_RETRY,
    emulator_status_count,
)

TIERS = "6b1f6a0e-1c2d-4e5f-8a9b-000000000001"
VIP = "6b1f6a0e-1c2d-4e5f-8a9b-000000000002"
HOLIDAYS = "6b1f6a0e-1c2d-4e5f-8a9b-000000000003"
ROWS_PATH = "/api/v2/datatables"
#: Production's attempt bound (8) with test-sized waits: a storm of 5 429s is survivable.
RETRY = dataclasses.replace(FAST_RETRY, max_attempts=8)


@contextlib.contextmanager
def tables_client(
    emu: EmulatorServer,
    *,
    write: bool = True,
    pacer: RateLimitPacer | None = None,
    **options: Any,
) -> Iterator[DataTablesClient]:
    scopes = endpoints.DATATABLE_WRITE_SCOPES if write else endpoints.DATATABLE_READ_SCOPES
    auth = ClientCredentialsAuth(
        token_url=f"{emu.url}{TOKEN_PATH}",
        client_id=emu.client_id,
        client_secret=emu.client_secret,
        scopes=scopes,
        retry=RETRY,
    )
    with ApiClient(emu.url, auth=auth, retry=RETRY, pacer=pacer, timeout=20.0) as api:
        yield DataTablesClient(api, **options)


def tier_rows(first: int, count: int, **overrides: str) -> list[dict[str, str]]:
    """CSV-like rows (all strings) for Customer Tiers with new keys C-9xxxxx."""
    return [
        {
            "customer_id": f"C-9{n:05d}",
            "tier": ("gold", "silver", "bronze")[n % 3],
            "credit_limit": str(500 + n % 7 * 250),
            "vip": "true" if n % 2 else "false",
            "since": f"2023-0{1 + n % 9}-1{n % 10}",
            **overrides,
        }
        for n in range(first, first + count)
    ]


def batches_seen(emu: EmulatorServer, table_id: str) -> list[int]:
    return emu.stats().get("datatable_batches", {}).get(table_id, [])


def test_lists_the_seeded_tables_and_reads_a_schema(emulator: EmulatorServer) -> None:
    with tables_client(emulator, write=False) as client:
        tables = {t.id: t.name for t in client.list_tables()}
        schema = client.get_schema(HOLIDAYS)
    assert tables[TIERS] == "Customer Tiers" and tables[VIP] == "VIP List"
    assert schema.primary_key == ("region", "date")
    assert schema.column_types() == {
        "region": "string",
        "date": "date",
        "name": "string",
        "open": "boolean",
    }


def test_snapshot_follows_cursors_over_several_pages(emulator: EmulatorServer) -> None:
    with tables_client(emulator, write=False) as client:
        snap = client.snapshot(TIERS)
        small = DataTablesClient(client.api, page_size=128).snapshot(VIP)
    assert (snap.pages, snap.restarts, len(snap.rows)) == (3, 0, 2500)
    keys = [r["customer_id"] for r in snap.rows]
    assert len(set(keys)) == 2500 and keys[0] == "C-000001"
    assert snap.row_ids == keys  # the emulator's row id is the key
    assert snap.etag == f'"{snap.schema.version}"'
    assert set(snap.rows[0]) == set(snap.schema.column_types())
    assert (small.pages, len(small.rows), len({r["phone"] for r in small.rows})) == (3, 300, 300)


def test_a_table_modified_mid_read_restarts_and_stays_consistent(
    emulator: EmulatorServer,
) -> None:
    emulator.add_faults({"kind": "table_modified", "count": 1, "path_prefix": ROWS_PATH})
    with tables_client(emulator, write=False) as client:
        snap = client.snapshot(TIERS)
        again = client.snapshot(TIERS)
    assert snap.restarts == 1
    assert snap.etag == again.etag == f'"{snap.schema.version}"'
    assert snap.rows == again.rows  # all pages from the one version after the change
    assert len(snap.rows) == 2500
    assert snap.pages == 3  # pages of the successful read only


def test_a_table_that_never_holds_still_fails_clearly(emulator: EmulatorServer) -> None:
    emulator.add_faults({"kind": "table_modified", "rate": 1.0, "path_prefix": ROWS_PATH})
    with (
        tables_client(emulator, write=False, page_size=25, max_restarts=2) as client,
        pytest.raises(SnapshotInconsistent) as raised,
    ):
        client.snapshot(HOLIDAYS)
    message = str(raised.value)
    assert HOLIDAYS in message
    assert "2 restart(s)" in message
    assert '"1", "2"' in message and '"3", "4"' in message  # each attempt's ETag pair


def test_import_sends_only_valid_rows_and_verifies(emulator: EmulatorServer) -> None:
    source = tier_rows(1, 40)
    source[4]["credit_limit"] = "gold"
    source[9]["vip"] = "1"
    source[19]["customer_id"] = ""
    source.append(dict(source[0], tier="platinum"))  # duplicate key of row 1
    with tables_client(emulator) as client:
        schema = client.get_schema(TIERS)
        checked = validate_rows(source, schema)
        outcome = import_rows(client, TIERS, checked.valid)
        verification = verify_rows(client.snapshot(TIERS), checked.valid)
    assert [(r.row_number, r.field) for r in checked.rejected] == [
        (5, "credit_limit"),
        (10, "vip"),
        (20, "customer_id"),
        (41, "customer_id"),
    ]
    assert (outcome.inserted, outcome.updated, outcome.unchanged) == (37, 0, 0)
    assert batches_seen(emulator, TIERS) == [37]
    assert verification.ok and verification.checked == 37


def test_bisection_isolates_exactly_the_rows_the_server_refuses(emulator: EmulatorServer) -> None:
    source = tier_rows(1, 300)
    for index in (7, 150, 151, 299):
        source[index]["tier"] = "poison"
    emulator.add_faults(
        {"kind": "reject_batch", "match": "poison", "rate": 1.0, "path_prefix": ROWS_PATH}
    )
    with tables_client(emulator) as client:
        checked = validate_rows(source, client.get_schema(TIERS))
        settings = ImportSettings(chunk_size=100, min_chunk=50, max_chunk=100)
        outcome = import_rows(client, TIERS, checked.valid, settings)
        refused = {r.row_number for r in outcome.rejected}
        accepted = [r for r in checked.valid if r.row_number not in refused]
        snap = client.snapshot(TIERS)
    assert checked.rejected == []
    assert sorted(refused) == [8, 151, 152, 300]
    assert all(r.field == "tier" and "poison" in r.reason for r in outcome.rejected)
    assert outcome.inserted == 296 and len(snap.rows) == 2500 + 296
    assert verify_rows(snap, accepted).ok
    assert sum(batches_seen(emulator, TIERS)) > 300  # halves were resent
    assert outcome.chunk_sizes == batches_seen(emulator, TIERS)


def test_importing_twice_changes_nothing_the_second_time(emulator: EmulatorServer) -> None:
    updates = [dict(r, tier="platinum") for r in tier_rows(1, 10)]
    changed = [{**r, "customer_id": f"C-{n:06d}"} for n, r in enumerate(updates, start=1)]
    source = tier_rows(100, 590) + changed
    with tables_client(emulator) as client:
        rows = validate_rows(source, client.get_schema(TIERS)).valid
        first = import_rows(client, TIERS, rows)
        after_first = client.snapshot(TIERS)
        second = import_rows(client, TIERS, rows)
        after_second = client.snapshot(TIERS)
    assert (first.inserted, first.updated, first.unchanged) == (590, 10, 0)
    assert (second.inserted, second.updated, second.unchanged) == (0, 0, 600)
    assert after_second.etag == after_first.etag  # a POST that changes nothing keeps the version
    assert after_second.rows == after_first.rows and len(after_second.rows) == 3090
    assert batches_seen(emulator, TIERS) == [250, 300, 50, 250, 300, 50]  # plenty of budget


def test_chunks_shrink_as_the_rate_limit_runs_low(emulator_factory: EmulatorFactory) -> None:
    emu = emulator_factory(rate_limit_per_minute=12)
    rows = [
        ValidRow(n, {"customer_id": f"C-8{n:05d}", "tier": "gold", "credit_limit": n})
        for n in range(1, 2876)
    ]
    # reserve=1: the pacer only waits once the window is spent, so this test never waits it out.
    with tables_client(emu, pacer=RateLimitPacer(reserve=1)) as client:
        client.get_schema(TIERS)
        outcome = import_rows(client, TIERS, rows)
    seen = batches_seen(emu, TIERS)
    assert seen == outcome.chunk_sizes and sum(seen) == 2875
    assert seen[0] == 250 and max(seen) == 300
    assert seen[-2:] == [150, 75]  # halved as X-RateLimit-Remaining fell under 20% of 12
    assert emulator_status_count(emu, ROWS_PATH, 429) == 0


def test_a_429_storm_is_recovered_without_going_over_budget(emulator: EmulatorServer) -> None:
    emulator.add_faults("http_429:count=5,path_prefix=/api/v2/datatables")
    with tables_client(emulator) as client:
        rows = validate_rows(tier_rows(1, 500), client.get_schema(TIERS)).valid
        outcome = import_rows(client, TIERS, rows)
        snap = client.snapshot(TIERS)
        stats = client.api.stats.as_dict()
    assert outcome.inserted == 500 and verify_rows(snap, rows).ok
    assert stats["throttled"] == 5
    assert emulator_status_count(emulator, ROWS_PATH, 429) == 5  # only the injected ones


def test_a_read_only_token_cannot_write(emulator: EmulatorServer) -> None:
    with (
        tables_client(emulator, write=False) as client,
        pytest.raises(ForbiddenError, match="data-table:write"),
    ):
        client.upsert(TIERS, [{"customer_id": "C-1"}])
    assert batches_seen(emulator, TIERS) == []


def test_a_429_storm_under_a_tight_budget_never_overspends_it(
    emulator_factory: EmulatorFactory,
) -> None:
    """Budget 8 per 1 s window plus injected 429s: the import spans several windows, and every
    429 the server sent is an injected one — the client never went over the budget itself."""
    emu = emulator_factory(rate_limit_per_minute=8, rate_window_s=1.0)
    emu.add_faults("http_429:count=4,retry_after=1,path_prefix=/api/v2/datatables")
    with tables_client(emu) as client:
        rows = validate_rows(tier_rows(1, 3000), client.get_schema(TIERS)).valid
        outcome = import_rows(client, TIERS, rows)
        stats = client.api.stats.as_dict()
    assert outcome.inserted == 3000
    assert sum(outcome.chunk_sizes) >= 3000 and len(outcome.chunk_sizes) > 8  # > 1 window
    assert stats["throttled"] == 4
    assert emu.stats()["faults_fired"]["http_429"] == 4
    assert emulator_status_count(emu, ROWS_PATH, 429) == 4  # no budget 429 at all
