"""The 400 rules of a `RuleSet` body (PUT and POST), written from the contract, not the client.

`rule_set(body)` answers the stored form: the members as sent (nulls dropped, no defaults
filled in) with server-filled members left out and references written as the server does
(`{"id", "name", "selfUri"}`). Columns are checked against the rule set's contact list, action
fields against the referenced action's contract (inputs; top-level outputs of a type a
condition can compare). Filters are platform_filter_validation.py's.
"""

from __future__ import annotations

from typing import Any

from cx_assets.emulator.genesys.rules.platform_checks import (
    at,
    boolean,
    check_range,
    enum,
    integer,
    items,
    members,
    ref,
    refuse,
    string,
    strings,
    text,
)
from cx_assets.emulator.genesys.rules.platform_enums import (
    ACTION_TYPE_NAMES,
    ACTION_TYPES,
    CATEGORIES,
    CONDITION_TYPES,
    OPERATORS,
    OUTPUT_OPERATORS,
    PROPERTY_TYPES,
    SERVER_MEMBERS,
    SUB_TYPES,
    UPDATE_OPTIONS,
    VALUE_TYPES,
)
from cx_assets.emulator.genesys.rules.platform_seed import ACTIONS, CONTACT_LISTS

COMPARABLE = ("boolean", "integer", "number", "string")
MAX_SUB_CONDITIONS = 10
DATA_ACTION_FIELDS = ("contactIdField", "callAnalysisResultField", "agentWrapupField")
CONDITION_MEMBERS = (
    "type", "inverted", "attributeName", "value", "valueType", "operator", "codes",
    "propertyType", "property", "dataAction", "dataNotFoundResolution", *DATA_ACTION_FIELDS,
    "contactColumnToDataActionFieldMappings", "predicates", "subConditions",
    "matchAnyConditions", "timeZoneId",
)  # fmt: skip
ACTION_MEMBERS = (
    "type", "actionTypeName", "updateOption", "properties", "dataAction",
    "contactColumnToDataActionFieldMappings", *DATA_ACTION_FIELDS,
)  # fmt: skip
PREDICATE_MEMBERS = (
    "outputField", "outputOperator", "comparisonValue", "inverted", "outputFieldMissingResolution",
)  # fmt: skip
MAPPING_MEMBERS = ("contactColumnName", "dataActionField")
SUB_MEMBERS = ("type", "operator", "inverted", "includeYear", "thresholdValue", "range")


def _inputs(action_id: str) -> dict[str, Any]:
    return ACTIONS[action_id]["contract"]["input"]["inputSchema"].get("properties", {})


def _outputs(action_id: str) -> dict[str, Any]:
    return ACTIONS[action_id]["contract"]["output"]["successSchema"].get("properties", {})


def _input_field(value: Any, field: str, action_id: str) -> str:
    name = text(value, field)
    if name not in _inputs(action_id):
        known = ", ".join(_inputs(action_id))
        raise refuse(field, f"{name!r} is not an input of the data action (inputs: {known})")
    return name


def _column(value: Any, field: str, columns: list[str]) -> str:
    name = text(value, field)
    if name not in columns:
        raise refuse(field, f"{name!r} is not a column of the contact list")
    return name


def _data_action_members(
    found: dict[str, Any], field: str, columns: list[str]
) -> dict[str, Any] | None:
    """The `dataAction` ref and the members read against its contract (None: no action)."""
    if "dataAction" not in found:
        for name in ("contactColumnToDataActionFieldMappings", "contactIdField", "predicates"):
            if name in found:
                raise refuse(at(field, "dataAction"), f"is required with {name}")
        return None
    action = ref(found["dataAction"], at(field, "dataAction"), ACTIONS, "data action")
    found["dataAction"] = action
    if "contactIdField" in found:
        _input_field(found["contactIdField"], at(field, "contactIdField"), action["id"])
    for name in ("callAnalysisResultField", "agentWrapupField"):
        if name in found:
            text(found[name], at(field, name))
    mappings = at(field, "contactColumnToDataActionFieldMappings")
    kept = []
    for i, raw in enumerate(
        items(found.get("contactColumnToDataActionFieldMappings", []), mappings)
    ):
        where = at(mappings, i)
        pair = members(raw, where, MAPPING_MEMBERS, MAPPING_MEMBERS)
        _column(pair["contactColumnName"], at(where, "contactColumnName"), columns)
        _input_field(pair["dataActionField"], at(where, "dataActionField"), action["id"])
        kept.append(pair)
    if "contactColumnToDataActionFieldMappings" in found:
        found["contactColumnToDataActionFieldMappings"] = kept
    return action


def _predicate(raw: Any, field: str, action_id: str) -> dict[str, Any]:
    found = members(raw, field, PREDICATE_MEMBERS, PREDICATE_MEMBERS)
    name = text(found["outputField"], at(field, "outputField"))
    output = _outputs(action_id).get(name)
    if output is None:
        raise refuse(at(field, "outputField"), f"{name!r} is not a top-level output of the action")
    if output.get("type") not in COMPARABLE:
        kind = output.get("type")
        raise refuse(at(field, "outputField"), f"{name!r} is of type {kind}: not comparable")
    enum(found["outputOperator"], at(field, "outputOperator"), OUTPUT_OPERATORS)
    string(found["comparisonValue"], at(field, "comparisonValue"))
    boolean(found["inverted"], at(field, "inverted"))
    boolean(found["outputFieldMissingResolution"], at(field, "outputFieldMissingResolution"))
    return found


