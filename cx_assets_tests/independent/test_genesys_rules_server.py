"""The independent rules server keeps the contract text (plain httpx over loopback).

Seeds, listings, contracts, rule set and filter reads and writes with version locking, body
refusals, the admin-UI edit (out of band and between a GET and a PUT), the audit trail and its
asynchronous query, permissions, shared faults; with the quirks off, one at a time, and all on.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from cx_assets_tests.independent import genesys_rules_seed as seed
from cx_assets_tests.independent.genesys_rules_check import ENUMS
from cx_assets_tests.independent.genesys_rules_reads import (
    ACTION_VIEW,
    AUDIT_VIEW,
    BRIDGE_VIEW,
    CLF_ADD,
    CLF_EDIT,
    CLF_VIEW,
    LIST_VIEW,
    RS_ADD,
    RS_EDIT,
    RS_VIEW,
)
from cx_assets_tests.independent.genesys_rules_server import (
    Quirks,
    RulesServer,
    RunningServer,
    serve_rules,
)

pytestmark = pytest.mark.integration
Json = dict[str, Any]
RULESETS, FILTERS = "/api/v2/outbound/rulesets", "/api/v2/outbound/contactlistfilters"
LISTS, ACTIONS, AUDITS = (
    "/api/v2/outbound/contactlists",
    "/api/v2/integrations/actions",
    ("/api/v2/audits/query"),
)
RS_URL, FILTER_URL = f"{RULESETS}/{seed.RULE_SET}", f"{FILTERS}/{seed.FILTER}"
ISO_MS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
ISO_S = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
SERVER_FILLED = {"id", "version", "dateCreated", "dateModified", "selfUri"}


@dataclass
class Api:
    running: RunningServer
    http: httpx.Client

    @property
    def server(self) -> RulesServer:
        server: RulesServer = self.running.server  # type: ignore[assignment]
        return server

    def get(self, path: str, **params: Any) -> Json:
        answer = self.http.get(path, params=params)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def writable(self, path: str) -> Json:
        """The entity as read, canonical (enum case as written), ready to PUT back."""
        return writable(self.get(path))

    def audit(self, entity_id: str, expand: bool = False, size: int = 25) -> list[Json]:
        """Query, poll until Succeeded, read every page: what a client sees."""
        query = {"interval": interval(), "serviceName": "Outbound"}
        query |= {"filters": [{"property": "EntityId", "value": entity_id}]}
        query |= {"sort": [{"name": "Timestamp", "sortOrder": "descending"}]}
        created = self.http.post(AUDITS, json=query)
        assert created.status_code == 200, created.text
        qid, state, polls = created.json()["id"], created.json()["state"], 0
        while state not in ("Succeeded", "Failed"):
            state = self.get(f"{AUDITS}/{qid}")["state"]
            polls += 1
            assert polls < 10
        assert state == "Succeeded"
        entries, cursor = [], None
        while True:
            params: Json = {"pageSize": size} | ({"cursor": cursor} if cursor else {})
            params |= {"expand": "user"} if expand else {}
            page = self.get(f"{AUDITS}/{qid}/results", **params)
            entries += page["entities"]
            if not (cursor := page.get("cursor")):
                return entries


Start = Callable[..., Api]


@pytest.fixture
def start() -> Iterator[Start]:
    """`start(quirks)`: a fresh server (default: every quirk off) and a client with a token."""
    with contextlib.ExitStack() as stack:

        def begin(quirks: Quirks | None = None) -> Api:
            running = stack.enter_context(serve_rules(RulesServer(quirks or Quirks.obvious())))
            http = stack.enter_context(httpx.Client(base_url=running.url, timeout=10))
            http.headers["Authorization"] = f"Bearer {token(running)}"
            return Api(running, http)

        yield begin


def token(running: RunningServer) -> str:
    pair = base64.b64encode(f"{running.client_id}:{running.client_secret}".encode()).decode()
    answer = httpx.post(
        f"{running.url}/oauth/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {pair}"},
    )
    return str(answer.raise_for_status().json()["access_token"])


def interval(days: int = 30) -> str:
    now = datetime.now(UTC)
    fmt = "%Y-%m-%dT%H:%M:%S.000Z"
    return (
        f"{(now - timedelta(days=days)).strftime(fmt)}/{(now + timedelta(hours=1)).strftime(fmt)}"
    )


ENUM_VALUES = {v.casefold(): v for values in ENUMS.values() for v in values}


def canonical(value: Any) -> Any:
    """What a contract-following writer sends: every enum value back in the case written."""
    if isinstance(value, dict):
        return {k: canonical(v) for k, v in value.items()}
    if isinstance(value, list):
        return [canonical(v) for v in value]
    if isinstance(value, str) and value.casefold() in ENUM_VALUES:
        return ENUM_VALUES[value.casefold()]
    return value


def writable(read: Json) -> Json:
    """`read` as a contract-following writer sends it: enums re-cased, predicates whole."""
    body = canonical(read)
    for rule in body.get("rules", []):
        for cond in rule.get("conditions", []):
            for pred in cond.get("predicates", []):
                pred.setdefault("inverted", False)
    return body


def keys_anywhere(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value).union(*(keys_anywhere(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(keys_anywhere(v) for v in value))
    return set()


def two_rules() -> Json:
    """A second rule (order 1) on top of the seed's, both valid."""
    rule = {"name": "Skip EU opt-outs", "order": 1, "category": "DIALER_WRAPUP"}
    rule["conditions"] = [
        {
            "type": "contactAttributeCondition",
            "attributeName": "opt_in",
            "operator": "EQUALS",
            "value": "false",
            "valueType": "STRING",
        }
    ]
    rule["actions"] = [{"type": "Action", "actionTypeName": "CONTACT_UNCALLABLE"}]
    return rule


