"""`/api/v2/data/privacy/requests`: file a GDPR/CCPA export request, then track it.

Validation: validation.py; storage and lifecycle: store.py; signed callbacks: callbacks.py; the
export's bytes: content.py (all in this package). The download itself is a presigned `/files/…`
URL served by emulator/files.py through the resolver registered here.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from cx_assets.emulator.auth import require_scope
from cx_assets.emulator.context import Api, EmulatorContext
from cx_assets.emulator.errors import json_body
from cx_assets.emulator.genesys.privacy.store import BASE, PrivacyStore
from cx_assets.emulator.genesys.privacy.validation import validate_request

WRITE = "data:privacy:write"
VIEW = "data:privacy:view"
EXPORT = "data:privacy:export"


def _ctx(request: Request) -> EmulatorContext:
    return request.app.state.ctx


def _store(request: Request) -> PrivacyStore:
    return _ctx(request).services["privacy"]


def _base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


async def create_request(request: Request) -> JSONResponse:
    grant = require_scope(request, WRITE)
    validated = validate_request(await json_body(request, "a JSON object"))
    ctx = _ctx(request)
    store = _store(request)
    # an idempotent repeat must not use up an export_failed fault meant for a new request
    known = store.find(validated["requestId"]) is not None
    fail = not known and ctx.faults.take("export_failed", request.url.path) is not None
    record, filed = store.submit(validated, _base_url(request), fail)
    public = store.public(record, _base_url(request), EXPORT in grant.scopes)
    if not filed:
        return JSONResponse(public, status_code=200)
    ctx.stats.log("privacy_requests", validated["requestId"])
    # the contract answers a new request with QUEUED, even when the queue delay is 0
    return JSONResponse({**public, "status": "QUEUED"}, status_code=202)


async def get_request(request: Request) -> JSONResponse:
    grant = require_scope(request, VIEW)
    store = _store(request)
    record = store.get(request.path_params["request_id"])
    ctx = _ctx(request)
    can_download = EXPORT in grant.scopes
    expired = can_download and ctx.faults.take("expire_urls", request.url.path) is not None
    return JSONResponse(store.public(record, _base_url(request), can_download, expired))


def _start(ctx: EmulatorContext) -> PrivacyStore:
    store = PrivacyStore(ctx)
    ctx.file_resolvers.append(store.resolve)
    return store


API = Api(
    name="privacy",
    scopes=(WRITE, VIEW, EXPORT),
    routes=(
        Route(BASE, create_request, methods=["POST"]),
        Route(BASE + "/{request_id}", get_request, methods=["GET"]),
    ),
    start=_start,
)
