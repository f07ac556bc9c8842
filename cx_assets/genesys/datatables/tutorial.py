"""Genesys Cloud data tables client: list, schema, consistent snapshots, upserts.

A snapshot pages through the rows with cursors. Cursors survive a change of the table (the next
page is then served from the new version), so only the `ETag` shows that the pages collected so
far mix two versions: every page's ETag is checked against the schema's, and on a change the
snapshot throws everything away and starts again from page one, at most `max_restarts` times.

Answers are read tolerantly (models.py): a schema may be only `{"columns": [...]}`, as the
tutorial shows it, and is completed from the `ETag` (the version) and the listing (the name);
`date` cells served as timestamps are read as dates (served.py). An answer that still lacks what
the client needs is an `UnreadableResponse` naming the field, which no retry repeats.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from cx_assets.genesys.datatables import endpoints
from cx_assets.genesys.datatables.models import (
    DataTable,
    DataTableList,
    RowsPage,
    SchemaBody,
    TableSchema,
    UpsertResponse,
)
from cx_assets.genesys.datatables.served import read_dates
from cx_assets.http.client import ApiClient
from cx_assets.http.errors import UnreadableResponse
from cx_assets.http.pacing import RateLimitWindow
from cx_assets.http.reading import read_model

log = logging.getLogger(__name__)


class SnapshotInconsistent(RuntimeError):
    """The table kept changing while it was read; restarts are exhausted."""


@dataclass(frozen=True)
class TableSnapshot:
    """Every row of one table at one version: `rows` are the `columns` dicts in server order,
    `row_ids[i]` the server's id of `rows[i]`; `etag` is the version every page carried.
    `times_dropped`: per `date` column, how many cells were served as a timestamp with a time of
    day that the snapshot's date cannot hold (empty when none)."""

    table_id: str
    schema: TableSchema
    etag: str
    rows: list[dict[str, Any]]
    row_ids: list[str]
    pages: int
    restarts: int
    times_dropped: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class UpsertResult:
    inserted: int
    updated: int
    unchanged: int
    version: int | None


