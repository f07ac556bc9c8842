"""`/api/v2/datatables`: list tables, read and change schemas, page rows, upsert row batches.

Cursors are urlsafe base64 of `{"o": offset, "v": version}`. A cursor from an earlier version is
answered from the current version at that offset, on purpose (see the contract): only the ETag
tells a client that its pages mix two versions. Store calls run in the thread pool, because the
first access to the 200,000-row table builds it (about 0.4 s) and must not stall the event loop.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from cx_assets.emulator.auth import require_scope
from cx_assets.emulator.context import Api, EmulatorContext
from cx_assets.emulator.errors import ApiError, json_body
from cx_assets.emulator.faults import Fault
from cx_assets.emulator.genesys.datatables.rows import MAX_BATCH
from cx_assets.emulator.genesys.datatables.schema import TableError, parse_columns
from cx_assets.emulator.genesys.datatables.store import DataTableStore
from cx_assets.emulator.genesys.datatables.table import DataTable

READ = "data-table:read"
WRITE = "data-table:write"
BASE = "/api/v2/datatables"
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000


def encode_cursor(offset: int, version: int) -> str:
    raw = json.dumps({"o": offset, "v": version}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    """The offset a cursor points at; 400 for anything this server did not issue."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        offset = data["o"]
    except (ValueError, TypeError, KeyError, binascii.Error) as exc:
        raise ApiError(400, "cursor is not a cursor this server issued") from exc
    if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
        raise ApiError(400, "cursor is not a cursor this server issued")
    return offset


def page_size(request: Request) -> int:
    raw = request.query_params.get("pageSize")
    if raw is None:
        return DEFAULT_PAGE_SIZE
    try:
        size = int(raw)
    except ValueError as exc:
        raise ApiError(400, f"pageSize must be an integer from 1 to {MAX_PAGE_SIZE}") from exc
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise ApiError(400, f"pageSize must be from 1 to {MAX_PAGE_SIZE} (got {size})")
    return size


def _etag(version: int) -> dict[str, str]:
    return {"ETag": f'"{version}"'}


def _ctx(request: Request) -> EmulatorContext:
    return request.app.state.ctx


def _table(request: Request) -> DataTable:
    store: DataTableStore = _ctx(request).services["datatables"]
    try:
        return store.get(request.path_params["table_id"])
    except TableError as exc:
        raise ApiError(exc.status, exc.message) from exc


async def _call(func: Any, *args: Any) -> Any:
    """Run a store method off the event loop, turning its refusals into API errors."""
    try:
        return await run_in_threadpool(func, *args)
    except TableError as exc:
        raise ApiError(exc.status, exc.message) from exc


async def list_tables(request: Request) -> JSONResponse:
    require_scope(request, READ)
    store: DataTableStore = _ctx(request).services["datatables"]
    entities = store.listing()
    return JSONResponse({"entities": entities, "total": len(entities)})


async def get_schema(request: Request) -> JSONResponse:
    require_scope(request, READ)
    schema = await _call(_table(request).schema)
    return JSONResponse(schema, headers=_etag(schema["version"]))


async def put_schema(request: Request) -> JSONResponse:
    require_scope(request, WRITE)
    table = _table(request)
    body = await json_body(request, 'a JSON object {"columns": [...]}')
    try:
        columns = parse_columns(body)
    except TableError as exc:
        raise ApiError(exc.status, exc.message) from exc
    await _call(table.set_schema, columns)
    schema = await _call(table.schema)
    return JSONResponse(schema, headers=_etag(schema["version"]))


async def get_rows(request: Request) -> JSONResponse:
    require_scope(request, READ)
    table = _table(request)
    size = page_size(request)
    cursor = request.query_params.get("cursor")
    offset = 0
    if cursor:
        offset = decode_cursor(cursor)
        ctx = _ctx(request)
        if ctx.faults.take("table_modified", request.url.path) is not None:
            await _call(ctx.services["datatables"].modify_one, table.id)
        if ctx.faults.take("row_served_twice", request.url.path) is not None:
            offset = max(0, offset - 1)  # the previous page's last row again, same ETag
    rows, version, more = await _call(table.page, offset, size)
    next_cursor = encode_cursor(offset + size, version) if more else None
    body = {"rows": rows, "nextPageCursor": next_cursor, "pageSize": size}
    return JSONResponse(body, headers=_etag(version))


def _cell_matching(batch: list[Any], text: str) -> tuple[int, str, Any] | None:
    """The first (row, field, value) whose value equals `text` (non-strings compare as JSON)."""
    for n, item in enumerate(batch, start=1):
        cells = item.get("columns") if isinstance(item, dict) else None
        for name, value in (cells or {}).items():
            if (value if isinstance(value, str) else json.dumps(value)) == text:
                return n, name, value
    return None


def _reject(request: Request, table: DataTable, batch: list[Any]) -> None:
    """The `reject_batch` fault: 400 for the whole batch; with `match`, only on a batch that
    holds that value, naming the row and field so a bisecting client can isolate it."""

    def applies(fault: Fault) -> bool:
        return fault.match is None or _cell_matching(batch, fault.match) is not None

    fault = _ctx(request).faults.take("reject_batch", request.url.path, applies=applies)
    if fault is None:
        return
    if fault.match is None:
        raise ApiError(400, f"the batch was rejected by {table.name} (injected fault)")
    found = _cell_matching(batch, fault.match)
    assert found is not None
    n, name, value = found
    shown = json.dumps(value, ensure_ascii=False)
    raise ApiError(400, f"row {n}: field '{name}' value {shown} is rejected (injected fault)")


async def post_rows(request: Request) -> JSONResponse:
    require_scope(request, WRITE)
    table = _table(request)
    raw_upsert = request.query_params.get("upsert", "false").lower()
    if raw_upsert not in ("true", "false"):
        raise ApiError(400, "upsert must be true or false")
    batch = await json_body(request, 'a JSON array of {"columns": {...}} objects')
    if isinstance(batch, list):
        _ctx(request).stats.datatable_batch(table.id, len(batch))
    if isinstance(batch, list) and len(batch) > MAX_BATCH:
        raise ApiError(
            400, f"the batch has {len(batch)} rows; at most {MAX_BATCH} rows per request"
        )
    await _call(table.validate, batch)
    _reject(request, table, batch)
    # `row_lost_on_upsert`: a server that answers for the whole batch but never stores its
    # last row (only the read-back can tell).
    lost = (
        isinstance(batch, list)
        and bool(batch)
        and (_ctx(request).faults.take("row_lost_on_upsert", request.url.path) is not None)
    )
    result = await _call(table.upsert, batch[:-1] if lost else batch, raw_upsert == "true")
    body = {
        "inserted": result.inserted + (1 if lost else 0),
        "updated": result.updated,
        "unchanged": result.unchanged,
        "version": result.version,
    }
    return JSONResponse(body, headers=_etag(result.version))


def _start(ctx: EmulatorContext) -> DataTableStore:
    return DataTableStore(ctx.config.state_dir, ctx.config.seed)


API = Api(
    name="datatables",
    scopes=(READ, WRITE),
    routes=(
        Route(BASE, list_tables, methods=["GET"]),
        Route(BASE + "/{table_id}/schema", get_schema, methods=["GET"]),
        Route(BASE + "/{table_id}/schema", put_schema, methods=["PUT"]),
        Route(BASE + "/{table_id}/rows", get_rows, methods=["GET"]),
        Route(BASE + "/{table_id}/rows", post_rows, methods=["POST"]),
    ),
    start=_start,
)
