"""Data action rules in a readable YAML form, parsed into pydantic models, and the API's tree.

One YAML file per data action::

    action_id: route-vip            # the data action's id (the file is named <action_id>.yaml)
    name: Route VIP customers       # optional: when given, the action's name is kept equal to it
    conditions:                     # exactly one node
      all:                          # AND of 1-5 nodes   -> {"type": "AND", "children": [...]}
        - {field: customers.status, op: equals, value: active}
        - any:                      # OR of 1-5 nodes    -> {"type": "OR", "children": [...]}
            - {field: customers.priority, op: greater_than, value: 5}
            - {field: customers.vip, op: equals, value: true}
        - not: {field: customers.tier, op: in, value: [bronze]}   # NOT of exactly one node

A comparison names `field` as `<datasetId>.<fieldId>` (split at the first dot; ids that contain
a dot are written `field: {dataset: <id>, field: <id>}`), an `op` (the API's comparison type in
lower case: equals, not_equals, greater_than, greater_than_or_equals, less_than,
less_than_or_equals, in, contains, starts_with) and the literal `value` (a list for `in`). An
unquoted YAML date (2024-05-01) is kept as its ISO text, which is how the API carries dates.
`not` takes one node (a list is accepted so that a NOT with two children can be reported, not
silently repaired).

Paths in messages are written in this form: `conditions.all[2].not`, `conditions.any[0]`
(the children of a NOT given a list are `not[0]`, `not[1]`).
Parsing only checks shape; the rules about limits, operators, types and datasets live in
`validation.py` so one run reports every problem of a file at once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict

BOOL_KEYS: dict[str, str] = {"all": "AND", "any": "OR", "not": "NOT"}
API_BOOL: dict[str, str] = {v: k for k, v in BOOL_KEYS.items()}
OPERATORS: tuple[str, ...] = (
    "equals",
    "not_equals",
    "greater_than",
    "greater_than_or_equals",
    "less_than",
    "less_than_or_equals",
    "in",
    "contains",
    "starts_with",
)
_RULE_KEYS = {"action_id", "name", "conditions"}
_COMPARISON_KEYS = {"field", "op", "value"}


@dataclass(frozen=True)
class RuleProblem:
    """One broken rule: where (file, path in the tree) and which rule, in words."""

    file: str
    path: str
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.path}: [{self.rule}] {self.message}"


class RulesInvalid(ValueError):
    """A rule file that must not reach the API; `problems` lists every broken rule."""

    def __init__(self, problems: list[RuleProblem]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{len(problems)} problem(s) in rule files:\n{lines}")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Comparison(_Frozen):
    dataset: str
    field: str
    op: str
    value: Any = None


class BoolNode(_Frozen):
    kind: Literal["all", "any", "not"]
    children: tuple[Node, ...]


Node = Comparison | BoolNode
BoolNode.model_rebuild()


class Rule(_Frozen):
    """The desired state of one data action; `source` is the file it came from."""

    action_id: str
    name: str | None = None
    conditions: Node
    source: str = "<memory>"


# -- YAML -> models ------------------------------------------------------------------------


def load_rule(path: Path | str) -> Rule:
    """Parse one rule file; `RulesInvalid` names the file and path of every shape problem."""
    path = Path(path)
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise RulesInvalid([RuleProblem(str(path), "(file)", "yaml", str(exc))]) from None
    return parse_rule(document, source=str(path))


def load_rules(folder: Path | str) -> list[Rule]:
    """Every `*.yaml` rule in `folder`, sorted by file name; all files' problems at once."""
    rules: list[Rule] = []
    problems: list[RuleProblem] = []
    for path in sorted(Path(folder).glob("*.yaml")):
        try:
            rules.append(load_rule(path))
        except RulesInvalid as exc:
            problems.extend(exc.problems)
    if problems:
        raise RulesInvalid(problems)
    return rules


def parse_rule(document: Any, *, source: str = "<memory>") -> Rule:
    problems: list[RuleProblem] = []

    def problem(path: str, rule: str, message: str) -> None:
        problems.append(RuleProblem(source, path, rule, message))

    if not isinstance(document, dict):
        problem("(file)", "shape", "a rule file is a mapping with action_id and conditions")
        raise RulesInvalid(problems)
    for key in sorted(set(document) - _RULE_KEYS):
        problem(str(key), "shape", f"unknown key {key!r}; allowed: {sorted(_RULE_KEYS)}")
    action_id = document.get("action_id")
    if not isinstance(action_id, str) or not action_id:
        problem("action_id", "shape", "action_id must be a non-empty string")
    name = document.get("name")
    if name is not None and not isinstance(name, str):
        problem("name", "shape", "name must be a string")
    if "conditions" not in document:
        problem("conditions", "shape", "conditions is required (one node)")
        raise RulesInvalid(problems)
    node = _parse_node(document["conditions"], "conditions", problem)
    if problems or node is None:
        raise RulesInvalid(problems)
    return Rule(action_id=action_id, name=name, conditions=node, source=source)


