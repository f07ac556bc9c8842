"""Datasets and data actions as read: the seeded datasets with typed fields and `derivedFrom`
edges (including the deliberate `segments_a` <-> `segments_b` cycle), the seeded actions with
their condition trees, `ETag: "<version>"` on one action, 404 for unknown ids, and the scopes
each route needs."""

from __future__ import annotations

from typing import Any

import httpx

from cx_assets.emulator import EmulatorServer
from cx_assets_tests.emulator.support import api_client, get_token

ACTIONS = "/api/v2/dataactions"
DATASETS = "/api/v2/datasets"
SEEDED_ACTIONS = {"route-vip", "priority-orders", "recent-interactions"}


def cmp(op: str, dataset: str, field: str, literal: Any) -> dict[str, Any]:
    """A comparison node in the contract's shape (written here, not imported from the seed)."""
    value = {"type": "DATASET", "datasetId": dataset, "fieldId": field}
    return {"type": op, "value": value, "expression": literal}


def read_action(client: httpx.Client, action_id: str) -> tuple[dict[str, Any], str]:
    response = client.get(f"{ACTIONS}/{action_id}")
    assert response.status_code == 200, response.text
    return response.json(), response.headers["ETag"]


def test_datasets_list_fields_and_derived_from(emulator: EmulatorServer) -> None:
    client = api_client(emulator)
    listed = client.get(DATASETS).json()["entities"]
    assert {d["id"] for d in listed} == {
        "customers",
        "orders",
        "interactions",
        "segments_a",
        "segments_b",
    }
    customers = client.get(f"{DATASETS}/customers").json()
    types = {f["id"]: f["type"] for f in customers["fields"]}
    assert types == {
        "status": "string",
        "priority": "number",
        "tier": "string",
        "vip": "boolean",
        "created": "date",
    }
    assert customers["derivedFrom"] == []
    assert client.get(f"{DATASETS}/interactions").json()["derivedFrom"] == ["customers", "orders"]
    assert client.get(f"{DATASETS}/segments_a").json()["derivedFrom"] == ["segments_b"]
    assert client.get(f"{DATASETS}/segments_b").json()["derivedFrom"] == ["segments_a"]
    missing = client.get(f"{DATASETS}/nope")
    assert missing.status_code == 404
    assert "nope" in missing.json()["message"]


def test_actions_list_and_one_action_carries_its_etag(emulator: EmulatorServer) -> None:
    client = api_client(emulator)
    listed = client.get(ACTIONS).json()["entities"]
    assert {a["id"] for a in listed} == SEEDED_ACTIONS
    assert all(a["version"] == 1 and a["name"] for a in listed)
    action, tag = read_action(client, "route-vip")
    assert tag == '"1"'
    assert action == {
        "id": "route-vip",
        "name": "Route VIP customers",
        "version": 1,
        "conditions": {
            "type": "AND",
            "children": [
                cmp("EQUALS", "customers", "status", "active"),
                cmp("GREATER_THAN", "customers", "priority", 5),
            ],
        },
    }
    missing = client.get(f"{ACTIONS}/no-such-action")
    assert missing.status_code == 404
    assert "no-such-action" in missing.json()["message"]


def test_each_route_names_the_scope_it_needs(emulator: EmulatorServer) -> None:
    client = api_client(emulator, get_token(emulator, scope="audit:read"))
    denied = client.get(f"{ACTIONS}/route-vip")
    assert denied.status_code == 403
    assert "data:actions:read" in denied.json()["message"]
    put = client.put(f"{ACTIONS}/route-vip", json={"conditions": {}}, headers={"If-Match": '"1"'})
    assert "data:actions:write" in put.json()["message"]
    hook = client.post("/api/v2/platform/webhooks", json={})
    assert "platform:webhooks:write" in hook.json()["message"]
    assert client.post("/api/v2/audits/query", json={}).status_code == 200
    reader = api_client(emulator, get_token(emulator, scope="data:actions:read"))
    assert "audit:read" in reader.post("/api/v2/audits/query", json={}).json()["message"]
