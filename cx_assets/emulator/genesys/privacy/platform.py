"""`/api/v2/gdpr/…`: the real Genesys Cloud GDPR requests and subject search, platform mode.

File a request (`POST …/requests?deleteConfirmed=`, every POST a new one), read it, list the
org's requests newest first, and search the known subjects, as docs/api-contract.md "Privacy:
GDPR requests" says. Authorised by role permissions (`gdpr:request:add`, `gdpr:request:view`,
`gdpr:subject:view`), checked before anything else. Validation: platform_validation.py; records
and results files: platform_store.py; people: platform_subjects.py. Results are presigned
`/files/{requestId}/results-N.json` URLs served by emulator/files.py through the resolver
registered here.
"""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from cx_assets.emulator.auth import Grant, require_permission
from cx_assets.emulator.context import Api, EmulatorContext
from cx_assets.emulator.genesys.privacy.platform_store import BASE, GdprStore
from cx_assets.emulator.genesys.privacy.platform_subjects import search
from cx_assets.emulator.genesys.privacy.platform_validation import (
    delete_confirmed,
    invalid,
    validate_request,
)
from cx_assets.emulator.paging import envelope, page_params

SERVICE = "gdpr_requests"
SUBJECTS = "/api/v2/gdpr/subjects"
ADD = "gdpr:request:add"
VIEW = "gdpr:request:view"
SUBJECT_VIEW = "gdpr:subject:view"
MAX_PAGE_SIZE = 100


class LostAnswer:
    """`gdpr_drop_after_create`: the status line and headers go out, then the socket closes.

    The body (the new request) never arrives, so the client cannot learn the id it was given.
    """

    def __init__(self, body: bytes) -> None:
        self.body = body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(self.body)).encode()),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        # returning with the body unsent makes uvicorn close the connection


def _ctx(request: Request) -> EmulatorContext:
    return request.app.state.ctx


def _store(request: Request) -> GdprStore:
    return _ctx(request).services[SERVICE]


def _base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


async def create_request(request: Request) -> Response | LostAnswer:
    grant: Grant = require_permission(request, ADD)
    confirmed = delete_confirmed(request.query_params.get("deleteConfirmed"))
    try:
        body = json.loads(await request.body())
    except ValueError:
        raise invalid(None, "the body must be a JSON object (GDPRRequest)") from None
    filed = validate_request(body, confirmed)
    ctx, path = _ctx(request), request.url.path
    error = ctx.faults.take("gdpr_error", path) is not None
    record = _store(request).file(filed, grant.client_id, error)
    ctx.stats.log("gdpr_requests", {"id": record["id"], "requestType": record["requestType"]})
    # a new request answers INITIATED, even when gdpr_step_s is 0
    view = _store(request).view(record, _base_url(request), "INITIATED")
    if ctx.faults.take("gdpr_drop_after_create", path) is not None:
        return LostAnswer(json.dumps(view).encode())
    return JSONResponse(view)


async def get_request(request: Request) -> JSONResponse:
    require_permission(request, VIEW)
    store = _store(request)
    record = store.get(request.path_params["request_id"])
    status = store.status(record)
    expired = False
    if store.has_results(record, status):  # only an answer with results URLs uses the switch
        expired = _ctx(request).faults.take("expire_urls", request.url.path) is not None
    return JSONResponse(store.view(record, _base_url(request), status, expired))


async def list_requests(request: Request) -> JSONResponse:
    require_permission(request, VIEW)
    number, size = page_params(request, MAX_PAGE_SIZE)
    store = _store(request)
    found = store.newest_first()
    base = _base_url(request)
    chunk = found[(number - 1) * size : number * size]
    entities = [store.view(record, base, store.status(record)) for record in chunk]
    return JSONResponse(envelope(request, entities, number, size, len(found)))


async def search_subjects(request: Request) -> JSONResponse:
    require_permission(request, SUBJECT_VIEW)
    params = request.query_params
    found = search(params.get("searchType"), params.get("searchValue"))
    number, size = page_params(request, MAX_PAGE_SIZE)
    entities = found[(number - 1) * size : number * size]
    return JSONResponse(envelope(request, entities, number, size, len(found)))


def _start(ctx: EmulatorContext) -> GdprStore:
    store = GdprStore(ctx)
    ctx.file_resolvers.append(store.resolve)
    return store


API = Api(
    name=SERVICE,
    scopes=(),  # Genesys authorises these by the role's permissions (auth.require_permission)
    routes=(
        Route(BASE, create_request, methods=["POST"]),
        Route(BASE, list_requests, methods=["GET"]),
        Route(BASE + "/{request_id}", get_request, methods=["GET"]),
        Route(SUBJECTS, search_subjects, methods=["GET"]),
    ),
    start=_start,
)