# ---- seeds, contact lists, actions ----------------------------------------------------------
def test_seeded_rule_set_and_filter_read_literally(start: Start) -> None:
    api = start()
    rs = api.get(RS_URL)
    assert rs["name"] == "Spring renewals call rules" and rs["version"] == 1
    assert rs["contactList"] == {"id": seed.SPRING_LIST}
    assert rs["selfUri"] == RS_URL and ISO_MS.fullmatch(rs["dateModified"])
    [rule] = rs["rules"]
    assert (rule["name"], rule["order"], rule["category"]) == (
        "Skip accounts paid this month",
        0,
        "DIALER_PRECALL",
    )
    [cond] = rule["conditions"]
    assert cond["type"] == "dataActionCondition" and cond["dataAction"] == {
        "id": seed.LOOKUP_ACTION
    }
    assert cond["predicates"][0] | {} == {
        "outputField": "paidLast30Days",
        "outputOperator": "EQUALS",
        "comparisonValue": "true",
        "inverted": False,
        "outputFieldMissingResolution": False,
    }
    assert rule["actions"][0]["actionTypeName"] == "DO_NOT_DIAL"
    flt = api.get(FILTER_URL)
    assert flt["name"] == "Spring renewals EU in arrears" and flt["filterType"] == "AND"
    [clause] = flt["clauses"]
    assert clause["predicates"] == [
        {
            "column": "region",
            "columnType": "alphabetic",
            "operator": "EQUALS",
            "value": "EU",
            "inverted": False,
        }
    ]


def test_contact_lists_and_action_contracts(start: Start) -> None:
    api = start()
    spring = api.get(f"{LISTS}/{seed.SPRING_LIST}")
    assert spring["name"] == "Spring renewals" and spring["columnNames"] == seed.SPRING_COLUMNS
    assert {"columnName": "phone_cell", "type": "cell"} in spring["phoneColumns"]
    assert api.get(f"{LISTS}/{seed.COLLECTIONS_LIST}")["columnNames"][-1] == "phone"
    assert api.http.get(f"{LISTS}/nope").status_code == 404
    bare = api.get(f"{ACTIONS}/{seed.LOOKUP_ACTION}")
    assert bare["name"] == "Lookup account balance" and "contract" not in bare
    full = api.get(f"{ACTIONS}/{seed.LOOKUP_ACTION}", expand="contract")
    outputs = full["contract"]["output"]["successSchema"]["properties"]
    assert {k: v["type"] for k, v in outputs.items()} == {
        "balance": "number",
        "paidLast30Days": "boolean",
        "tier": "string",
        "openTickets": "integer",
        "lastContact": "string",
        "address": "object",
    }
    assert outputs["lastContact"]["format"] == "date-time"
    inputs = full["contract"]["input"]["inputSchema"]["properties"]
    assert set(inputs) == {"accountNumber", "contactId"}
    listing = api.get(ACTIONS, name="do-not-call")
    assert [a["name"] for a in listing["entities"]] == ["Check do-not-call registry"]
    assert "contract" not in listing["entities"][0]
    assert api.http.get(f"{ACTIONS}/nope").status_code == 404


def test_schema_keywords(start: Start) -> None:
    api = start(Quirks.only("schema_keywords"))
    contract = api.get(f"{ACTIONS}/{seed.LOOKUP_ACTION}", expand="contract")["contract"]
    success = contract["output"]["successSchema"]
    assert success["$schema"].startswith("http://json-schema.org/")
    assert success["additionalProperties"] is True and "errorSchema" in contract["output"]
    address = success["properties"]["address"]
    assert address["type"] == "object" and address["required"] == ["city"]
    assert "city" in address["properties"]
    assert contract["input"]["inputSchema"]["required"] == ["accountNumber", "contactId"]


# ---- listings -------------------------------------------------------------------------------
def test_obvious_listing_envelope_and_limits(start: Start) -> None:
    api = start()
    page = api.get(LISTS, pageSize=1)
    assert page["total"] == 2 and page["pageCount"] == 2 and page["pageSize"] == 1
    assert "nextUri" in page and page["selfUri"].startswith(LISTS)
    assert api.http.get(LISTS, params={"pageSize": 101}).status_code == 400
    assert api.http.get(LISTS, params={"pageSize": 0}).status_code == 400
    named = api.get(RULESETS, name="spring")
    assert [e["name"] for e in named["entities"]] == ["Spring renewals call rules"]
    assert "rules" in named["entities"][0]
    assert api.get(FILTERS, name="Renewals", filterType="Contains")["total"] == 1
    assert api.get(LISTS, name="renewals")["entities"] == []


