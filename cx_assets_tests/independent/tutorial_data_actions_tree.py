"""Datasets, the seeded data actions and the condition-tree rules of the independent tutorial
data actions server (docs/api-contract.md "### Datasets", "### `PUT /api/v2/dataactions/…`").

`check(conditions, datasets, loose_numbers)` turns a PUT's `conditions` into the stored
canonical tree (`{"type", "children"}` or `{"type", "value", "expression"}`) or raises
`TreeProblems` listing every `(path, rule)` in pre-order. Fixed readings: a node that is not an
object, an unknown `type` or a `value.type` other than `DATASET` is one problem at that node and
its subtree is not looked into; a boolean node with a non-null `value`/`expression`, or a
comparison with non-empty `children`, is a problem; a node deeper than 10 is reported once (at
the first level over) and not looked into; a dataset-cycle problem is reported at the first
comparison (pre-order) using that dataset; `CONTAINS` / `STARTS_WITH` take any field type whose
literal fits.
"""

from __future__ import annotations

import copy
from datetime import date, timedelta
from typing import Any

Json = dict[str, Any]

BOOLEANS = {"AND", "OR", "NOT"}
COMPARISONS = {"EQUALS", "NOT_EQUALS", "GREATER_THAN", "GREATER_THAN_OR_EQUALS"}
COMPARISONS |= {"LESS_THAN", "LESS_THAN_OR_EQUALS", "IN", "CONTAINS", "STARTS_WITH"}
MAX_DEPTH, MAX_CHILDREN = 10, 5

_DATASETS: list[tuple[str, str, list[tuple[str, str, str]], list[str]]] = [
    (
        "customers",
        "Customers",
        [
            ("status", "Status", "string"),
            ("priority", "Priority", "number"),
            ("tier", "Tier", "string"),
            ("vip", "VIP", "boolean"),
            ("created", "Created", "date"),
        ],
        [],
    ),
    (
        "orders",
        "Orders",
        [
            ("amount", "Amount", "number"),
            ("channel", "Channel", "string"),
            ("placed", "Placed", "date"),
        ],
        ["customers"],
    ),
    (
        "interactions",
        "Interactions",
        [
            ("media_type", "Media type", "string"),
            ("duration_s", "Duration (s)", "number"),
            ("abandoned", "Abandoned", "boolean"),
            ("started", "Started", "date"),
        ],
        ["customers", "orders"],
    ),
    (
        "segments_a",
        "Segments A",
        [("segment", "Segment", "string"), ("score", "Score", "number")],
        ["segments_b"],
    ),
    (
        "segments_b",
        "Segments B",
        [("segment", "Segment", "string"), ("weight", "Weight", "number")],
        ["segments_a"],
    ),
]


def datasets() -> dict[str, Json]:
    """The seeded datasets by id, as stored (types lower case, `derivedFrom` always a list)."""
    out: dict[str, Json] = {}
    for ds_id, name, ds_fields, derived in _DATASETS:
        field_list = [{"id": f, "name": n, "type": t} for f, n, t in ds_fields]
        out[ds_id] = {"id": ds_id, "name": name, "fields": field_list, "derivedFrom": derived}
    return out


def cmp(op: str, dataset: str, field: str, literal: Any) -> Json:
    value = {"type": "DATASET", "datasetId": dataset, "fieldId": field}
    return {"type": op, "value": value, "expression": literal}


def node(op: str, *children: Json) -> Json:
    return {"type": op, "children": list(children)}


def seeded_actions(loose_numbers: bool) -> dict[str, Json]:
    """The contract's three actions at version 1 (`loose_numbers`: number literals as the
    tutorial writes them, `"5"`)."""

    def num(n: int) -> Any:
        return str(n) if loose_numbers else n

    trees = {
        "route-vip": (
            "Route VIP customers",
            node(
                "AND",
                cmp("EQUALS", "customers", "status", "active"),
                cmp("GREATER_THAN", "customers", "priority", num(5)),
            ),
        ),
        "priority-orders": (
            "Prioritise high-value orders",
            node(
                "AND",
                node(
                    "OR",
                    cmp("GREATER_THAN_OR_EQUALS", "orders", "amount", num(500)),
                    cmp("IN", "customers", "tier", ["gold", "platinum"]),
                ),
                node("NOT", cmp("EQUALS", "orders", "channel", "web")),
                cmp("EQUALS", "customers", "vip", True),
            ),
        ),
        "recent-interactions": (
            "Call back recent abandoned interactions",
            node(
                "AND",
                cmp("GREATER_THAN", "interactions", "started", "2024-01-01"),
                cmp("EQUALS", "interactions", "abandoned", True),
                cmp("IN", "interactions", "media_type", ["voice", "callback"]),
                node("NOT", cmp("EQUALS", "customers", "status", "churned")),
            ),
        ),
    }
    return {
        action_id: {"id": action_id, "name": name, "conditions": tree, "version": 1}
        for action_id, (name, tree) in trees.items()
    }


class TreeProblems(Exception):
    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{p}: {r}" for p, r in problems))
        self.problems = problems


