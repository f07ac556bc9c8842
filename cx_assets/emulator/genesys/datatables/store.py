"""In-memory data tables with versions, validated batch upserts and a per-table change journal.

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
import math
import random
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from cx_assets.emulator.genesys.datatables.seed import (
    SEED_TABLES,
    Column,
    Row,
    SeedTable,
    seed_rows,
)

log = logging.getLogger(__name__)

TYPES = ("string", "number", "boolean", "date")
MAX_BATCH = 1000


class TableError(Exception):
    """A request the table refuses; `status` is the HTTP status the route answers with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class UpsertResult:
    inserted: int
    updated: int
    unchanged: int
    version: int


def _show(value: object) -> str:
    """A value as the error message quotes it: JSON, with its JSON type first."""
    kind = {str: "string", bool: "boolean", int: "number", float: "number", type(None): "null"}
    name = kind.get(type(value), "array" if isinstance(value, list) else "object")
    return f"{name} {json.dumps(value, ensure_ascii=False)}"


def is_iso_date(value: object) -> bool:
    if not isinstance(value, str) or len(value) != 10:
        return False
    try:
        return date.fromisoformat(value).isoformat() == value
    except ValueError:
        return False


def type_problem(kind: str, value: object) -> str | None:
    """Why `value` is not a `kind` (no coercion at all), or None when it is."""
    if value is None:
        return None
    if kind == "string":
        ok = isinstance(value, str)
    elif kind == "number":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        ok = ok and math.isfinite(value)  # type: ignore[arg-type]
    elif kind == "boolean":
        ok = isinstance(value, bool)
    else:
        if is_iso_date(value):
            return None
        return f"expects date YYYY-MM-DD, got {_show(value)}"
    return None if ok else f"expects {kind}, got {_show(value)}"


def convert(value: object, kind: str) -> object:
    """A value retyped by a schema change: kept when lossless, else None (the contract's rule)."""
    if value is None or type_problem(kind, value) is None:
        return value
    if kind == "string":
        return json.dumps(value) if isinstance(value, int | float | bool) else None
    if not isinstance(value, str):
        return None
    if kind == "boolean":
        return {"true": True, "false": False}.get(value)
    if kind == "number":
        try:
            number = json.loads(value)
        except ValueError:
            return None
        lossless = isinstance(number, int | float) and not isinstance(number, bool)
        return number if lossless and json.dumps(number) == value else None
    return None


