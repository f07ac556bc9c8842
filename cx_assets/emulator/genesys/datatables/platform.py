"""`/api/v2/flows/datatables`: the real Genesys Cloud (Architect) data tables, platform mode.

Tables and rows here (page numbers, `expand=schema`, `showbrief` defaulting to true, single-row
POST/PUT/DELETE validated against the JSON Schema); export and CSV import jobs and the signed
upload in platform_job_routes.py. Authorised by role permissions (`architect:datatable:*`,
`architect:datatableRow:*`), as docs/api-contract.md "Data tables: /api/v2/flows/datatables"
says. Store calls run in the thread pool: a table's first access builds its seeded rows.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from cx_assets.emulator.auth import require_permission
from cx_assets.emulator.context import Api, EmulatorContext
from cx_assets.emulator.errors import ApiError, json_body
from cx_assets.emulator.genesys.datatables import platform_job_routes as jobs
from cx_assets.emulator.genesys.datatables.platform_http import (
    MAX_TABLES_PAGE_SIZE,
    ROW_ADD,
    ROW_DELETE,
    ROW_EDIT,
    ROW_VIEW,
    SERVICE,
    VIEW,
    PlatformService,
    bool_param,
    ctx_of,
    descending,
    platform_route,
    service,
)
from cx_assets.emulator.genesys.datatables.platform_jobs import UPLOAD_PREFIX, PlatformJobs
from cx_assets.emulator.genesys.datatables.platform_rows import RowProblem, brief, validate_map
from cx_assets.emulator.genesys.datatables.platform_seed import PlatformRow
from cx_assets.emulator.genesys.datatables.platform_store import PlatformTables
from cx_assets.emulator.genesys.datatables.platform_table import BASE, PlatformTable
from cx_assets.emulator.paging import envelope, page_params


def _expand_schema(request: Request) -> bool:
    expand = request.query_params.get("expand") or ""
    return "schema" in [part.strip() for part in expand.split(",")]


def _table(request: Request) -> PlatformTable:
    return service(request).tables.get(request.path_params["table_id"])


def _valid(body: object, table: PlatformTable, row_id: str | None = None) -> PlatformRow:
    try:
        return validate_map(body, table.props, row_id)
    except RowProblem as problem:
        raise ApiError(400, str(problem), code=problem.code, field=problem.field or None) from None


@platform_route
async def list_tables(request: Request) -> Response:
    require_permission(request, VIEW)
    number, size = page_params(request, MAX_TABLES_PAGE_SIZE)
    sort_by = request.query_params.get("sortBy")
    if sort_by not in (None, "", "id", "name"):
        raise ApiError(400, f"sortBy must be id or name, got {sort_by!r}", field="sortBy")
    found = service(request).tables.find(
        request.query_params.get("name"), sort_by, descending(request)
    )
    expand = _expand_schema(request)
    chunk = found[(number - 1) * size : number * size]
    entities = [table.entity(expand) for table in chunk]
    return JSONResponse(envelope(request, entities, number, size, len(found)))


@platform_route
async def get_table(request: Request) -> Response:
    require_permission(request, VIEW)
    return JSONResponse(_table(request).entity(_expand_schema(request)))


@platform_route
async def list_rows(request: Request) -> Response:
    require_permission(request, VIEW)
    require_permission(request, ROW_VIEW)
    table = _table(request)
    number, size = page_params(request, ctx_of(request).config.datatable_max_page_size)
    short = bool_param(request, "showbrief", True)
    rows, total = await run_in_threadpool(
        table.page, (number - 1) * size, size, descending(request)
    )
    entities = [brief(row) if short else dict(row) for row in rows]
    return JSONResponse(envelope(request, entities, number, size, total))


@platform_route
async def get_row(request: Request) -> Response:
    require_permission(request, VIEW)
    require_permission(request, ROW_VIEW)
    table = _table(request)
    row = await run_in_threadpool(table.get_row, request.path_params["row_id"])
    return JSONResponse(brief(row) if bool_param(request, "showbrief", True) else dict(row))


@platform_route
async def add_row(request: Request) -> Response:
    require_permission(request, ROW_ADD)
    table = _table(request)
    row = _valid(await json_body(request, "a JSON object (a flat map)"), table)
    await run_in_threadpool(table.add_row, row, ctx_of(request).config.datatable_max_rows)
    ctx_of(request).stats.count("datatable_rows_added")
    return JSONResponse(row)


@platform_route
async def put_row(request: Request) -> Response:
    require_permission(request, ROW_EDIT)
    table = _table(request)
    body = await json_body(request, "a JSON object (a flat map)")
    row = _valid(body, table, request.path_params["row_id"])
    await run_in_threadpool(table.put_row, row)
    ctx_of(request).stats.count("datatable_rows_edited")
    return JSONResponse(row)


@platform_route
async def delete_row(request: Request) -> Response:
    require_permission(request, ROW_DELETE)
    table = _table(request)
    await run_in_threadpool(table.delete_row, request.path_params["row_id"])
    ctx_of(request).stats.count("datatable_rows_deleted")
    return Response(status_code=204)


def _start(ctx: EmulatorContext) -> PlatformService:
    tables = PlatformTables(ctx.config)
    work = PlatformJobs(ctx, tables)
    ctx.file_resolvers.append(work.resolve)
    return PlatformService(tables, work)


ROWS = BASE + "/{table_id}/rows"

API = Api(
    name=SERVICE,
    scopes=(),  # Genesys authorises these by the role's permissions (auth.require_permission)
    routes=(
        Route(BASE, list_tables, methods=["GET"]),
        Route(BASE + "/{table_id}", get_table, methods=["GET"]),
        Route(ROWS, list_rows, methods=["GET"]),
        Route(ROWS, add_row, methods=["POST"]),
        Route(ROWS + "/{row_id:path}", get_row, methods=["GET"]),
        Route(ROWS + "/{row_id:path}", put_row, methods=["PUT"]),
        Route(ROWS + "/{row_id:path}", delete_row, methods=["DELETE"]),
        Route(BASE + "/{table_id}/export/jobs", jobs.create_export, methods=["POST"]),
        Route(BASE + "/{table_id}/export/jobs/{job_id}", jobs.get_export, methods=["GET"]),
        Route(BASE + "/{table_id}/import/csv/jobs", jobs.create_import, methods=["POST"]),
        Route(BASE + "/{table_id}/import/jobs", jobs.list_imports, methods=["GET"]),
        Route(BASE + "/{table_id}/import/jobs/{job_id}", jobs.get_import, methods=["GET"]),
        Route(UPLOAD_PREFIX + "/{job_id}", jobs.upload, methods=["PUT"]),
    ),
    start=_start,
)