def test_decoys_capped_pages_and_no_counts(start: Start) -> None:
    api = start(Quirks.only("decoys", "page_size_capped", "list_no_counts"))
    names, number = [], 1
    while True:
        page = api.get(LISTS, name="Spring renewals", pageSize=100, pageNumber=number)
        assert page["pageSize"] == 10 and "total" not in page and "pageCount" not in page
        names += [e["name"] for e in page["entities"]]
        if len(page["entities"]) < page["pageSize"]:
            break
        number += 1
    assert number == 3 and len(names) == 29
    assert [n for n in names if n == "Spring renewals"] == ["Spring renewals"]
    assert "Spring Renewals" in names and "Spring renewals wave 27" in names
    assert len(api.get(RULESETS, name="Spring renewals call rules")["entities"]) == 2
    assert len(api.get(ACTIONS, name="Lookup account balance")["entities"]) == 2
    assert api.get(LISTS, pageSize=500)["pageSize"] == 10


def test_list_summaries_carry_no_rules_or_clauses(start: Start) -> None:
    api = start(Quirks.only("list_summaries"))
    [rs] = api.get(RULESETS)["entities"]
    assert rs["id"] == seed.RULE_SET and rs["version"] == 1 and "rules" not in rs
    [flt] = api.get(FILTERS)["entities"]
    assert flt["id"] == seed.FILTER and "clauses" not in flt
    assert "rules" in api.get(RS_URL)


# ---- entity readings ------------------------------------------------------------------------
def test_enum_other_case(start: Start) -> None:
    api = start(Quirks.only("enum_other_case"))
    rule = api.get(RS_URL)["rules"][0]
    assert rule["category"] == "dialer_precall"
    cond = rule["conditions"][0]
    assert cond["type"] == "DataActionCondition"
    assert cond["predicates"][0]["outputOperator"] == "equals"
    assert rule["actions"][0] == {
        "type": "action",
        "actionTypeName": "do_not_dial",
        "properties": {},
    }
    flt = api.get(FILTER_URL)
    assert (flt["filterType"], flt["sourceType"]) == ("and", "contactList")
    pred = flt["clauses"][0]["predicates"][0]
    assert (pred["columnType"], pred["operator"], pred["value"]) == ("ALPHABETIC", "equals", "EU")


def test_extra_members_refs_no_self_uri_and_defaults(start: Start) -> None:
    api = start(Quirks.only("extra_members", "ref_names", "no_self_uri", "defaults_omitted"))
    rs = api.get(RS_URL)
    assert "selfUri" not in keys_anywhere(rs)
    assert rs["contactList"]["name"] == "Spring renewals"
    assert rs["rules"][0]["conditions"][0]["dataAction"]["name"] == "Lookup account balance"
    extras = {k for k in keys_anywhere(rs) if k.startswith("xIndependent")}
    assert {"xIndependentRule", "xIndependentCondition", "xIndependentRef"} <= extras
    assert "inverted" not in rs["rules"][0]["conditions"][0]
    assert "properties" not in rs["rules"][0]["actions"][0]
    listing = api.get(LISTS)
    assert "xIndependentPage" in listing and "selfUri" not in listing
    assert listing["entities"][0]["division"]["name"] == "Home"
    error = api.http.get(f"{RULESETS}/nope").json()
    assert error["code"] == "not.found" and "xIndependentError" in error


def test_ref_names_with_self_uris(start: Start) -> None:
    api = start(Quirks.only("ref_names"))
    ref = api.get(RS_URL)["contactList"]
    assert ref == {
        "id": seed.SPRING_LIST,
        "name": "Spring renewals",
        "selfUri": (f"{LISTS}/{seed.SPRING_LIST}"),
    }


def test_dates_mixed_precision(start: Start) -> None:
    api = start(Quirks.only("dates_mixed_precision"))
    rs = api.get(RS_URL)
    assert ISO_S.fullmatch(rs["dateModified"]) and ISO_S.fullmatch(rs["dateCreated"])
    answer = api.http.put(RS_URL, json=api.writable(RS_URL))
    assert answer.status_code == 200 and answer.json()["version"] == 2
    assert ISO_S.fullmatch(answer.json()["dateCreated"])
    stamp = answer.json()["dateModified"]
    assert ISO_MS.fullmatch(stamp) or (ISO_S.fullmatch(stamp) and stamp != rs["dateModified"])
    entries = api.audit(seed.RULE_SET)
    assert ISO_S.fullmatch(entries[-1]["eventDate"])
    assert ISO_MS.fullmatch(start().get(RS_URL)["dateCreated"])


# ---- writes ---------------------------------------------------------------------------------
def test_put_lands_with_version_plus_one(start: Start) -> None:
    api = start()
    body = api.writable(FILTER_URL)
    body["clauses"][0]["predicates"][0]["value"] = "US"
    answer = api.http.put(FILTER_URL, json=body)
    assert answer.status_code == 200, answer.text
    assert answer.json()["version"] == 2
    assert answer.json()["clauses"][0]["predicates"][0]["value"] == "US"
    assert answer.json()["dateModified"] > body["dateModified"]
    assert api.get(FILTER_URL)["version"] == 2
    [put] = api.server.puts
    assert (put.kind, put.id, put.status, put.body["version"]) == (
        "contactlistfilter",
        seed.FILTER,
        200,
        1,
    )


