"""The columns of a data table snapshot file, whichever API mode read the table.

The catalog keeps them as `[{"name", "type", "isPrimaryKey"}]` (the tutorial schema's own
spelling, so snapshots recorded before platform mode read the same); `type` is a key of
`lake.datatables.TYPE_MAP`. Checks and schema drift compare these, not a vendor model.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class SnapshotColumn:
    """One column: the vendor's name as spelled, its type, whether it is (part of) the key, and
    the title Genesys shows for it where the API gives one (platform mode). The title is for
    people only: it is not recorded in the catalog and not compared for drift."""

    name: str
    type: str
    is_key: bool = False
    title: str | None = field(default=None, compare=False)

    def record(self) -> dict[str, Any]:
        return {"name": self.name, "type": self.type, "isPrimaryKey": self.is_key}

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> SnapshotColumn:
        return cls(str(record["name"]), str(record["type"]), bool(record.get("isPrimaryKey")))


def key_names(columns: Iterable[SnapshotColumn]) -> tuple[str, ...]:
    """The key columns in column order (one, or several for a composite tutorial key)."""
    return tuple(c.name for c in columns if c.is_key)


def describe_column(column: SnapshotColumn, key: tuple[str, ...], lake_type: str) -> str:
    """A column's description for the UI: what Genesys calls it, its type, its part in the key.

    Neither API gives a column a description of its own, so this says what is known."""
    parts = []
    if column.title and column.title != column.name:
        parts.append(f"Shown in Genesys as {column.title!r}.")
    parts.append(f"Data table column of type {column.type} ({lake_type} in the lake).")
    if column.is_key and len(key) == 1:
        parts.append("The table's key: one row per value.")
    elif column.is_key:
        parts.append(f"Part of the table's key ({', '.join(key)}): one row per combination.")
    return " ".join(parts)
