"""What the independent rules server takes in a `RuleSet` / `ContactListFilter` body.

`check_rule_set` and `check_filter` return the stored form of a body (server-filled members
dropped, refs reduced to `{"id"}`) or raise `Invalid` naming the member
(`rules[0].conditions[1].predicates[0].outputField`). Enum values must be written exactly as the
contract lists them (no other case); members the server wrote itself (`xIndependent…`, ref
`name`/`selfUri`, `selfUri`, dates, `id`, `version`) may be sent back; any other unknown member is
refused.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Json = dict[str, Any]
EXTRA_PREFIX = "xIndependent"
SERVER_FILLED = {"id", "version", "dateCreated", "dateModified", "selfUri"}

OPERATORS = ["EQUALS", "LESS_THAN", "LESS_THAN_EQUALS", "GREATER_THAN", "GREATER_THAN_EQUALS"]
OPERATORS += ["CONTAINS", "BEGINS_WITH", "ENDS_WITH", "BEFORE", "AFTER"]
CONDITION_OPERATORS = [*OPERATORS, "IN", "BETWEEN"]
FILTER_OPERATORS = [*OPERATORS, "BETWEEN", "IN"]
CONDITION_TYPES = ["wrapupCondition", "systemDispositionCondition", "contactAttributeCondition"]
CONDITION_TYPES += ["phoneNumberCondition", "phoneNumberTypeCondition", "callAnalysisCondition"]
CONDITION_TYPES += ["contactPropertyCondition", "dataActionCondition", "timeAndDateCondition"]
VALUE_TYPES = ["STRING", "NUMERIC", "DATETIME", "PERIOD"]
PROPERTY_TYPES = ["LAST_ATTEMPT_BY_COLUMN", "LAST_ATTEMPT_OVERALL", "LAST_WRAPUP_BY_COLUMN"]
PROPERTY_TYPES += ["LAST_WRAPUP_OVERALL"]
CATEGORIES = ["DIALER_PRECALL", "DIALER_WRAPUP"]
ACTION_TYPES = ["Action", "modifyContactAttribute", "dataActionBehavior"]
ACTION_NAMES = ["DO_NOT_DIAL", "MODIFY_CONTACT_ATTRIBUTE", "SWITCH_TO_PREVIEW"]
ACTION_NAMES += ["APPEND_NUMBER_TO_DNC_LIST", "APPEND_CUSTOM_ENTRY_TO_DNC_LIST"]
ACTION_NAMES += ["SCHEDULE_CALLBACK", "CONTACT_UNCALLABLE", "NUMBER_UNCALLABLE"]
ACTION_NAMES += ["SET_CALLER_ID", "SET_SKILLS", "DATA_ACTION"]
UPDATE_OPTIONS = ["SET", "INCREMENT", "DECREMENT", "CURRENT_TIME"]
SUB_TYPES = ["timeOfDay", "dayOfWeek", "dayOfMonth", "specificDate"]
FILTER_TYPES = ["AND", "OR"]
COLUMN_TYPES = ["numeric", "alphabetic"]
SOURCE_TYPES = ["ContactList", "ContactListTemplate"]
CONDITION_OUTPUT_TYPES = {"boolean", "integer", "number", "string"}

# where each enum lives: (object kind, member) -> allowed values; the renderer re-cases these
ENUMS: dict[tuple[str, str], list[str]] = {
    ("rule", "category"): CATEGORIES,
    ("condition", "type"): CONDITION_TYPES,
    ("condition", "valueType"): VALUE_TYPES,
    ("condition", "operator"): CONDITION_OPERATORS,
    ("condition", "propertyType"): PROPERTY_TYPES,
    ("outputPredicate", "outputOperator"): OPERATORS,
    ("subCondition", "type"): SUB_TYPES,
    ("action", "type"): ACTION_TYPES,
    ("action", "actionTypeName"): ACTION_NAMES,
    ("action", "updateOption"): UPDATE_OPTIONS,
    ("filter", "sourceType"): SOURCE_TYPES,
    ("filter", "filterType"): FILTER_TYPES,
    ("clause", "filterType"): FILTER_TYPES,
    ("predicate", "columnType"): COLUMN_TYPES,
    ("predicate", "operator"): FILTER_OPERATORS,
}


class Invalid(ValueError):
    """A body the server refuses: 400 with `details[0].fieldName` = `field`."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


