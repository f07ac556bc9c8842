"""Data tables fault switches: `table_modified` makes the next cursor page carry a new ETag (and
one row really changed), while a first page without a cursor never fires it; `reject_batch`
answers 400 for a whole batch, narrowed by `match` to batches holding that value (the message
names that row and field) and delayed by `after`."""

from __future__ import annotations

from typing import Any

from cx_assets_tests.emulator.support import api_client

TIERS = "6b1f6a0e-1c2d-4e5f-8a9b-000000000001"
ROWS = f"/api/v2/datatables/{TIERS}/rows"


def tier(customer_id: str, tier_name: str = "gold") -> dict[str, Any]:
    return {"columns": {"customer_id": customer_id, "tier": tier_name, "credit_limit": 5000}}


def test_table_modified_changes_the_etag_of_the_next_cursor_page(emulator):
    client = api_client(emulator)
    before = [r for p in _pages(client) for r in p]
    emulator.add_faults({"kind": "table_modified", "path_prefix": ROWS})

    first = client.get(ROWS, params={"pageSize": 1000})
    assert first.headers["ETag"] == '"1"'  # no cursor: the fault waits
    cursor = first.json()["nextPageCursor"]
    second = client.get(ROWS, params={"pageSize": 1000, "cursor": cursor})
    assert second.status_code == 200
    assert second.headers["ETag"] == '"2"'
    assert second.json()["rows"][0]["columns"]["customer_id"] == "C-001001"

    after = [r for p in _pages(client) for r in p]
    assert len(after) == len(before) == 2500
    differing = [b for b, a in zip(before, after, strict=True) if a != b]
    assert len(differing) == 1
    assert emulator.stats()["faults_fired"]["table_modified"] == 1


def _pages(client) -> list[list[dict]]:
    pages, params = [], {"pageSize": 1000}
    while True:
        body = client.get(ROWS, params=params).json()
        pages.append(body["rows"])
        if not body["nextPageCursor"]:
            return pages
        params = {"pageSize": 1000, "cursor": body["nextPageCursor"]}


def test_reject_batch_with_match_names_the_row_and_field(emulator):
    client = api_client(emulator)
    emulator.add_faults({"kind": "reject_batch", "match": "poison", "path_prefix": ROWS})
    clean = client.post(ROWS, params={"upsert": "true"}, json=[tier("C-900001")])
    assert clean.status_code == 200  # no cell equals "poison": the fault does not apply

    batch = [tier("C-900002"), tier("C-900003", "poison"), tier("C-900004")]
    response = client.post(ROWS, params={"upsert": "true"}, json=batch)
    assert response.status_code == 400
    assert response.json()["message"].startswith("row 2: field 'tier'")
    page = client.get(ROWS, params={"pageSize": 1, "cursor": _last_page_cursor(client)})
    assert page.headers["ETag"] == '"2"'  # only the clean batch changed the table

    retry = client.post(ROWS, params={"upsert": "true"}, json=batch)
    assert retry.status_code == 200  # count=1: used up
    assert emulator.stats()["datatable_batches"][TIERS] == [1, 3, 3]


def _last_page_cursor(client) -> str:
    return client.get(ROWS, params={"pageSize": 1000}).json()["nextPageCursor"]


def test_reject_batch_after_lets_the_first_batches_through(emulator):
    client = api_client(emulator)
    emulator.add_faults("reject_batch:after=2,path_prefix=/api/v2/datatables")
    statuses = [
        client.post(ROWS, params={"upsert": "true"}, json=[tier(f"C-90000{n}")]).status_code
        for n in range(4)
    ]
    assert statuses == [200, 200, 400, 200]


def test_429_fault_on_datatables_path(emulator):
    client = api_client(emulator)
    emulator.add_faults("http_429:count=1,path_prefix=/api/v2/datatables")
    assert client.get(ROWS).status_code == 429
    assert client.get(ROWS).status_code == 200
