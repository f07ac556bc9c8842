"""The independent tutorial data actions server keeps the contract (docs/api-contract.md "## Data
actions, datasets, webhooks, audits", "OAuth", "Rate limits", "Errors") under every quirk and
under none: plain httpx over loopback, the admin surface driven from Python."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from cx_assets_tests.independent.tutorial_data_actions_server import (
    DataActionsServer,
    Quirks,
    RunningDataActions,
    serve_data_actions,
)
from cx_assets_tests.independent.tutorial_data_actions_tree import cmp, node

ACTIONS, AUDITS = "/api/v2/dataactions", "/api/v2/audits/query"
WEBHOOKS = "/api/v2/platform/webhooks"
ROUTE_VIP = node(
    "AND",
    cmp("EQUALS", "customers", "status", "active"),
    cmp("GREATER_THAN", "customers", "priority", 5),
)


@pytest.fixture
def obvious() -> Iterator[RunningDataActions]:
    with serve_data_actions(DataActionsServer(Quirks.obvious())) as running:
        yield running


@pytest.fixture
def quirky(independent_data_actions: RunningDataActions) -> RunningDataActions:
    return independent_data_actions


def token(running: RunningDataActions, scope: str | None = None) -> httpx.Response:
    form = {"grant_type": "client_credentials"} | ({"scope": scope} if scope else {})
    return httpx.post(
        f"{running.url}/oauth/token", data=form, auth=(running.client_id, running.client_secret)
    )


def api(running: RunningDataActions, scope: str | None = None) -> httpx.Client:
    answer = token(running, scope)
    assert answer.status_code == 200, answer.text
    bearer = {"Authorization": f"Bearer {answer.json()['access_token']}"}
    return httpx.Client(base_url=running.url, headers=bearer)


def put(client: httpx.Client, action_id: str, body: Any, if_match: str | None) -> httpx.Response:
    headers = {"If-Match": if_match} if if_match is not None else {}
    return client.put(f"{ACTIONS}/{action_id}", json=body, headers=headers)


def root(action: dict[str, Any]) -> dict[str, Any]:
    conditions = action["conditions"]
    return conditions[0] if isinstance(conditions, list) else conditions


def deep(depth: int) -> dict[str, Any]:
    tree = cmp("EQUALS", "customers", "vip", True)
    for _ in range(depth - 1):
        tree = node("NOT", tree)
    return tree


# ---- OAuth, scopes, rate limits, faults -------------------------------------------------------
def test_token_grants_scopes_and_refuses_bad_requests(obvious: RunningDataActions) -> None:
    granted = token(obvious).json()
    assert granted["token_type"] == "bearer" and granted["expires_in"] == 3600
    assert set(granted["scope"].split()) == set(obvious.scopes.split())
    assert token(obvious, "audit:read").json()["scope"] == "audit:read"
    by_form = httpx.post(
        f"{obvious.url}/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": obvious.client_id,
            "client_secret": obvious.client_secret,
        },
    )
    assert by_form.status_code == 200
    wrong = httpx.post(f"{obvious.url}/oauth/token", data={"grant_type": "client_credentials"})
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    other = httpx.post(
        f"{obvious.url}/oauth/token",
        data={"grant_type": "password"},
        auth=(obvious.client_id, obvious.client_secret),
    )
    assert other.json()["error"] == "unsupported_grant_type"
    obvious.server.lack("audit:read")
    refused = token(obvious, "audit:read data:actions:read")
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_scope"
    assert "x-ratelimit-remaining" not in refused.headers


def test_missing_scope_is_a_403_naming_it(quirky: RunningDataActions) -> None:
    reader = api(quirky, "data:actions:read")
    listed = reader.get(ACTIONS)
    assert listed.status_code == 200
    assert listed.headers["inin-ratelimit-allowed"] == "300"
    assert {"x-ratelimit-remaining", "x-ratelimit-reset", "inin-ratelimit-count"} <= set(
        listed.headers
    )
    denied = put(reader, "route-vip", {"conditions": ROUTE_VIP}, '"1"')
    assert denied.status_code == 403 and "data:actions:write" in denied.json()["message"]
    full = api(quirky)
    quirky.server.lack("audit:read")
    lost = full.post(AUDITS, json={"query": {}})
    assert lost.status_code == 403 and "audit:read" in lost.json()["message"]
    quirky.server.lack()
    assert full.post(AUDITS, json={"query": {}}).status_code == 200
    assert httpx.get(f"{quirky.url}{ACTIONS}").status_code == 401
    quirky.server.expire_tokens()
    assert full.get(ACTIONS).status_code == 401


@pytest.mark.parametrize("dated", [False, True])
def test_faults_and_budget(dated: bool) -> None:
    quirks = Quirks.only("retry_after_date") if dated else Quirks.obvious()
    with serve_data_actions(DataActionsServer(quirks)) as running:
        client, server = api(running), running.server
        server.add_fault("http_429", path_contains="/dataactions", retry_after=2)
        throttled = client.get(ACTIONS)
        assert throttled.status_code == 429
        retry_after = throttled.headers["retry-after"]
        assert retry_after.endswith("GMT") if dated else retry_after == "2"
        server.add_fault("http_5xx", status=502, method="PUT")
        assert client.get(ACTIONS).status_code == 200
        assert put(client, "route-vip", {"conditions": ROUTE_VIP}, '"1"').status_code == 502
        server.auth.budget = 2
        statuses = [client.get(ACTIONS).status_code for _ in range(3)]
        assert statuses[-1] == 429


# ---- datasets and seeded actions --------------------------------------------------------------
def test_datasets_obvious_and_quirky(obvious: RunningDataActions, quirky: RunningDataActions):
    plain, odd = api(obvious), api(quirky)
    ids = [d["id"] for d in plain.get("/api/v2/datasets").json()["entities"]]
    assert ids == ["customers", "orders", "interactions", "segments_a", "segments_b"]
    customers = plain.get("/api/v2/datasets/customers").json()
    assert customers["derivedFrom"] == []
    assert {f["id"]: f["type"] for f in customers["fields"]}["vip"] == "boolean"
    assert next(f for f in customers["fields"] if f["id"] == "vip")["name"] == "VIP"
    assert plain.get("/api/v2/datasets/interactions").json()["derivedFrom"] == [
        "customers",
        "orders",
    ]
    odd_customers = odd.get("/api/v2/datasets/customers").json()
    assert "derivedFrom" not in odd_customers
    assert {f["type"] for f in odd_customers["fields"]} == {"STRING", "NUMBER", "BOOLEAN", "DATE"}
    assert odd.get("/api/v2/datasets/segments_b").json()["derivedFrom"] == ["segments_a"]
    assert plain.get("/api/v2/datasets/nope").status_code == 404
    assert "total" in odd.get("/api/v2/datasets").json()


def test_seeded_actions_obvious(obvious: RunningDataActions) -> None:
    client = api(obvious)
    listed = client.get(ACTIONS).json()
    assert listed == {
        "entities": [
            {"id": "route-vip", "name": "Route VIP customers", "version": 1},
            {"id": "priority-orders", "name": "Prioritise high-value orders", "version": 1},
            {
                "id": "recent-interactions",
                "name": "Call back recent abandoned interactions",
                "version": 1,
            },
        ]
    }
    one = client.get(f"{ACTIONS}/route-vip")
    assert one.headers["etag"] == '"1"'
    assert one.json() == {
        "id": "route-vip",
        "name": "Route VIP customers",
        "conditions": ROUTE_VIP,
        "version": 1,
    }
    orders = client.get(f"{ACTIONS}/priority-orders").json()["conditions"]
    assert orders["children"][0]["children"][1]["expression"] == ["gold", "platinum"]
    assert orders["children"][1]["type"] == "NOT"
    assert client.get(f"{ACTIONS}/nope").status_code == 404


def test_seeded_actions_quirky(quirky: RunningDataActions) -> None:
    one = api(quirky).get(f"{ACTIONS}/route-vip")
    body, etag = one.json(), one.headers["etag"]
    assert etag.startswith('W/"') and etag != 'W/"1"' and body["etag"] == etag
    assert isinstance(body["conditions"], list) and body["version"] == 1
    first, second = root(body)["children"]
    assert list(first) == ["children", "expression", "value", "type"] and first["children"] == []
    assert second["expression"] == "5"
    assert root(body)["value"] is None and "dateModified" in body


# ---- PUT: locking ---------------------------------------------------------------------------
@pytest.mark.parametrize("quirks", [Quirks(), Quirks.obvious()], ids=["quirky", "obvious"])
def test_put_what_was_read_then_a_change(quirks: Quirks) -> None:
    with serve_data_actions(DataActionsServer(quirks)) as running:
        client = api(running)
        read = client.get(f"{ACTIONS}/priority-orders")
        same = put(client, "priority-orders", read.json(), read.headers["etag"])
        assert same.status_code == 200 and same.json()["version"] == 1
        assert same.headers["etag"] == read.headers["etag"]
        changed = copy.deepcopy(ROUTE_VIP)
        changed["children"].append(cmp("EQUALS", "customers", "status", "active"))
        landed = put(client, "priority-orders", {"conditions": changed}, read.headers["etag"])
        assert landed.status_code == 200, landed.text
        assert landed.json()["version"] == 2 and landed.headers["etag"] != read.headers["etag"]
        again = client.get(f"{ACTIONS}/priority-orders")
        assert again.headers["etag"] == landed.headers["etag"]
        if not quirks.conditions_list:
            assert again.json()["conditions"] == changed
        assert [p.status for p in running.server.puts] == [200, 200]


def test_put_without_or_with_a_stale_if_match(quirky: RunningDataActions) -> None:
    client = api(quirky)
    etag = client.get(f"{ACTIONS}/route-vip").headers["etag"]
    assert put(client, "route-vip", {"conditions": ROUTE_VIP}, None).status_code == 428
    assert put(client, "route-vip", {"conditions": ROUTE_VIP}, "*").status_code == 428
    hand_made = put(client, "route-vip", {"conditions": ROUTE_VIP}, '"1"')
    assert hand_made.status_code == 409 and "version 1" in hand_made.json()["message"]
    strong = etag.removeprefix("W/")
    assert put(client, "route-vip", {"conditions": ROUTE_VIP}, strong).status_code == 200
    stale = put(client, "route-vip", {"conditions": deep(2)}, etag)
    assert stale.status_code == 409 and "version 2" in stale.json()["message"]
    assert stale.headers["etag"] == client.get(f"{ACTIONS}/route-vip").headers["etag"]
    assert put(client, "nope", {"conditions": ROUTE_VIP}, etag).status_code == 404
    assert put(client, "route-vip", {"conditions": ROUTE_VIP, "x": 1}, etag).status_code == 400
    assert put(client, "route-vip", {"name": "n"}, etag).status_code == 400
    assert put(client, "route-vip", [ROUTE_VIP], etag).status_code == 400


# ---- PUT: tree rules -------------------------------------------------------------------------
BAD = {
    "depth": (deep(11), "conditions" + ".children[0]" * 10, "depth 11"),
    "children": (node("OR", *[deep(1)] * 6), "conditions", "more than the maximum of 5"),
    "not": (node("NOT", deep(1), deep(1)), "conditions", "exactly one child"),
    "operator": (node("AND", {"type": "LIKE"}), "conditions.children[0]", "unknown operator"),
    "dataset": (cmp("EQUALS", "nope", "x", 1), "conditions", "unknown dataset 'nope'"),
    "field": (cmp("EQUALS", "orders", "vip", True), "conditions", "unknown field 'vip'"),
    "literal": (cmp("GREATER_THAN", "orders", "amount", "lots"), "conditions", "does not fit"),
    "bool-number": (cmp("EQUALS", "customers", "priority", True), "conditions", "does not fit"),
    "date": (cmp("EQUALS", "orders", "placed", "2024-13-01"), "conditions", "does not fit"),
    "in-empty": (cmp("IN", "customers", "tier", []), "conditions", "non-empty list"),
    "null": (cmp("EQUALS", "customers", "tier", None), "conditions", "does not fit"),
    "cycle": (
        node("AND", deep(1), deep(1), cmp("EQUALS", "segments_a", "score", 1)),
        "conditions.children[2]",
        "dataset segments_a depends on a dataset dependency cycle: "
        "segments_a -> segments_b -> segments_a",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_tree_rules_are_422_naming_path_and_rule(obvious: RunningDataActions, case: str) -> None:
    conditions, path, rule = BAD[case]
    answer = put(api(obvious), "route-vip", {"conditions": conditions}, '"1"')
    assert answer.status_code == 422, answer.text
    message = answer.json()["message"]
    assert message.startswith(f"{path}: ") and rule in message, message
    assert obvious.server.audits[-1]["status"] == "FAILURE"


def test_tree_rules_legal_trees_and_quirky_paths(
    obvious: RunningDataActions, quirky: RunningDataActions
) -> None:
    twice = node("AND", deep(9), cmp("IN", "customers", "tier", ["gold"]), deep(1))
    client = api(obvious)
    assert put(client, "route-vip", {"conditions": twice}, '"1"').status_code == 200
    interactions = client.get(f"{ACTIONS}/recent-interactions").json()
    assert put(client, "recent-interactions", interactions, '"1"').status_code == 200
    both = node("AND", {"type": "LIKE"}, cmp("EQUALS", "nope", "x", 1))
    joined = put(client, "route-vip", {"conditions": both}, '"2"').json()["message"]
    assert joined.count("; ") == 1 and "conditions.children[1]: unknown dataset" in joined
    odd = api(quirky)
    etag = odd.get(f"{ACTIONS}/route-vip").headers["etag"]
    first = put(odd, "route-vip", {"conditions": [both]}, etag).json()
    assert first["message"] == "conditions[0].children[0]: unknown operator 'LIKE'"
    assert len(first["details"]) == 2
    stale_and_bad = put(odd, "route-vip", {"conditions": both}, '"0"')
    assert stale_and_bad.status_code == 422
    number_text = put(odd, "route-vip", {"conditions": ROUTE_VIP}, etag)
    assert (
        number_text.status_code == 200
        and root(number_text.json())["children"][1]["expression"] == 5
    )


# ---- admin edits ---------------------------------------------------------------------------------
def test_edits_out_of_band_and_between_get_and_put(obvious: RunningDataActions) -> None:
    client, server = api(obvious), obvious.server
    edited = server.edit("route-vip", actor="dana")
    assert edited["version"] == 2 and edited["conditions"]["children"][0]["expression"] != "active"
    assert server.audits[-1]["actorId"] == "dana"
    read = client.get(f"{ACTIONS}/route-vip")
    server.edit_before_next_put("route-vip")
    conflict = put(client, "route-vip", read.json(), read.headers["etag"])
    assert conflict.status_code == 409 and "version 3" in conflict.json()["message"]
    now = client.get(f"{ACTIONS}/route-vip").json()
    assert now["conditions"] != read.json()["conditions"] and now["name"] == read.json()["name"]
    server.edit_before_next_put("route-vip", rename=True)
    renamed = put(client, "route-vip", now, '"3"')
    assert renamed.status_code == 409
    after = client.get(f"{ACTIONS}/route-vip").json()
    assert after["name"] == "Route VIP customers (edited)"
    assert after["conditions"] == now["conditions"]
    assert [p.status for p in server.puts] == [409, 409]
    with pytest.raises(ValueError, match="invalid tree"):
        server.edit("route-vip", conditions=deep(12))


# ---- audits -------------------------------------------------------------------------------------
def test_audit_query(obvious: RunningDataActions, quirky: RunningDataActions) -> None:
    client = api(obvious)
    assert put(client, "route-vip", {"conditions": deep(1)}, '"1"').status_code == 200
    assert put(client, "route-vip", {"conditions": deep(2)}, '"1"').status_code == 409
    found = client.post(AUDITS, json={"query": {"entityId": "route-vip"}, "size": 5}).json()
    records = found["entities"]
    assert [(r["status"], r["version"]) for r in records] == [("FAILURE", 2), ("SUCCESS", 2)]
    assert set(records[0]) == {
        "timestamp",
        "actorId",
        "operation",
        "status",
        "entityId",
        "eventType",
        "version",
    }
    assert records[0]["timestamp"].endswith("Z") and records[0]["operation"] == "UPDATE"
    one = client.post(AUDITS, json={"query": {}, "size": 1}).json()["entities"]
    assert one == records[:1]
    for bad, word in (
        ({"query": {}, "size": 0}, "size"),
        ({"query": {}, "size": 101}, "size"),
        ({"query": {}, "sort": "asc"}, "sort"),
        ({"query": {"actorId": "x"}}, "query.actorId"),
    ):
        refused = client.post(AUDITS, json=bad)
        assert refused.status_code == 400 and word in refused.json()["message"]
    odd = api(quirky)
    odd.get(f"{ACTIONS}/route-vip")
    mixed = odd.post(AUDITS, json={"query": {"entityId": "route-vip"}}).json()
    assert mixed["entities"][0]["operation"] == "READ" and "total" in mixed
    updates = odd.post(AUDITS, json={"query": {"eventType": "data.action.updated"}}).json()
    assert updates["entities"] == []


# ---- webhooks -------------------------------------------------------------------------------
class Receiver(BaseHTTPRequestHandler):
    got: list[tuple[dict[str, str], bytes]] = []

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers["Content-Length"]))
        Receiver.got.append((dict(self.headers), raw))
        self.send_response(500 if len(Receiver.got) == 1 else 204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def test_webhooks(obvious: RunningDataActions, quirky: RunningDataActions) -> None:
    receiver = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    Receiver.got = []
    url = f"http://127.0.0.1:{receiver.server_address[1]}/in"
    try:
        client = api(obvious)
        body = {
            "name": "cx-assets data actions",
            "enabled": True,
            "events": [{"eventType": "data.action.updated"}],
            "target": {"url": url, "headers": {"X-Token": "abc"}},
            "secret": "shared-secret-1",
        }
        created = client.post(WEBHOOKS, json=body)
        assert created.status_code == 201 and created.json()["secret"] == "shared-secret-1"
        listed = client.get(WEBHOOKS).json()["entities"]
        assert [h["target"]["headers"] for h in listed] == [{"X-Token": "****"}]
        assert "secret" not in listed[0] and listed[0]["createdAt"].endswith("Z")
        assert put(client, "route-vip", {"conditions": deep(1)}, '"1"').status_code == 200
        deadline = time.monotonic() + 5
        while len(Receiver.got) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        headers, raw = Receiver.got[-1]
        t, v1 = (part.split("=", 1)[1] for part in headers["X-Genesys-Signature"].split(","))
        mac = hmac.new(b"shared-secret-1", f"{t}.".encode() + raw, hashlib.sha256).hexdigest()
        assert v1 == mac and headers["X-Token"] == "abc"
        assert json.loads(raw) | {"timestamp": ""} == {
            "eventType": "data.action.updated",
            "actionId": "route-vip",
            "version": 2,
            "actorId": obvious.client_id,
            "timestamp": "",
        }
        assert [d.delivered for d in obvious.server.deliveries] == [False, True]
        bad_event = body | {"events": [{"eventType": "data.action.updated"}, {"eventType": "x"}]}
        refused = client.post(WEBHOOKS, json=bad_event)
        assert refused.status_code == 400 and "events[1].eventType" in refused.json()["message"]
        assert client.post(WEBHOOKS, json=body | {"secret": "short"}).status_code == 400
        hook_id = created.json()["id"]
        assert client.delete(f"{WEBHOOKS}/{hook_id}").status_code == 204
        assert client.delete(f"{WEBHOOKS}/{hook_id}").status_code == 404
    finally:
        receiver.shutdown()
    odd = api(quirky)
    names = [h["name"] for h in odd.get(WEBHOOKS).json()["entities"]]
    assert names == ["cx-assets data actions (old)", "CX-Assets Data Actions"]
    made = odd.post(WEBHOOKS, json=body | {"secret": None})
    assert made.status_code == 200 and len(made.json()["secret"]) >= 8


def test_quirk_switches() -> None:
    assert not any(vars(Quirks.obvious()).values()) and all(vars(Quirks()).values())
    assert [k for k, v in vars(Quirks.only("etag_weak")).items() if v] == ["etag_weak"]
    with pytest.raises(ValueError, match="nope"):
        Quirks.only("nope")
    server = DataActionsServer(Quirks.obvious())
    server.quirks = Quirks.only("etag_weak")
    assert server.etag("route-vip") == 'W/"1"' and server.auth.quirks.etag_weak
    server.close()