def _sub_condition(raw: Any, field: str) -> dict[str, Any]:
    found = members(raw, field, SUB_MEMBERS, ("type", "operator"))
    enum(found["type"], at(field, "type"), SUB_TYPES)
    operator = enum(found["operator"], at(field, "operator"), OPERATORS)
    for name in ("inverted", "includeYear"):
        if name in found:
            boolean(found[name], at(field, name))
    if "thresholdValue" in found:
        string(found["thresholdValue"], at(field, "thresholdValue"))
    kept = check_range(operator, found, field, ("min", "max", "inSet"))
    if kept is not None:
        found["range"] = kept
    return found


def condition(raw: Any, field: str, columns: list[str]) -> dict[str, Any]:
    found = members(raw, field, CONDITION_MEMBERS, ("type",))
    kind = enum(found["type"], at(field, "type"), CONDITION_TYPES)
    for name in ("inverted", "dataNotFoundResolution", "matchAnyConditions"):
        if name in found:
            boolean(found[name], at(field, name))
    for name in ("value", "property", "timeZoneId"):
        if name in found:
            string(found[name], at(field, name))
    for name, allowed in (
        ("valueType", VALUE_TYPES),
        ("operator", OPERATORS),
        ("propertyType", PROPERTY_TYPES),
    ):
        if name in found:
            enum(found[name], at(field, name), allowed)
    if "codes" in found:
        strings(found["codes"], at(field, "codes"))
    if "attributeName" in found:
        _column(found["attributeName"], at(field, "attributeName"), columns)
    elif kind == "contactAttributeCondition":
        raise refuse(at(field, "attributeName"), "is required for a contactAttributeCondition")
    if kind == "dataActionCondition":
        for name in ("dataAction", "dataNotFoundResolution", "predicates"):
            if name not in found:
                raise refuse(at(field, name), "is required for a dataActionCondition")
    action = _data_action_members(found, field, columns)
    if action is not None and "predicates" in found:
        where = at(field, "predicates")
        found["predicates"] = [
            _predicate(p, at(where, i), action["id"])
            for i, p in enumerate(items(found["predicates"], where))
        ]
    if kind == "timeAndDateCondition" and "subConditions" not in found:
        raise refuse(at(field, "subConditions"), "is required for a timeAndDateCondition")
    if "subConditions" in found:
        where = at(field, "subConditions")
        subs = items(found["subConditions"], where)
        if not 1 <= len(subs) <= MAX_SUB_CONDITIONS:
            raise refuse(where, f"must hold 1 to {MAX_SUB_CONDITIONS} sub-conditions")
        found["subConditions"] = [_sub_condition(s, at(where, i)) for i, s in enumerate(subs)]
    return found


def _dialer_action(raw: Any, field: str, columns: list[str]) -> dict[str, Any]:
    found = members(raw, field, ACTION_MEMBERS, ("type", "actionTypeName"))
    kind = enum(found["type"], at(field, "type"), ACTION_TYPES)
    enum(found["actionTypeName"], at(field, "actionTypeName"), ACTION_TYPE_NAMES)
    if "updateOption" in found:
        enum(found["updateOption"], at(field, "updateOption"), UPDATE_OPTIONS)
    if "properties" in found:
        where = at(field, "properties")
        if not isinstance(found["properties"], dict):
            raise refuse(where, "must be a JSON object of string values")
        for key, value in found["properties"].items():
            string(value, at(where, key))
    if kind == "dataActionBehavior" and "dataAction" not in found:
        raise refuse(at(field, "dataAction"), "is required for a dataActionBehavior action")
    _data_action_members(found, field, columns)
    return found


def _rule(raw: Any, field: str, columns: list[str]) -> dict[str, Any]:
    allowed = ("id", "name", "order", "category", "conditions", "actions")
    found = members(raw, field, allowed, ("name", "category", "conditions"))
    if "id" in found:
        string(found["id"], at(field, "id"))
    text(found["name"], at(field, "name"))
    if "order" in found:
        integer(found["order"], at(field, "order"))
    enum(found["category"], at(field, "category"), CATEGORIES)
    where = at(field, "conditions")
    found["conditions"] = [
        condition(c, at(where, i), columns) for i, c in enumerate(items(found["conditions"], where))
    ]
    if "actions" in found:
        where = at(field, "actions")
        found["actions"] = [
            _dialer_action(a, at(where, i), columns)
            for i, a in enumerate(items(found["actions"], where))
        ]
    return found


def rule_set(body: Any) -> dict[str, Any]:
    """The stored form of a rule set body (server members left out), or the 400."""
    allowed = (*SERVER_MEMBERS, "name", "contactList", "queue", "rules")
    found = members(body, "", allowed, ("name", "contactList"))
    text(found["name"], "name")
    contact_list = ref(found["contactList"], "contactList", CONTACT_LISTS, "contact list")
    columns = CONTACT_LISTS[contact_list["id"]]["columnNames"]
    kept: dict[str, Any] = {"name": found["name"], "contactList": contact_list}
    if "queue" in found:
        queue = members(found["queue"], "queue", ("id", "name", "selfUri"), ("id",))
        kept["queue"] = {"id": text(queue["id"], "queue.id")}
    kept["rules"] = [
        _rule(r, at("rules", i), columns)
        for i, r in enumerate(items(found.get("rules", []), "rules"))
    ]
    return kept
