"""Platform rules reads (docs/api-contract.md "Rules: outbound rule sets and contact list
filters"): the seed under its fixed ids, pageNumber listings with `name` narrowing and a 100
cap, `expand=contract` on actions, 404 for unknown ids, the 403 naming the permission, the real
throttling headers and the platform `ErrorBody`."""

from __future__ import annotations

import httpx

from cx_assets_tests.emulator.genesys.conversations.platform_support import client, token
from cx_assets_tests.emulator.genesys.rules.platform_rules_support import (
    ACTIONS,
    AUDITS,
    COLLECTIONS,
    CONTACT_LISTS,
    FILTER,
    FILTERS,
    LOOKUP,
    RULE_SET,
    RULE_SETS,
    SPRING,
    read,
)


def test_seeded_contact_lists_page_and_narrow_by_name(emulator) -> None:
    api = client(emulator)
    listing = read(api, CONTACT_LISTS)
    assert [e["name"] for e in listing["entities"]] == ["Collections EU", "Spring renewals"]
    assert (listing["pageNumber"], listing["pageSize"], listing["total"]) == (1, 25, 2)
    one = read(api, f"{CONTACT_LISTS}?pageSize=1&pageNumber=2")
    assert [e["id"] for e in one["entities"]] == [SPRING] and "nextUri" not in one
    assert read(api, f"{CONTACT_LISTS}?name=spring")["entities"][0]["id"] == SPRING
    assert read(api, f"{CONTACT_LISTS}?name=renewals")["entities"] == []  # a prefix by default
    contains = read(api, f"{CONTACT_LISTS}?name=renewals&filterType=Contains")["entities"]
    assert [e["id"] for e in contains] == [SPRING]
    spring = read(api, f"{CONTACT_LISTS}/{SPRING}")
    assert spring["columnNames"][:3] == ["account_number", "first_name", "region"]
    assert {"columnName": "phone_cell", "type": "cell"} in spring["phoneColumns"]
    assert read(api, f"{CONTACT_LISTS}/{COLLECTIONS}")["columnNames"][-1] == "phone"
    assert api.get(f"{CONTACT_LISTS}?pageSize=101").status_code == 400
    missing = api.get(f"{CONTACT_LISTS}/nope")
    assert missing.status_code == 404 and missing.json()["message"]


def test_actions_carry_their_contract_only_under_expand(emulator) -> None:
    api = client(emulator)
    listing = read(api, f"{ACTIONS}?name=balance")
    assert [e["name"] for e in listing["entities"]] == ["Lookup account balance"]
    assert "contract" not in listing["entities"][0]
    assert "contract" not in read(api, f"{ACTIONS}/{LOOKUP}")
    action = read(api, f"{ACTIONS}/{LOOKUP}?expand=contract")
    inputs = action["contract"]["input"]["inputSchema"]["properties"]
    outputs = action["contract"]["output"]["successSchema"]["properties"]
    assert set(inputs) == {"accountNumber", "contactId"}
    assert outputs["paidLast30Days"] == {"type": "boolean"}
    assert outputs["lastContact"] == {"type": "string", "format": "date-time"}
    assert outputs["address"]["type"] == "object"
    assert api.get(f"{ACTIONS}/nope?expand=contract").status_code == 404


def test_seeded_rule_set_and_filter(emulator) -> None:
    api = client(emulator)
    [listed] = read(api, f"{RULE_SETS}?name=Spring renewals call")["entities"]
    rule_set = read(api, f"{RULE_SETS}/{RULE_SET}")
    assert listed == rule_set
    assert (rule_set["name"], rule_set["version"]) == ("Spring renewals call rules", 1)
    assert rule_set["contactList"]["id"] == SPRING
    [rule] = rule_set["rules"]
    assert (rule["name"], rule["order"], rule["category"]) == (
        "Skip accounts paid this month",
        0,
        "DIALER_PRECALL",
    )
    [condition] = rule["conditions"]
    assert condition["type"] == "dataActionCondition"
    assert condition["dataAction"]["id"] == LOOKUP
    [predicate] = condition["predicates"]
    assert (predicate["outputField"], predicate["outputOperator"]) == ("paidLast30Days", "EQUALS")
    assert predicate["comparisonValue"] == "true"
    assert rule["actions"] == [{"type": "Action", "actionTypeName": "DO_NOT_DIAL"}]
    contact_filter = read(api, f"{FILTERS}/{FILTER}")
    assert (contact_filter["name"], contact_filter["version"]) == (
        "Spring renewals EU in arrears",
        1,
    )
    [clause] = contact_filter["clauses"]
    assert contact_filter["filterType"] == "AND" and clause["filterType"] == "AND"
    [pred] = clause["predicates"]
    assert (pred["column"], pred["columnType"], pred["operator"], pred["value"]) == (
        "region",
        "alphabetic",
        "EQUALS",
        "EU",
    )
    assert read(api, f"{FILTERS}?name=Spring")["total"] == 1
    assert api.get(f"{RULE_SETS}/nope").status_code == 404
    assert api.get(f"{FILTERS}/nope").status_code == 404


