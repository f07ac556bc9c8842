"""`/api/v2/analytics/conversations/details/jobs`: the real Genesys conversation details jobs.

Submit (202 `{jobId}`), poll (`AsyncQueryStatus`), page the results with opaque cursors, cancel,
and read the availability watermark, as docs/api-contract.md "# Platform mode" describes.
Permissions, not scopes: ANY of `analytics:conversationDetail:view` /
`analytics:agentConversationDetail:view`, the watermark only the first. Pages are generated on a
worker thread from the cursor's position (scan.py), so a multi-GB day streams without being
held anywhere; `drop_connection` cuts a page half-way.
"""

from __future__ import annotations

import time

import anyio
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from cx_assets.emulator.auth import require_permission
from cx_assets.emulator.context import Api, EmulatorContext
from cx_assets.emulator.errors import ApiError, json_body
from cx_assets.emulator.genesys.conversations.jobs import Job, JobStore, iso_s, unknown_cursor
from cx_assets.emulator.genesys.conversations.query import parse_query
from cx_assets.emulator.genesys.conversations.scan import Page

BASE = "/api/v2/analytics/conversations/details/jobs"
VIEW = "analytics:conversationDetail:view"
AGENT_VIEW = "analytics:agentConversationDetail:view"
DEFAULT_PAGE_SIZE = 100
CHUNK = 1024 * 1024
SERVICE = "details_jobs"


class PageBody:
    """A results page sent in 1 MiB chunks; `drop` sends about half, then cuts the connection."""

    def __init__(self, body: bytes, drop: bool) -> None:
        self.body = body
        self.drop = drop

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(self.body)).encode()),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        stop = len(self.body) // 2 if self.drop else len(self.body)
        view = memoryview(self.body)
        for at in range(0, stop, CHUNK):
            chunk = bytes(view[at : min(at + CHUNK, stop)])
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        if self.drop:
            return  # uvicorn closes the socket: fewer bytes than Content-Length promised
        await send({"type": "http.response.body", "body": b"", "more_body": False})


def _ctx(request: Request) -> EmulatorContext:
    return request.app.state.ctx


def _store(request: Request) -> JobStore:
    return _ctx(request).services[SERVICE]


def watermark(ctx: EmulatorContext, path: str) -> str:
    """`dataAvailabilityDate`: now minus the configured lag (or a `watermark_lag` fault's)."""
    lag = ctx.config.details_availability_lag_s
    fault = ctx.faults.take("watermark_lag", path)
    if fault is not None and fault.delay_s is not None:
        lag = fault.delay_s
    return iso_s(time.time() - lag)


def _page_size(raw: str | None, cap: int) -> int:
    if raw is None or raw == "":
        return min(DEFAULT_PAGE_SIZE, cap)
    try:
        size = int(raw)
    except ValueError:
        size = 0
    if not 1 <= size <= cap:
        raise ApiError(
            400, f"pageSize must be an integer from 1 to {cap}, got {raw!r}", field="pageSize"
        )
    return size


async def create_job(request: Request) -> JSONResponse:
    require_permission(request, VIEW, AGENT_VIEW)
    query = parse_query(await json_body(request, "a JSON object (AsyncConversationQuery)"))
    ctx, path = _ctx(request), request.url.path
    failed = ctx.faults.take("job_failed", path) is not None
    slow = ctx.faults.take("slow_job", path)
    expire = ctx.faults.take("job_expired", path)
    job = _store(request).create(
        query,
        failed=failed,
        extra_delay_s=slow.wait_s() if slow is not None else 0.0,
        expire_after=None if expire is None else (1 if expire.after is None else expire.after),
    )
    ctx.stats.count("details_jobs_created")
    return JSONResponse({"jobId": job.id}, status_code=202)


async def get_job(request: Request) -> JSONResponse:
    require_permission(request, VIEW, AGENT_VIEW)
    store = _store(request)
    return JSONResponse(store.status(store.get(request.path_params["job_id"])))


async def cancel_job(request: Request) -> Response:
    require_permission(request, VIEW, AGENT_VIEW)
    store = _store(request)
    if store.cancel(store.get(request.path_params["job_id"])):
        _ctx(request).stats.count("details_jobs_cancelled")
    return Response(status_code=204)


async def job_results(request: Request) -> PageBody:
    require_permission(request, VIEW, AGENT_VIEW)
    ctx, store, path = _ctx(request), _store(request), request.url.path
    job = store.get(request.path_params["job_id"])
    state = store.state(job)
    if state == "EXPIRED":
        raise ApiError(
            404, f"job {job.id} has expired: its results are gone; submit the query again"
        )
    if state != "FULFILLED":
        raise ApiError(400, f"job {job.id} is {state}: results exist once it is FULFILLED")
    size = _page_size(request.query_params.get("pageSize"), ctx.config.details_max_page_size)
    cursor = request.query_params.get("cursor") or None
    position = emitted = 0
    if cursor is not None:
        if ctx.faults.take("invalid_cursor", path) is not None:
            raise unknown_cursor(job)
        position, emitted = store.read_cursor(job, cursor)
    available = watermark(ctx, path)
    page, body = await anyio.to_thread.run_sync(
        _page, store, job, position, emitted, size, available
    )
    drop = ctx.faults.take("drop_connection", path) is not None
    store.served(job, page)
    return PageBody(body, drop)


def _page(
    store: JobStore, job: Job, position: int, emitted: int, size: int, available: str
) -> tuple[Page, bytes]:
    """A results page and its bytes (`AnalyticsConversationAsyncQueryResponse`), off the loop."""
    page = job.scan.page(position, emitted, size)
    tail = ""
    if page.next_position is not None:
        tail = f',"cursor":"{store.cursor(job, page.next_position, page.emitted)}"'
    conversations = ",".join(page.conversations)
    text = f'{{"conversations":[{conversations}]{tail},"dataAvailabilityDate":"{available}"}}'
    return page, text.encode()


async def availability(request: Request) -> JSONResponse:
    require_permission(request, VIEW)
    return JSONResponse({"dataAvailabilityDate": watermark(_ctx(request), request.url.path)})


def _start(ctx: EmulatorContext) -> JobStore:
    return JobStore(ctx.config)


API = Api(
    name=SERVICE,
    scopes=(),  # Genesys authorises these by the role's permissions (auth.require_permission)
    routes=(
        # before `/{job_id}`, so "availability" is never taken for a job id
        Route(BASE + "/availability", availability, methods=["GET"]),
        Route(BASE, create_job, methods=["POST"]),
        Route(BASE + "/{job_id}", get_job, methods=["GET"]),
        Route(BASE + "/{job_id}", cancel_job, methods=["DELETE"]),
        Route(BASE + "/{job_id}/results", job_results, methods=["GET"]),
    ),
    start=_start,
)
