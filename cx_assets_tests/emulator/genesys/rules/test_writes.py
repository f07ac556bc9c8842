"""`PUT /api/v2/dataactions/{id}` with If-Match: 200 raises the version and the ETag and is
audited SUCCESS; a stale If-Match is 409 naming the current version (audited FAILURE); none is
428; a PUT that changes nothing keeps the version; `concurrent_edit` makes `other-admin` edit
first so a fresh If-Match turns stale; every PUT shows in `/admin/stats`; state survives a
restart; the audit query filters, orders newest first and bounds `size`."""

from __future__ import annotations

from typing import Any

import httpx

from cx_assets.emulator import EmulatorServer
from cx_assets_tests.emulator.genesys.rules.test_reads import ACTIONS, cmp, read_action
from cx_assets_tests.emulator.support import api_client

AUDITS = "/api/v2/audits/query"
NEW_TREE = {
    "type": "AND",
    "children": [
        cmp("EQUALS", "customers", "status", "active"),
        cmp("GREATER_THAN", "customers", "priority", 7),
    ],
}


def put(client: httpx.Client, action_id: str, body: Any, if_match: str | None) -> httpx.Response:
    headers = {"If-Match": if_match} if if_match is not None else {}
    return client.put(f"{ACTIONS}/{action_id}", json=body, headers=headers)


def audits(client: httpx.Client, **query: Any) -> list[dict[str, Any]]:
    size = query.pop("size", None)
    body: dict[str, Any] = {"query": query}
    if size is not None:
        body["size"] = size
    response = client.post(AUDITS, json=body)
    assert response.status_code == 200, response.text
    return response.json()["entities"]


def test_put_raises_version_and_etag_and_is_audited(emulator: EmulatorServer) -> None:
    client = api_client(emulator)
    _, tag = read_action(client, "route-vip")
    response = put(client, "route-vip", {"conditions": NEW_TREE, "name": "VIP, stricter"}, tag)
    assert response.status_code == 200, response.text
    assert response.headers["ETag"] == '"2"'
    assert response.json()["version"] == 2
    action, tag = read_action(client, "route-vip")
    assert (action["conditions"], action["name"], tag) == (NEW_TREE, "VIP, stricter", '"2"')
    [record] = audits(client, entityId="route-vip")
    assert record["status"] == "SUCCESS"
    assert record["actorId"] == emulator.client_id
    assert (record["operation"], record["eventType"], record["version"]) == (
        "UPDATE",
        "data.action.updated",
        2,
    )
    assert emulator.stats()["data_action_puts"] == [{"actionId": "route-vip", "status": 200}]


def test_stale_if_match_is_409_naming_the_current_version(emulator: EmulatorServer) -> None:
    client = api_client(emulator)
    assert put(client, "route-vip", {"conditions": NEW_TREE}, '"1"').status_code == 200
    stale = put(client, "route-vip", {"conditions": NEW_TREE}, '"1"')
    assert stale.status_code == 409
    assert "version 2" in stale.json()["message"]
    assert [r["status"] for r in audits(client, entityId="route-vip")] == ["FAILURE", "SUCCESS"]
    assert read_action(client, "route-vip")[0]["version"] == 2


def test_missing_if_match_is_428_and_changes_nothing(emulator: EmulatorServer) -> None:
    client = api_client(emulator)
    response = put(client, "route-vip", {"conditions": NEW_TREE}, None)
    assert response.status_code == 428
    assert "If-Match" in response.json()["message"]
    action, tag = read_action(client, "route-vip")
    assert (action["version"], tag) == (1, '"1"')
    assert action["conditions"] != NEW_TREE


def test_a_put_that_changes_nothing_keeps_the_version(emulator: EmulatorServer) -> None:
    client = api_client(emulator)
    action, tag = read_action(client, "priority-orders")
    # the same tree as read, sent back with the fields a client may echo
    response = put(client, "priority-orders", action, tag)
    assert response.status_code == 200, response.text
    assert response.headers["ETag"] == '"1"'
    assert read_action(client, "priority-orders")[0]["version"] == 1
    assert audits(client, entityId="priority-orders") == []


def test_concurrent_edit_makes_a_fresh_if_match_stale(emulator: EmulatorServer) -> None:
    client = api_client(emulator)
    original, tag = read_action(client, "route-vip")
    emulator.add_faults({"kind": "concurrent_edit", "path_prefix": f"{ACTIONS}/route-vip"})
    conflict = put(client, "route-vip", {"conditions": NEW_TREE}, tag)
    assert conflict.status_code == 409
    assert "version 2" in conflict.json()["message"]
    edited, tag = read_action(client, "route-vip")
    assert edited["version"] == 2
    assert edited["conditions"] not in (original["conditions"], NEW_TREE)
    history = audits(client, entityId="route-vip")
    assert [(r["actorId"], r["status"]) for r in history] == [
        (emulator.client_id, "FAILURE"),
        ("other-admin", "SUCCESS"),
    ]
    # the client's retry with the fresh ETag wins
    assert put(client, "route-vip", {"conditions": NEW_TREE}, tag).status_code == 200
    assert read_action(client, "route-vip")[0]["conditions"] == NEW_TREE


def test_state_survives_a_restart(emulator: EmulatorServer) -> None:
    client = api_client(emulator)
    assert put(client, "route-vip", {"conditions": NEW_TREE}, '"1"').status_code == 200
    emulator.restart()
    client = api_client(emulator)  # tokens are in memory: a new one after the restart
    action, tag = read_action(client, "route-vip")
    assert (action["conditions"], tag) == (NEW_TREE, '"2"')
    assert [r["version"] for r in audits(client, entityId="route-vip")] == [2]


def test_audit_query_filters_orders_and_bounds_size(emulator: EmulatorServer) -> None:
    client = api_client(emulator)
    assert put(client, "route-vip", {"conditions": NEW_TREE}, '"1"').status_code == 200
    assert put(client, "route-vip", {"conditions": NEW_TREE, "name": "x"}, '"2"').status_code == 200
    tree = read_action(client, "priority-orders")[0]["conditions"]
    assert (
        put(client, "priority-orders", {"conditions": tree, "name": "y"}, '"1"').status_code == 200
    )
    everything = audits(client)
    assert [(r["entityId"], r["version"]) for r in everything] == [
        ("priority-orders", 2),
        ("route-vip", 3),
        ("route-vip", 2),
    ]
    assert len(audits(client, entityId="route-vip", size=1)) == 1
    assert audits(client, eventType="other.event") == []
    too_big = client.post(AUDITS, json={"query": {}, "size": 101})
    assert too_big.status_code == 400
    assert "size" in too_big.json()["message"] and "100" in too_big.json()["message"]
