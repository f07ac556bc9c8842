"""Validation before any request: each rule (depth, children, NOT, operators, datasets,
fields, literal types, dependency cycles) is reported with the file, the path in the tree and
the rule's name; a dataset used twice is legal, a true derivedFrom cycle is flagged with its
path, and a valid rule yields no problem at all."""

from __future__ import annotations

from typing import Any

import pytest

from cx_assets.genesys.rules import RulesInvalid, ensure_valid, find_cycle, parse_rule
from cx_assets.genesys.rules.tutorial import Dataset
from cx_assets.genesys.rules.validation import validate_rule


def _dataset(ds_id: str, derived: list[str] | None = None, **fields: str) -> Dataset:
    return Dataset.model_validate(
        {
            "id": ds_id,
            "name": ds_id.title(),
            "fields": [{"id": f, "name": f, "type": t} for f, t in fields.items()],
            "derivedFrom": derived or [],
        }
    )


DATASETS = {
    "customers": _dataset(
        "customers", ["accounts"], status="string", priority="number", vip="boolean", since="date"
    ),
    "accounts": _dataset("accounts", ["regions"], region="string"),
    "regions": _dataset("regions", [], code="string"),
    # a 3-node cycle: loop_a -> loop_b -> loop_c -> loop_a
    "loop_a": _dataset("loop_a", ["loop_b"], x="string"),
    "loop_b": _dataset("loop_b", ["loop_c"], x="string"),
    "loop_c": _dataset("loop_c", ["loop_a"], x="string"),
    # reaches the cycle without being on it
    "feeder": _dataset("feeder", ["loop_b"], y="number"),
}
FILE = "rules/route-vip.yaml"


def cmp(field: str, op: str = "equals", value: Any = "active") -> dict[str, Any]:
    return {"field": field, "op": op, "value": value}


def problems(conditions: Any) -> list[tuple[str, str, str]]:
    rule = parse_rule({"action_id": "route-vip", "conditions": conditions}, source=FILE)
    found = validate_rule(rule, DATASETS)
    assert all(p.file == FILE for p in found)
    return [(p.path, p.rule, p.message) for p in found]


def only(conditions: Any) -> tuple[str, str, str]:
    [found] = problems(conditions)
    return found


def test_a_valid_rule_using_a_dataset_twice_has_no_problem() -> None:
    assert (
        problems(
            {
                "all": [
                    cmp("customers.status"),
                    cmp("customers.priority", "greater_than", 5),
                    {"not": cmp("customers.vip", "equals", False)},
                    cmp("customers.since", "less_than", "2024-05-01"),
                    cmp("accounts.region", "in", ["EMEA", "APAC"]),
                ]
            }
        )
        == []
    )


def test_depth_over_ten_names_the_first_node_too_deep() -> None:
    node: Any = cmp("customers.status")
    for _ in range(10):  # 10 NOTs above the comparison: the comparison sits at depth 11
        node = {"not": node}
    path, rule, message = only(node)
    assert rule == "max_depth"
    assert path == "conditions" + ".not" * 10
    assert "depth 11" in message and "10" in message
    node = cmp("customers.status")
    for _ in range(9):
        node = {"not": node}
    assert problems(node) == []


def test_six_children_is_over_the_limit_and_empty_is_refused() -> None:
    path, rule, message = only({"any": [{"all": [cmp("customers.status")] * 6}]})
    assert (path, rule) == ("conditions.any[0]", "max_children")
    assert "6 nodes" in message and "5" in message
    assert only({"all": []})[:2] == ("conditions", "min_children")


def test_not_takes_exactly_one_node() -> None:
    pair = [cmp("customers.status")] * 2
    path, rule, message = only({"all": [cmp("customers.status"), {"not": pair}]})
    assert (path, rule) == ("conditions.all[1]", "not_one_child")
    assert "got 2" in message


def test_unknown_operator_is_named_with_the_known_ones() -> None:
    path, rule, message = only({"all": [cmp("customers.status", "looks_like")]})
    assert (path, rule) == ("conditions.all[0]", "unknown_operator")
    assert "'looks_like'" in message and "starts_with" in message


def test_unknown_dataset_and_field() -> None:
    path, rule, message = only({"any": [cmp("customers.status"), cmp("orders.total")]})
    assert (path, rule) == ("conditions.any[1]", "unknown_dataset")
    assert "'orders'" in message and "customers" in message
    path, rule, message = only(cmp("customers.colour"))
    assert (path, rule) == ("conditions", "unknown_field")
    assert "'colour'" in message and "priority" in message


@pytest.mark.parametrize(
    ("field", "op", "value", "words"),
    [
        ("customers.priority", "greater_than", "5", "expected a number, got '5'"),
        ("customers.priority", "equals", True, "expected a number, got True"),
        ("customers.vip", "equals", "yes", "expected a boolean"),
        ("customers.since", "less_than", "last tuesday", "ISO date"),
        ("customers.status", "in", [], "non-empty list"),
        ("customers.status", "in", "active", "non-empty list"),
        ("customers.status", "in", ["active", 3], "list item 3"),
        ("customers.status", "equals", ["active"], "got a list"),
    ],
)
def test_literal_must_fit_the_field_type(field: str, op: str, value: Any, words: str) -> None:
    path, rule, message = only({"all": [cmp("customers.status"), cmp(field, op, value)]})
    assert (path, rule) == ("conditions.all[1]", "literal_type")
    assert words in message


def test_operator_must_fit_the_field_type() -> None:
    path, rule, message = only(cmp("customers.priority", "contains", 5))
    assert (path, rule) == ("conditions", "operator_for_type")
    assert "number" in message


def test_a_three_node_cycle_is_flagged_with_its_path() -> None:
    path, rule, message = only({"all": [cmp("customers.status"), cmp("loop_a.x", value="v")]})
    assert (path, rule) == ("conditions.all[1]", "dataset_cycle")
    assert "loop_a -> loop_b -> loop_c -> loop_a" in message


def test_a_dataset_leading_into_a_cycle_is_flagged_once() -> None:
    found = problems({"all": [cmp("feeder.y", value=1), cmp("loop_c.x", value="v")]})
    assert [(p, r) for p, r, _ in found] == [("conditions.all[0]", "dataset_cycle")]
    assert "loop_b -> loop_c -> loop_a -> loop_b" in found[0][2]


def test_find_cycle_ignores_diamonds_and_chains() -> None:
    diamond = {
        "top": _dataset("top", ["left", "right"]),
        "left": _dataset("left", ["base"]),
        "right": _dataset("right", ["base"]),
        "base": _dataset("base", []),
    }
    assert find_cycle("top", diamond) is None
    assert find_cycle("customers", DATASETS) is None
    assert find_cycle("loop_b", DATASETS) == ["loop_b", "loop_c", "loop_a", "loop_b"]
    assert find_cycle("self", {"self": _dataset("self", ["self"])}) == ["self", "self"]


def test_ensure_valid_raises_every_problem_with_file_and_path() -> None:
    rule = parse_rule(
        {"action_id": "x", "conditions": {"all": [cmp("nope.a"), cmp("customers.status", "is")]}},
        source=FILE,
    )
    with pytest.raises(RulesInvalid) as raised:
        ensure_valid([rule], DATASETS)
    text = str(raised.value)
    assert f"{FILE}: conditions.all[0]: [unknown_dataset]" in text
    assert f"{FILE}: conditions.all[1]: [unknown_operator]" in text