class DataTablesClient:
    """The data tables API over one `ApiClient` (which owns auth, retries and pacing)."""

    def __init__(self, api: ApiClient, *, page_size: int = 1000, max_restarts: int = 3) -> None:
        if not 1 <= page_size <= endpoints.DATATABLE_MAX_PAGE_SIZE:
            raise ValueError(
                f"page_size must be 1..{endpoints.DATATABLE_MAX_PAGE_SIZE}, got {page_size}"
            )
        if max_restarts < 0:
            raise ValueError(f"max_restarts must not be negative, got {max_restarts}")
        self.api = api
        self.page_size = page_size
        self.max_restarts = max_restarts
        self._names: dict[str, str] = {}

    def list_tables(self) -> list[DataTable]:
        response = self.api.request("GET", endpoints.DATATABLES_PATH)
        tables = read_model(DataTableList, response, "the data table listing").entities
        self._names.update((t.id, t.name) for t in tables)
        return tables

    def get_schema(self, table_id: str) -> TableSchema:
        return self._schema(table_id)[0]

    def snapshot(self, table_id: str) -> TableSnapshot:
        """All rows of `table_id` at one version, or `SnapshotInconsistent` after
        `max_restarts` restarts. The schema is read first and must carry the same ETag as
        every page, so the columns describe exactly the rows returned."""
        seen: list[str] = []
        for attempt in range(self.max_restarts + 1):
            schema, etag = self._schema(table_id)
            seen.append(etag)
            collected = self._read_pages(table_id, etag)
            if isinstance(collected, str):
                seen.append(collected)
                log.warning(
                    "data table %s changed while it was read (ETag %s -> %s): restarting from "
                    "page 1 (restart %d of at most %d)",
                    table_id,
                    etag,
                    collected,
                    attempt + 1,
                    self.max_restarts,
                )
                continue
            rows, row_ids, pages = collected
            dropped = read_dates(rows, schema.column_types())
            if dropped:
                log.warning(
                    "data table %s serves date columns as timestamps with a time of day; the "
                    "snapshot keeps their UTC date only (cells per column: %s)",
                    table_id,
                    ", ".join(f"{name}={count}" for name, count in dropped.items()),
                )
            return TableSnapshot(table_id, schema, etag, rows, row_ids, pages, attempt, dropped)
        raise SnapshotInconsistent(
            f"data table {table_id} changed while it was read on every one of "
            f"{self.max_restarts + 1} attempt(s) ({self.max_restarts} restart(s)); ETags seen in "
            f"order: {', '.join(seen)}. No snapshot was taken rather than one mixing versions."
        )

    def upsert(self, table_id: str, rows: Sequence[Mapping[str, Any]]) -> UpsertResult:
        """Insert or update `rows` (column dicts) matched on the primary key; `id` omitted.

        A 400 (an invalid row) raises `ApiError` with the server's message naming row and field.
        """
        if len(rows) > endpoints.DATATABLE_MAX_BATCH:
            raise ValueError(
                f"a rows POST takes at most {endpoints.DATATABLE_MAX_BATCH} rows, got {len(rows)}"
            )
        body = [{"columns": dict(row)} for row in rows]
        response = self.api.request(
            "POST", endpoints.datatable_rows_path(table_id), json=body, params={"upsert": "true"}
        )
        parsed = (
            read_model(UpsertResponse, response, "an upsert answer")
            if response.content.strip()
            else UpsertResponse()
        )
        return UpsertResult(parsed.inserted, parsed.updated, parsed.unchanged, parsed.version)

    def rate_limit(self) -> tuple[RateLimitWindow | None, int | None]:
        """The rate-limit window as the pacer sees it now, and the window's budget if known."""
        return self.api.pacer.window(), self.api.pacer.budget()

    # -- internals -------------------------------------------------------------------------

    def _schema(self, table_id: str) -> tuple[TableSchema, str]:
        """The schema completed where the answer is silent: the id asked for, the version the
        ETag names, the name from the listing; and the ETag (or one made from the version)."""
        response = self.api.request("GET", endpoints.datatable_schema_path(table_id))
        body = read_model(SchemaBody, response, f"the schema of data table {table_id}")
        etag = _etag(response)
        version = body.version if body.version is not None else _etag_version(etag)
        if etag is None:
            if version is None:
                raise UnreadableResponse(
                    response.status_code,
                    "GET",
                    str(response.request.url),
                    f"the schema of data table {table_id} carries neither an ETag header nor a "
                    "'version' field: a snapshot could not tell whether its pages mix versions",
                )
            etag = f'"{version}"'
        name = body.name or self._name_of(table_id)
        schema = TableSchema(
            id=body.id or table_id, name=name, version=version, columns=body.columns
        )
        return schema, etag

    def _name_of(self, table_id: str) -> str:
        """The table's name from the listing (read once per client); its id if not listed."""
        if table_id not in self._names:
            self.list_tables()
        return self._names.get(table_id, table_id)

    def _read_pages(
        self, table_id: str, etag: str
    ) -> tuple[list[dict[str, Any]], list[str], int] | str:
        """Every page, or the first ETag that differs from `etag` (the table changed)."""
        rows: list[dict[str, Any]] = []
        row_ids: list[str] = []
        cursor: str | None = None
        pages = 0
        while True:
            params: dict[str, Any] = {"pageSize": self.page_size}
            if cursor:
                params["cursor"] = cursor
            response = self.api.request(
                "GET", endpoints.datatable_rows_path(table_id), params=params
            )
            pages += 1
            page_etag = _etag(response)
            if page_etag is not None and page_etag != etag:
                return page_etag
            page = read_model(RowsPage, response, f"a rows page of data table {table_id}")
            for entity in page.rows:
                rows.append(entity.columns)
                row_ids.append(entity.id if entity.id is not None else "")
            cursor = page.next_page_cursor
            if not cursor:
                return rows, row_ids, pages


def _etag_version(etag: str | None) -> int | None:
    """The version an ETag names (`"3"` -> 3), or None for any other spelling."""
    text = (etag or "").strip('"')
    return int(text) if text.isdigit() else None


def _etag(response: httpx.Response) -> str | None:
    """The ETag as sent (quotes kept); a weak `W/` prefix is dropped: we compare versions."""
    value = response.headers.get("ETag")
    if not value:
        return None
    return value.removeprefix("W/").strip()
