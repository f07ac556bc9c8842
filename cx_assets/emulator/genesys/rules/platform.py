"""Platform rules: `/api/v2/outbound/…` rule sets and contact list filters (version-locked by
the body's `version`), the contact lists and integration actions they name, the admin-UI edit
`POST /admin/outbound/edit`, and the asynchronous audit query (platform_audit_routes.py).

Authorised by role permissions, checked before anything else, as docs/api-contract.md "Rules:
outbound rule sets and contact list filters" says. Seed: platform_seed.py; the 400 rules:
platform_validation.py and platform_filter_validation.py; state, audits and the order of a
PUT's checks: platform_store.py. Store calls run in the thread pool (each change rewrites the
state file).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from cx_assets.emulator.auth import require_permission
from cx_assets.emulator.context import Api, EmulatorContext
from cx_assets.emulator.errors import ApiError
from cx_assets.emulator.genesys.rules import platform_audit_routes as audit_routes
from cx_assets.emulator.genesys.rules.platform_checks import refuse
from cx_assets.emulator.genesys.rules.platform_listing import listing
from cx_assets.emulator.genesys.rules.platform_pointer import parse_match
from cx_assets.emulator.genesys.rules.platform_seed import ACTIONS, ADMIN_USER, CONTACT_LISTS
from cx_assets.emulator.genesys.rules.platform_store import (
    FILTERS,
    KINDS,
    OUTBOUND,
    RULE_SETS,
    Kind,
    OutboundStore,
)

SERVICE = audit_routes.SERVICE
CONTACT_LISTS_PATH = f"{OUTBOUND}/contactlists"
ACTIONS_PATH = "/api/v2/integrations/actions"
LIST_VIEW = "outbound:contactList:view"
ACTION_VIEW = ("integrations:action:view", "bridge:actions:view")
PERMISSIONS = {
    RULE_SETS.key: ("outbound:ruleSet:view", "outbound:ruleSet:edit", "outbound:ruleSet:add"),
    FILTERS.key: (
        "outbound:contactListFilter:view",
        "outbound:contactListFilter:edit",
        "outbound:contactListFilter:add",
    ),
}
Handler = Callable[[Request], Any]


def _ctx(request: Request) -> EmulatorContext:
    return request.app.state.ctx


def _store(request: Request) -> OutboundStore:
    return _ctx(request).services[SERVICE]


async def _body(request: Request) -> Any:
    try:
        return json.loads(await request.body())
    except ValueError:
        raise refuse("body", "must be JSON") from None


async def list_contact_lists(request: Request) -> JSONResponse:
    require_permission(request, LIST_VIEW)
    return JSONResponse(listing(request, list(CONTACT_LISTS.values())))


async def get_contact_list(request: Request) -> JSONResponse:
    require_permission(request, LIST_VIEW)
    found = CONTACT_LISTS.get(request.path_params["entity_id"])
    if found is None:
        raise ApiError(404, f"contact list {request.path_params['entity_id']} not found")
    return JSONResponse(found)


def _without_contract(action: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in action.items() if k != "contract"}


async def list_actions(request: Request) -> JSONResponse:
    require_permission(request, *ACTION_VIEW)
    actions = list(ACTIONS.values())
    return JSONResponse(listing(request, actions, outbound=False, shown=_without_contract))


async def get_action(request: Request) -> JSONResponse:
    require_permission(request, *ACTION_VIEW)
    found = ACTIONS.get(request.path_params["entity_id"])
    if found is None:
        raise ApiError(404, f"action {request.path_params['entity_id']} not found")
    expand = ",".join(request.query_params.getlist("expand")).split(",")
    return JSONResponse(found if "contract" in expand else _without_contract(found))


def _who(request: Request, client_id: str) -> dict[str, Any]:
    host = request.client.host if request.client else "127.0.0.1"
    return {"client": {"id": client_id}, "remoteIp": [host]}


def _routes(kind: Kind) -> tuple[Route, ...]:
    """GET list, GET one, PUT one (version-locked), POST for one editable kind."""
    view, edit, add = PERMISSIONS[kind.key]

    async def list_all(request: Request) -> JSONResponse:
        require_permission(request, view)
        return JSONResponse(listing(request, _store(request).entities(kind)))

    async def get_one(request: Request) -> JSONResponse:
        require_permission(request, view)
        return JSONResponse(_store(request).get(kind, request.path_params["entity_id"]))

    async def put_one(request: Request) -> JSONResponse:
        grant = require_permission(request, edit)
        ctx, path, entity_id = _ctx(request), request.url.path, request.path_params["entity_id"]

        def concurrent_edit() -> dict[str, Any] | None:
            fault = ctx.faults.take("concurrent_edit", path)
            if fault is None:
                return None
            return dict([parse_match(fault.match)]) if fault.match else {}

        def conflict_400() -> bool:
            return ctx.faults.take("version_conflict_400", path) is not None

        status = 500
        try:
            body = await _body(request)
            who = _who(request, grant.client_id)
            store = _store(request)
            args = (kind, entity_id, body, who, concurrent_edit, conflict_400)
            entity = await run_in_threadpool(store.put, *args)
            status = 200
        except ApiError as exc:
            status = exc.status
            raise
        finally:
            ctx.stats.log("outbound_puts", {"entity": kind.key, "id": entity_id, "status": status})
        return JSONResponse(entity)

    async def post(request: Request) -> JSONResponse:
        grant = require_permission(request, add)
        body = await _body(request)
        who = _who(request, grant.client_id)
        entity = await run_in_threadpool(_store(request).create, kind, body, who)
        return JSONResponse(entity)

    return (
        Route(kind.base, list_all, methods=["GET"]),
        Route(kind.base, post, methods=["POST"]),
        Route(kind.base + "/{entity_id}", get_one, methods=["GET"]),
        Route(kind.base + "/{entity_id}", put_one, methods=["PUT"]),
    )


async def admin_edit(request: Request) -> JSONResponse:
    """`POST /admin/outbound/edit` (no auth): an edit a person makes in the admin UI."""
    body = await _body(request)
    if not isinstance(body, dict) or body.get("entity") not in KINDS:
        raise ApiError(400, f'the body must be {{"entity": {" | ".join(KINDS)}, "id", "set"}}')
    unknown = sorted(set(body) - {"entity", "id", "set", "user"})
    if unknown:
        raise ApiError(
            400, f"unknown member(s) {', '.join(unknown)}; allowed: entity, id, set, user"
        )
    sets, user = body.get("set"), body.get("user") or dict(ADMIN_USER)
    if not isinstance(sets, dict) or not sets:
        raise ApiError(400, "set must be a non-empty object of JSON pointer -> JSON value")
    if not isinstance(user, dict) or not isinstance(user.get("id"), str) or not user["id"]:
        raise ApiError(400, 'user must be {"id", "name"?}')
    if not isinstance(body.get("id"), str):
        raise ApiError(400, "id must be the entity's id")
    user = {k: v for k, v in user.items() if k in ("id", "name")}
    store = _store(request)
    entity = await run_in_threadpool(
        store.admin_edit, KINDS[body["entity"]], body["id"], sets, user
    )
    return JSONResponse(entity)


def _start(ctx: EmulatorContext) -> OutboundStore:
    return OutboundStore(ctx.config.state_dir)


API = Api(
    name=SERVICE,
    scopes=(),  # Genesys authorises these by the role's permissions (auth.require_permission)
    routes=(
        Route(CONTACT_LISTS_PATH, list_contact_lists, methods=["GET"]),
        Route(CONTACT_LISTS_PATH + "/{entity_id}", get_contact_list, methods=["GET"]),
        Route(ACTIONS_PATH, list_actions, methods=["GET"]),
        Route(ACTIONS_PATH + "/{entity_id}", get_action, methods=["GET"]),
        *_routes(RULE_SETS),
        *_routes(FILTERS),
        Route(audit_routes.QUERY, audit_routes.query_audits, methods=["POST"]),
        Route(audit_routes.QUERY + "/{transaction_id}", audit_routes.get_query, methods=["GET"]),
        Route(
            audit_routes.QUERY + "/{transaction_id}/results",
            audit_routes.get_results,
            methods=["GET"],
        ),
        Route("/admin/outbound/edit", admin_edit, methods=["POST"]),
    ),
    start=_start,
)
