"""The read side of the independent rules server: names shared by its modules (paths,
permissions, kinds), the PUT record, JSON pointers, and a mixin with the contact list, action and
audit handlers, listings and error answers. `RulesServer` (genesys_rules_server.py) is the rest.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from cx_assets_tests.independent.genesys_rules_audit import AuditLog
from cx_assets_tests.independent.genesys_rules_check import Invalid
from cx_assets_tests.independent.genesys_rules_render import (
    BadParam,
    Renderer,
    envelope,
    fail,
)

Json = dict[str, Any]
AUDITS = "/api/v2/audits/query"
LIST_VIEW, ACTION_VIEW, BRIDGE_VIEW = (
    "outbound:contactList:view",
    "integrations:action:view",
    "bridge:actions:view",
)
RS_VIEW, RS_EDIT, RS_ADD = "outbound:ruleSet:view", "outbound:ruleSet:edit", "outbound:ruleSet:add"
CLF = "outbound:contactListFilter"
CLF_VIEW, CLF_EDIT, CLF_ADD = f"{CLF}:view", f"{CLF}:edit", f"{CLF}:add"
AUDIT_VIEW = "audits:audit:view"
ALL_PERMISSIONS = frozenset(
    {LIST_VIEW, ACTION_VIEW, BRIDGE_VIEW, RS_VIEW, RS_EDIT, RS_ADD, CLF_VIEW, CLF_EDIT, CLF_ADD}
    | {AUDIT_VIEW}
)
KINDS = {"ruleset": "ruleset", "rulesets": "ruleset", "RuleSet": "ruleset"}
KINDS |= {"contactlistfilter": "contactlistfilter", "contactlistfilters": "contactlistfilter"}
KINDS |= {"ContactListFilter": "contactlistfilter", "filter": "contactlistfilter"}
ENTITY_TYPES = {"ruleset": "RuleSet", "contactlistfilter": "ContactListFilter"}
ADMIN_APP, WEB_CLIENT = "Genesys Cloud admin", {"id": "3eb0c1e0-0000-4000-8000-00000000a0a0"}
PEOPLE_NS = uuid.UUID("5e0c0001-0000-4000-8000-000000000000")


@dataclass
class PutRecord:
    """One PUT as it arrived: which entity, the body as sent, and the answer's status."""

    kind: str
    id: str
    body: Any
    status: int = 0


def user_for(name: str) -> Json:
    return {"id": str(uuid.uuid5(PEOPLE_NS, name)), "name": name}


def pointer_set(target: Any, pointer: str, value: Any) -> None:
    if not pointer.startswith("/"):
        raise ValueError(f"{pointer!r} is not a JSON pointer")
    tokens = [t.replace("~1", "/").replace("~0", "~") for t in pointer[1:].split("/")]
    if tokens[0] in ("id", "version", "dateCreated", "dateModified"):
        raise ValueError(f"{pointer!r} names a member only the server sets")
    for i, token in enumerate(tokens):
        last = i == len(tokens) - 1
        if isinstance(target, list):
            if not token.isdigit() or int(token) >= len(target):
                raise ValueError(f"{pointer!r}: no item {token} there")
            if last:
                target[int(token)] = value
            else:
                target = target[int(token)]
        elif isinstance(target, dict):
            if token not in target:
                raise ValueError(f"{pointer!r}: no member {token!r} there")
            if last:
                target[token] = value
            else:
                target = target[token]
        else:
            raise ValueError(f"{pointer!r}: {token!r} is below a plain value")


