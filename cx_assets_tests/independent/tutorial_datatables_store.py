"""Tables of the independent tutorial data tables server: columns, rows in first-insertion
order, one version, and the rules of `PUT .../schema` and `POST .../rows` (docs/api-contract.md
lines 232-240, 258-263, 283-299).

Fixed readings where the text is silent: a batch is checked row by row in order and, inside a
row, members first (only `id` and `columns`), then unknown columns, then the schema's columns in
order; the first problem is the 400's message. Without `upsert=true` the 409 names the first
posted key that exists and nothing changes. A schema body may carry back the members a schema
read serves (`id`, `name`, `version`, `description`, `selfUri`) and they are ignored; columns
carry `name`, `type`, optional `isPrimaryKey` (default false) and an ignored `description`.
"The primary-key columns must stay the same" means the same names, types and order.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from cx_assets_tests.independent.tutorial_datatables_values import (
    TYPES,
    WrongValue,
    check,
    convert,
    shown,
    text_of,
)

Json = dict[str, Any]
Key = tuple[Any, ...]
MAX_BATCH = 1000
SCHEMA_MEMBERS = {"columns", "id", "name", "version", "description", "selfUri"}
COLUMN_MEMBERS = {"name", "type", "isPrimaryKey", "description"}


class Rejected(Exception):
    """A refused write: HTTP status, Genesys error code and the message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def bad(message: str) -> Rejected:
    return Rejected(400, "bad.request", message)


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    key: bool = False


