"""A platform data table's JSON Schema (draft-04) read into typed, ordered columns: pure, no I/O.

The schema is what Architect serves with `expand=schema` (VENDOR_APIS.md §3): an object whose
`properties` map each field's API name to `{type, title?, $id?, displayOrder?, default?}`, with
`key` the one string key. Reading is tolerant (no `displayOrder`, no `title`, no `$id`, unknown
keywords, a draft-04 type list such as `["integer", "null"]`), but a schema this client cannot
type (no `key`, a non-string key, an unknown type) is a `SchemaError` naming the table and the
property, so a snapshot never lands columns of a guessed type. `QuarantinedRow` is the one shape
of a refused row for exports and imports alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

KEY = "key"
PlatformType = Literal["boolean", "string", "integer", "number"]
PLATFORM_TYPES: tuple[str, ...] = ("boolean", "string", "integer", "number")


class SchemaError(ValueError):
    """A table schema this client cannot type; the message names the table and the property."""


@dataclass(frozen=True)
class Column:
    """One field: `name` is the API id (CSV header, row key), `title` what a person sees."""

    name: str
    title: str
    type: PlatformType
    is_key: bool = False
    display_order: int | None = None


@dataclass(frozen=True)
class TableColumns:
    """A table's columns in order: `key` first, then by `displayOrder`, then as served."""

    table_id: str
    table_name: str
    columns: tuple[Column, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def key(self) -> Column:
        return self.columns[0]

    def by_name(self) -> dict[str, Column]:
        return {c.name: c for c in self.columns}

    def by_title(self) -> dict[str, Column]:
        """Title -> column, for titles no other column shares (an ambiguous title maps nothing)."""
        counts: dict[str, int] = {}
        for column in self.columns:
            counts[column.title] = counts.get(column.title, 0) + 1
        return {c.title: c for c in self.columns if counts[c.title] == 1}

    def column_types(self) -> dict[str, str]:
        return {c.name: c.type for c in self.columns}

    def describe(self) -> str:
        """`data table 'Customers' (id)`, for messages."""
        return describe_table(self.table_name, self.table_id)


@dataclass(frozen=True)
class QuarantinedRow:
    """A row that did not go where it was headed: its 1-based data row number (CSV header
    excluded), its key when known, the (first) field at fault and why. `row` holds the values
    as they arrived, so nothing is lost."""

    row_number: int
    key: str | None
    field: str | None
    reason: str
    row: dict[str, Any]


def describe_table(name: str | None, table_id: str) -> str:
    return f"data table {name!r} ({table_id})" if name else f"data table {table_id}"


def parse_schema(schema: Any, *, table_id: str, table_name: str | None = None) -> TableColumns:
    """`schema` (the served JSON Schema) as ordered `TableColumns`, or `SchemaError`."""
    where = describe_table(table_name, table_id)
    if not isinstance(schema, Mapping):
        raise SchemaError(f"{where}: schema is {_kind(schema)}, not a JSON Schema object")
    properties = schema.get("properties")
    if not isinstance(properties, Mapping) or not properties:
        raise SchemaError(f"{where}: schema has no 'properties' object")
    if KEY not in properties:
        raise SchemaError(
            f"{where}: schema has no {KEY!r} property (every data table has one string key)"
        )
    columns: list[tuple[int, Column]] = []
    for index, (name, spec) in enumerate(properties.items()):
        columns.append((index, _column(where, name, spec)))
    key = next(c for _, c in columns if c.name == KEY)
    if key.type != "string":
        raise SchemaError(f"{where}: property {KEY!r} has type {key.type!r}; a key is a string")
    others = sorted(
        ((i, c) for i, c in columns if c.name != KEY),
        key=lambda item: (item[1].display_order is None, item[1].display_order or 0, item[0]),
    )
    return TableColumns(
        table_id=table_id,
        table_name=table_name or "",
        columns=(key, *(c for _, c in others)),
    )


def _column(where: str, name: Any, spec: Any) -> Column:
    if not isinstance(name, str) or not name:
        raise SchemaError(f"{where}: property name {name!r} is not a non-empty string")
    if not isinstance(spec, Mapping):
        raise SchemaError(f"{where}: property {name!r} is {_kind(spec)}, not an object")
    kind = _type(spec.get("type"))
    if kind is None:
        raise SchemaError(
            f"{where}: property {name!r} has type {spec.get('type')!r}; this client reads "
            f"{', '.join(PLATFORM_TYPES)}"
        )
    title = spec.get("title")
    order = spec.get("displayOrder")
    if isinstance(order, str) and order.strip().lstrip("-").isdigit():
        order = int(order)
    return Column(
        name=name,
        title=title if isinstance(title, str) and title else name,
        type=kind,
        is_key=name == KEY,
        display_order=order if isinstance(order, int) and not isinstance(order, bool) else None,
    )


def _type(value: Any) -> PlatformType | None:
    """A draft-04 `type`: a name, or a list of names of which one is not `null`."""
    if isinstance(value, list):
        named = [v for v in value if v != "null"]
        value = named[0] if len(named) == 1 else None
    if isinstance(value, str) and value.lower() in PLATFORM_TYPES:
        return value.lower()  # type: ignore[return-value]
    return None


def _kind(value: Any) -> str:
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list):
        return "a list"
    return "null" if value is None else f"{type(value).__name__} {value!r}"[:80]