def _parse_node(raw: Any, path: str, problem: Any) -> Node | None:
    if not isinstance(raw, dict):
        problem(path, "shape", "a node is a mapping: all/any/not, or field/op/value")
        return None
    bool_keys = [k for k in raw if k in BOOL_KEYS]
    if bool_keys:
        if len(raw) != 1:
            problem(path, "shape", f"a boolean node has exactly one key, got {sorted(raw)}")
            return None
        kind = bool_keys[0]
        items = raw[kind]
        if kind == "not" and isinstance(items, dict):
            items = [items]
            paths = [f"{path}.not"]
        elif kind == "not" and isinstance(items, list) and len(items) == 1:
            paths = [f"{path}.not"]
        elif isinstance(items, list):
            paths = [f"{path}.{kind}[{i}]" for i in range(len(items))]
        else:
            problem(f"{path}.{kind}", "shape", f"{kind} takes a list of nodes")
            return None
        children = [_parse_node(item, p, problem) for item, p in zip(items, paths, strict=True)]
        if any(c is None for c in children):
            return None
        return BoolNode(kind=kind, children=tuple(c for c in children if c is not None))
    unknown = sorted(set(raw) - _COMPARISON_KEYS)
    if unknown or not {"field", "op"} <= set(raw):
        problem(
            path,
            "shape",
            "a comparison has keys field, op, value"
            + (f"; unknown {unknown}" if unknown else "")
            + "; a boolean node is all/any/not",
        )
        return None
    reference = _parse_field(raw["field"], f"{path}.field", problem)
    op = raw["op"]
    if not isinstance(op, str):
        problem(f"{path}.op", "shape", "op must be a string")
        return None
    if reference is None:
        return None
    return Comparison(
        dataset=reference[0], field=reference[1], op=op, value=_plain(raw.get("value"))
    )


def _parse_field(raw: Any, path: str, problem: Any) -> tuple[str, str] | None:
    if isinstance(raw, dict) and set(raw) == {"dataset", "field"}:
        dataset, field = raw["dataset"], raw["field"]
        if isinstance(dataset, str) and isinstance(field, str) and dataset and field:
            return dataset, field
    elif isinstance(raw, str) and "." in raw:
        dataset, _, field = raw.partition(".")
        if dataset and field:
            return dataset, field
    problem(path, "shape", f"field is '<datasetId>.<fieldId>' or {{dataset, field}}, got {raw!r}")
    return None


def _plain(value: Any) -> Any:
    """YAML dates become ISO text (the API's form); lists are walked."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


# -- models <-> API condition tree ---------------------------------------------------------


def to_api(node: Node) -> dict[str, Any]:
    """The API condition node for `node` (the PUT body's `conditions`)."""
    if isinstance(node, BoolNode):
        return {"type": BOOL_KEYS[node.kind], "children": [to_api(c) for c in node.children]}
    return {
        "type": node.op.upper(),
        "value": {"type": "DATASET", "datasetId": node.dataset, "fieldId": node.field},
        "expression": node.value,
    }


def from_api(raw: Any, path: str = "conditions") -> Node:
    """A served condition tree as models. Lenient on purpose (live state may break our rules:
    validation reports that); only a node that is not a mapping or lacks a dataset reference
    raises ValueError naming the API path."""
    if not isinstance(raw, dict) or not isinstance(raw.get("type"), str):
        raise ValueError(f"{path}: a condition node is a mapping with a type, got {raw!r}")
    kind = API_BOOL.get(raw["type"].upper())
    if kind is not None:
        children = raw.get("children") or []
        return BoolNode(
            kind=kind,
            children=tuple(from_api(c, f"{path}.children[{i}]") for i, c in enumerate(children)),
        )
    value = raw.get("value")
    if not isinstance(value, dict) or "datasetId" not in value or "fieldId" not in value:
        raise ValueError(f"{path}.value: a comparison needs {{type: DATASET, datasetId, fieldId}}")
    return Comparison(
        dataset=str(value["datasetId"]),
        field=str(value["fieldId"]),
        op=raw["type"].lower(),
        value=raw.get("expression"),
    )


def to_readable(node: Node) -> dict[str, Any]:
    """The YAML form of `node` (what a rule file holds under `conditions`)."""
    if isinstance(node, BoolNode):
        if node.kind == "not" and len(node.children) == 1:
            return {"not": to_readable(node.children[0])}
        return {node.kind: [to_readable(c) for c in node.children]}
    reference: Any = f"{node.dataset}.{node.field}"
    if "." in node.dataset:
        reference = {"dataset": node.dataset, "field": node.field}
    return {"field": reference, "op": node.op, "value": node.value}


def rule_document(rule: Rule) -> dict[str, Any]:
    """The whole YAML document of `rule` (round-trips through `parse_rule`)."""
    document: dict[str, Any] = {"action_id": rule.action_id}
    if rule.name is not None:
        document["name"] = rule.name
    document["conditions"] = to_readable(rule.conditions)
    return document


def dump_rule(rule: Rule) -> str:
    return yaml.safe_dump(rule_document(rule), sort_keys=False, allow_unicode=True)
