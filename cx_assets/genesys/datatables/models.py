"""Pydantic models of the Genesys Cloud data tables API (docs/api-contract.md, "Data tables").

Responses ignore fields they do not know, so a richer real API does not break the client, and
require only what a flow needs: a schema answer may be just `{"columns": [...]}` as the
tutorial shows it (`SchemaBody`); the client completes it into a `TableSchema`.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

ColumnType = Literal["string", "number", "date", "boolean"]
COLUMN_TYPES: tuple[str, ...] = ("string", "number", "date", "boolean")


class _Response(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True, frozen=True)


class TableColumn(_Response):
    """One column of a table; `model_dump(by_alias=True)` gives the API's own spelling."""

    name: str
    type: ColumnType
    is_primary_key: bool = Field(default=False, alias="isPrimaryKey")


class SchemaBody(_Response):
    """`GET .../schema` as served: the tutorial's answer holds only `columns` (the version is
    then only in the `ETag` header), the contract's also `id`, `name` and `version`."""

    id: str | None = None
    name: str | None = None
    version: int | None = None
    columns: list[TableColumn]


class TableSchema(_Response):
    """A table's columns at one `version` (the number its `ETag` names; None when the ETag is
    not a number and the body gave none)."""

    id: str
    name: str
    version: int | None
    columns: list[TableColumn]

    @property
    def primary_key(self) -> tuple[str, ...]:
        """The key columns, in column order (one, or several for a composite key)."""
        return tuple(c.name for c in self.columns if c.is_primary_key)

    def column_types(self) -> dict[str, str]:
        """Column name -> type, in column order."""
        return {c.name: c.type for c in self.columns}


class DataTable(_Response):
    """A table as listed by `GET /api/v2/datatables`."""

    id: str
    name: str


class DataTableList(_Response):
    entities: list[DataTable]
    total: int | None = None


class RowsPage(_Response):
    """One page of `GET …/rows`: rows as `{id, columns}` and the cursor to the next page."""

    rows: list[RowEntity]
    next_page_cursor: str | None = Field(default=None, alias="nextPageCursor")


class RowEntity(_Response):
    id: str | None = None
    columns: dict[str, Any]


class UpsertResponse(_Response):
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    version: int | None = None


RowsPage.model_rebuild()
