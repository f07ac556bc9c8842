"""Data tables reads: the listing names every seeded table, schemas give columns and keys with an
ETag, rows page through the whole table in first-insertion order with opaque cursors, pageSize
over 1000 and foreign cursors are 400 naming the problem, a token without the scope is 403."""

from __future__ import annotations

import httpx
import pytest

from cx_assets_tests.emulator.support import api_client, get_token

TIERS = "6b1f6a0e-1c2d-4e5f-8a9b-000000000001"
HOLIDAYS = "6b1f6a0e-1c2d-4e5f-8a9b-000000000003"
ROWS = f"/api/v2/datatables/{TIERS}/rows"


def all_pages(client: httpx.Client, path: str, size: int) -> tuple[list[dict], set[str], int]:
    rows: list[dict] = []
    etags: set[str] = set()
    params: dict[str, object] = {"pageSize": size}
    pages = 0
    while True:
        response = client.get(path, params=params)
        assert response.status_code == 200, response.text
        body = response.json()
        pages += 1
        rows.extend(body["rows"])
        etags.add(response.headers["ETag"])
        if not body.get("nextPageCursor"):
            return rows, etags, pages
        params = {"pageSize": size, "cursor": body["nextPageCursor"]}


def test_listing_names_the_seeded_tables(emulator):
    body = api_client(emulator).get("/api/v2/datatables").json()
    assert body["total"] == 4
    assert {t["name"] for t in body["entities"]} == {
        "Customer Tiers",
        "VIP List",
        "Holiday Calendar",
        "Account Directory",
    }


def test_schema_has_typed_columns_a_composite_key_and_an_etag(emulator):
    response = api_client(emulator).get(f"/api/v2/datatables/{HOLIDAYS}/schema")
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "Holiday Calendar" and body["version"] == 1
    assert response.headers["ETag"] == '"1"'
    assert [(c["name"], c["type"], c["isPrimaryKey"]) for c in body["columns"]] == [
        ("region", "string", True),
        ("date", "date", True),
        ("name", "string", False),
        ("open", "boolean", False),
    ]


def test_pages_of_1000_cover_all_2500_rows_once_in_order(emulator):
    rows, etags, pages = all_pages(api_client(emulator), ROWS, 1000)
    assert pages == 3 and etags == {'"1"'}
    ids = [r["columns"]["customer_id"] for r in rows]
    assert ids == [f"C-{n:06d}" for n in range(1, 2501)]
    assert [r["id"] for r in rows] == ids
    tiers = {r["columns"]["tier"] for r in rows}
    assert tiers == {"bronze", "silver", "gold", "platinum"}
    first = rows[0]["columns"]
    assert isinstance(first["credit_limit"], int) and isinstance(first["vip"], bool)


def test_seeded_content_is_the_same_for_the_same_seed(emulator_factory, tmp_path):
    first = emulator_factory(state_dir=tmp_path / "a")
    second = emulator_factory(state_dir=tmp_path / "b")
    third = emulator_factory(state_dir=tmp_path / "c", seed=7)
    pages = [
        api_client(emu).get(ROWS, params={"pageSize": 50}).json()["rows"]
        for emu in (first, second, third)
    ]
    assert pages[0] == pages[1]
    assert pages[0] != pages[2]


def test_default_page_size_is_100_and_last_page_has_null_cursor(emulator):
    client = api_client(emulator)
    body = client.get(f"/api/v2/datatables/{HOLIDAYS}/rows").json()
    assert body["pageSize"] == 100 and len(body["rows"]) == 60
    assert body["nextPageCursor"] is None
    assert body["rows"][0]["id"] == "US|2025-01-01"


@pytest.mark.parametrize("size", ["1001", "0", "many"])
def test_page_size_out_of_range_is_400_naming_it(emulator, size):
    response = api_client(emulator).get(ROWS, params={"pageSize": size})
    assert response.status_code == 400
    assert "pageSize" in response.json()["message"]
    assert "1000" in response.json()["message"]


def test_a_cursor_this_server_did_not_issue_is_400(emulator):
    response = api_client(emulator).get(ROWS, params={"cursor": "not-a-cursor!"})
    assert response.status_code == 400
    assert "cursor" in response.json()["message"]


def test_unknown_table_is_404(emulator):
    response = api_client(emulator).get("/api/v2/datatables/nope/schema")
    assert response.status_code == 404
    assert "nope" in response.json()["message"]


def test_token_without_the_scopes_is_403_naming_the_scope(emulator_factory):
    emu = emulator_factory(client_scopes={"emulator-client": ("dataexports:read",)})
    client = api_client(emu)
    listing = client.get("/api/v2/datatables")
    assert listing.status_code == 403
    assert "data-table:read" in listing.json()["message"]
    post = client.post(ROWS, params={"upsert": "true"}, json=[])
    assert post.status_code == 403
    assert "data-table:write" in post.json()["message"]


def test_read_scope_alone_cannot_write(emulator):
    client = api_client(emulator, get_token(emulator, scope="data-table:read"))
    assert client.get(ROWS).status_code == 200
    response = client.post(ROWS, params={"upsert": "true"}, json=[{"columns": {}}])
    assert response.status_code == 403
    assert "data-table:write" in response.json()["message"]
