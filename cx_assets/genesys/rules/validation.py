"""Validation of a rule before any request: the server's 422 rules, and a little more.

Rules (the `rule` name in each `RuleProblem`):
- `max_depth`: nesting deeper than 10 (the root counts as 1);
- `max_children` / `min_children`: an all/any with more than 5 or no nodes;
- `not_one_child`: a not with other than exactly one node;
- `unknown_operator`: an op the API does not know;
- `unknown_dataset` / `unknown_field`: not among the datasets fetched from the API;
- `operator_for_type`: e.g. contains on a number, greater_than on a boolean (the server may
  accept some of these; they never mean what the author wanted);
- `literal_type`: a value that does not fit the field's type (`in` needs a non-empty list);
- `dataset_cycle`: a dataset the tree uses reaches a cycle through `derivedFrom` edges. Using a
  dataset twice in one tree is not a cycle: only edges of the dependency graph count.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping

from cx_assets.genesys.rules.model import (
    OPERATORS,
    BoolNode,
    Comparison,
    Node,
    Rule,
    RuleProblem,
    RulesInvalid,
)
from cx_assets.genesys.rules.tutorial import Dataset

MAX_DEPTH = 10
MAX_CHILDREN = 5

_ORDERED = ("greater_than", "greater_than_or_equals", "less_than", "less_than_or_equals")
_TEXT_ONLY = ("contains", "starts_with")
#: Which operators make sense per field type.
OPERATORS_BY_TYPE: dict[str, frozenset[str]] = {
    "string": frozenset(OPERATORS),
    "number": frozenset(OPERATORS) - frozenset(_TEXT_ONLY),
    "date": frozenset(OPERATORS) - frozenset(_TEXT_ONLY),
    "boolean": frozenset({"equals", "not_equals", "in"}),
}


def walk(node: Node, path: str = "conditions", depth: int = 1) -> Iterator[tuple[Node, str, int]]:
    """Every node with its readable path and depth, parents before children."""
    yield node, path, depth
    if isinstance(node, BoolNode):
        for index, child in enumerate(node.children):
            single_not = node.kind == "not" and len(node.children) == 1
            child_path = f"{path}.not" if single_not else f"{path}.{node.kind}[{index}]"
            yield from walk(child, child_path, depth + 1)


def structure_problems(rule: Rule) -> list[RuleProblem]:
    """Rules that need no data from the API: depth, children, operators."""
    problems: list[RuleProblem] = []

    def add(path: str, name: str, message: str) -> None:
        problems.append(RuleProblem(rule.source, path, name, message))

    too_deep_reported = False
    for node, path, depth in walk(rule.conditions):
        if depth > MAX_DEPTH and not too_deep_reported:
            add(path, "max_depth", f"nesting depth {depth} is over the limit of {MAX_DEPTH}")
            too_deep_reported = True
        if isinstance(node, BoolNode):
            count = len(node.children)
            if node.kind == "not" and count != 1:
                add(path, "not_one_child", f"not takes exactly one node, got {count}")
            elif node.kind != "not" and count > MAX_CHILDREN:
                add(path, "max_children", f"{count} nodes is over the limit of {MAX_CHILDREN}")
            elif node.kind != "not" and count == 0:
                add(path, "min_children", f"{node.kind} needs at least one node")
        elif node.op not in OPERATORS:
            add(path, "unknown_operator", f"unknown op {node.op!r}; known: {', '.join(OPERATORS)}")
    return problems


def dataset_problems(rule: Rule, datasets: Mapping[str, Dataset]) -> list[RuleProblem]:
    """Rules that need the API's datasets: existence, types, dependency cycles."""
    problems: list[RuleProblem] = []

    def add(path: str, name: str, message: str) -> None:
        problems.append(RuleProblem(rule.source, path, name, message))

    first_use: dict[str, str] = {}
    for node, path, _ in walk(rule.conditions):
        if not isinstance(node, Comparison):
            continue
        dataset = datasets.get(node.dataset)
        if dataset is None:
            known = ", ".join(sorted(datasets)) or "none"
            add(
                path, "unknown_dataset", f"dataset {node.dataset!r} does not exist (known: {known})"
            )
            continue
        first_use.setdefault(node.dataset, path)
        field = dataset.field(node.field)
        if field is None:
            known = ", ".join(f.id for f in dataset.fields) or "none"
            add(
                path,
                "unknown_field",
                f"dataset {node.dataset!r} has no field {node.field!r} (fields: {known})",
            )
            continue
        if node.op not in OPERATORS:
            continue  # reported by structure_problems
        if node.op not in OPERATORS_BY_TYPE.get(field.type, frozenset(OPERATORS)):
            add(
                path,
                "operator_for_type",
                f"op {node.op} does not apply to {node.dataset}.{node.field} ({field.type})",
            )
            continue
        message = literal_problem(node.op, node.value, field.type)
        if message:
            add(path, "literal_type", f"{node.dataset}.{node.field} is {field.type}: {message}")
    reported: set[frozenset[str]] = set()
    for dataset_id, path in first_use.items():
        cycle = find_cycle(dataset_id, datasets)
        if cycle is not None and frozenset(cycle) not in reported:
            reported.add(frozenset(cycle))
            add(
                path,
                "dataset_cycle",
                f"dataset {dataset_id!r} depends on a cycle via derivedFrom: " + " -> ".join(cycle),
            )
    return problems


