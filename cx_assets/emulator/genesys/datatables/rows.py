"""Rows against a table's columns: a strict check of an upsert batch, and rows as the contract
shows them.

A batch is checked whole before anything is written, so a bad row anywhere leaves the table
as it was; each refusal names the row (1-based) and the field.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from cx_assets.emulator.genesys.datatables.schema import TableError
from cx_assets.emulator.genesys.datatables.seed import Column, Row
from cx_assets.emulator.values import type_problem

MAX_BATCH = 1000


def key_positions(columns: Sequence[Column]) -> list[int]:
    """Where the primary-key columns are, in column order."""
    return [n for n, c in enumerate(columns) if c.is_primary_key]


def validate_batch(batch: Any, columns: Sequence[Column], table_name: str) -> list[Row]:
    """The batch as tuples in column order, or TableError naming the row and field."""
    if not isinstance(batch, list):
        raise TableError(400, 'the body must be a JSON array of {"columns": {...}} objects')
    if len(batch) > MAX_BATCH:
        raise TableError(
            400, f"the batch has {len(batch)} rows; at most {MAX_BATCH} rows per request"
        )
    by_name = {c.name: n for n, c in enumerate(columns)}
    positions = key_positions(columns)
    seen: dict[Row, int] = {}
    rows: list[Row] = []
    for n, item in enumerate(batch, start=1):
        cells = item.get("columns") if isinstance(item, dict) else None
        if not isinstance(cells, dict):
            raise TableError(400, f'row {n}: must be an object {{"columns": {{...}}}}')
        values: list[object] = [None] * len(columns)
        for name, value in cells.items():
            at = by_name.get(name)
            if at is None:
                known = ", ".join(by_name)
                raise TableError(
                    400,
                    f"row {n}: field '{name}' is not a column of {table_name} (columns: {known})",
                )
            problem = type_problem(columns[at].type, value)
            if problem:
                raise TableError(400, f"row {n}: field '{name}' {problem}")
            values[at] = value
        for p in positions:
            if values[p] is None:
                raise TableError(
                    400,
                    f"row {n}: field '{columns[p].name}' is a primary key and is missing or null",
                )
        row = tuple(values)
        key = tuple(row[p] for p in positions)
        if (first := seen.setdefault(key, n)) != n:
            fields = ", ".join(f"'{columns[p].name}'" for p in positions)
            raise TableError(
                400,
                f"row {n}: field {fields} repeats the key {key_text(columns, key)} of row {first}",
            )
        rows.append(row)
    return rows


def row_json(row: Row, names: list[str], positions: list[int]) -> dict[str, Any]:
    """A row as the contract's row object: `id` is the key values joined by `|`."""
    row_id = "|".join(str(row[p]) for p in positions)
    return {"id": row_id, "columns": dict(zip(names, row, strict=True))}


def key_text(columns: Sequence[Column], key: Row) -> str:
    """A key as an error message names it: `name=<json>, …`."""
    names = [c.name for c in columns if c.is_primary_key]
    return ", ".join(
        f"{name}={json.dumps(v, ensure_ascii=False)}" for name, v in zip(names, key, strict=True)
    )


def edited(kind: str, value: object) -> object:
    """A different value of the same type (what another writer's edit changes)."""
    if kind == "number":
        return (value or 0) + 1  # type: ignore[operator]
    if kind == "boolean":
        return not value
    if kind == "date":
        return (date.fromisoformat(str(value or "2000-01-01")) + timedelta(days=1)).isoformat()
    return f"{value or ''} (edited)"
