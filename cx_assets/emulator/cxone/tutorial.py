"""CXone routes under `/cxone`: the form-only token endpoint and the analytics data exports."""

from __future__ import annotations

import csv
import io
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from cx_assets.emulator.auth import issue_token, require_scope
from cx_assets.emulator.context import EmulatorContext
from cx_assets.emulator.cxone.records import FIELD_INDEX, MISSING, Row
from cx_assets.emulator.cxone.service import CxoneService
from cx_assets.emulator.cxone.store import decode_page_token, encode_page_token
from cx_assets.emulator.cxone.validation import page_size_param, validate_create
from cx_assets.emulator.errors import ApiError, json_body

SCOPE_READ = "analytics:export:read"
SCOPE_WRITE = "analytics:export:write"
BASE = "/api/v2/analytics/data-exports"
NEXT_PAGE_HEADER = "X-Next-Page-Token"
MEDIA_TYPES = {"json": "application/json", "csv": "text/csv"}


def _service(request: Request) -> CxoneService:
    return request.app.state.ctx.services["cxone"]


async def token_endpoint(request: Request) -> Response:
    """`POST /cxone/oauth/token`: client credentials in form fields only (no HTTP Basic)."""
    return await issue_token(
        request,
        _service(request).tokens,
        accept_basic=False,
        missing="client_id and client_secret form fields are required",
    )


async def create_export(request: Request) -> JSONResponse:
    require_scope(request, SCOPE_WRITE)
    export_request = validate_create(await json_body(request, "a JSON object"))
    ctx: EmulatorContext = request.app.state.ctx
    fail = ctx.faults.take("export_failed", request.url.path) is not None
    export = _service(request).exports.create(export_request, fail)
    ctx.stats.count("cxone_exports_created")
    return JSONResponse({"id": export["id"], "status": "pending"}, status_code=202)


def get_export(request: Request) -> JSONResponse:
    """Sync on purpose: the first look at a completed export builds its records (thread pool)."""
    require_scope(request, SCOPE_READ)
    exports = _service(request).exports
    return JSONResponse(exports.public(exports.get(request.path_params["export_id"])))


def _project(rows: list[Row], columns: tuple[str, ...]) -> list[dict[str, Any]]:
    """Rows as records of the requested columns; a missing field is an absent key."""
    picks = [(name, FIELD_INDEX[name]) for name in columns]
    return [{name: row[i] for name, i in picks if row[i] is not MISSING} for row in rows]


def _csv(rows: list[Row], columns: tuple[str, ...]) -> str:
    """A header row, then one line per record; a missing field is an empty cell."""
    indexes = [FIELD_INDEX[name] for name in columns]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([("" if row[i] is MISSING else row[i]) for i in indexes] for row in rows)
    return out.getvalue()


def get_data(request: Request) -> Response:
    """One page; `wrong_format` answers in the other format and `record_dropped` leaves out the
    page's last record, as a misbehaving server would."""
    require_scope(request, SCOPE_READ)
    ctx: EmulatorContext = request.app.state.ctx
    exports = _service(request).exports
    export = exports.get(request.path_params["export_id"])
    status = exports.status(export)
    if status != "completed":
        raise ApiError(
            409, f"export {export['id']} is {status}; data is served once it is completed"
        )
    fmt = export["request"]["format"]
    if fmt not in MEDIA_TYPES:
        raise ApiError(406, f"format {fmt} is not pageable here; only json and csv are")
    rows = exports.records(export)
    size = page_size_param(request.query_params.get("pageSize"), export["request"]["page_size"])
    token = request.query_params.get("nextPageToken")
    offset = decode_page_token(token, export["id"], len(rows)) if token else 0
    page = rows[offset : offset + size]
    following = offset + len(page)
    next_token = encode_page_token(export["id"], following) if following < len(rows) else None
    columns = tuple(export["request"]["columns"])
    if page and ctx.faults.take("record_dropped", request.url.path) is not None:
        page = page[:-1]  # lost on the way: the token and totalRecords still count it
    if ctx.faults.take("wrong_format", request.url.path) is not None:
        fmt = "csv" if fmt == "json" else "json"
    if fmt == "json":
        body = {"data": _project(page, columns), "nextPageToken": next_token}
        return JSONResponse({**body, "totalRecords": len(rows)})
    headers = {NEXT_PAGE_HEADER: next_token} if next_token else None
    return Response(_csv(page, columns), media_type=MEDIA_TYPES["csv"], headers=headers)


ROUTES = (
    Route("/oauth/token", token_endpoint, methods=["POST"]),
    Route(BASE, create_export, methods=["POST"]),
    Route(BASE + "/{export_id}", get_export, methods=["GET"]),
    Route(BASE + "/{export_id}/data", get_data, methods=["GET"]),
)
