"""The platform audit query: `POST /api/v2/audits/query`, then poll, then read the results.

The POST path is shared with the tutorial's audit query (docs/api-contract.md "Audits"): one
route, `query_audits`, reads the body and hands a body with `interval` to the platform query and
anything else to the tutorial handler, so neither shadows the other. The platform branch answers
the real `ErrorBody` itself (its path is not under a platform prefix).
"""

from __future__ import annotations

import json
import time

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from cx_assets.emulator.auth import require_permission
from cx_assets.emulator.context import EmulatorContext
from cx_assets.emulator.errors import ApiError, platform_error_response
from cx_assets.emulator.genesys.rules import platform_audits as audits
from cx_assets.emulator.genesys.rules import tutorial
from cx_assets.emulator.genesys.rules.platform_store import OutboundStore
from cx_assets.emulator.paging import int_param

SERVICE = "outbound_rules"
AUDIT_VIEW = "audits:audit:view"
QUERY = "/api/v2/audits/query"
MAX_RESULTS_PAGE = 500


def _ctx(request: Request) -> EmulatorContext:
    return request.app.state.ctx


def _store(request: Request) -> OutboundStore:
    return _ctx(request).services[SERVICE]


async def query_audits(request: Request) -> Response:
    """The shared POST: a JSON object with `interval` is the platform query."""
    try:
        body = json.loads(await request.body())
    except ValueError:
        body = None
    if isinstance(body, dict) and "interval" in body:
        try:
            return await _platform_query(request, body)
        except ApiError as exc:
            return platform_error_response(exc.status, exc.message, exc.code, None, exc.field)
    return await tutorial.query_audits(request)


async def _platform_query(request: Request, body: dict[str, object]) -> JSONResponse:
    require_permission(request, AUDIT_VIEW)
    query = audits.parse_query(body)
    ctx = _ctx(request)
    failed = ctx.faults.take("audit_query_failed", request.url.path) is not None
    delay = ctx.config.audit_query_s
    answer = await run_in_threadpool(_store(request).create_query, query, delay, failed)
    ctx.stats.log("audit_queries", answer["id"])
    return JSONResponse(answer)


async def get_query(request: Request) -> JSONResponse:
    require_permission(request, AUDIT_VIEW)
    query = _store(request).query(request.path_params["transaction_id"])
    return JSONResponse(audits.answer(query, audits.state(query, time.time())))


async def get_results(request: Request) -> JSONResponse:
    """A page of a Succeeded query's records; `cursor` absent on the last page."""
    require_permission(request, AUDIT_VIEW)
    query = _store(request).query(request.path_params["transaction_id"])
    shown = audits.state(query, time.time())
    if shown != "Succeeded":
        message = f"audit query {query['id']} is {shown}: results exist once it has Succeeded"
        raise ApiError(400, message, code="bad.request")
    size = int_param(request, "pageSize", 25, 1, MAX_RESULTS_PAGE)
    cursor = request.query_params.get("cursor")
    offset = audits.decode_cursor(cursor) if cursor else 0
    expand = {
        part.strip()
        for value in request.query_params.getlist("expand")
        for part in value.split(",")
    }
    found = await run_in_threadpool(_store(request).results, query)
    page = found[offset : offset + size]
    body: dict[str, object] = {
        "id": query["id"],
        "pageSize": size,
        "entities": [audits.view(m, "user" in expand) for m in page],
    }
    if offset + size < len(found):
        body["cursor"] = audits.encode_cursor(offset + size)
    return JSONResponse(body)