@dataclass
class Counts:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass
class Table:
    """One table; `rows` maps the key to the stored values (every column, insertion order)."""

    id: str
    name: str
    columns: list[Column]
    rows: dict[Key, Json] = field(default_factory=dict)
    version: int = 1

    @property
    def keys(self) -> list[Column]:
        return [c for c in self.columns if c.key]

    @property
    def etag(self) -> str:
        return f'"{self.version}"'

    def key_of(self, values: Json) -> Key:
        return tuple(values[c.name] for c in self.keys)

    def key_text(self, key: Key) -> str:
        """The key values joined by `|` (contract line 299)."""
        return "|".join(text_of(part) for part in key)

    def snapshot(self) -> list[Json]:
        return copy.deepcopy(list(self.rows.values()))

    # ---- POST .../rows ------------------------------------------------------------------------
    def upsert(self, body: Any, upsert: bool, timestamps: bool) -> Counts:
        """Apply a batch as a whole, or raise Rejected having changed nothing."""
        batch = self._checked(body, timestamps)
        if not upsert:
            for number, (key, _) in enumerate(batch, start=1):
                if key in self.rows:
                    message = f"row {number}: key '{self.key_text(key)}' already exists"
                    raise Rejected(409, "conflict", message + " (upsert=true updates it)")
        counts = Counts()
        for key, values in batch:
            stored = self.rows.get(key)
            if stored is None:
                counts.inserted += 1
            elif _same(stored, values):
                counts.unchanged += 1
                continue
            else:
                counts.updated += 1
            self.rows[key] = values
        if counts.inserted or counts.updated:
            self.version += 1
        return counts

    def _checked(self, body: Any, timestamps: bool) -> list[tuple[Key, Json]]:
        if not isinstance(body, list):
            raise bad('the body must be a JSON array of {"columns": {...}} objects')
        if len(body) > MAX_BATCH:
            raise bad(f"the batch has {len(body)} rows, at most {MAX_BATCH} are allowed")
        names = {c.name for c in self.columns}
        seen: dict[Key, int] = {}
        batch: list[tuple[Key, Json]] = []
        for number, row in enumerate(body, start=1):
            at = f"row {number}:"
            if not isinstance(row, dict):
                raise bad(f'{at} must be an object {{"columns": {{...}}}}, got {shown(row)}')
            if extra := sorted(set(row) - {"id", "columns"}):
                raise bad(f"{at} unknown member '{extra[0]}' (a row is {{\"columns\": {{...}}}})")
            posted = row.get("columns")
            if not isinstance(posted, dict):
                raise bad(f"{at} field 'columns' must be an object, got {shown(posted)}")
            if unknown := [n for n in posted if n not in names]:
                raise bad(f"{at} field '{unknown[0]}' is not a column of table {self.name!r}")
            values: Json = {}
            for column in self.columns:
                value = posted.get(column.name)
                if value is None:
                    if column.key:
                        missing = "is missing" if column.name not in posted else "is null"
                        message = f"{at} field '{column.name}' {missing}: it is a primary-key"
                        raise bad(message + " column")
                    values[column.name] = None
                    continue
                try:
                    values[column.name] = check(value, column.type, timestamps)
                except WrongValue as exc:
                    raise bad(f"{at} field '{column.name}' {exc}") from None
            key = self.key_of(values)
            if (first := seen.get(key)) is not None:
                raise bad(f"{at} key '{self.key_text(key)}' repeats row {first} of the batch")
            seen[key] = number
            batch.append((key, values))
        return batch

    # ---- PUT .../schema -----------------------------------------------------------------------
    def replace_schema(self, body: Any, always_bump: bool) -> None:
        """Apply a new column list (existing rows converted), or raise Rejected."""
        columns = self._checked_columns(body)
        old_keys = [(c.name, c.type) for c in self.keys]
        new_keys = [(c.name, c.type) for c in columns if c.key]
        if new_keys != old_keys:
            had = ", ".join(f"{n} ({t})" for n, t in old_keys)
            got = ", ".join(f"{n} ({t})" for n, t in new_keys) or "none"
            raise bad(f"the primary-key columns must stay the same: {had}; got {got}")
        if columns == self.columns:
            if always_bump:
                self.version += 1
            return
        before = {c.name: c for c in self.columns}
        for key, stored in self.rows.items():
            self.rows[key] = {
                c.name: convert(stored[c.name], before[c.name].type, c.type)
                if c.name in before
                else None
                for c in columns
            }
        self.columns = columns
        self.version += 1

    def _checked_columns(self, body: Any) -> list[Column]:
        if not isinstance(body, dict):
            raise bad('the body must be a JSON object {"columns": [...]}')
        if extra := sorted(set(body) - SCHEMA_MEMBERS):
            raise bad(f"unknown member '{extra[0]}' in the schema body")
        listed = body.get("columns")
        if not isinstance(listed, list) or not listed:
            raise bad("columns must be a non-empty array")
        columns: list[Column] = []
        for number, item in enumerate(listed, start=1):
            at = f"columns[{number - 1}]"
            if not isinstance(item, dict):
                raise bad(f"{at} must be an object, got {shown(item)}")
            if extra := sorted(set(item) - COLUMN_MEMBERS):
                raise bad(f"{at}: unknown member '{extra[0]}'")
            name, kind, key = item.get("name"), item.get("type"), item.get("isPrimaryKey", False)
            if not isinstance(name, str) or not name.strip():
                raise bad(f"{at}.name must be a non-empty string, got {shown(name)}")
            if kind not in TYPES:
                raise bad(f"{at}.type must be one of {', '.join(TYPES)}, got {shown(kind)}")
            if not isinstance(key, bool):
                raise bad(f"{at}.isPrimaryKey must be true or false, got {shown(key)}")
            if any(c.name == name for c in columns):
                raise bad(f"{at}.name {name!r} repeats an earlier column")
            columns.append(Column(name, kind, key))
        return columns

    # ---- admin --------------------------------------------------------------------------------
    def edit(self, delete: int = 0) -> None:
        """Someone else's change: drop the first `delete` rows, else change the first row's first
        non-key value (or insert a row into an empty table). The version goes up."""
        if delete:
            for key in list(self.rows)[:delete]:
                del self.rows[key]
        elif self.rows:
            key = next(iter(self.rows))
            others = [c for c in self.columns if not c.key]
            if not others:
                raise ValueError(f"table {self.id} has only key columns: use delete=")
            column = others[0]
            self.rows[key] = self.rows[key] | {
                column.name: _bumped(self.rows[key][column.name], column)
            }
        else:
            values = {c.name: _bumped(None, c) for c in self.columns}
            self.rows[self.key_of(values)] = values
        self.version += 1


def _same(stored: Json, posted: Json) -> bool:
    """Equal values of equal kinds (`3` equals `3.0`; a date never equals a timestamp)."""
    return all(_equal(stored[name], value) for name, value in posted.items())


def _equal(a: Any, b: Any) -> bool:
    if _numeric(a) and _numeric(b):
        return bool(a == b)
    return type(a) is type(b) and bool(a == b)


def _numeric(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _bumped(value: Any, column: Column) -> Any:
    if column.type == "string":
        return "edited" if value is None else f"{value} (edited)"
    if column.type == "number":
        return 1 if value is None else value + 1
    if column.type == "boolean":
        return True if value is None else not value
    if isinstance(value, datetime):
        return value + timedelta(days=1)
    return date(2024, 1, 1) if value is None else value + timedelta(days=1)