class Lookups:
    """What a body may refer to: contact lists (columns) and actions (inputs, outputs)."""

    def __init__(self, lists: dict[str, Json], actions: dict[str, Json]) -> None:
        self.lists, self.actions = lists, actions


def strip_extras(value: Any) -> Any:
    """`value` without the unknown members this server writes (they may be sent back)."""
    if isinstance(value, dict):
        return {k: strip_extras(v) for k, v in value.items() if not k.startswith(EXTRA_PREFIX)}
    if isinstance(value, list):
        return [strip_extras(v) for v in value]
    return value


def _only(body: Any, where: str, allowed: set[str], required: tuple[str, ...] = ()) -> Json:
    if not isinstance(body, dict):
        raise Invalid(where or "body", "must be a JSON object")
    for key in body:
        if key not in allowed:
            raise Invalid(_at(where, key), "is not a member of this object")
    for key in required:
        if body.get(key) is None:
            raise Invalid(_at(where, key), "is required")
    return body


def _at(where: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{where}[{key}]"
    return f"{where}.{key}" if where else key


def _enum(body: Json, kind: str, key: str, where: str) -> None:
    if key in body and body[key] is not None and body[key] not in ENUMS[kind, key]:
        allowed = ", ".join(ENUMS[kind, key])
        raise Invalid(_at(where, key), f"must be one of {allowed} (as written), got {body[key]!r}")


def _typed(body: Json, key: str, where: str, kind: type | tuple[type, ...]) -> None:
    value = body.get(key)
    bad = value is not None and (not isinstance(value, kind) or isinstance(value, bool))
    if kind is bool:
        bad = value is not None and not isinstance(value, bool)
    if bad:
        raise Invalid(_at(where, key), f"has the wrong type: {type(value).__name__}")


def _list(body: Json, key: str, where: str, check: Callable[[Any, str], Json]) -> list[Json]:
    value = body.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise Invalid(_at(where, key), "must be a list")
    return [check(item, _at(_at(where, key), i)) for i, item in enumerate(value)]


def _ref(value: Any, where: str, known: dict[str, Json] | None, what: str) -> Json:
    ref = _only(value, where, {"id", "name", "selfUri"}, ("id",))
    if not isinstance(ref["id"], str) or (known is not None and ref["id"] not in known):
        raise Invalid(_at(where, "id"), f"no {what} has id {ref['id']!r}")
    return {"id": ref["id"]}


def _name(body: Json, where: str = "") -> None:
    if not isinstance(body.get("name"), str) or not body["name"].strip():
        raise Invalid(_at(where, "name"), "is required (a non-empty string)")


# ---- rule sets ---------------------------------------------------------------------------------
RULE_SET_MEMBERS = SERVER_FILLED | {"name", "contactList", "queue", "rules"}
RULE_MEMBERS = {"id", "name", "order", "category", "conditions", "actions"}
CONDITION_MEMBERS = {"type", "inverted", "attributeName", "value", "valueType", "operator"}
CONDITION_MEMBERS |= {"codes", "propertyType", "property", "dataAction", "dataNotFoundResolution"}
CONDITION_MEMBERS |= {"contactIdField", "callAnalysisResultField", "agentWrapupField"}
CONDITION_MEMBERS |= {"contactColumnToDataActionFieldMappings", "predicates", "subConditions"}
CONDITION_MEMBERS |= {"matchAnyConditions", "timeZoneId"}
OUTPUT_PREDICATE_MEMBERS = {"outputField", "outputOperator", "comparisonValue", "inverted"}
OUTPUT_PREDICATE_MEMBERS |= {"outputFieldMissingResolution"}
SUB_MEMBERS = {"type", "operator", "inverted", "includeYear", "thresholdValue", "range"}
ACTION_MEMBERS = {"type", "actionTypeName", "updateOption", "properties", "dataAction"}
ACTION_MEMBERS |= {"contactColumnToDataActionFieldMappings", "contactIdField"}
ACTION_MEMBERS |= {"callAnalysisResultField", "agentWrapupField"}


class RuleSetChecker:
    def __init__(self, lookups: Lookups) -> None:
        self.lookups = lookups
        self.columns: list[str] = []

    def check(self, body: Any) -> Json:
        body = _only(body, "", RULE_SET_MEMBERS, ("name", "contactList", "rules"))
        _name(body)
        out: Json = {"name": body["name"]}
        out["contactList"] = _ref(body["contactList"], "contactList", self.lookups.lists, "list")
        self.columns = self.lookups.lists[out["contactList"]["id"]]["columnNames"]
        if body.get("queue") is not None:
            out["queue"] = _ref(body["queue"], "queue", None, "queue")
        if not isinstance(body["rules"], list):
            raise Invalid("rules", "must be a list")
        out["rules"] = _list(body, "rules", "", self.rule)
        return out

    def rule(self, value: Any, where: str) -> Json:
        rule = _only(value, where, RULE_MEMBERS, ("name", "category", "conditions"))
        _name(rule, where)
        _enum(rule, "rule", "category", where)
        _typed(rule, "order", where, int)
        _typed(rule, "id", where, str)
        out = {k: rule[k] for k in ("id", "name", "order", "category") if rule.get(k) is not None}
        out["conditions"] = _list(rule, "conditions", where, self.condition)
        out["actions"] = _list(rule, "actions", where, self.action)
        return out

    def condition(self, value: Any, where: str) -> Json:
        cond = _only(value, where, CONDITION_MEMBERS, ("type",))
        for kind_key in ("type", "valueType", "operator", "propertyType"):
            _enum(cond, "condition", kind_key, where)
        for key in ("inverted", "dataNotFoundResolution", "matchAnyConditions"):
            _typed(cond, key, where, bool)
        for key in ("attributeName", "value", "property", "contactIdField", "timeZoneId"):
            _typed(cond, key, where, str)
        out = {k: v for k, v in cond.items() if v is not None}
        if cond.get("attributeName") is not None and cond["attributeName"] not in self.columns:
            raise Invalid(_at(where, "attributeName"), "is not a column of the contact list")
        if cond["type"] == "contactAttributeCondition" and cond.get("attributeName") is None:
            raise Invalid(_at(where, "attributeName"), "is required for contactAttributeCondition")
        if cond["type"] == "dataActionCondition":
            self.data_action_condition(cond, where, out)
        if cond["type"] == "timeAndDateCondition":
            subs = _list(cond, "subConditions", where, self.sub_condition)
            if not 1 <= len(subs) <= 10:
                raise Invalid(_at(where, "subConditions"), "must hold 1 to 10 sub-conditions")
            out["subConditions"] = subs
        return out

    def data_action_condition(self, cond: Json, where: str, out: Json) -> None:
        for key in ("dataAction", "dataNotFoundResolution", "predicates"):
            if cond.get(key) is None:
                raise Invalid(_at(where, key), "is required for dataActionCondition")
        out["dataAction"] = _ref(
            cond["dataAction"], _at(where, "dataAction"), self.lookups.actions, "action"
        )
        action = self.lookups.actions[out["dataAction"]["id"]]
        self.inputs_and_mappings(cond, where, out, action)

        def predicate(value: Any, at: str) -> Json:
            pred = _only(value, at, OUTPUT_PREDICATE_MEMBERS, tuple(OUTPUT_PREDICATE_MEMBERS))
            _enum(pred, "outputPredicate", "outputOperator", at)
            _typed(pred, "comparisonValue", at, str)
            _typed(pred, "inverted", at, bool)
            _typed(pred, "outputFieldMissingResolution", at, bool)
            field = action["outputs"].get(pred["outputField"])
            if field is None or field.get("type") not in CONDITION_OUTPUT_TYPES:
                raise Invalid(
                    _at(at, "outputField"),
                    f"{pred['outputField']!r} is not a boolean, integer, number or string "
                    f"top-level output of {action['name']!r}",
                )
            return dict(pred)

        out["predicates"] = _list(cond, "predicates", where, predicate)

    def inputs_and_mappings(self, body: Json, where: str, out: Json, action: Json) -> None:
        if (
            body.get("contactIdField") is not None
            and body["contactIdField"] not in action["inputs"]
        ):
            raise Invalid(_at(where, "contactIdField"), "is not an input of the action")

        def mapping(value: Any, at: str) -> Json:
            pair = _only(
                value,
                at,
                {"contactColumnName", "dataActionField"},
                ("contactColumnName", "dataActionField"),
            )
            if pair["contactColumnName"] not in self.columns:
                raise Invalid(_at(at, "contactColumnName"), "is not a column of the contact list")
            if pair["dataActionField"] not in action["inputs"]:
                raise Invalid(_at(at, "dataActionField"), "is not an input of the action")
            return dict(pair)

        key = "contactColumnToDataActionFieldMappings"
        if body.get(key) is not None:
            out[key] = _list(body, key, where, mapping)

    def sub_condition(self, value: Any, where: str) -> Json:
        sub = _only(value, where, SUB_MEMBERS, ("type",))
        _enum(sub, "subCondition", "type", where)
        if sub.get("range") is not None:
            _only(sub["range"], _at(where, "range"), {"min", "max", "inSet"})
        return {k: v for k, v in sub.items() if v is not None}

    def action(self, value: Any, where: str) -> Json:
        act = _only(value, where, ACTION_MEMBERS, ("type", "actionTypeName"))
        for key in ("type", "actionTypeName", "updateOption"):
            _enum(act, "action", key, where)
        props = act.get("properties")
        if props is not None and (
            not isinstance(props, dict) or not all(isinstance(v, str) for v in props.values())
        ):
            raise Invalid(_at(where, "properties"), "must map strings to strings")
        out = {k: v for k, v in act.items() if v is not None}
        if act.get("dataAction") is not None:
            out["dataAction"] = _ref(
                act["dataAction"], _at(where, "dataAction"), self.lookups.actions, "action"
            )
            self.inputs_and_mappings(act, where, out, self.lookups.actions[out["dataAction"]["id"]])
        return out


def check_rule_set(body: Any, lookups: Lookups) -> Json:
    return RuleSetChecker(lookups).check(body)


# ---- contact list filters ----------------------------------------------------------------------
FILTER_MEMBERS = SERVER_FILLED | {"name", "sourceType", "contactList", "filterType", "clauses"}
CLAUSE_MEMBERS = {"filterType", "predicates"}
PREDICATE_MEMBERS = {"column", "columnType", "operator", "value", "range", "inverted"}
RANGE_MEMBERS = {"min", "max", "minInclusive", "maxInclusive", "inSet"}


def check_filter(body: Any, lookups: Lookups) -> Json:
    body = _only(body, "", FILTER_MEMBERS, ("name", "contactList"))
    _name(body)
    _enum(body, "filter", "sourceType", "")
    if body.get("sourceType", "ContactList") != "ContactList":
        raise Invalid("sourceType", "this org holds no contact list templates: ContactList only")
    _enum(body, "filter", "filterType", "")
    out: Json = {"name": body["name"], "sourceType": "ContactList"}
    out["contactList"] = _ref(body["contactList"], "contactList", lookups.lists, "contact list")
    columns = lookups.lists[out["contactList"]["id"]]["columnNames"]
    out["filterType"] = body.get("filterType") or "AND"

    def predicate(value: Any, where: str) -> Json:
        pred = _only(value, where, PREDICATE_MEMBERS, ("column", "operator"))
        _enum(pred, "predicate", "columnType", where)
        _enum(pred, "predicate", "operator", where)
        _typed(pred, "inverted", where, bool)
        if pred["column"] not in columns:
            raise Invalid(_at(where, "column"), f"{pred['column']!r} is not a column of the list")
        rng = pred.get("range")
        if rng is not None:
            _only(rng, _at(where, "range"), RANGE_MEMBERS)
        if pred["operator"] == "BETWEEN":
            for key in ("min", "max"):
                if not isinstance(rng, dict) or rng.get(key) is None:
                    raise Invalid(_at(_at(where, "range"), key), "is required for BETWEEN")
        elif pred["operator"] == "IN":
            if not isinstance(rng, dict) or not isinstance(rng.get("inSet"), list):
                raise Invalid(_at(_at(where, "range"), "inSet"), "is required for IN")
        elif pred.get("value") is None:
            raise Invalid(_at(where, "value"), f"is required for {pred['operator']}")
        return {k: v for k, v in pred.items() if v is not None}

    def clause(value: Any, where: str) -> Json:
        body = _only(value, where, CLAUSE_MEMBERS)
        _enum(body, "clause", "filterType", where)
        return {
            "filterType": body.get("filterType") or "AND",
            "predicates": _list(body, "predicates", where, predicate),
        }

    out["clauses"] = _list(body, "clauses", "", clause)
    return out
