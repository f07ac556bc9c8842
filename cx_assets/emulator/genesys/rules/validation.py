"""The server's own rules for a condition tree (the 422s of `PUT /api/v2/dataactions/{id}`).

Every problem names the node path (`conditions.children[2].children[0]`) and the rule; all are
collected, not just the first, so one failed PUT shows a rule author everything to fix. A valid
tree comes back in canonical form (only the keys the contract names), which is what is stored
and what a no-op PUT is compared against.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from cx_assets.emulator.genesys.rules.seed import Dataset
from cx_assets.emulator.values import type_problem

MAX_DEPTH = 10
MAX_CHILDREN = 5
#: A 422 lists at most this many problems (a broken 1,000-node tree needs no 1,000-line message).
MAX_PROBLEMS = 20
BOOLEAN_OPS = ("AND", "OR", "NOT")
COMPARISON_OPS = (
    "EQUALS",
    "NOT_EQUALS",
    "GREATER_THAN",
    "GREATER_THAN_OR_EQUALS",
    "LESS_THAN",
    "LESS_THAN_OR_EQUALS",
    "IN",
    "CONTAINS",
    "STARTS_WITH",
)
NODE_KEYS = frozenset({"type", "children", "value", "expression"})
VALUE_KEYS = frozenset({"type", "datasetId", "fieldId"})


class ConditionError(Exception):
    """The tree breaks one or more rules; each problem reads `<node path>: <rule>`."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        shown = problems[:MAX_PROBLEMS]
        more = len(problems) - len(shown)
        suffix = f"; and {more} more" if more else ""
        super().__init__("invalid conditions: " + "; ".join(shown) + suffix)


def _absent(value: Any) -> bool:
    """Clients that serialise every model field send `null` / `[]` for keys a node lacks."""
    return value is None or value == []


class _Walker:
    def __init__(self, datasets: Mapping[str, Dataset]) -> None:
        self.datasets = datasets
        self.problems: list[str] = []
        #: dataset id -> the path of the first node that uses it (for the cycle message)
        self.used: dict[str, str] = {}

    def node(self, node: Any, path: str, depth: int) -> dict[str, Any] | None:
        if depth > MAX_DEPTH:
            self.problems.append(
                f"{path}: nesting depth {depth} exceeds the maximum of {MAX_DEPTH}"
            )
            return None
        if not isinstance(node, dict):
            self.problems.append(f"{path}: a condition node must be a JSON object")
            return None
        unknown = sorted(set(node) - NODE_KEYS)
        if unknown:
            self.problems.append(f"{path}: unknown key(s) {', '.join(unknown)} on a node")
        op = node.get("type")
        if op in BOOLEAN_OPS:
            return self.boolean(op, node, path, depth)
        if op in COMPARISON_OPS:
            return self.comparison(op, node, path)
        known = ", ".join(BOOLEAN_OPS + COMPARISON_OPS)
        self.problems.append(f"{path}: unknown operator {json.dumps(op)}; known: {known}")
        return None

    def boolean(self, op: str, node: dict[str, Any], path: str, depth: int) -> dict[str, Any]:
        if not _absent(node.get("value")) or node.get("expression") is not None:
            self.problems.append(
                f"{path}: {op} is a boolean operator and takes no value/expression"
            )
        children = node.get("children")
        if not isinstance(children, list):
            self.problems.append(f"{path}: {op} needs a list of children")
            children = []
        if op == "NOT" and len(children) != 1:
            self.problems.append(f"{path}: NOT needs exactly 1 child, got {len(children)}")
        elif op != "NOT" and not children:
            self.problems.append(f"{path}: {op} needs at least 1 child")
        if len(children) > MAX_CHILDREN:
            self.problems.append(
                f"{path}: {op} has {len(children)} children; at most {MAX_CHILDREN} are allowed"
            )
        kids = [
            self.node(child, f"{path}.children[{i}]", depth + 1) for i, child in enumerate(children)
        ]
        return {"type": op, "children": kids}

    def comparison(self, op: str, node: dict[str, Any], path: str) -> dict[str, Any] | None:
        if not _absent(node.get("children")):
            self.problems.append(f"{path}: {op} is a comparison and takes no children")
        value = node.get("value")
        if not isinstance(value, dict) or value.get("type") != "DATASET":
            self.problems.append(
                f'{path}: {op} needs value {{"type": "DATASET", "datasetId", "fieldId"}}'
            )
            return None
        unknown = sorted(set(value) - VALUE_KEYS)
        if unknown:
            self.problems.append(f"{path}: unknown key(s) {', '.join(unknown)} in value")
        dataset_id, field_id = value.get("datasetId"), value.get("fieldId")
        dataset = self.datasets.get(dataset_id) if isinstance(dataset_id, str) else None
        if dataset is None:
            self.problems.append(f"{path}: unknown dataset {json.dumps(dataset_id)}")
            return None
        self.used.setdefault(dataset.id, path)
        field = dataset.field(field_id) if isinstance(field_id, str) else None
        if field is None:
            self.problems.append(
                f"{path}: unknown field {json.dumps(field_id)} in dataset {dataset.id}"
            )
            return None
        if "expression" not in node or node["expression"] is None:
            self.problems.append(f"{path}: {op} needs an expression (the literal compared)")
            return None
        literal = node["expression"]
        where = f"{path}: the literal for {dataset.id}.{field.id} ({field.type})"
        if op == "IN":
            if not isinstance(literal, list) or not literal:
                self.problems.append(f"{where}: IN needs a non-empty list")
                return None
            items = literal
        else:
            items = [literal]
        for item in items:
            problem = type_problem(field.type, item) if item is not None else "is null"
            if problem:
                self.problems.append(f"{where} {problem}")
                break
        value = {"type": "DATASET", "datasetId": dataset.id, "fieldId": field.id}
        return {"type": op, "value": value, "expression": literal}


def find_cycle(start: str, datasets: Mapping[str, Dataset]) -> list[str] | None:
    """A `derivedFrom` cycle reachable from `start`, as a closed path (`a -> b -> a`), by DFS.

    Only a back edge to a dataset on the current DFS path is a cycle; reaching a dataset twice
    along different paths (a diamond, or one dataset used twice) is not.
    """
    done: set[str] = set()
    path: list[str] = []
    on_path: set[str] = set()

    def visit(dataset_id: str) -> list[str] | None:
        path.append(dataset_id)
        on_path.add(dataset_id)
        dataset = datasets.get(dataset_id)
        for parent in dataset.derived_from if dataset else ():
            if parent in on_path:
                return [*path[path.index(parent) :], parent]
            if parent not in done and (found := visit(parent)) is not None:
                return found
        path.pop()
        on_path.discard(dataset_id)
        done.add(dataset_id)
        return None

    return visit(start)


def validate_conditions(tree: Any, datasets: Mapping[str, Dataset]) -> dict[str, Any]:
    """The tree in canonical form, or `ConditionError` naming every problem with its path."""
    walker = _Walker(datasets)
    canonical = walker.node(tree, "conditions", 1)
    reported: set[frozenset[str]] = set()
    for dataset_id, path in walker.used.items():
        cycle = find_cycle(dataset_id, datasets)
        if cycle is None or frozenset(cycle) in reported:
            continue
        reported.add(frozenset(cycle))
        walker.problems.append(
            f"{path}: dataset {dataset_id} depends on a dataset dependency cycle: "
            + " -> ".join(cycle)
        )
    if walker.problems or canonical is None:
        raise ConditionError(walker.problems or ["conditions: the tree is empty"])
    return canonical