def parse_columns(body: Any) -> tuple[Column, ...]:
    """The `columns` of a schema PUT, each problem naming the column and field."""
    if not isinstance(body, dict) or not isinstance(body.get("columns"), list):
        raise TableError(400, 'the body must be a JSON object {"columns": [...]}')
    columns: list[Column] = []
    for n, item in enumerate(body["columns"], start=1):
        if not isinstance(item, dict):
            raise TableError(400, f"columns[{n}] must be an object with name and type")
        name, kind, key = item.get("name"), item.get("type"), item.get("isPrimaryKey", False)
        if not isinstance(name, str) or not name:
            raise TableError(400, f"columns[{n}]: name must be a non-empty string")
        if kind not in TYPES:
            raise TableError(400, f"column '{name}': type must be one of {', '.join(TYPES)}")
        if not isinstance(key, bool):
            raise TableError(400, f"column '{name}': isPrimaryKey must be true or false")
        if any(c.name == name for c in columns):
            raise TableError(400, f"column '{name}' appears twice")
        columns.append(Column(name, kind, key))
    if not columns:
        raise TableError(400, "columns must not be empty")
    return tuple(columns)


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
        positions = self._key_positions()
        self._index = {tuple(row[p] for p in positions): n for n, row in enumerate(self._rows)}

    def _key_positions(self) -> list[int]:
        return [n for n, c in enumerate(self.columns) if c.is_primary_key]

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
            positions = self._key_positions()
            chunk = self._rows[offset : offset + size]
            more = offset + size < len(self._rows)
            version = self.version
        return [_row_json(row, names, positions) for row in chunk], version, more

    def __len__(self) -> int:
        with self._lock:
            self._ensure()
            return len(self._rows)

    # -- writes -----------------------------------------------------------------------------

    def upsert(self, batch: Any, upsert: bool) -> UpsertResult:
        """Validate the whole batch, then insert/update; nothing changes if any row is bad."""
        with self._lock:
            self._ensure()
            rows = self._validate(batch)
            positions = self._key_positions()
            changed: list[Row] = []
            inserted = updated = 0
            for n, row in enumerate(rows, start=1):
                key = tuple(row[p] for p in positions)
                at = self._index.get(key)
                if at is not None and not upsert:
                    raise TableError(
                        409,
                        f"row {n}: key {_key_text(self.columns, key)} already exists; "
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
            return self._validate(batch)

    def _validate(self, batch: Any) -> list[Row]:
        if not isinstance(batch, list):
            raise TableError(400, 'the body must be a JSON array of {"columns": {...}} objects')
        if len(batch) > MAX_BATCH:
            raise TableError(
                400, f"the batch has {len(batch)} rows; at most {MAX_BATCH} rows per request"
            )
        by_name = {c.name: n for n, c in enumerate(self.columns)}
        positions = self._key_positions()
        seen: dict[Row, int] = {}
        rows: list[Row] = []
        for n, item in enumerate(batch, start=1):
            cells = item.get("columns") if isinstance(item, dict) else None
            if not isinstance(cells, dict):
                raise TableError(400, f'row {n}: must be an object {{"columns": {{...}}}}')
            values: list[object] = [None] * len(self.columns)
            for name, value in cells.items():
                at = by_name.get(name)
                if at is None:
                    known = ", ".join(by_name)
                    raise TableError(
                        400,
                        f"row {n}: field '{name}' is not a column of {self.name} "
                        f"(columns: {known})",
                    )
                problem = type_problem(self.columns[at].type, value)
                if problem:
                    raise TableError(400, f"row {n}: field '{name}' {problem}")
                values[at] = value
            for p in positions:
                if values[p] is None:
                    raise TableError(
                        400,
                        f"row {n}: field '{self.columns[p].name}' is a primary key and is "
                        "missing or null",
                    )
            row = tuple(values)
            key = tuple(row[p] for p in positions)
            if (first := seen.setdefault(key, n)) != n:
                fields = ", ".join(f"'{self.columns[p].name}'" for p in positions)
                raise TableError(
                    400,
                    f"row {n}: field {fields} repeats the key "
                    f"{_key_text(self.columns, key)} of row {first}",
                )
            rows.append(row)
        return rows

    def _apply_rows(self, rows: Iterable[Row]) -> None:
        positions = self._key_positions()
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
                row[editable[0]] = _edited(self.columns[editable[0]].type, row[editable[0]])
                self._rows[at] = tuple(row)
                changed.append(self._rows[at])
            self.version += 1
            self._append({"op": "rows", "rows": changed})
            return self.version


def _edited(kind: str, value: object) -> object:
    """A different value of the same type."""
    if kind == "number":
        return (value or 0) + 1  # type: ignore[operator]
    if kind == "boolean":
        return not value
    if kind == "date":
        return (date.fromisoformat(str(value or "2000-01-01")) + timedelta(days=1)).isoformat()
    return f"{value or ''} (edited)"


def _row_json(row: Row, names: list[str], positions: list[int]) -> dict[str, Any]:
    row_id = "|".join(str(row[p]) for p in positions)
    return {"id": row_id, "columns": dict(zip(names, row, strict=True))}


def _key_text(columns: Sequence[Column], key: Row) -> str:
    names = [c.name for c in columns if c.is_primary_key]
    return ", ".join(
        f"{name}={json.dumps(v, ensure_ascii=False)}" for name, v in zip(names, key, strict=True)
    )


class DataTableStore:
    """The tables by id. Start-up only creates the (empty, lazy) table objects."""

    def __init__(self, state_dir: Path, seed: int) -> None:
        folder = state_dir / "datatables"
        self._rng = random.Random(seed)
        self._rng_lock = threading.Lock()
        self.tables: dict[str, DataTable] = {
            t.id: DataTable(t, seed, folder / f"{t.id}.jsonl") for t in SEED_TABLES
        }

    def get(self, table_id: str) -> DataTable:
        table = self.tables.get(table_id)
        if table is None:
            raise TableError(404, f"data table {table_id} not found")
        return table

    def listing(self) -> list[dict[str, str]]:
        return [{"id": t.id, "name": t.name} for t in self.tables.values()]

    def modify_one(self, table_id: str) -> int:
        with self._rng_lock:
            rng = random.Random(self._rng.random())
        return self.get(table_id).modify_one(rng)

    def close(self) -> None:
        """Nothing to flush: every change was journaled when it was made."""
