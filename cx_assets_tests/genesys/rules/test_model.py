"""Rule files: the readable YAML form parses into models, converts to the API's condition tree
and back without loss, and a malformed file is refused naming the file, the tree path and the
rule before anything is sent."""

from __future__ import annotations

from pathlib import Path

import pytest

from cx_assets.genesys.rules import (
    RulesInvalid,
    diff_rule,
    dump_rule,
    from_api,
    load_rule,
    load_rules,
    parse_rule,
    to_api,
)
from cx_assets.genesys.rules.tutorial import DataAction

RULE_YAML = """\
action_id: route-vip
name: Route VIP customers
conditions:
  all:
    - {field: customers.status, op: equals, value: active}
    - any:
        - {field: customers.priority, op: greater_than, value: 5}
        - {field: customers.since, op: less_than, value: 2024-05-01}
    - not: {field: customers.tier, op: in, value: [bronze, iron]}
"""

API_TREE = {
    "type": "AND",
    "children": [
        {
            "type": "EQUALS",
            "value": {"type": "DATASET", "datasetId": "customers", "fieldId": "status"},
            "expression": "active",
        },
        {
            "type": "OR",
            "children": [
                {
                    "type": "GREATER_THAN",
                    "value": {"type": "DATASET", "datasetId": "customers", "fieldId": "priority"},
                    "expression": 5,
                },
                {
                    "type": "LESS_THAN",
                    "value": {"type": "DATASET", "datasetId": "customers", "fieldId": "since"},
                    "expression": "2024-05-01",
                },
            ],
        },
        {
            "type": "NOT",
            "children": [
                {
                    "type": "IN",
                    "value": {"type": "DATASET", "datasetId": "customers", "fieldId": "tier"},
                    "expression": ["bronze", "iron"],
                }
            ],
        },
    ],
}


def _write(tmp_path: Path, text: str, name: str = "route-vip.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_yaml_becomes_the_api_tree_and_comes_back_unchanged(tmp_path: Path) -> None:
    rule = load_rule(_write(tmp_path, RULE_YAML))
    assert rule.action_id == "route-vip" and rule.name == "Route VIP customers"
    assert to_api(rule.conditions) == API_TREE
    assert from_api(API_TREE) == rule.conditions
    again = load_rule(_write(tmp_path, dump_rule(rule), "again.yaml"))
    assert to_api(again.conditions) == API_TREE


def test_live_action_equal_to_the_rule_has_no_diff_and_a_change_shows_in_readable_form(
    tmp_path: Path,
) -> None:
    rule = load_rule(_write(tmp_path, RULE_YAML))
    live = DataAction(id="route-vip", name="Route VIP customers", conditions=API_TREE, version=3)
    assert not diff_rule(rule, live).differs
    edited = {**API_TREE, "children": [*API_TREE["children"][:2]]}
    changed = diff_rule(rule, live.model_copy(update={"conditions": edited}))
    assert changed.differs
    assert "live route-vip (version 3)" in changed.text
    assert "+  - not:" in changed.text
    assert "+      field: customers.tier" in changed.text


def test_a_dataset_id_with_a_dot_uses_the_mapping_form() -> None:
    rule = parse_rule(
        {
            "action_id": "a",
            "conditions": {"field": {"dataset": "crm.v2", "field": "x"}, "op": "in", "value": [1]},
        }
    )
    assert to_api(rule.conditions)["value"]["datasetId"] == "crm.v2"
    assert from_api(to_api(rule.conditions)) == rule.conditions


@pytest.mark.parametrize(
    ("conditions", "path", "words"),
    [
        ({"all": [{"field": "c.s", "op": "equals"}, {"bogus": 1}]}, "conditions.all[1]", "field"),
        ({"any": {"field": "c.s", "op": "equals", "value": 1}}, "conditions.any", "list"),
        ({"not": {"field": "nodot", "op": "equals", "value": 1}}, "conditions.not.field", "<data"),
        ({"all": [], "any": []}, "conditions", "exactly one key"),
    ],
)
def test_a_malformed_node_names_file_path_and_rule(
    tmp_path: Path, conditions: object, path: str, words: str
) -> None:
    import yaml

    file = _write(tmp_path, yaml.safe_dump({"action_id": "a", "conditions": conditions}))
    with pytest.raises(RulesInvalid) as raised:
        load_rule(file)
    [problem] = raised.value.problems
    assert (problem.file, problem.path, problem.rule) == (str(file), path, "shape")
    assert words in problem.message
    assert f"{file}: {path}: [shape]" in str(raised.value)


def test_every_broken_file_of_a_folder_is_reported_at_once(tmp_path: Path) -> None:
    _write(tmp_path, "action_id: a\nconditions: [unclosed\n", "a.yaml")
    _write(tmp_path, "name: no id\nconditions: {field: c.s, op: equals, value: 1}\n", "b.yaml")
    _write(tmp_path, RULE_YAML, "c.yaml")
    with pytest.raises(RulesInvalid) as raised:
        load_rules(tmp_path)
    found = {(Path(p.file).name, p.path, p.rule) for p in raised.value.problems}
    assert found == {("a.yaml", "(file)", "yaml"), ("b.yaml", "action_id", "shape")}
