"""The emulator's 400 refusals of rule set and filter bodies (docs/api-contract.md "Emulator
behaviour and switches for platform rules"): each names the member in `details[0].fieldName`,
and a refused PUT changes nothing (the version stays)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from cx_assets_tests.emulator.genesys.conversations.platform_support import client
from cx_assets_tests.emulator.genesys.rules.platform_rules_support import (
    COLLECTIONS,
    DNC,
    FILTER,
    FILTERS,
    RULE_SET,
    RULE_SETS,
    put,
    read,
    refused_field,
)

Edit = Callable[[dict[str, Any]], None]
C0 = "rules[0].conditions[0]"


def _condition(entity: dict[str, Any]) -> dict[str, Any]:
    return entity["rules"][0]["conditions"][0]


def _predicate(entity: dict[str, Any]) -> dict[str, Any]:
    return _condition(entity)["predicates"][0]


def _add_condition(**condition: Any) -> Edit:
    return lambda e: e["rules"][0]["conditions"].append(condition)


def _time_of_day(count: int) -> Edit:
    sub = {"type": "timeOfDay", "operator": "BETWEEN", "range": {"min": "08:00", "max": "18:00"}}
    return _add_condition(type="timeAndDateCondition", subConditions=[sub] * count)


RULE_SET_REFUSALS: list[tuple[Edit, str]] = [
    (lambda e: e["contactList"].update(id="nope"), "contactList.id"),
    (lambda e: _condition(e)["dataAction"].update(id="nope"), f"{C0}.dataAction.id"),
    (
        _add_condition(type="contactAttributeCondition", attributeName="shoe_size", value="9"),
        "rules[0].conditions[1].attributeName",
    ),
    (
        lambda e: _condition(e)["contactColumnToDataActionFieldMappings"][0].update(
            contactColumnName="country"
        ),
        f"{C0}.contactColumnToDataActionFieldMappings[0].contactColumnName",
    ),
    (
        lambda e: _condition(e)["contactColumnToDataActionFieldMappings"][0].update(
            dataActionField="balance"
        ),
        f"{C0}.contactColumnToDataActionFieldMappings[0].dataActionField",
    ),
    (lambda e: _condition(e).update(contactIdField="phoneNumber"), f"{C0}.contactIdField"),
    (lambda e: _predicate(e).update(outputField="nested.tier"), f"{C0}.predicates[0].outputField"),
    (lambda e: _predicate(e).update(outputField="address"), f"{C0}.predicates[0].outputField"),
    (lambda e: _predicate(e).update(outputOperator="IN"), f"{C0}.predicates[0].outputOperator"),
    (lambda e: _predicate(e).pop("inverted"), f"{C0}.predicates[0].inverted"),
    (lambda e: e["rules"][0].update(category="DIALER_LATER"), "rules[0].category"),
    (
        lambda e: e["rules"][0]["actions"][0].update(actionTypeName="Nope"),
        "rules[0].actions[0].actionTypeName",
    ),
    (lambda e: e["rules"][0].pop("name"), "rules[0].name"),
    (lambda e: _condition(e).update(colour="red"), f"{C0}.colour"),
    (lambda e: e.update(description="x"), "description"),
    (lambda e: _condition(e).update(dataAction={"id": DNC}), f"{C0}.contactIdField"),
    (_time_of_day(11), "rules[0].conditions[1].subConditions"),
    (
        _add_condition(
            type="timeAndDateCondition", subConditions=[{"type": "dayOfWeek", "operator": "IN"}]
        ),
        "rules[0].conditions[1].subConditions[0].range.inSet",
    ),
]

FILTER_REFUSALS: list[tuple[Edit, str]] = [
    (
        lambda e: e["clauses"][0]["predicates"][0].update(column="country"),
        "clauses[0].predicates[0].column",
    ),
    (lambda e: e["contactList"].update(id=COLLECTIONS), "clauses[0].predicates[0].column"),
    (
        lambda e: e["clauses"][0]["predicates"][0].update(operator="equals"),
        "clauses[0].predicates[0].operator",
    ),
    (
        lambda e: e["clauses"][0]["predicates"][0].update(
            operator="BETWEEN", columnType="numeric", range={"min": "100"}
        ),
        "clauses[0].predicates[0].range.max",
    ),
    (
        lambda e: e["clauses"][0]["predicates"][0].update(operator="IN", range={"min": "1"}),
        "clauses[0].predicates[0].range.inSet",
    ),
    (lambda e: e["clauses"][0]["predicates"][0].pop("value"), "clauses[0].predicates[0].value"),
    (lambda e: e["clauses"][0].update(filterType="XOR"), "clauses[0].filterType"),
    (lambda e: e.update(sourceType="ContactListTemplate"), "contactListTemplate"),
    (lambda e: e.update(name="Spring renewals call rules", extra=1), "extra"),
    (lambda e: e.pop("name"), "name"),
]


def test_each_rule_set_refusal_names_the_member(emulator) -> None:
    api = client(emulator)
    seed = read(api, f"{RULE_SETS}/{RULE_SET}")
    for edit, field in RULE_SET_REFUSALS:
        body = copy.deepcopy(seed)
        edit(body)
        assert refused_field(put(api, RULE_SETS, body)) == field, field
    assert read(api, f"{RULE_SETS}/{RULE_SET}")["version"] == 1
    assert put(api, RULE_SETS, _legal_extras(seed)).status_code == 200


def _legal_extras(seed: dict[str, Any]) -> dict[str, Any]:
    """Members the contract allows beyond the seed: every condition kind, actions, nulls."""
    body = copy.deepcopy(seed)
    body["rules"].append(
        {
            "name": "Wrap-up: mark uncallable",
            "order": 1,
            "category": "DIALER_WRAPUP",
            "conditions": [
                {"type": "wrapupCondition", "operator": "IN", "codes": ["w-1"], "inverted": True},
                {"type": "contactAttributeCondition", "attributeName": "balance",
                 "operator": "GREATER_THAN", "value": "100", "valueType": "NUMERIC"},
                {"type": "contactPropertyCondition", "propertyType": "LAST_ATTEMPT_OVERALL",
                 "property": "x", "operator": "BEFORE", "value": "P1DT0H0M", "valueType": "PERIOD"},
                {"type": "timeAndDateCondition", "matchAnyConditions": False,
                 "timeZoneId": "Europe/Dublin", "subConditions": [
                     {"type": "dayOfWeek", "operator": "IN", "range": {"inSet": ["1", "2"]}}]},
            ],
            "actions": [
                {"type": "modifyContactAttribute", "actionTypeName": "MODIFY_CONTACT_ATTRIBUTE",
                 "updateOption": "SET", "properties": {"opt_in": "false"}},
                {"type": "dataActionBehavior", "actionTypeName": "DATA_ACTION",
                 "dataAction": {"id": DNC}, "contactIdField": None},
            ],
        }
    )  # fmt: skip
    return body


def test_each_filter_refusal_names_the_member(emulator) -> None:
    api = client(emulator)
    seed = read(api, f"{FILTERS}/{FILTER}")
    for edit, field in FILTER_REFUSALS:
        body = copy.deepcopy(seed)
        edit(body)
        assert refused_field(put(api, FILTERS, body)) == field, field
    taken = {**seed, "name": "Spring renewals call rules"}  # a rule set's name: no clash
    assert put(api, FILTERS, taken).status_code == 200
    created = api.post(FILTERS, json={"name": "Second", "contactList": {"id": COLLECTIONS}})
    assert created.status_code == 200, created.text
    clash = {**created.json(), "name": "spring renewals call rules"}  # names fold case
    assert refused_field(put(api, FILTERS, clash)) == "name"
    between = copy.deepcopy(read(api, f"{FILTERS}/{FILTER}"))
    between["clauses"][0]["predicates"].append(
        {"column": "balance", "columnType": "numeric", "operator": "BETWEEN",
         "range": {"min": "100", "max": "5000", "minInclusive": True, "maxInclusive": False}}
    )  # fmt: skip
    assert put(api, FILTERS, between).json()["version"] == 3