def validate_rule(rule: Rule, datasets: Mapping[str, Dataset]) -> list[RuleProblem]:
    return [*structure_problems(rule), *dataset_problems(rule, datasets)]


def ensure_valid(rules: list[Rule], datasets: Mapping[str, Dataset]) -> None:
    """Raise `RulesInvalid` with every problem of every rule, or return."""
    problems = [p for rule in rules for p in validate_rule(rule, datasets)]
    if problems:
        raise RulesInvalid(problems)


def literal_problem(op: str, value: object, field_type: str) -> str | None:
    """Why `value` cannot be compared with a `field_type` field by `op`, or None."""
    if op == "in":
        if not isinstance(value, list) or not value:
            return f"in needs a non-empty list, got {value!r}"
        for item in value:
            message = _scalar_problem(item, field_type)
            if message:
                return f"list item {item!r}: {message}"
        return None
    if isinstance(value, list):
        return f"{op} compares one value, got a list {value!r}"
    return _scalar_problem(value, field_type)


def _scalar_problem(value: object, field_type: str) -> str | None:
    if field_type == "string":
        ok = isinstance(value, str)
    elif field_type == "number":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    elif field_type == "boolean":
        ok = isinstance(value, bool)
    elif field_type == "date":
        ok = isinstance(value, str) and _is_iso_date(value)
    else:
        return None  # a type this client does not know: leave it to the server
    if ok:
        return None
    expected = {"date": "an ISO date (YYYY-MM-DD)"}.get(field_type, f"a {field_type}")
    return f"expected {expected}, got {value!r} ({type(value).__name__})"


def _is_iso_date(text: str) -> bool:
    for parse in (dt.date.fromisoformat, dt.datetime.fromisoformat):
        try:
            parse(text)
            return True
        except ValueError:
            continue
    return False


def find_cycle(start: str, datasets: Mapping[str, Dataset]) -> list[str] | None:
    """The first cycle reachable from `start` along `derivedFrom`, as a closed path
    (`a -> b -> c -> a`), or None. Depth-first with grey/black marks: an edge into a grey node
    (one on the current path) closes a cycle; reaching a node twice by different paths (a
    diamond) does not. Iterative, so a long chain cannot hit the recursion limit."""
    on_path: list[str] = []
    grey: set[str] = set()
    black: set[str] = set()
    stack: list[tuple[str, Iterator[str]]] = []

    def enter(node: str) -> None:
        on_path.append(node)
        grey.add(node)
        edges = datasets[node].derived_from if node in datasets else []
        stack.append((node, iter(edges)))

    enter(start)
    while stack:
        node, edges = stack[-1]
        nxt = next(edges, None)
        if nxt is None:
            stack.pop()
            on_path.pop()
            grey.discard(node)
            black.add(node)
        elif nxt in grey:
            return [*on_path[on_path.index(nxt) :], nxt]
        elif nxt not in black:
            enter(nxt)
    return None
