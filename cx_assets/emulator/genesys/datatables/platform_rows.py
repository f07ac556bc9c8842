"""Rows against a platform table's schema: JSON flat maps (row calls) and CSV cells (imports).

The server never coerces a JSON value (`"3"` for an integer is refused, as a JSON Schema
validator would); CSV cells are text, so they are parsed by the property's type. Every refusal
is a `RowProblem` naming the field, so a row call answers 400 naming it and an import reports it
per row.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cx_assets.emulator.genesys.datatables.platform_seed import PlatformRow, Prop

MAX_KEY_LENGTH = 256
MAX_FIELDS = 50
TRUE_TEXT = ("true", "1")
FALSE_TEXT = ("false", "0")


@dataclass(frozen=True)
class RowProblem(Exception):
    """Why the server refuses a row; `code` is the per-row ErrorBody code."""

    field: str
    code: str
    reason: str

    def __str__(self) -> str:
        return self.reason


def check_key(key: Any) -> str:
    if not isinstance(key, str) or key == "":
        raise RowProblem("key", "key.missing", "field 'key' is required and must be a string")
    if len(key) > MAX_KEY_LENGTH:
        raise RowProblem(
            "key",
            "key.too.long",
            f"field 'key' has {len(key)} characters; at most {MAX_KEY_LENGTH}",
        )
    return key


def _type_ok(kind: str, value: Any) -> bool:
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "string":
        return isinstance(value, str)
    if isinstance(value, bool):
        return False
    if kind == "integer":
        return isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    return isinstance(value, int | float) and math.isfinite(value)


def validate_map(body: Any, props: tuple[Prop, ...], row_id: str | None = None) -> PlatformRow:
    """A JSON flat map as a stored row; `row_id` (PUT) must agree with a `key` in the body."""
    if not isinstance(body, dict):
        raise RowProblem("", "invalid.row", "the body must be a JSON object (a flat map)")
    if row_id is not None:
        body = {"key": row_id, **body}
        if body["key"] != row_id:
            raise RowProblem("key", "key.mismatch", f"field 'key' must equal the row id {row_id!r}")
    by_name = {p.name: p for p in props}
    row: PlatformRow = {"key": check_key(body.get("key"))}
    for name, value in body.items():
        prop = by_name.get(name)
        if prop is None:
            known = ", ".join(by_name)
            raise RowProblem(
                name, "unknown.field", f"field '{name}' is not in the schema (properties: {known})"
            )
        if name == "key" or value is None:
            continue
        if not _type_ok(prop.type, value):
            shown = type(value).__name__
            raise RowProblem(
                name, "invalid.value.type", f"field '{name}' must be {prop.type}, got {shown}"
            )
        row[name] = int(value) if prop.type == "integer" else value
    return row


def parse_cell(prop: Prop, text: str) -> Any:
    """A CSV cell as the property's value; '' is no value (None)."""
    if text == "":
        return None
    if prop.type == "string":
        return text
    if prop.type == "boolean":
        lowered = text.strip().lower()
        if lowered in TRUE_TEXT:
            return True
        if lowered in FALSE_TEXT:
            return False
    else:
        try:
            value: Any = int(text.strip()) if prop.type == "integer" else float(text.strip())
        except ValueError:
            value = None
        if value is not None and (prop.type == "integer" or math.isfinite(value)):
            return value
    raise RowProblem(
        prop.name, "invalid.value.type", f"field '{prop.name}' value {text!r} is not {prop.type}"
    )


def csv_row(cells: list[str], columns: list[Prop], props: tuple[Prop, ...]) -> PlatformRow:
    """One CSV record (cells in header order) as a stored row."""
    if len(cells) > len(columns):
        raise RowProblem(
            f"column {len(columns) + 1}",
            "unknown.field",
            f"the row has {len(cells)} cells; the header names {len(columns)} columns",
        )
    values = {prop.name: parse_cell(prop, text) for prop, text in zip(columns, cells, strict=False)}
    row: PlatformRow = {"key": check_key(values.get("key"))}
    for prop in props[1:]:
        value = values.get(prop.name)
        if value is not None:
            row[prop.name] = value
    return row


def brief(row: Mapping[str, Any]) -> dict[str, Any]:
    """`showbrief=true`: the key only."""
    return {"key": row["key"]}
