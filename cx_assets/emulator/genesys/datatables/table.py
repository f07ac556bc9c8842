"""One in-memory data table with versions, validated batch upserts and a change journal.

Rows are tuples in column order in one list (stable first-insertion order, so a page is a slice)
plus a dict key -> index, so a 1000-row page and a 1000-row upsert cost O(1000), not O(table).

Persistence: a table that was never changed is rebuilt from the seed. Every change (rows
written, schema changed) is appended as one JSON line to `state_dir/datatables/<id>.jsonl`
and replayed over the seed on first access after a restart. Why a journal and not a rewrite of
the table per change: an import of 100,000 rows into the 200,000-row table would otherwise
serialise the whole table on every 250-row batch; a journal writes only what changed.
"""

from __future__ import annotations

import json
import logging
import random
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cx_assets.emulator.genesys.datatables.rows import (
    edited,
    key_positions,
    key_text,
    row_json,
    validate_batch,
)
from cx_assets.emulator.genesys.datatables.schema import TableError, convert
from cx_assets.emulator.genesys.datatables.seed import Column, Row, SeedTable, seed_rows

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class UpsertResult:
    inserted: int
    updated: int
    unchanged: int
    version: int


class DataTable:
    """One table. All methods are thread-safe; the seeded rows are built on first use."""

    def __init__(self, seed_table: SeedTable, seed: int, journal: Path) -> None:
        self.id = seed_table.id
        self.name = seed_table.name
        self._seed_table = seed_table
        self._seed = seed
        self._journal = journal
        self._lock = threading.RLock()
        self._loaded = False
        self.version = 1
        self.columns: tuple[Column, ...] = seed_table.columns
        self._rows: list[Row] = []
        self._index: dict[Row, int] = {}

    # -- loading and persistence ------------------------------------------------------------

    def _ensure(self) -> None:
        if self._loaded:
            return
        with self._lock:
            if self._loaded:
                return
            self._rows = seed_rows(self._seed_table, self._seed)
            self._reindex()
            self._replay()
            self._loaded = True

    def _reindex(self) -> None:
        positions = key_positions(self.columns)
        self._index = {tuple(row[p] for p in positions): n for n, row in enumerate(self._rows)}

    def _replay(self) -> None:
        if not self._journal.exists():
            return
        with self._journal.open(encoding="utf-8") as lines:
            header = lines.readline()
            if not header.strip() or json.loads(header).get("seed") != self._seed:
                log.warning("ignoring %s: it was written for another seed", self._journal)
                self._journal.unlink()
                return
            for line in lines:
                try:
                    event = json.loads(line)
                except ValueError:
                    log.warning("ignoring a torn last line in %s", self._journal)
                    break
                if event["op"] == "schema":
                    self._apply_schema(tuple(Column(*c) for c in event["columns"]))
                else:
                    self._apply_rows([tuple(r) for r in event["rows"]])
                self.version = event["version"]

    def _append(self, event: dict[str, Any]) -> None:
        """One change as one line; the header names the seed the journal builds on."""
        self._journal.parent.mkdir(parents=True, exist_ok=True)
        new = not self._journal.exists()
        with self._journal.open("a", encoding="utf-8") as out:
            if new:
                out.write(json.dumps({"seed": self._seed, "table": self.id}) + "\n")
            out.write(json.dumps({**event, "version": self.version}, ensure_ascii=False) + "\n")

    # -- reads ------------------------------------------------------------------------------

    def schema(self) -> dict[str, Any]:
        with self._lock:
            self._ensure()
            return {
                "id": self.id,
                "name": self.name,
                "version": self.version,
                "columns": [c.to_json() for c in self.columns],
            }

    def page(self, offset: int, size: int) -> tuple[list[dict[str, Any]], int, bool]:
        """Rows [offset, offset+size) as the contract's row objects, the version, and whether
        more rows follow."""
        with self._lock:
            self._ensure()
            names = [c.name for c in self.columns]
            positions = key_positions(self.columns)
            chunk = self._rows[offset : offset + size]
            more = offset + size < len(self._rows)
            version = self.version
        return [row_json(row, names, positions) for row in chunk], version, more

    def __len__(self) -> int:
        with self._lock:
            self._ensure()
            return len(self._rows)

    # -- writes -----------------------------------------------------------------------------

    def upsert(self, batch: Any, upsert: bool) -> UpsertResult:
        """Validate the whole batch, then insert/update; nothing changes if any row is bad."""
        with self._lock:
            self._ensure()
            rows = validate_batch(batch, self.columns, self.name)
            positions = key_positions(self.columns)
            changed: list[Row] = []
            inserted = updated = 0
            for n, row in enumerate(rows, start=1):
                key = tuple(row[p] for p in positions)
                at = self._index.get(key)
                if at is not None and not upsert:
                    raise TableError(
                        409,
                        f"row {n}: key {key_text(self.columns, key)} already exists; "
                        "send upsert=true to update it",
                    )
                if at is None:
                    inserted += 1
                    changed.append(row)
                elif self._rows[at] != row:
                    updated += 1
                    changed.append(row)
            if changed:
                self._apply_rows(changed)
                self.version += 1
                self._append({"op": "rows", "rows": changed})
            return UpsertResult(inserted, updated, len(rows) - len(changed), self.version)

    def validate(self, batch: Any) -> list[Row]:
        """The batch as tuples in column order, or TableError naming the row and field."""
        with self._lock:
            self._ensure()
            return validate_batch(batch, self.columns, self.name)

    def _apply_rows(self, rows: Iterable[Row]) -> None:
        positions = key_positions(self.columns)
        for row in rows:
            key = tuple(row[p] for p in positions)
            at = self._index.get(key)
            if at is None:
                self._index[key] = len(self._rows)
                self._rows.append(row)
            else:
                self._rows[at] = row

    def set_schema(self, columns: Sequence[Column]) -> int:
        """Add, remove or retype columns (the key must stay as it is); the version goes up."""
        columns = tuple(columns)
        with self._lock:
            self._ensure()
            old_key = [(c.name, c.type) for c in self.columns if c.is_primary_key]
            new_key = [(c.name, c.type) for c in columns if c.is_primary_key]
            if old_key != new_key:
                raise TableError(
                    400,
                    "the primary-key columns must stay the same: "
                    + ", ".join(f"{name} ({kind})" for name, kind in old_key),
                )
            self._apply_schema(columns)
            self.version += 1
            self._append(
                {"op": "schema", "columns": [[c.name, c.type, c.is_primary_key] for c in columns]}
            )
            return self.version

    def _apply_schema(self, columns: tuple[Column, ...]) -> None:
        old = {c.name: (n, c.type) for n, c in enumerate(self.columns)}
        if [(c.name, c.type) for c in columns] == [(c.name, c.type) for c in self.columns]:
            self.columns = columns  # same layout: no row to touch
            return
        plan = [(old.get(c.name, (None, None)), c.type) for c in columns]

        def remap(row: Row) -> Row:
            return tuple(
                None if at is None else (row[at] if was == kind else convert(row[at], kind))
                for (at, was), kind in plan
            )

        self._rows = [remap(row) for row in self._rows]
        self.columns = columns
        self._reindex()

    def modify_one(self, rng: random.Random) -> int:
        """Another writer edits one row (the `table_modified` fault); the version goes up."""
        with self._lock:
            self._ensure()
            editable = [n for n, c in enumerate(self.columns) if not c.is_primary_key]
            changed: list[Row] = []
            if self._rows and editable:
                at = rng.randrange(len(self._rows))
                row = list(self._rows[at])
                row[editable[0]] = edited(self.columns[editable[0]].type, row[editable[0]])
                self._rows[at] = tuple(row)
                changed.append(self._rows[at])
            self.version += 1
            self._append({"op": "rows", "rows": changed})
            return self.version
