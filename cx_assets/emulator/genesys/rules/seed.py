"""The seeded datasets and data actions (fixed, the same on every fresh emulator).

Ids are readable slugs (stable, what rule files name); names are for people. The `derivedFrom`
graph holds a deliberate cycle, `segments_a` <-> `segments_b`, so the server's cycle rule (and a
client's) has something real to find, while `orders` and `interactions` show legal fan-in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

FIELD_TYPES = ("string", "number", "boolean", "date")


@dataclass(frozen=True)
class DatasetField:
    id: str
    name: str
    type: str


@dataclass(frozen=True)
class Dataset:
    id: str
    name: str
    fields: tuple[DatasetField, ...]
    derived_from: tuple[str, ...] = ()

    def field(self, field_id: str) -> DatasetField | None:
        return next((f for f in self.fields if f.id == field_id), None)

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "fields": [{"id": f.id, "name": f.name, "type": f.type} for f in self.fields],
            "derivedFrom": list(self.derived_from),
        }


def _fields(*specs: tuple[str, str, str]) -> tuple[DatasetField, ...]:
    return tuple(DatasetField(id_, name, type_) for id_, name, type_ in specs)


DATASETS: tuple[Dataset, ...] = (
    Dataset(
        "customers",
        "Customers",
        _fields(
            ("status", "Status", "string"),
            ("priority", "Priority", "number"),
            ("tier", "Tier", "string"),
            ("vip", "VIP", "boolean"),
            ("created", "Created", "date"),
        ),
    ),
    Dataset(
        "orders",
        "Orders",
        _fields(
            ("amount", "Amount", "number"),
            ("channel", "Channel", "string"),
            ("placed", "Placed", "date"),
        ),
        derived_from=("customers",),
    ),
    Dataset(
        "interactions",
        "Interactions",
        _fields(
            ("media_type", "Media type", "string"),
            ("duration_s", "Duration (s)", "number"),
            ("abandoned", "Abandoned", "boolean"),
            ("started", "Started", "date"),
        ),
        derived_from=("customers", "orders"),
    ),
    Dataset(
        "segments_a",
        "Segments A",
        _fields(("segment", "Segment", "string"), ("score", "Score", "number")),
        derived_from=("segments_b",),
    ),
    Dataset(
        "segments_b",
        "Segments B",
        _fields(("segment", "Segment", "string"), ("weight", "Weight", "number")),
        derived_from=("segments_a",),
    ),
)
DATASETS_BY_ID: dict[str, Dataset] = {d.id: d for d in DATASETS}


def compare(op: str, dataset_id: str, field_id: str, literal: Any) -> dict[str, Any]:
    """A comparison node in the API's shape."""
    value = {"type": "DATASET", "datasetId": dataset_id, "fieldId": field_id}
    return {"type": op, "value": value, "expression": literal}


def boolean(op: str, *children: dict[str, Any]) -> dict[str, Any]:
    return {"type": op, "children": list(children)}


#: (id, name, conditions); every action starts at version 1 with no audit history.
SEED_ACTIONS: tuple[tuple[str, str, dict[str, Any]], ...] = (
    (
        "route-vip",
        "Route VIP customers",
        boolean(
            "AND",
            compare("EQUALS", "customers", "status", "active"),
            compare("GREATER_THAN", "customers", "priority", 5),
        ),
    ),
    (
        "priority-orders",
        "Prioritise high-value orders",
        boolean(
            "AND",
            boolean(
                "OR",
                compare("GREATER_THAN_OR_EQUALS", "orders", "amount", 500),
                compare("IN", "customers", "tier", ["gold", "platinum"]),
            ),
            boolean("NOT", compare("EQUALS", "orders", "channel", "web")),
            compare("EQUALS", "customers", "vip", True),
        ),
    ),
    (
        "recent-interactions",
        "Call back recent abandoned interactions",
        boolean(
            "AND",
            compare("GREATER_THAN", "interactions", "started", "2024-01-01"),
            compare("EQUALS", "interactions", "abandoned", True),
            compare("IN", "interactions", "media_type", ["voice", "callback"]),
            boolean("NOT", compare("EQUALS", "customers", "status", "churned")),
        ),
    ),
)