def test_stale_put_is_409_and_audited_failure(start: Start) -> None:
    api = start()
    body = api.writable(RS_URL)
    assert api.http.put(RS_URL, json=body).status_code == 200
    stale = api.http.put(RS_URL, json=body)
    assert stale.status_code == 409 and stale.json()["code"] == "conflict"
    assert stale.json()["message"] == (
        "The version supplied (1) does not match the current version (2)"
    )
    assert [p.status for p in api.server.puts] == [200, 409]
    last = api.server.audits(seed.RULE_SET)[-1]
    assert (last.action, last.status, last.client) == (
        "Update",
        "FAILURE",
        {"id": api.running.client_id},
    )


def test_stale_readings_alternate_and_switch(start: Start) -> None:
    api = start(Quirks.only("stale_alternates"))
    body = api.writable(FILTER_URL)
    assert api.http.put(FILTER_URL, json=body).status_code == 200
    first, second = (api.http.put(FILTER_URL, json=body) for _ in range(2))
    assert (
        first.status_code == 400 and "does not match the current version" in first.json()["message"]
    )
    assert second.status_code == 409
    api.server.stale_as_400(True)
    assert {api.http.put(FILTER_URL, json=body).status_code for _ in range(2)} == {400}
    api.server.stale_as_400(False)
    assert {api.http.put(FILTER_URL, json=body).status_code for _ in range(2)} == {409}


PUT_REFUSALS: list[tuple[Callable[[Json], Any], str]] = [
    (lambda b: b.pop("version"), "version"),
    (lambda b: b.update(version="1"), "version"),
    (lambda b: b.update(id="another"), "id"),
    (lambda b: b.update(colour="red"), "colour"),
]


def test_put_refusals(start: Start) -> None:
    api = start()
    for change, field in PUT_REFUSALS:
        body = api.writable(RS_URL)
        change(body)
        answer = api.http.put(RS_URL, json=body)
        assert answer.status_code == 400 and answer.json()["details"][0]["fieldName"] == field
        assert api.http.put(f"{RULESETS}/nope", json=body).status_code == 404
    assert api.get(RS_URL)["version"] == 1


RULE0 = "rules[0].conditions[0]"


RULE_SET_REFUSALS: list[tuple[str, Any, str]] = [
    (
        "rules/0/conditions/0/predicates/0/outputField",
        "address",
        f"{RULE0}.predicates[0].outputField",
    ),
    (
        "rules/0/conditions/0/predicates/0/outputField",
        "nope",
        f"{RULE0}.predicates[0].outputField",
    ),
    (
        "rules/0/conditions/0/predicates/0/outputOperator",
        "BETWEEN",
        f"{RULE0}.predicates[0].outputOperator",
    ),
    (
        "rules/0/conditions/0/predicates/0/outputOperator",
        "equals",
        f"{RULE0}.predicates[0].outputOperator",
    ),
    (
        "rules/0/conditions/0/contactColumnToDataActionFieldMappings/0/dataActionField",
        "phoneNumber",
        f"{RULE0}.contactColumnToDataActionFieldMappings[0].dataActionField",
    ),
    (
        "rules/0/conditions/0/contactColumnToDataActionFieldMappings/0/contactColumnName",
        "country",
        f"{RULE0}.contactColumnToDataActionFieldMappings[0].contactColumnName",
    ),
    ("rules/0/conditions/0/contactIdField", "account", f"{RULE0}.contactIdField"),
    ("rules/0/conditions/0/dataAction/id", "nope", f"{RULE0}.dataAction.id"),
    ("rules/0/category", "DIALER_LATER", "rules[0].category"),
    ("contactList/id", "nope", "contactList.id"),
    ("rules/0/name", None, "rules[0].name"),
]


def test_rule_set_body_refusals(start: Start) -> None:
    api = start()
    for pointer, value, field in RULE_SET_REFUSALS:
        body = api.writable(RS_URL)
        *path, last = pointer.split("/")
        target: Any = body
        for token in path:
            target = target[int(token)] if token.isdigit() else target[token]
        target[last] = value
        answer = api.http.put(RS_URL, json=body)
        assert answer.status_code == 400, (pointer, answer.text)
        assert answer.json()["details"][0]["fieldName"] == field
    assert api.server.audits(seed.RULE_SET)[-1].action == "Create"


def test_time_and_date_sub_condition_limit(start: Start) -> None:
    api = start()
    body = api.writable(RS_URL)
    sub = {"type": "dayOfWeek", "operator": "EQUALS", "range": {"inSet": ["1"]}}
    cond = {
        "type": "timeAndDateCondition",
        "matchAnyConditions": False,
        "subConditions": [sub] * 11,
    }
    body["rules"][0]["conditions"].append(cond)
    answer = api.http.put(RS_URL, json=body)
    assert answer.json()["details"][0]["fieldName"] == "rules[0].conditions[1].subConditions"
    cond["subConditions"] = [sub] * 10
    assert api.http.put(RS_URL, json=body).status_code == 200


