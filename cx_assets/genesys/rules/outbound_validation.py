"""Check a rule set or filter against the org before any request that writes.

Every problem names the file, the path in the tree and the rule broken: a column the contact
list does not have, a data action or output field that does not exist, an output of a type a
condition cannot test (HC: boolean, integer, number and string only), a value that does not fit
its type, an operator the type does not take, two rules with one order, the documented limits.
Which operators fit which type is this project's reading (the API lists operators, not their
pairing: UNVERIFIED); it refuses only what cannot mean anything (`contains` on a number).
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from cx_assets.genesys.rules.model import RuleProblem
from cx_assets.genesys.rules.outbound_api import Names
from cx_assets.genesys.rules.outbound_model import (
    ColumnTest,
    Condition,
    DataActionTest,
    FilterDoc,
    FilterPredicate,
    PropertyTest,
    Rule,
    RuleAction,
    RuleSetDoc,
    SubCondition,
    TimeAndDateTest,
    ValueTest,
)
from cx_assets.genesys.rules.platform_models import (
    CONDITION_OUTPUT_TYPES,
    ActionView,
    ContactListView,
)

_STRING_OPS = frozenset({"equals", "contains", "begins_with", "ends_with"})
_NUMBER_OPS = frozenset(
    {"equals", "less_than", "less_than_equals", "greater_than", "greater_than_equals"}
)
CONDITION_OPS: dict[str, frozenset[str]] = {
    "string": _STRING_OPS,
    "numeric": _NUMBER_OPS,
    "datetime": frozenset({"equals", "before", "after"}),
    "period": frozenset({"before", "after"}),
}
OUTPUT_OPS: dict[str, frozenset[str]] = {
    "boolean": frozenset({"equals"}),
    "integer": _NUMBER_OPS,
    "number": _NUMBER_OPS,
    "string": _STRING_OPS | {"before", "after"},
}
FILTER_OPS: dict[str, frozenset[str]] = {
    "alphabetic": _STRING_OPS | {"in", "before", "after"},
    "numeric": _NUMBER_OPS | {"between", "in"},
}
#: Relative time, `PxxDTyyHzzM` (PY `Condition.value`), each part may be negative.
PERIOD = re.compile(r"^P-?\d+DT-?\d+H-?\d+M$")
_TIME_OF_DAY = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_DAY_KEYWORDS = frozenset({"LAST_DAY", "ODD_DAY", "EVEN_DAY"})
WRAP_UP_ONLY = ("call_analysis",)  # HC "Add a rule": call analysis is a wrap-up condition


@dataclass
class Org:
    """What validation needs from the org, read once per run."""

    names: Names
    contact_list: ContactListView | None
    actions: Mapping[str, ActionView] = field(default_factory=dict)  # id -> with contract


def _number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def _integer(value: str) -> bool:
    return re.fullmatch(r"-?\d+", value.strip()) is not None


def _datetime(value: str) -> bool:
    try:
        dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


VALUE_FITS: dict[str, Callable[[str], bool]] = {
    "string": lambda v: True,
    "numeric": _number,
    "number": _number,
    "integer": _integer,
    "boolean": lambda v: v in ("true", "false"),
    "datetime": _datetime,
    "period": lambda v: PERIOD.fullmatch(v) is not None,
}


class _Problems:
    def __init__(self, source: str) -> None:
        self.source = source
        self.found: list[RuleProblem] = []

    def add(self, path: str, rule: str, message: str) -> None:
        self.found.append(RuleProblem(self.source, path, rule, message))


def _check_op(
    out: _Problems, at: str, op: str, kind: str, table: Mapping[str, frozenset[str]]
) -> None:
    allowed = table.get(kind, frozenset())
    if op not in allowed:
        out.add(
            f"{at}.op",
            "operator",
            f"{op} does not apply to a {kind} value; use one of {', '.join(sorted(allowed))}",
        )


def _check_value(out: _Problems, at: str, value: str, kind: str) -> None:
    if not VALUE_FITS.get(kind, lambda v: True)(value):
        out.add(f"{at}.value", "type", f"{value!r} is not a {kind} value")


def _check_column(out: _Problems, org: Org, at: str, column: str) -> None:
    if org.contact_list is None:
        return  # the contact list itself is already a problem
    if column not in org.contact_list.column_names:
        known = ", ".join(org.contact_list.column_names) or "none"
        out.add(
            at,
            "column",
            f"column {column!r} is not in contact list "
            f"{org.contact_list.name or org.contact_list.id!r} (columns: {known})",
        )


def _action(out: _Problems, org: Org, at: str, ref: object) -> ActionView | None:
    try:
        action_id = org.names.action_id(ref)  # type: ignore[arg-type]
    except KeyError:
        return None  # resolving the name already reported it
    action = org.actions.get(action_id)
    if action is None:
        out.add(at, "data_action", f"data action {action_id} does not exist in the org")
    elif not action.has_contract:
        out.add(at, "data_action", f"data action {action.name or action_id} has no contract")
        return None
    return action


def _check_inputs(out: _Problems, org: Org, at: str, action: ActionView, test: object) -> None:
    inputs = action.input_fields()
    name = action.name or action.id
    for field_name, column in getattr(test, "inputs", {}).items():
        if field_name not in inputs:
            out.add(
                f"{at}.inputs.{field_name}",
                "input",
                f"{name} has no input field {field_name!r} (inputs: {', '.join(inputs) or 'none'})",
            )
        _check_column(out, org, f"{at}.inputs.{field_name}", column)
    for member in ("contact_id_field", "call_analysis_result_field", "agent_wrapup_field"):
        value = getattr(test, member, None)
        if value is not None and value not in inputs:
            out.add(f"{at}.{member}", "input", f"{name} has no input field {value!r}")


def _check_data_action(out: _Problems, org: Org, at: str, test: DataActionTest) -> None:
    action = _action(out, org, f"{at}.action", test.action)
    if action is None:
        return
    _check_inputs(out, org, at, action, test)
    outputs = action.output_fields()
    name = action.name or action.id
    for i, p in enumerate(test.predicates):
        where = f"{at}.predicates[{i}]"
        spec = outputs.get(p.output)
        if spec is None:
            out.add(
                f"{where}.output",
                "output_field",
                f"{name} has no output field {p.output!r} "
                f"(outputs: {', '.join(outputs) or 'none'})",
            )
            continue
        kind = spec.type or "string"
        if kind not in CONDITION_OUTPUT_TYPES:
            out.add(
                f"{where}.output",
                "output_type",
                f"{p.output} is a {kind} output; a condition can test only "
                f"{', '.join(CONDITION_OUTPUT_TYPES)} outputs",
            )
            continue
        ops = (
            OUTPUT_OPS[kind]
            if kind != "string" or spec.format in ("date", "date-time")
            else _STRING_OPS
        )
        if p.op not in ops:
            out.add(
                f"{where}.op",
                "operator",
                f"{p.op} does not apply to {kind} output {p.output}; "
                f"use one of {', '.join(sorted(ops))}",
            )
        _check_value(out, where, p.value, kind)


def _check_time(out: _Problems, at: str, test: TimeAndDateTest) -> None:
    try:
        zoneinfo.ZoneInfo(test.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        out.add(f"{at}.time_zone", "time_zone", f"{test.time_zone!r} is not an IANA time zone")
    for i, sub in enumerate(test.when):
        _check_sub(out, f"{at}.when[{i}]", sub)


def _sub_value_fits(sub: SubCondition, value: str) -> bool:
    if sub.type == "time_of_day":
        return _TIME_OF_DAY.fullmatch(value) is not None
    if sub.type == "day_of_week":
        return value in {str(d) for d in range(1, 8)}
    if sub.type == "day_of_month":
        return value in _DAY_KEYWORDS or value in {str(d) for d in range(1, 32)}
    fmt = "%m-%d" if sub.include_year is False else "%Y-%m-%d"
    try:
        dt.datetime.strptime(value, fmt)
    except ValueError:
        return False
    return True


def _check_sub(out: _Problems, at: str, sub: SubCondition) -> None:
    if sub.op == "between":
        given = [v for v in (sub.min, sub.max) if v is not None]
        if len(given) != 2:
            out.add(at, "range", "between needs min and max")
    elif sub.op == "in":
        given = list(sub.in_ or [])
        if not given:
            out.add(at, "range", "in needs a non-empty in: list")
    else:
        given = [sub.value] if sub.value is not None else []
        if not given:
            out.add(at, "value", f"{sub.op} needs a value")
    for value in given:
        if not _sub_value_fits(sub, value):
            out.add(at, "type", f"{value!r} is not a {sub.type} value")


def _check_condition(out: _Problems, org: Org, at: str, rule: Rule, condition: Condition) -> None:
    kind, test = condition.kind, condition.test
    where = f"{at}.{kind}"
    if kind in WRAP_UP_ONLY and rule.category != "wrap-up":
        out.add(where, "category", f"a {kind} condition is evaluated only in wrap-up rules")
    if isinstance(test, ColumnTest):
        _check_column(out, org, f"{where}.column", test.column)
    if isinstance(test, PropertyTest) and test.property_type.endswith("by_column"):
        if test.property is None:
            out.add(f"{where}.property", "column", f"{test.property_type} needs property: <column>")
        else:
            _check_column(out, org, f"{where}.property", test.property)
    if isinstance(test, ValueTest | ColumnTest | PropertyTest):
        if test.op in ("in", "between"):
            out.add(
                f"{where}.op",
                "operator",
                f"{test.op} on a rule condition has no documented value format; "
                "use a contact list filter or several conditions",
            )
        else:
            _check_op(out, where, test.op, test.type, CONDITION_OPS)
            _check_value(out, where, test.value, test.type)
    elif isinstance(test, DataActionTest):
        _check_data_action(out, org, where, test)
    elif isinstance(test, TimeAndDateTest):
        _check_time(out, where, test)


def _check_action(out: _Problems, org: Org, at: str, action: RuleAction) -> None:
    body = action.body
    if action.kind == "data_action":
        if body.action is None:
            out.add(f"{at}.action", "data_action", "a data_action action names its action:")
        elif (found := _action(out, org, f"{at}.action", body.action)) is not None:
            _check_inputs(out, org, at, found, body)
    if action.kind == "modify_contact_attribute":
        if body.update is None:
            out.add(
                f"{at}.update",
                "action",
                "modify_contact_attribute needs update: set|increment|decrement|current_time",
            )
        for column in body.properties:
            _check_column(out, org, f"{at}.properties.{column}", column)
    if action.kind == "schedule_callback" and not _integer(
        body.properties.get("callbackOffset", "x")
    ):
        out.add(
            f"{at}.properties.callbackOffset",
            "action",
            "schedule_callback needs callbackOffset: <minutes>",
        )
    if action.kind == "set_caller_id" and "callerAddress" not in body.properties:
        out.add(f"{at}.properties.callerAddress", "action", "set_caller_id needs callerAddress")


def rule_set_problems(doc: RuleSetDoc, org: Org, source: str) -> list[RuleProblem]:
    out = _Problems(source)
    seen_orders: dict[int, str] = {}
    seen_names: set[str] = set()
    for i, rule in enumerate(doc.rules):
        at = f"rules[{i}]"
        if rule.order in seen_orders:
            out.add(
                f"{at}.order",
                "order",
                f"order {rule.order} is also the order of rule "
                f"{seen_orders[rule.order]!r}; orders must be unique",
            )
        seen_orders.setdefault(rule.order, rule.name)
        if rule.name in seen_names:
            out.add(
                f"{at}.name", "name", f"two rules are named {rule.name!r}; names must be unique"
            )
        seen_names.add(rule.name)
        for j, condition in enumerate(rule.when):
            _check_condition(out, org, f"{at}.when[{j}]", rule, condition)
        for j, action in enumerate(rule.actions):
            _check_action(out, org, f"{at}.actions[{j}]", action)
    return out.found


def _check_filter_predicate(out: _Problems, org: Org, at: str, p: FilterPredicate) -> None:
    _check_column(out, org, f"{at}.column", p.column)
    _check_op(out, at, p.op, p.type, FILTER_OPS)
    value_kind = "numeric" if p.type == "numeric" else "string"
    if p.op == "between":
        if p.min is None or p.max is None:
            out.add(at, "range", "between needs min and max")
        for bound in (p.min, p.max):
            if bound is not None:
                _check_value(out, at, bound, value_kind)
    elif p.op == "in":
        if not p.in_:
            out.add(at, "range", "in needs a non-empty in: list")
        for item in p.in_ or []:
            _check_value(out, at, item, value_kind)
    elif p.value is None:
        out.add(f"{at}.value", "value", f"{p.op} needs a value")
    else:
        _check_value(out, at, p.value, value_kind)


def filter_problems(doc: FilterDoc, org: Org, source: str) -> list[RuleProblem]:
    out = _Problems(source)
    for i, clause in enumerate(doc.clauses):
        for j, predicate in enumerate(clause.where):
            _check_filter_predicate(out, org, f"clauses[{i}].where[{j}]", predicate)
    return out.found
