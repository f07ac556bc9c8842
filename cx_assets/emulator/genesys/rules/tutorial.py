"""Datasets, data actions (ETag / If-Match), platform webhooks and the audit query.

Seed: seed.py; request bodies: bodies.py; the server's 422 rules: validation.py; state, audits
and the order of a PUT's checks: store.py; signed event delivery: webhooks.py (its worker pool
starts with the app and closes on shutdown).
Store calls run in the thread pool: each change rewrites the state file. The audit query's
path is routed by the platform rules API (platform_audit_routes.query_audits), which hands a
body with `query` to `query_audits` here.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from cx_assets.emulator.auth import require_scope
from cx_assets.emulator.context import Api, EmulatorContext
from cx_assets.emulator.errors import ApiError, json_body
from cx_assets.emulator.genesys.rules.store import DataActionStore, etag

READ = "data:actions:read"
WRITE = "data:actions:write"
WEBHOOKS = "platform:webhooks:write"
AUDIT = "audit:read"
DATASETS = "/api/v2/datasets"
ACTIONS = "/api/v2/dataactions"
WEBHOOKS_PATH = "/api/v2/platform/webhooks"
AUDITS = "/api/v2/audits/query"


def _ctx(request: Request) -> EmulatorContext:
    return request.app.state.ctx


def _store(request: Request) -> DataActionStore:
    return _ctx(request).services["data_actions"]


async def list_datasets(request: Request) -> JSONResponse:
    require_scope(request, READ)
    return JSONResponse({"entities": _store(request).datasets()})


async def get_dataset(request: Request) -> JSONResponse:
    require_scope(request, READ)
    return JSONResponse(_store(request).dataset(request.path_params["dataset_id"]))


async def list_actions(request: Request) -> JSONResponse:
    require_scope(request, READ)
    return JSONResponse({"entities": _store(request).actions()})


async def get_action(request: Request) -> JSONResponse:
    require_scope(request, READ)
    action = _store(request).action(request.path_params["action_id"])
    return JSONResponse(action, headers={"ETag": etag(action["version"])})


async def put_action(request: Request) -> JSONResponse:
    grant = require_scope(request, WRITE)
    ctx = _ctx(request)
    action_id = request.path_params["action_id"]
    path = request.url.path

    def concurrent_edit() -> str | None:
        """None: no foreign edit; else the switch's `match` ("name" renames, "" the default)."""
        fault = ctx.faults.take("concurrent_edit", path)
        return None if fault is None else fault.match or ""

    status = 500
    try:
        body = await json_body(request)
        action = await run_in_threadpool(
            _store(request).put,
            action_id,
            body,
            request.headers.get("if-match"),
            grant.client_id,
            concurrent_edit,
        )
        status = 200
    except ApiError as exc:
        status = exc.status
        raise
    finally:
        ctx.stats.log("data_action_puts", {"actionId": action_id, "status": status})
    return JSONResponse(action, headers={"ETag": etag(action["version"])})


async def register_webhook(request: Request) -> JSONResponse:
    require_scope(request, WEBHOOKS)
    body = await json_body(request)
    webhook = await run_in_threadpool(_store(request).register_webhook, body)
    return JSONResponse(webhook, status_code=201)


async def list_webhooks(request: Request) -> JSONResponse:
    require_scope(request, WEBHOOKS)
    return JSONResponse({"entities": _store(request).webhooks()})


async def delete_webhook(request: Request) -> Response:
    require_scope(request, WEBHOOKS)
    await run_in_threadpool(_store(request).delete_webhook, request.path_params["webhook_id"])
    return Response(status_code=204)


async def query_audits(request: Request) -> JSONResponse:
    require_scope(request, AUDIT)
    body = await json_body(request)
    return JSONResponse({"entities": _store(request).query_audits(body)})


def _start(ctx: EmulatorContext) -> DataActionStore:
    return DataActionStore(ctx.config, ctx.stats)


API = Api(
    name="data_actions",
    scopes=(READ, WRITE, WEBHOOKS, AUDIT),
    routes=(
        Route(DATASETS, list_datasets, methods=["GET"]),
        Route(DATASETS + "/{dataset_id}", get_dataset, methods=["GET"]),
        Route(ACTIONS, list_actions, methods=["GET"]),
        Route(ACTIONS + "/{action_id}", get_action, methods=["GET"]),
        Route(ACTIONS + "/{action_id}", put_action, methods=["PUT"]),
        Route(WEBHOOKS_PATH, register_webhook, methods=["POST"]),
        Route(WEBHOOKS_PATH, list_webhooks, methods=["GET"]),
        Route(WEBHOOKS_PATH + "/{webhook_id}", delete_webhook, methods=["DELETE"]),
    ),
    start=_start,
)
