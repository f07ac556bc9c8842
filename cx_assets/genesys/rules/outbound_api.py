"""Readable rule documents <-> the API's `RuleSet` / `ContactListFilter` members.

`*_members` build the members a document manages, in one canonical form (enum spellings as PY
lists them, refs as `{"id"}`, defaults written out, server-filled members left out); the same
functions applied to a live entity read back (`*_from_api`, tolerant of case, absent lists and
members we do not know) give the live side in that form, so equality is plain `==` and nothing
the server fills in counts as a difference. Names of the contact list and data actions are
resolved by a `Names` the caller built from the org before any write.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cx_assets.genesys.rules.outbound_model import (
    ActionBody,
    Clause,
    ColumnTest,
    Condition,
    DataActionTest,
    EntityRef,
    FilterDoc,
    FilterPredicate,
    Predicate,
    PropertyTest,
    Ref,
    Rule,
    RuleAction,
    RuleSetDoc,
    SubCondition,
    TimeAndDateTest,
    ValueTest,
    WrapupTest,
)

CATEGORIES = {"pre-call": "DIALER_PRECALL", "wrap-up": "DIALER_WRAPUP"}
CONDITION_TYPES = {
    "contact_attribute": "contactAttributeCondition",
    "phone_number": "phoneNumberCondition",
    "phone_number_type": "phoneNumberTypeCondition",
    "call_analysis": "callAnalysisCondition",
    "wrapup": "wrapupCondition",
    "system_disposition": "systemDispositionCondition",
    "contact_property": "contactPropertyCondition",
    "data_action": "dataActionCondition",
    "time_and_date": "timeAndDateCondition",
}
SUB_CONDITION_TYPES = {
    "time_of_day": "timeOfDay",
    "day_of_week": "dayOfWeek",
    "day_of_month": "dayOfMonth",
    "specific_date": "specificDate",
}
MATCH = {"all": "AND", "any": "OR"}


class UnreadableLive(ValueError):
    """A live entity member this project cannot read back (a condition type it does not know,
    a missing required member): it counts as different, and is shown raw."""


@dataclass(frozen=True)
class Names:
    """The org's names, resolved once: contact lists and data actions, both directions."""

    contact_lists: Mapping[str, str] = field(default_factory=dict)  # name -> id
    actions: Mapping[str, str] = field(default_factory=dict)  # name -> id

    def contact_list_id(self, ref: Ref) -> str:
        return ref.id if isinstance(ref, EntityRef) else self.contact_lists[ref]

    def action_id(self, ref: Ref) -> str:
        return ref.id if isinstance(ref, EntityRef) else self.actions[ref]

    def contact_list_ref(self, entity_id: str) -> Ref:
        return _name_of(self.contact_lists, entity_id)

    def action_ref(self, entity_id: str) -> Ref:
        return _name_of(self.actions, entity_id)


def _name_of(names: Mapping[str, str], entity_id: str) -> Ref:
    found = [name for name, i in names.items() if i == entity_id]
    return found[0] if len(found) == 1 else EntityRef(id=entity_id)


def _upper(value: str) -> str:
    return value.upper()


