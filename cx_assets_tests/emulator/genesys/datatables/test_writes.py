"""Data tables rows POST: upsert counts inserted/updated/unchanged, the version and ETag change only
when something changed, insert-only duplicates are 409, and any invalid row rejects the whole
batch with 400 naming the row and field while the table stays exactly as it was. Every POST that
reaches the route shows up in `/admin/stats` `datatable_batches`."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from cx_assets_tests.emulator.support import api_client

TIERS = "6b1f6a0e-1c2d-4e5f-8a9b-000000000001"
HOLIDAYS = "6b1f6a0e-1c2d-4e5f-8a9b-000000000003"
ROWS = f"/api/v2/datatables/{TIERS}/rows"


def tier(customer_id: str, **changes: Any) -> dict[str, Any]:
    cells = {
        "customer_id": customer_id,
        "tier": "gold",
        "credit_limit": 20000,
        "vip": False,
        "since": "2024-03-01",
    }
    return {"columns": {**cells, **changes}}


def post(client: httpx.Client, rows: list[Any], upsert: bool = True) -> httpx.Response:
    return client.post(ROWS, params={"upsert": str(upsert).lower()}, json=rows)


def etag(client: httpx.Client) -> str:
    return client.get(ROWS, params={"pageSize": 1}).headers["ETag"]


def row_count(client: httpx.Client) -> int:
    count, params = 0, {"pageSize": 1000}
    while True:
        body = client.get(ROWS, params=params).json()
        count += len(body["rows"])
        if not body["nextPageCursor"]:
            return count
        params = {"pageSize": 1000, "cursor": body["nextPageCursor"]}


def test_upsert_counts_and_version_moves_only_on_change(emulator):
    client = api_client(emulator)
    existing = client.get(ROWS, params={"pageSize": 2}).json()["rows"]
    same = {"columns": existing[0]["columns"]}
    changed = {"columns": {**existing[1]["columns"], "tier": "platinum"}}
    batch = [same, changed, tier("C-900001"), tier("C-900002")]

    first = post(client, batch)
    assert first.status_code == 200, first.text
    assert first.json() == {"inserted": 2, "updated": 1, "unchanged": 1, "version": 2}
    assert first.headers["ETag"] == '"2"' == etag(client)
    assert row_count(client) == 2502

    again = post(client, batch)
    assert again.json() == {"inserted": 0, "updated": 0, "unchanged": 4, "version": 2}
    assert etag(client) == '"2"'
    assert row_count(client) == 2502

    page = client.get(ROWS, params={"pageSize": 2}).json()["rows"]
    assert page[1]["columns"]["tier"] == "platinum"
    assert emulator.stats()["datatable_batches"] == {TIERS: [4, 4]}


def test_an_update_replaces_the_whole_row_absent_columns_become_null(emulator):
    client = api_client(emulator)
    post(client, [tier("C-900001")])
    response = post(client, [{"columns": {"customer_id": "C-900001", "tier": "silver"}}])
    assert response.json()["updated"] == 1
    last = client.get(ROWS, params={"pageSize": 1000, "cursor": _cursor_at(client, 2)}).json()
    cells = last["rows"][-1]["columns"]
    assert cells == {
        "customer_id": "C-900001",
        "tier": "silver",
        "credit_limit": None,
        "vip": None,
        "since": None,
    }


def _cursor_at(client: httpx.Client, page: int) -> str:
    params: dict[str, Any] = {"pageSize": 1000}
    for _ in range(page):
        params["cursor"] = client.get(ROWS, params=params).json()["nextPageCursor"]
    return params["cursor"]


def test_insert_only_duplicate_key_is_409_and_changes_nothing(emulator):
    client = api_client(emulator)
    response = post(client, [tier("C-900001"), tier("C-000007")], upsert=False)
    assert response.status_code == 409
    message = response.json()["message"]
    assert "row 2" in message and "C-000007" in message and "customer_id" in message
    assert etag(client) == '"1"' and row_count(client) == 2500
    assert post(client, [tier("C-900001")], upsert=False).json()["inserted"] == 1


@pytest.mark.parametrize(
    ("bad_row", "expected"),
    [
        (tier("C-900002", colour="blue"), "row 2: field 'colour' is not a column"),
        ({"columns": {"tier": "gold"}}, "row 2: field 'customer_id' is a primary key"),
        (tier(None), "row 2: field 'customer_id' is a primary key"),
        (
            tier("C-900002", credit_limit="gold"),
            "row 2: field 'credit_limit' expects number, got string \"gold\"",
        ),
        (
            tier("C-900002", credit_limit="3"),
            "row 2: field 'credit_limit' expects number, got string \"3\"",
        ),
        (tier("C-900002", credit_limit=True), "row 2: field 'credit_limit' expects number"),
        (tier("C-900002", vip="yes"), "row 2: field 'vip' expects boolean"),
        (tier("C-900002", since="2024-02-30"), "row 2: field 'since' expects date YYYY-MM-DD"),
        (tier("C-900002", since="01/03/2024"), "row 2: field 'since' expects date YYYY-MM-DD"),
        (tier("C-900001"), "row 2: field 'customer_id' repeats the key"),
        ("just a string", "row 2: must be an object"),
    ],
)
def test_an_invalid_row_rejects_the_whole_batch(emulator, bad_row, expected):
    client = api_client(emulator)
    response = post(client, [tier("C-900001"), bad_row, tier("C-900003")])
    assert response.status_code == 400
    assert expected in response.json()["message"]
    assert etag(client) == '"1"' and row_count(client) == 2500


def test_duplicate_composite_key_names_both_fields(emulator):
    client = api_client(emulator)
    row = {"columns": {"region": "NZ", "date": "2025-02-06", "name": "Waitangi Day"}}
    response = client.post(
        f"/api/v2/datatables/{HOLIDAYS}/rows", params={"upsert": "true"}, json=[row, row]
    )
    assert response.status_code == 400
    assert "row 2: field 'region', 'date' repeats the key" in response.json()["message"]


def test_more_than_1000_rows_is_400_naming_the_limit_and_still_counted(emulator):
    client = api_client(emulator)
    response = post(client, [tier(f"C-9{n:05d}") for n in range(1001)])
    assert response.status_code == 400
    assert "1001 rows" in response.json()["message"] and "1000" in response.json()["message"]
    assert row_count(client) == 2500
    assert emulator.stats()["datatable_batches"][TIERS] == [1001]


def test_body_that_is_not_an_array_is_400(emulator):
    response = api_client(emulator).post(ROWS, params={"upsert": "true"}, json={"columns": {}})
    assert response.status_code == 400
    assert "JSON array" in response.json()["message"]