FILTER_REFUSALS: list[tuple[Json, str]] = [
    ({"column": "country", "operator": "EQUALS", "value": "x"}, "column"),
    (
        {
            "column": "balance",
            "columnType": "numeric",
            "operator": "BETWEEN",
            "range": {"min": "1"},
        },
        "range.max",
    ),
    ({"column": "region", "operator": "IN", "range": {"min": "1"}}, "range.inSet"),
    ({"column": "region", "operator": "EQUALS"}, "value"),
    (
        {"column": "region", "columnType": "ALPHABETIC", "operator": "EQUALS", "value": "x"},
        "columnType",
    ),
    ({"column": "region", "operator": "EQUALS", "value": "x", "weight": 1}, "weight"),
]


def test_filter_body_refusals(start: Start) -> None:
    api = start()
    for predicate, field in FILTER_REFUSALS:
        body = api.writable(FILTER_URL)
        body["clauses"][0]["predicates"] = [predicate]
        answer = api.http.put(FILTER_URL, json=body)
        assert answer.status_code == 400, (predicate, answer.text)
        assert answer.json()["details"][0]["fieldName"] == f"clauses[0].predicates[0].{field}"
    assert api.get(FILTER_URL)["version"] == 1


def test_filter_between_and_in_land(start: Start) -> None:
    api = start()
    body = api.writable(FILTER_URL)
    body["filterType"] = "OR"
    body["clauses"].append(
        {
            "filterType": "OR",
            "predicates": [
                {
                    "column": "balance",
                    "columnType": "numeric",
                    "operator": "BETWEEN",
                    "range": {
                        "min": "100",
                        "max": "5000",
                        "minInclusive": True,
                        "maxInclusive": False,
                    },
                },
                {"column": "region", "operator": "IN", "range": {"inSet": ["EU", "UK"]}},
            ],
        }
    )
    answer = api.http.put(FILTER_URL, json=body)
    assert answer.status_code == 200, answer.text
    assert answer.json()["clauses"][1]["predicates"][0]["range"]["max"] == "5000"


def test_post_creates_version_one_and_refuses_duplicates(start: Start) -> None:
    api = start()
    body = {k: v for k, v in api.writable(RS_URL).items() if k not in SERVER_FILLED}
    body["name"] = "Autumn rules"
    del body["rules"][0]["id"]
    created = api.http.post(RULESETS, json=body)
    assert created.status_code == 200, created.text
    made = created.json()
    assert made["version"] == 1 and made["id"] != seed.RULE_SET and made["rules"][0]["id"]
    assert api.get(f"{RULESETS}/{made['id']}")["name"] == "Autumn rules"
    again = api.http.post(RULESETS, json=body | {"name": "AUTUMN RULES"})
    assert again.status_code == 400 and again.json()["details"][0]["fieldName"] == "name"
    assert api.http.post(RULESETS, json=body | {"name": "B", "version": 3}).status_code == 200
    [create] = api.server.audits(made["id"])
    assert (create.action, create.status, create.client) == (
        "Create",
        "SUCCESS",
        {"id": api.running.client_id},
    )


def test_post_201_and_refusing_server_fields(start: Start) -> None:
    api = start(Quirks.only("post_201", "post_refuses_server_fields"))
    body = {k: v for k, v in api.writable(FILTER_URL).items() if k not in SERVER_FILLED}
    assert api.http.post(FILTERS, json=body | {"name": "New"}).status_code == 201
    refused = api.http.post(FILTERS, json=body | {"name": "Newer", "version": 1})
    assert refused.status_code == 400 and refused.json()["details"][0]["fieldName"] == "version"


def test_rules_reversed_and_ids_renewed(start: Start) -> None:
    api = start(Quirks.only("rules_reversed", "rule_ids_renewed"))
    body = api.writable(RS_URL)
    body["rules"].append(two_rules())
    answer = api.http.put(RS_URL, json=body).json()
    assert [r["order"] for r in answer["rules"]] == [1, 0]
    assert seed.SEED_RULE not in {r["id"] for r in answer["rules"]}
    kept = api.get(RS_URL)
    again = api.http.put(RS_URL, json=kept).json()
    assert {r["id"] for r in again["rules"]}.isdisjoint({r["id"] for r in kept["rules"]})


def test_rule_ids_kept_when_sent(start: Start) -> None:
    api = start()
    body = api.writable(RS_URL)
    body["rules"].append(two_rules())
    answer = api.http.put(RS_URL, json=body).json()
    assert answer["rules"][0]["id"] == seed.SEED_RULE and answer["rules"][1]["id"]


def test_every_quirk_on_a_read_entity_goes_back_once_recased(start: Start) -> None:
    api = start(Quirks())
    read = api.get(RS_URL)
    echoed = api.http.put(RS_URL, json=read)
    assert echoed.status_code == 400 and "as written" in echoed.json()["message"]
    answer = api.http.put(RS_URL, json=writable(read))
    assert answer.status_code == 200, answer.text
    assert answer.json()["version"] == 2
    unknown = writable(api.get(RS_URL)) | {"xOther": 1}
    assert api.http.put(RS_URL, json=unknown).json()["details"][0]["fieldName"] == "xOther"


