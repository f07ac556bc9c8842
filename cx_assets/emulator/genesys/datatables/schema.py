"""A data table's columns: what a schema PUT may say, and how a retype converts stored values.

Also `TableError`, the refusal every table operation raises with the HTTP status its route
answers with. The value types and their strict check are shared with the rules flow
(emulator/values.py).
"""

from __future__ import annotations

import json
from typing import Any

from cx_assets.emulator.genesys.datatables.seed import Column
from cx_assets.emulator.values import TYPES, type_problem


class TableError(Exception):
    """A request the table refuses; `status` is the HTTP status the route answers with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


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