CLIENTS = {"reader": "reader-secret", "nobody": "nobody-secret"}
PERMISSIONS = {"reader": ["outbound:ruleSet:view", "bridge:actions:view"], "nobody": []}


def assert_missing(response: httpx.Response, permission: str) -> None:
    assert response.status_code == 403, response.text
    body = response.json()
    assert body["code"] == "missing.any.permissions" and body["status"] == 403
    assert f"[{permission}]" in body["message"]


def test_403_names_the_permission(emulator_factory) -> None:
    emu = emulator_factory(clients=CLIENTS, client_permissions=PERMISSIONS)
    reader = client(emu, token(emu, "reader", CLIENTS["reader"]))
    nobody = client(emu, token(emu, "nobody", CLIENTS["nobody"]))
    assert reader.get(f"{RULE_SETS}/{RULE_SET}").status_code == 200
    assert reader.get(ACTIONS).status_code == 200  # bridge:actions:view is enough
    assert_missing(reader.put(f"{RULE_SETS}/{RULE_SET}", json={}), "outbound:ruleSet:edit")
    assert_missing(reader.post(RULE_SETS, json={}), "outbound:ruleSet:add")
    assert_missing(reader.get(FILTERS), "outbound:contactListFilter:view")
    assert_missing(reader.put(f"{FILTERS}/{FILTER}", json={}), "outbound:contactListFilter:edit")
    assert_missing(reader.post(FILTERS, json={}), "outbound:contactListFilter:add")
    assert_missing(nobody.get(f"{CONTACT_LISTS}/{SPRING}"), "outbound:contactList:view")
    assert_missing(nobody.get(f"{ACTIONS}/{LOOKUP}"), "integrations:action:view")
    query = {"interval": "2026-01-01T00:00:00Z/2026-02-01T00:00:00Z"}
    assert_missing(reader.post(AUDITS, json=query), "audits:audit:view")
    assert_missing(reader.get(f"{AUDITS}/some-id"), "audits:audit:view")
    assert_missing(reader.get(f"{AUDITS}/some-id/results"), "audits:audit:view")


def test_throttling_headers_and_revoked_tokens_on_outbound_paths(emulator_factory) -> None:
    emu = emulator_factory(rate_limit_per_minute=2)
    api = client(emu)
    ok = api.get(RULE_SETS)
    assert ok.headers["inin-ratelimit-count"] == "1"
    assert ok.headers["inin-ratelimit-allowed"] == "2"
    assert not any(name.lower().startswith("x-ratelimit") for name in ok.headers)
    api.get(FILTERS)
    over = api.get(CONTACT_LISTS)
    assert over.status_code == 429 and over.json()["code"] == "too.many.requests.retry.after"
    emu.add_faults({"kind": "revoke_tokens"})
    revoked = api.get(RULE_SETS)
    assert revoked.status_code == 401 and revoked.json()["status"] == 401


def test_injected_faults_answer_platform_bodies(emulator) -> None:
    api = client(emulator)
    emulator.add_faults("http_429:retry_after=3,path_prefix=/api/v2/outbound/rulesets")
    throttled = api.get(RULE_SETS)
    assert (throttled.status_code, throttled.headers["retry-after"]) == (429, "3")
    assert throttled.json()["code"] == "too.many.requests.retry.after"
    emulator.add_faults("http_5xx:count=1,status=503,path_prefix=/api/v2/integrations")
    failed = api.get(ACTIONS)
    assert failed.status_code == 503 and "contextId" in failed.json()
    assert api.get(ACTIONS).status_code == 200