# ---- admin-UI edits -------------------------------------------------------------------------
def test_edit_out_of_band(start: Start) -> None:
    api = start()
    pointer = "/rules/0/conditions/0/predicates/0/comparisonValue"
    stored = api.server.edit("ruleset", seed.RULE_SET, {pointer: "false"}, user_name="Ana Kim")
    assert stored["version"] == 2
    read = api.get(RS_URL)
    assert read["version"] == 2
    assert read["rules"][0]["conditions"][0]["predicates"][0]["comparisonValue"] == "false"
    entry = api.server.audits(seed.RULE_SET)[-1]
    assert entry.user is not None and entry.user["name"] == "Ana Kim" and entry.client is None
    assert entry.property_changes[0]["property"] == "rules"
    api.server.edit("contactlistfilter", seed.FILTER, {})
    assert api.get(FILTER_URL)["name"] == "Spring renewals EU in arrears (edited)"
    with pytest.raises(ValueError, match="no member"):
        api.server.edit("ruleset", seed.RULE_SET, {"/rules/0/colour": "red"})
    with pytest.raises(ValueError, match="invalid"):
        api.server.edit("ruleset", seed.RULE_SET, {"/rules/0/category": "LATER"})
    with pytest.raises(ValueError, match="unknown kind"):
        api.server.edit("rule", seed.RULE_SET, {})


def test_edit_before_next_put_makes_it_stale(start: Start) -> None:
    api = start()
    body = api.writable(FILTER_URL)
    api.server.edit_before_next_put("contactlistfilter", seed.FILTER, {"/name": "By hand"})
    body["filterType"] = "OR"
    stale = api.http.put(FILTER_URL, json=body)
    assert stale.status_code == 409
    now = api.get(FILTER_URL)
    assert (now["name"], now["version"], now["filterType"]) == ("By hand", 2, "AND")
    body = api.writable(FILTER_URL) | {"filterType": "OR"}
    assert api.http.put(FILTER_URL, json=body).status_code == 200
    assert [(p.status, p.body["version"]) for p in api.server.puts] == [(409, 1), (200, 2)]
    actions = [(e.action, e.status) for e in api.server.audits(seed.FILTER)]
    success, failure = ("Update", "SUCCESS"), ("Update", "FAILURE")
    assert actions == [("Create", "SUCCESS"), success, failure, success]


# ---- audits ---------------------------------------------------------------------------------
def test_obvious_audit_trail(start: Start) -> None:
    api = start()
    api.server.edit("ruleset", seed.RULE_SET, {"/name": "Renamed"}, user_name="Dana Okafor")
    body = api.writable(RS_URL)
    assert api.http.put(RS_URL, json=body | {"name": "Renamed again"}).status_code == 200
    assert api.http.put(RS_URL, json=body).status_code == 409
    entries = api.audit(seed.RULE_SET)
    assert [(e["action"], e["status"]) for e in entries] == [
        ("Update", "FAILURE"),
        ("Update", "SUCCESS"),
        ("Update", "SUCCESS"),
        ("Create", "SUCCESS"),
    ]
    assert [e["eventDate"] for e in entries] == sorted(
        (e["eventDate"] for e in entries), reverse=True
    )
    failure, by_client, by_dana, create = entries
    assert by_client["client"] == {"id": api.running.client_id} and "user" not in by_client
    assert by_client["propertyChanges"] == [
        {"property": "name", "oldValues": ["Renamed"], "newValues": ["Renamed again"]}
    ]
    assert by_dana["user"]["name"] == "Dana Okafor" and by_dana["application"]
    assert create["user"]["name"] == "system" and create["entity"] == {
        "id": seed.RULE_SET,
        "name": "Spring renewals call rules",
    }
    assert failure["entityType"] == "RuleSet" and failure["serviceName"] == "Outbound"
    assert len(api.server.audit_queries) == 1
    assert api.server.audit_queries[0].body["filters"][0]["value"] == seed.RULE_SET


def test_audit_query_states_and_early_results(start: Start) -> None:
    api = start(Quirks.only("audit_slow"))
    created = api.http.post(AUDITS, json={"interval": interval()}).json()
    assert created["state"] == "Queued"
    url = f"{AUDITS}/{created['id']}"
    states = [api.get(url)["state"] for _ in range(5)]
    assert states == ["Queued", "Running", "Running", "Succeeded", "Succeeded"]
    assert len(api.get(f"{url}/results")["entities"]) == 2
    early = api.http.post(AUDITS, json={"interval": interval()}).json()
    assert api.http.get(f"{AUDITS}/{early['id']}/results").status_code == 400
    assert api.http.get(f"{AUDITS}/nope").status_code == 404


def test_fail_next_audit_query(start: Start) -> None:
    api = start()
    api.server.fail_next_audit_query()
    failed = api.http.post(AUDITS, json={"interval": interval()}).json()
    assert api.get(f"{AUDITS}/{failed['id']}")["state"] == "Failed"
    assert api.http.get(f"{AUDITS}/{failed['id']}/results").status_code == 400
    fine = api.http.post(AUDITS, json={"interval": interval()}).json()
    assert api.get(f"{AUDITS}/{fine['id']}")["state"] == "Succeeded"