def kind_of(kind: str) -> str:
    """The store name of `kind` ("ruleset" or "contactlistfilter"; a few aliases)."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}: ruleset or contactlistfilter")
    return KINDS[kind]


async def json_body(request: Request) -> Any:
    raw = await request.body()
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        raise Invalid("body", "is not JSON") from None


class Reads:
    """Handlers that only read; mixed into `RulesServer`, which holds the state they read."""

    quirks: Any
    contact_lists: dict[str, Json]
    actions: dict[str, Json]
    stores: dict[str, dict[str, Json]]
    audit: AuditLog
    page_cap: int
    client_id: str
    _tokens: dict[str, tuple[str, float]]

    def renderer(self) -> Renderer:
        names = {i: e["name"] for i, e in self.contact_lists.items()}
        names |= {i: e["name"] for i, e in self.actions.items()}
        return Renderer(self.quirks, names)

    def render(self, kind: str, stored: Json, summary: bool = False) -> Json:
        r = self.renderer()
        return r.rule_set(stored, summary) if kind == "ruleset" else r.filter(stored, summary)

    def _client(self, request: Request) -> Json:
        token = request.headers.get("authorization", "").partition(" ")[2]
        return {"id": self._tokens.get(token, (self.client_id, 0.0))[0]}

    def _bad(self, exc: Invalid | BadParam) -> JSONResponse:
        field = exc.field if isinstance(exc, Invalid) else exc.name
        return fail(400, "bad.request", str(exc), field, self.quirks.extra_members)

    def _missing(self, what: str, entity_id: str) -> JSONResponse:
        message = f"{what} {entity_id} not found"
        return fail(404, "not.found", message, extra=self.quirks.extra_members)

    def _page(self, request: Request, items: list[Json], prefix: bool = True) -> Response:
        name = request.query_params.get("name")
        how = request.query_params.get("filterType", "Prefix" if prefix else "Contains")
        if how not in ("Prefix", "Contains"):
            return self._bad(BadParam("filterType", "filterType must be Prefix or Contains"))
        if name:
            folded = name.casefold()
            if how == "Prefix":
                items = [i for i in items if i["name"].casefold().startswith(folded)]
            else:
                items = [i for i in items if folded in i["name"].casefold()]
        items = sorted(items, key=lambda i: (i["name"].casefold(), i["id"]))
        try:
            page = envelope(request, items, self.quirks, self.page_cap)
        except BadParam as exc:
            return self._bad(exc)
        return JSONResponse(page)

    # ---- contact lists and actions -------------------------------------------------------------
    async def _list_contact_lists(self, request: Request) -> Response:
        r = self.renderer()
        return self._page(request, [r.contact_list(e) for e in self.contact_lists.values()])

    async def _get_contact_list(self, request: Request) -> Response:
        entity_id = request.path_params["id"]
        if (stored := self.contact_lists.get(entity_id)) is None:
            return self._missing("contact list", entity_id)
        return JSONResponse(self.renderer().contact_list(stored))

    async def _list_actions(self, request: Request) -> Response:
        r = self.renderer()
        items = [r.action_entity(e, with_contract=False) for e in self.actions.values()]
        return self._page(request, items, prefix=False)

    async def _get_action(self, request: Request) -> Response:
        entity_id = request.path_params["id"]
        if (stored := self.actions.get(entity_id)) is None:
            return self._missing("action", entity_id)
        expand = request.query_params.get("expand", "").split(",")
        return JSONResponse(self.renderer().action_entity(stored, "contract" in expand))

    async def _audit_create(self, request: Request) -> Response:
        try:
            query = self.audit.create(await json_body(request))
        except (BadParam, Invalid) as exc:
            return self._bad(exc)
        return JSONResponse(self.audit.query_json(query))

    async def _audit_poll(self, request: Request) -> Response:
        if (query := self.audit.queries.get(request.path_params["id"])) is None:
            return self._missing("audit query", request.path_params["id"])
        self.audit.poll(query)
        return JSONResponse(self.audit.query_json(query))

    async def _audit_results(self, request: Request) -> Response:
        if (query := self.audit.queries.get(request.path_params["id"])) is None:
            return self._missing("audit query", request.path_params["id"])
        if query.state != "Succeeded":
            message = f"audit query {query.id} is {query.state}, not Succeeded"
            return fail(400, "bad.request", message, extra=self.quirks.extra_members)
        params = request.query_params
        raw = params.get("pageSize", "25")
        expand = "user" in params.get("expand", "").split(",")
        try:
            if not raw.isdigit():
                raise BadParam("pageSize", f"pageSize must be an integer, got {raw!r}")
            page = self.audit.page(query, int(raw), params.get("cursor"), expand)
        except BadParam as exc:
            return self._bad(exc)
        return JSONResponse(page)
