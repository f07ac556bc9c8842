"""The columns of a data table snapshot file, whichever API mode read the table.

The catalog keeps them as `[{"name", "type", "isPrimaryKey"}]` (the tutorial schema's own
spelling, so snapshots recorded before platform mode read the same); `type` is a key of
`lake.datatables.TYPE_MAP`. Checks and schema drift compare these, not a vendor model.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SnapshotColumn:
    """One column: the vendor's name as spelled, its type, whether it is (part of) the key."""

    name: str
    type: str
    is_key: bool = False

    def record(self) -> dict[str, Any]:
        return {"name": self.name, "type": self.type, "isPrimaryKey": self.is_key}

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> SnapshotColumn:
        return cls(str(record["name"]), str(record["type"]), bool(record.get("isPrimaryKey")))


def key_names(columns: Iterable[SnapshotColumn]) -> tuple[str, ...]:
    """The key columns in column order (one, or several for a composite tutorial key)."""
    return tuple(c.name for c in columns if c.is_key)