def cycle_from(dataset: str, graph: dict[str, Json]) -> list[str] | None:
    """The dependency cycle `dataset`'s `derivedFrom` chain reaches, closed (`a -> b -> a`)."""

    def walk(at: str, trail: list[str]) -> list[str] | None:
        if at in trail:
            return [*trail[trail.index(at) :], at]
        for parent in graph.get(at, {}).get("derivedFrom", []):
            if (found := walk(parent, [*trail, at])) is not None:
                return found
        return None

    return walk(dataset, [])


def fits(kind: str, literal: Any, loose_numbers: bool) -> bool:
    if kind == "string":
        return isinstance(literal, str)
    if kind == "boolean":
        return isinstance(literal, bool)
    if kind == "number":
        if isinstance(literal, str) and loose_numbers:
            try:
                float(literal)
            except ValueError:
                return False
            return literal.strip() == literal and literal.lower() not in ("nan", "inf", "-inf")
        return isinstance(literal, int | float) and not isinstance(literal, bool)
    if kind == "date":
        if not isinstance(literal, str) or len(literal) != 10:
            return False
        try:
            date.fromisoformat(literal)
        except ValueError:
            return False
        return True
    return False


def check(conditions: Any, graph: dict[str, Json], loose_numbers: bool, root: str) -> Json:
    problems: list[tuple[str, str]] = []
    flagged: set[str] = set()

    def visit(item: Any, path: str, depth: int) -> Json | None:
        if depth > MAX_DEPTH:
            problems.append((path, f"depth {depth} is over the maximum of {MAX_DEPTH}"))
            return None
        if not isinstance(item, dict):
            problems.append((path, "a condition node must be an object"))
            return None
        kind = item.get("type")
        if kind in BOOLEANS:
            for key in ("value", "expression"):
                if item.get(key) is not None:
                    problems.append((path, f"a {kind} node has no {key}"))
            children = item.get("children")
            if not isinstance(children, list):
                problems.append((path, f"{kind} needs a children list"))
                return None
            if kind == "NOT" and len(children) != 1:
                problems.append((path, f"NOT needs exactly one child, got {len(children)}"))
            elif len(children) > MAX_CHILDREN:
                rule = f"{len(children)} children is more than the maximum of {MAX_CHILDREN}"
                problems.append((path, rule))
            elif not children:
                problems.append((path, f"{kind} needs 1 to {MAX_CHILDREN} children"))
            kept = [visit(c, f"{path}.children[{i}]", depth + 1) for i, c in enumerate(children)]
            return {"type": kind, "children": kept}
        if kind not in COMPARISONS:
            problems.append((path, f"unknown operator {kind!r}"))
            return None
        return comparison(item, kind, path)

    def comparison(item: Json, kind: str, path: str) -> Json | None:
        if item.get("children"):
            problems.append((path, f"a {kind} comparison has no children"))
        value = item.get("value")
        if not isinstance(value, dict) or value.get("type") != "DATASET":
            problems.append((path, "value must be {type: DATASET, datasetId, fieldId}"))
            return None
        ds_id, field_id = value.get("datasetId"), value.get("fieldId")
        if (dataset := graph.get(ds_id)) is None:  # type: ignore[arg-type]
            problems.append((path, f"unknown dataset {ds_id!r}"))
            return None
        field = next((f for f in dataset["fields"] if f["id"] == field_id), None)
        if field is None:
            problems.append((path, f"unknown field {field_id!r} of dataset {ds_id}"))
            return None
        literal = item.get("expression")
        ftype = field["type"]
        if kind == "IN":
            ok = isinstance(literal, list) and bool(literal)
            ok = ok and all(fits(ftype, x, loose_numbers) for x in literal)
            if not ok:
                rule = f"IN needs a non-empty list of {ftype} for {ds_id}.{field_id}"
                problems.append((path, f"{rule}, got {literal!r}"))
        elif not fits(ftype, literal, loose_numbers):
            problems.append((path, f"literal {literal!r} does not fit {ftype} {ds_id}.{field_id}"))
        if ds_id not in flagged and (cycle := cycle_from(ds_id, graph)) is not None:
            flagged.add(ds_id)
            chain = " -> ".join(cycle)
            rule = f"dataset {ds_id} depends on a dataset dependency cycle: {chain}"
            problems.append((path, rule))
        clean = {"type": "DATASET", "datasetId": ds_id, "fieldId": field_id}
        return {"type": kind, "value": clean, "expression": copy.deepcopy(literal)}

    tree = visit(conditions, root, 1)
    if problems or tree is None:
        raise TreeProblems(problems)
    return tree


def comparisons(tree: Json) -> list[Json]:
    """The comparison nodes in pre-order."""
    if "children" in tree:
        return [c for child in tree["children"] for c in comparisons(child)]
    return [tree]


def _bumped(literal: Any) -> Any:
    if isinstance(literal, bool):
        return not literal
    if isinstance(literal, int | float):
        return literal + 1
    if isinstance(literal, list):
        return [*literal, _bumped(literal[-1])]
    text = str(literal)
    try:
        return (date.fromisoformat(text) + timedelta(days=1)).isoformat()
    except ValueError:
        pass
    try:
        return str(int(text) + 1)
    except ValueError:
        return text + "-edited"


def bump_first_literal(tree: Json) -> Json:
    """A copy of `tree` whose first comparison's literal is changed (still fitting its field)."""
    changed = copy.deepcopy(tree)
    first = comparisons(changed)[0]
    first["expression"] = _bumped(first["expression"])
    return changed