AUDIT_REFUSALS: list[Json] = [
    {},
    {"interval": "2026-01-02T00:00:00Z/2026-01-01T00:00:00Z"},
    {"interval": "yesterday"},
    {"interval": "2026-01-01T00:00:00/2026-01-02T00:00:00"},
    {"interval": "2025-01-01T00:00:00Z/2026-01-01T00:00:00Z"},
    {"interval": interval(), "filters": [{"property": "EntityName", "value": "x"}]},
    {"interval": interval(), "sort": [{"name": "Timestamp", "sortOrder": "newest"}]},
    {"interval": interval(), "pageSize": 5},
]


def test_audit_query_refusals(start: Start) -> None:
    api = start(Quirks.only("interval_max_31_days"))
    for query in AUDIT_REFUSALS:
        answer = api.http.post(AUDITS, json=query)
        assert answer.status_code == 400 and answer.json()["message"], query
    assert api.server.audit_queries == []


def test_audit_results_page_limits_and_cursor(start: Start) -> None:
    api = start()
    qid = api.http.post(AUDITS, json={"interval": interval()}).json()["id"]
    api.get(f"{AUDITS}/{qid}")
    for size in (0, 501, "x"):
        assert api.http.get(f"{AUDITS}/{qid}/results", params={"pageSize": size}).status_code == 400
    bad = api.http.get(f"{AUDITS}/{qid}/results", params={"cursor": "forged"})
    assert bad.status_code == 400
    first = api.get(f"{AUDITS}/{qid}/results", pageSize=1)
    second = api.get(f"{AUDITS}/{qid}/results", pageSize=1, cursor=first["cursor"])
    assert "cursor" not in second and len(second["entities"]) == 1
    assert first["entities"] != second["entities"]


def test_audit_paging_quirks(start: Start) -> None:
    api = start(Quirks.only("audit_short_pages", "audit_trailing_empty_page", "cursor_null"))
    for n in range(3):
        api.server.edit("ruleset", seed.RULE_SET, {"/name": f"Name {n}"})
    qid = api.http.post(AUDITS, json={"interval": interval()}).json()["id"]
    api.get(f"{AUDITS}/{qid}")
    pages, cursor = [], None
    while True:
        page = api.get(
            f"{AUDITS}/{qid}/results", pageSize=100, **({"cursor": cursor} if cursor else {})
        )
        pages.append(page)
        assert page["pageSize"] == 100
        if (cursor := page["cursor"]) is None:
            break
    assert [len(p["entities"]) for p in pages] == [2, 2, 1, 0]
    assert "cursor" in pages[-1] and pages[-1]["cursor"] is None


def test_audit_message_quirks(start: Start) -> None:
    quirks = ("user_name_needs_expand", "audit_enum_case", "audit_entity_id_only")
    api = start(Quirks.only(*quirks, "deep_property_changes", "ui_edit_client", "audit_unsorted"))
    pointer = "/rules/0/conditions/0/predicates/0/comparisonValue"
    for value in ("false", "true", "false"):
        api.server.edit("ruleset", seed.RULE_SET, {pointer: value}, user_name="Dana Okafor")
    entries = api.audit(seed.RULE_SET)
    stamps = [e["eventDate"] for e in entries]
    assert stamps != sorted(stamps, reverse=True) and len(entries) == 4
    edits = [e for e in entries if e["user"]["id"] != seed.SEED_USER["id"]]
    assert all("name" not in e["user"] and e["client"]["id"] for e in edits)
    assert {e["action"] for e in entries} == {"create", "update"}
    assert {e["status"] for e in entries} == {"success"}
    assert all(e["entity"] == {"id": seed.RULE_SET} for e in entries)
    change = edits[0]["propertyChanges"][0]
    assert change["property"] == "rules[0].conditions[0].predicates[0].comparisonValue"
    named = api.audit(seed.RULE_SET, expand=True)
    assert {e["user"]["name"] for e in named} == {"Dana Okafor", "system"}


def test_audit_filters(start: Start) -> None:
    api = start()
    api.http.put(FILTER_URL, json=api.writable(FILTER_URL))
    api.server.edit("ruleset", seed.RULE_SET, {"/name": "x"}, user_name="Ana Kim")

    def run(*filters: tuple[str, str]) -> list[Json]:
        body = {
            "interval": interval(),
            "filters": [{"property": p, "value": v} for p, v in filters],
        }
        qid = api.http.post(AUDITS, json=body).json()["id"]
        api.get(f"{AUDITS}/{qid}")
        return api.get(f"{AUDITS}/{qid}/results")["entities"]

    assert len(run()) == 4
    assert len(run(("EntityType", "ContactListFilter"))) == 2
    assert [e["entity"]["id"] for e in run(("ClientId", api.running.client_id))] == [seed.FILTER]
    [dana] = run(("Action", "Update"), ("EntityId", seed.RULE_SET))
    assert dana["user"]["name"] == "Ana Kim"
    assert run(("UserId", dana["user"]["id"])) == [dana]
    assert run(("TrusteeOrganizationId", "x")) == []