def _lower(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise UnreadableLive(f"{where}: expected a non-empty string, got {value!r}")
    return value.lower()


# -- repo -> API --------------------------------------------------------------------------------


def _mappings(inputs: Mapping[str, str]) -> list[dict[str, str]]:
    return [
        {"contactColumnName": column, "dataActionField": field_name}
        for field_name, column in sorted(inputs.items())
    ]


def _optional(out: dict[str, Any], **members: Any) -> dict[str, Any]:
    out.update({k: v for k, v in members.items() if v is not None})
    return out


def _value_test(test: ValueTest | ColumnTest | PropertyTest) -> dict[str, Any]:
    return {"operator": _upper(test.op), "value": test.value, "valueType": _upper(test.type)}


def condition_api(condition: Condition, names: Names) -> dict[str, Any]:
    kind, test = condition.kind, condition.test
    out: dict[str, Any] = {"type": CONDITION_TYPES[kind], "inverted": condition.not_}
    if isinstance(test, ColumnTest):
        out.update(attributeName=test.column, **_value_test(test))
    elif isinstance(test, PropertyTest):
        out.update(propertyType=_upper(test.property_type), **_value_test(test))
        _optional(out, property=test.property)
    elif isinstance(test, ValueTest):
        out.update(_value_test(test))
    elif isinstance(test, WrapupTest):
        out["codes"] = list(test.codes)
    elif isinstance(test, DataActionTest):
        out.update(
            dataAction={"id": names.action_id(test.action)},
            dataNotFoundResolution=test.no_data,
            contactColumnToDataActionFieldMappings=_mappings(test.inputs),
            predicates=[_predicate_api(p) for p in test.predicates],
        )
        _optional(
            out,
            contactIdField=test.contact_id_field,
            callAnalysisResultField=test.call_analysis_result_field,
            agentWrapupField=test.agent_wrapup_field,
        )
    elif isinstance(test, TimeAndDateTest):
        out.update(
            subConditions=[_sub_condition_api(s) for s in test.when],
            matchAnyConditions=test.match_any,
            timeZoneId=test.time_zone,
        )
    return out


def _predicate_api(p: Predicate) -> dict[str, Any]:
    return {
        "outputField": p.output,
        "outputOperator": _upper(p.op),
        "comparisonValue": p.value,
        "inverted": p.not_,
        "outputFieldMissingResolution": p.if_missing,
    }


def _sub_condition_api(s: SubCondition) -> dict[str, Any]:
    out: dict[str, Any] = {
        "type": SUB_CONDITION_TYPES[s.type],
        "operator": _upper(s.op),
        "inverted": s.not_,
    }
    _optional(out, includeYear=s.include_year, thresholdValue=s.value)
    if s.min is not None or s.max is not None or s.in_ is not None:
        out["range"] = _optional({}, min=s.min, max=s.max, inSet=s.in_)
    return out


def action_api(action: RuleAction, names: Names) -> dict[str, Any]:
    body = action.body
    type_ = {
        "modify_contact_attribute": "modifyContactAttribute",
        "data_action": "dataActionBehavior",
    }
    out: dict[str, Any] = {
        "type": type_.get(action.kind, "Action"),
        "actionTypeName": _upper(action.kind),
        "properties": dict(sorted(body.properties.items())),
    }
    _optional(out, updateOption=_upper(body.update) if body.update else None)
    if body.action is not None:
        out["dataAction"] = {"id": names.action_id(body.action)}
    if body.inputs:
        out["contactColumnToDataActionFieldMappings"] = _mappings(body.inputs)
    return _optional(
        out,
        contactIdField=body.contact_id_field,
        callAnalysisResultField=body.call_analysis_result_field,
        agentWrapupField=body.agent_wrapup_field,
    )


def rule_api(rule: Rule, names: Names) -> dict[str, Any]:
    return {
        "name": rule.name,
        "order": rule.order,
        "category": CATEGORIES[rule.category],
        "conditions": [condition_api(c, names) for c in rule.when],
        "actions": [action_api(a, names) for a in rule.actions],
    }


def rule_set_members(doc: RuleSetDoc, names: Names) -> dict[str, Any]:
    """The members of a `RuleSet` this document manages (`queue` only when it names one)."""
    out: dict[str, Any] = {
        "name": doc.name,
        "contactList": {"id": names.contact_list_id(doc.contact_list)},
        "rules": [rule_api(r, names) for r in sorted(doc.rules, key=lambda r: r.order)],
    }
    if doc.queue is not None:
        out["queue"] = {"id": doc.queue}
    return out


def _filter_predicate_api(p: FilterPredicate) -> dict[str, Any]:
    out: dict[str, Any] = {
        "column": p.column,
        "columnType": p.type,
        "operator": _upper(p.op),
        "inverted": p.not_,
    }
    _optional(out, value=p.value)
    if p.min is not None or p.max is not None or p.in_ is not None:
        out["range"] = _optional(
            {},
            min=p.min,
            max=p.max,
            minInclusive=p.min_inclusive,
            maxInclusive=p.max_inclusive,
            inSet=p.in_,
        )
    return out


def clause_api(clause: Clause) -> dict[str, Any]:
    return {
        "filterType": MATCH[clause.match],
        "predicates": [_filter_predicate_api(p) for p in clause.where],
    }


def filter_members(doc: FilterDoc, names: Names) -> dict[str, Any]:
    """The members of a `ContactListFilter` this document manages (all of them)."""
    return {
        "name": doc.name,
        "sourceType": "ContactList",
        "contactList": {"id": names.contact_list_id(doc.contact_list)},
        "filterType": MATCH[doc.match],
        "clauses": [clause_api(c) for c in doc.clauses],
    }


# -- API -> repo (reading a live entity back) ---------------------------------------------------


def _invert(mapping: Mapping[str, str]) -> dict[str, str]:
    return {v.lower(): k for k, v in mapping.items()}


_CATEGORY_OF = _invert(CATEGORIES)
_CONDITION_OF = _invert(CONDITION_TYPES)
_SUB_CONDITION_OF = _invert(SUB_CONDITION_TYPES)
_MATCH_OF = _invert(MATCH)


def _ref_id(value: Any, where: str) -> str:
    if isinstance(value, Mapping) and isinstance(value.get("id"), str) and value["id"]:
        return value["id"]
    raise UnreadableLive(f"{where}: expected a reference with an id, got {value!r}")


def _list(value: Any, where: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise UnreadableLive(f"{where}: expected a list, got {type(value).__name__}")
    return value


def _mapping(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise UnreadableLive(f"{where}: expected an object, got {type(value).__name__}")
    return value


def _inputs(mappings: Any, where: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for i, m in enumerate(_list(mappings, where)):
        m = _mapping(m, f"{where}[{i}]")
        out[str(m.get("dataActionField"))] = str(m.get("contactColumnName"))
    return out


def _read(model: type[Any], data: dict[str, Any], where: str) -> Any:
    try:
        return model.model_validate(data)
    except ValueError as exc:
        raise UnreadableLive(f"{where}: {exc}") from None


def _value_doc(c: Mapping[str, Any], where: str) -> dict[str, Any]:
    out = {
        "op": _lower(c.get("operator"), f"{where}.operator"),
        "value": c.get("value") if c.get("value") is not None else "",
    }
    if c.get("valueType") is not None:
        out["type"] = _lower(c.get("valueType"), f"{where}.valueType")
    return out


def condition_from_api(c: Any, names: Names, where: str) -> Condition:
    c = _mapping(c, where)
    kind = _CONDITION_OF.get(str(c.get("type", "")).lower())
    if kind is None:
        raise UnreadableLive(
            f"{where}.type: a condition type this project does not know: {c.get('type')!r}"
        )
    test: dict[str, Any]
    if kind == "contact_attribute":
        test = {"column": c.get("attributeName"), **_value_doc(c, where)}
    elif kind == "contact_property":
        test = {
            "property_type": _lower(c.get("propertyType"), f"{where}.propertyType"),
            **_value_doc(c, where),
        }
        if c.get("property") is not None:
            test["property"] = c["property"]
    elif kind == "wrapup":
        test = {"codes": _list(c.get("codes"), f"{where}.codes")}
    elif kind == "data_action":
        test = {
            "action": names.action_ref(_ref_id(c.get("dataAction"), f"{where}.dataAction")),
            "inputs": _inputs(c.get("contactColumnToDataActionFieldMappings"), f"{where}.mappings"),
            "no_data": bool(c.get("dataNotFoundResolution", False)),
            "predicates": [
                _predicate_doc(_mapping(p, f"{where}.predicates[{i}]"), f"{where}.predicates[{i}]")
                for i, p in enumerate(_list(c.get("predicates"), f"{where}.predicates"))
            ],
        }
        for member, key in (
            ("contactIdField", "contact_id_field"),
            ("callAnalysisResultField", "call_analysis_result_field"),
            ("agentWrapupField", "agent_wrapup_field"),
        ):
            if c.get(member) is not None:
                test[key] = c[member]
    elif kind == "time_and_date":
        test = {
            "time_zone": c.get("timeZoneId"),
            "match_any": bool(c.get("matchAnyConditions", False)),
            "when": [
                _sub_doc(_mapping(s, f"{where}.subConditions[{i}]"), f"{where}.subConditions[{i}]")
                for i, s in enumerate(_list(c.get("subConditions"), f"{where}.subConditions"))
            ],
        }
    else:
        test = _value_doc(c, where)
    return _read(Condition, {"not": bool(c.get("inverted", False)), kind: test}, where)


def _predicate_doc(p: Mapping[str, Any], where: str) -> dict[str, Any]:
    return {
        "output": p.get("outputField"),
        "op": _lower(p.get("outputOperator"), f"{where}.outputOperator"),
        "value": p.get("comparisonValue") if p.get("comparisonValue") is not None else "",
        "not": bool(p.get("inverted", False)),
        "if_missing": bool(p.get("outputFieldMissingResolution", False)),
    }


def _range_doc(r: Any, where: str, with_inclusive: bool) -> dict[str, Any]:
    if r is None:
        return {}
    r = _mapping(r, where)
    out = {k: r[k] for k in ("min", "max") if r.get(k) is not None}
    if r.get("inSet") is not None:
        out["in"] = _list(r["inSet"], f"{where}.inSet")
    if with_inclusive:
        for member, key in (("minInclusive", "min_inclusive"), ("maxInclusive", "max_inclusive")):
            if r.get(member) is not None:
                out[key] = r[member]
    return out


def _sub_doc(s: Mapping[str, Any], where: str) -> dict[str, Any]:
    kind = _SUB_CONDITION_OF.get(str(s.get("type", "")).lower())
    if kind is None:
        raise UnreadableLive(f"{where}.type: unknown sub-condition type {s.get('type')!r}")
    out = {
        "type": kind,
        "op": _lower(s.get("operator"), f"{where}.operator"),
        "not": bool(s.get("inverted", False)),
        **_range_doc(s.get("range"), f"{where}.range", with_inclusive=False),
    }
    if s.get("includeYear") is not None:
        out["include_year"] = s["includeYear"]
    if s.get("thresholdValue") is not None:
        out["value"] = s["thresholdValue"]
    return out


def action_from_api(a: Any, names: Names, where: str) -> RuleAction:
    a = _mapping(a, where)
    kind = _lower(a.get("actionTypeName"), f"{where}.actionTypeName")
    body: dict[str, Any] = {"properties": dict(a.get("properties") or {})}
    if a.get("updateOption") is not None:
        body["update"] = _lower(a["updateOption"], f"{where}.updateOption")
    if a.get("dataAction") is not None:
        body["action"] = names.action_ref(_ref_id(a["dataAction"], f"{where}.dataAction"))
    if a.get("contactColumnToDataActionFieldMappings"):
        body["inputs"] = _inputs(a["contactColumnToDataActionFieldMappings"], f"{where}.mappings")
    for member, key in (
        ("contactIdField", "contact_id_field"),
        ("callAnalysisResultField", "call_analysis_result_field"),
        ("agentWrapupField", "agent_wrapup_field"),
    ):
        if a.get(member) is not None:
            body[key] = a[member]
    return _read(RuleAction, {"kind": kind, "body": _read(ActionBody, body, where)}, where)


def rule_from_api(r: Any, names: Names, where: str) -> Rule:
    r = _mapping(r, where)
    category = _CATEGORY_OF.get(str(r.get("category", "")).lower())
    data = {
        "name": r.get("name"),
        "order": r.get("order", 0),
        "category": category,
        "when": [
            condition_from_api(c, names, f"{where}.conditions[{i}]")
            for i, c in enumerate(_list(r.get("conditions"), f"{where}.conditions"))
        ],
        "actions": [
            action_from_api(a, names, f"{where}.actions[{i}]")
            for i, a in enumerate(_list(r.get("actions"), f"{where}.actions"))
        ],
    }
    return _read(Rule, data, where)


def rule_set_from_api(live: Mapping[str, Any], names: Names, *, with_queue: bool) -> RuleSetDoc:
    """A live `RuleSet` as a document (`queue` read only when the repo manages it)."""
    data: dict[str, Any] = {
        "name": live.get("name"),
        "id": live.get("id"),
        "contact_list": names.contact_list_ref(_ref_id(live.get("contactList"), "contactList")),
        "rules": [
            rule_from_api(r, names, f"rules[{i}]")
            for i, r in enumerate(_list(live.get("rules"), "rules"))
        ],
    }
    if with_queue and live.get("queue") is not None:
        data["queue"] = _ref_id(live["queue"], "queue")
    return _read(RuleSetDoc, data, "rule set")


def clause_from_api(c: Any, where: str) -> Clause:
    c = _mapping(c, where)
    predicates = []
    for j, p in enumerate(_list(c.get("predicates"), f"{where}.predicates")):
        at = f"{where}.predicates[{j}]"
        p = _mapping(p, at)
        predicates.append(
            {
                "column": p.get("column"),
                "type": _lower(p.get("columnType") or "alphabetic", f"{at}.columnType"),
                "op": _lower(p.get("operator"), f"{at}.operator"),
                "not": bool(p.get("inverted", False)),
                **({"value": p["value"]} if p.get("value") is not None else {}),
                **_range_doc(p.get("range"), f"{at}.range", with_inclusive=True),
            }
        )
    match = _MATCH_OF.get(str(c.get("filterType", "AND")).lower())
    return _read(Clause, {"match": match, "where": predicates}, where)


def filter_from_api(live: Mapping[str, Any], names: Names) -> FilterDoc:
    data = {
        "name": live.get("name"),
        "id": live.get("id"),
        "contact_list": names.contact_list_ref(_ref_id(live.get("contactList"), "contactList")),
        "match": _MATCH_OF.get(str(live.get("filterType", "AND")).lower()),
        "clauses": [
            clause_from_api(c, f"clauses[{i}]")
            for i, c in enumerate(_list(live.get("clauses"), "clauses"))
        ],
    }
    return _read(FilterDoc, data, "contact list filter")
