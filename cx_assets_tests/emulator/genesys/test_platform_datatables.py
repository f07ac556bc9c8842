"""Platform data tables, tables and rows (docs/api-contract.md "Data tables:
/api/v2/flows/datatables"): page-number listings that page to the end, `expand=schema` with the
JSON Schema, rows with `showbrief` defaulting to true (keys only), single-row POST/PUT/DELETE
validated against the schema, the 403 naming the role's missing permission, edits kept across a
restart, and the new settings read from CX_EMULATOR_* variables. Plain httpx over loopback."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from cx_assets.emulator import EmulatorConfig
from cx_assets.emulator.errors import is_platform
from cx_assets_tests.emulator.genesys.conversations.platform_support import client, token

BASE = "/api/v2/flows/datatables"
CUSTOMERS = "7c2a9f10-2d3e-4f60-9b1c-000000000101"
VIPS = "7c2a9f10-2d3e-4f60-9b1c-000000000102"
HOLIDAYS = "7c2a9f10-2d3e-4f60-9b1c-000000000103"
SKILLS = "7c2a9f10-2d3e-4f60-9b1c-000000000104"
SEEDED = {CUSTOMERS: 2500, VIPS: 300, HOLIDAYS: 60, SKILLS: 12}
FAST = {"datatable_job_delay_s": 0.0}


def pages(api: httpx.Client, path: str, **params: Any) -> list[dict[str, Any]]:
    """Every page, following `nextUri` until a page has none."""
    found = [api.get(path, params=params)]
    while True:
        assert found[-1].status_code == 200, found[-1].text
        following = found[-1].json().get("nextUri")
        if not following:
            return [page.json() for page in found]
        found.append(api.get(following))
        assert len(found) < 200, "paging does not end"


def test_listing_pages_to_the_end_and_expands_the_schema(emulator_factory):
    api = client(emulator_factory(**FAST))
    listing = pages(api, BASE, pageSize=1)
    assert [page["pageNumber"] for page in listing] == [1, 2, 3, 4]
    assert {(page["total"], page["pageCount"], page["pageSize"]) for page in listing} == {(4, 4, 1)}
    assert "previousUri" not in listing[0] and listing[1]["previousUri"].endswith("pageNumber=1")
    tables = [t for page in listing for t in page["entities"]]
    names = {t["id"]: t["name"] for t in tables}
    assert names == {
        CUSTOMERS: "Customer Tiers",
        VIPS: "VIP List",
        HOLIDAYS: "Holiday Calendar",
        SKILLS: "Routing Skills",
    }
    assert all("schema" not in t and t["selfUri"] == f"{BASE}/{t['id']}" for t in tables)
    expanded = api.get(BASE, params={"expand": "schema", "name": "*tier*"}).json()
    assert [t["id"] for t in expanded["entities"]] == [CUSTOMERS]
    schema = expanded["entities"][0]["schema"]
    assert schema["$schema"] == "http://json-schema.org/draft-04/schema#"
    assert (schema["required"], schema["additionalProperties"]) == (["key"], False)
    types = {name: p["type"] for name, p in schema["properties"].items()}
    assert types == {
        "key": "string",
        "tier": "string",
        "credit_limit": "integer",
        "discount": "number",
        "vip": "boolean",
    }
    assert schema["properties"]["key"] == {
        "title": "Customer ID",
        "type": "string",
        "$id": "/properties/key",
        "displayOrder": 0,
    }
    past_the_end = api.get(BASE, params={"pageNumber": 9})
    assert past_the_end.status_code == 200 and past_the_end.json()["entities"] == []
    too_big = api.get(BASE, params={"pageSize": 101})
    assert too_big.status_code == 400 and too_big.json()["details"][0]["fieldName"] == "pageSize"


def test_one_table_and_the_real_error_body_for_an_unknown_id(emulator_factory):
    api = client(emulator_factory(**FAST))
    table = api.get(f"{BASE}/{HOLIDAYS}", params={"expand": "schema"}).json()
    assert table["name"] == "Holiday Calendar" and table["division"]["name"] == "Home"
    assert list(table["schema"]["properties"]) == ["key", "region", "date", "name", "open"]
    missing = api.get(f"{BASE}/no-such-table")
    assert missing.status_code == 404
    assert {"message", "code", "status", "contextId"} <= set(missing.json())


def test_rows_are_keys_only_unless_showbrief_false(emulator_factory):
    api = client(emulator_factory(**FAST))
    short = api.get(f"{BASE}/{HOLIDAYS}/rows").json()
    assert (short["pageSize"], short["total"], short["pageCount"]) == (25, 60, 3)
    assert short["entities"][0] == {"key": "US-2024-01-01"}
    full = api.get(f"{BASE}/{HOLIDAYS}/rows", params={"showbrief": "false"}).json()
    assert full["entities"][0] == {
        "key": "US-2024-01-01",
        "region": "US",
        "date": "2024-01-01",
        "name": "New Year's Day",
        "open": full["entities"][0]["open"],
    }
    assert isinstance(full["entities"][0]["open"], bool)
    for table_id, count in SEEDED.items():
        rows = pages(api, f"{BASE}/{table_id}/rows", pageSize=500, showbrief="false")
        keys = [row["key"] for page in rows for row in page["entities"]]
        assert len(keys) == len(set(keys)) == count
    one = api.get(f"{BASE}/{HOLIDAYS}/rows/US-2024-12-25", params={"showbrief": "false"})
    assert one.json()["name"] == "Christmas Day"
    assert api.get(f"{BASE}/{HOLIDAYS}/rows/US-2024-12-25").json() == {"key": "US-2024-12-25"}
    assert api.get(f"{BASE}/{CUSTOMERS}/rows", params={"pageSize": 501}).status_code == 400


def test_single_row_calls_are_validated_against_the_schema(emulator_factory):
    api = client(emulator_factory(**FAST))
    rows = f"{BASE}/{SKILLS}/rows"
    new = {"key": "sales/vip", "queue": "Q VIP", "proficiency": 5, "weight": 1.5, "active": True}
    assert api.post(rows, json=new).json() == new
    assert api.get(f"{rows}/sales%2Fvip", params={"showbrief": "false"}).json() == new
    assert api.post(rows, json=new).status_code == 409
    refusals = {
        "proficiency": {"key": "x", "proficiency": "5"},
        "active": {"key": "x", "active": "yes"},
        "colour": {"key": "x", "colour": "red"},
        "key": {"key": "k" * 257},
    }
    for field, body in refusals.items():
        refused = api.post(rows, json=body)
        assert refused.status_code == 400, body
        assert refused.json()["details"][0]["fieldName"] == field
        assert field in refused.json()["message"]
    edited = api.put(f"{rows}/sales%2Fvip", json={"queue": "Q Gold", "weight": 2})
    assert edited.status_code == 200 and edited.json() == {
        "key": "sales/vip",
        "queue": "Q Gold",
        "weight": 2,
    }
    assert api.put(f"{rows}/sales%2Fvip", json={"key": "other"}).status_code == 400
    assert api.put(f"{rows}/nope", json={"queue": "x"}).status_code == 404
    assert api.delete(f"{rows}/sales%2Fvip").status_code == 204
    assert api.get(f"{rows}/sales%2Fvip").status_code == 404
    assert api.get(rows).json()["total"] == 12


CLIENTS = {"emulator-client": "emulator-secret", "viewer": "v-secret", "editor": "e-secret"}
VIEWER = ("architect:datatable:view",)
EDITOR = (*VIEWER, "architect:datatable:edit", "architect:datatableRow:add")
MISSING = "You are missing the following permission(s): [{}]"


def test_403_names_the_permission_the_role_lacks(emulator_factory):
    emu = emulator_factory(
        **FAST, clients=CLIENTS, client_permissions={"viewer": VIEWER, "editor": EDITOR}
    )
    viewer = client(emu, token(emu, "viewer", "v-secret"))
    editor = client(emu, token(emu, "editor", "e-secret"))
    rows = f"{BASE}/{VIPS}/rows"
    assert viewer.get(BASE).status_code == 200
    cases = [
        (viewer.get(rows), "architect:datatableRow:view"),
        (viewer.post(rows, json={"key": "+1"}), "architect:datatableRow:add"),
        (viewer.put(f"{rows}/+1", json={}), "architect:datatableRow:edit"),
        (viewer.delete(f"{rows}/+1"), "architect:datatableRow:delete"),
        (
            viewer.post(f"{BASE}/{VIPS}/import/csv/jobs", json={"importMode": "Append"}),
            "architect:datatable:edit",
        ),
        (
            editor.post(f"{BASE}/{VIPS}/import/csv/jobs", json={"importMode": "ReplaceAll"}),
            "architect:datatableRow:delete",
        ),
    ]
    for response, permission in cases:
        assert response.status_code == 403, response.text
        body = response.json()
        assert body["code"] == "missing.any.permissions"
        assert body["message"].endswith(MISSING.format(permission))
    appended = editor.post(f"{BASE}/{VIPS}/import/csv/jobs", json={"importMode": "Append"})
    assert appended.status_code == 200
    assert viewer.post(f"{BASE}/{VIPS}/export/jobs").status_code == 200


def test_edits_survive_a_restart_and_seed_row_counts_are_configurable(emulator_factory):
    emu = emulator_factory(**FAST, datatable_seed_rows={VIPS: 7})
    api = client(emu)
    first = api.get(f"{BASE}/{VIPS}/rows").json()["entities"][0]["key"]
    assert api.put(f"{BASE}/{VIPS}/rows/{first}", json={"name": "Renamed"}).status_code == 200
    assert api.delete(f"{BASE}/{VIPS}/rows/{first}").status_code == 204
    api.post(f"{BASE}/{VIPS}/rows", json={"key": first, "name": "Back", "priority": 1})
    emu.restart()
    api = client(emu)
    rows = api.get(f"{BASE}/{VIPS}/rows", params={"showbrief": "false"}).json()
    assert rows["total"] == 7
    assert rows["entities"][-1] == {"key": first, "name": "Back", "priority": 1}


def test_settings_come_from_environment_variables():
    config = EmulatorConfig.from_env(
        {
            "CX_EMULATOR_DATATABLE_MAX_ROWS": "9000",
            "CX_EMULATOR_DATATABLE_JOB_DELAY_S": "0.5",
            "CX_EMULATOR_DATATABLE_MAX_PAGE_SIZE": "1000",
            "CX_EMULATOR_DATATABLE_SEED_ROWS": f'{{"{CUSTOMERS}": 5000}}',
        }
    )
    assert (config.datatable_max_rows, config.datatable_job_delay_s) == (9000, 0.5)
    assert config.datatable_max_page_size == 1000
    assert dict(config.datatable_seed_rows) == {CUSTOMERS: 5000}
    defaults = EmulatorConfig()
    assert (defaults.datatable_max_rows, defaults.datatable_max_page_size) == (5000, 500)


@pytest.mark.skipif(not is_platform(BASE), reason="errors.PLATFORM_PREFIXES lacks /api/v2/flows/")
def test_401_429_and_rate_headers_are_the_platform_ones(emulator_factory):
    emu = emulator_factory(**FAST, rate_limit_per_minute=2)
    anonymous = httpx.get(f"{emu.url}{BASE}")
    assert anonymous.status_code == 401
    assert {"message", "code", "status", "contextId"} <= set(anonymous.json())
    api = client(emu)
    served = api.get(BASE)
    assert "inin-ratelimit-allowed" in served.headers
    assert not [h for h in served.headers if h.lower().startswith("x-ratelimit")]
    api.get(BASE)
    refused = api.get(BASE)
    assert refused.status_code == 429 and refused.json()["code"] == "too.many.requests.retry.after"