# ---- permissions, throttling, tokens ---------------------------------------------------------
CALLS: list[tuple[tuple[str, ...], str, str, Json | None]] = [
    ((LIST_VIEW,), "GET", LISTS, None),
    ((LIST_VIEW,), "GET", f"{LISTS}/{seed.SPRING_LIST}", None),
    ((ACTION_VIEW, BRIDGE_VIEW), "GET", ACTIONS, None),
    ((ACTION_VIEW, BRIDGE_VIEW), "GET", f"{ACTIONS}/{seed.LOOKUP_ACTION}", None),
    ((RS_VIEW,), "GET", RULESETS, None),
    ((RS_VIEW,), "GET", RS_URL, None),
    ((RS_EDIT,), "PUT", RS_URL, {"version": 1}),
    ((RS_ADD,), "POST", RULESETS, {}),
    ((CLF_VIEW,), "GET", FILTER_URL, None),
    ((CLF_EDIT,), "PUT", FILTER_URL, {"version": 1}),
    ((CLF_ADD,), "POST", FILTERS, {}),
    ((AUDIT_VIEW,), "POST", AUDITS, {"interval": interval()}),
    ((AUDIT_VIEW,), "GET", f"{AUDITS}/some-id", None),
]


@pytest.mark.parametrize("bare", [True, False])
def test_missing_permission_is_403_naming_it(start: Start, bare: bool) -> None:
    api = start(Quirks.only("bare_403") if bare else None)
    for lacking, method, path, body in CALLS:
        api.server.lack(*lacking)
        answer = api.http.request(method, path, json=body)
        assert answer.status_code == 403, path
        assert all(p in answer.json()["message"] for p in lacking)
        assert ("code" in answer.json()) is not bare
        api.server.lack()
        assert api.http.request(method, path, json=body).status_code != 403
    assert [p.status for p in api.server.puts] == [400, 400]  # 403s never reach the handler


def test_one_of_the_action_permissions_is_enough(start: Start) -> None:
    api = start()
    api.server.lack(ACTION_VIEW)
    assert api.http.get(ACTIONS).status_code == 200
    with pytest.raises(ValueError, match="unknown permission"):
        api.server.lack("outbound:ruleSet:delete")


def test_rate_limit_headers_faults_and_expired_tokens(start: Start) -> None:
    api = start()
    answer = api.http.get(RS_URL)
    assert answer.headers["inin-ratelimit-allowed"] == "300"
    assert answer.headers["inin-ratelimit-count"] == "1"
    api.server.add_fault("http_429", path_contains="/api/v2/outbound/rulesets", retry_after=2)
    api.server.add_fault("http_5xx", path_contains="/api/v2/audits", status=502)
    throttled = api.http.get(RS_URL)
    assert throttled.status_code == 429 and throttled.headers["Retry-After"] == "2"
    assert api.http.get(RS_URL).status_code == 200
    assert api.http.post(AUDITS, json={"interval": interval()}).status_code == 502
    api.server.expire_tokens()
    assert api.http.get(RS_URL).status_code == 401


# ---- all on, and the helpers ------------------------------------------------------------------
def test_every_quirk_on_a_contract_following_client_gets_through(start: Start) -> None:
    api = start(Quirks())
    found, number = [], 1
    while True:
        page = api.get(RULESETS, name="Spring renewals call rules", pageNumber=number)
        found += [e for e in page["entities"] if e["name"] == "Spring renewals call rules"]
        if len(page["entities"]) < page["pageSize"]:
            break
        number += 1
    [summary] = found
    url = f"{RULESETS}/{summary['id']}"
    api.server.edit_before_next_put("ruleset", summary["id"], {"/name": "Hand-edited"})
    body = api.writable(url)
    stale = api.http.put(url, json=body)
    assert stale.status_code in (400, 409)
    assert "does not match the current version" in stale.json()["message"]
    body = api.writable(url)
    body["rules"].append(two_rules())
    landed = api.http.put(url, json=body)
    assert landed.status_code == 200 and landed.json()["version"] == 3
    entries = api.audit(summary["id"], expand=True)
    entries.sort(key=lambda e: datetime.fromisoformat(e["eventDate"]))
    who = [
        (e.get("user") or {}).get("name") or (e.get("user") or {}).get("id") or e["client"]["id"]
        for e in entries
    ]
    assert who == ["system", "Dana Okafor", api.running.client_id, api.running.client_id]
    assert [e["status"].upper() for e in entries] == ["SUCCESS", "SUCCESS", "FAILURE", "SUCCESS"]


def test_quirk_helpers() -> None:
    assert not any(vars(Quirks.obvious()).values()) and all(vars(Quirks()).values())
    assert {k for k, v in vars(Quirks.only("decoys")).items() if v} == {"decoys"}
    with pytest.raises(ValueError, match="decoy"):
        Quirks.only("decoy")
    assert canonical(copy.deepcopy({"a": ["dialer_precall", "NUMERIC"]})) == {
        "a": ["DIALER_PRECALL", "numeric"]
    }


def test_conftest_fixture_serves_every_quirk(independent_genesys_rules: RunningServer) -> None:
    server = independent_genesys_rules.server
    assert isinstance(server, RulesServer) and server.quirks == Quirks()
    answer = httpx.get(f"{independent_genesys_rules.url}{RS_URL}")
    assert answer.status_code == 401
