"""An independent Genesys Cloud rules server: outbound rule sets, contact list filters, contact
lists, integration actions (with contracts) and the asynchronous audit query.

Written from docs/api-contract.md "Platform auth", "Platform errors, permissions and throttling"
and "Rules: outbound rule sets and contact list filters" (its seed table only, of the emulator
part) and VENDOR_APIS.md §1, §5 and §7, never from the project's client or emulator, so a client
that works only against the emulator's reading of the contract fails here. OAuth, rate-limit
headers, `add_fault` (http_429 / http_5xx) and `expire_tokens` come from
`genesys_platform_server.PlatformServer`. Where the text leaves a choice open, the other readings
are `Quirks` switches (genesys_rules_quirks.py): `Quirks()` all on (the default),
`Quirks.obvious()` all off, `Quirks.only(...)`.

Starting it (login and API on one loopback port, `running.url`):

    with serve_rules(RulesServer(Quirks.obvious())) as running:
        running.url, running.client_id, running.client_secret   # configure the client
        server: RulesServer = running.server                     # the admin surface below

Admin surface (Python on `running.server`; `kind` is "ruleset" or "contactlistfilter"):

- `edit(kind, id, {"/json/pointer": value, …}, user_name="Dana Okafor")`: an edit made in the
  admin UI by that person: every pointer (RFC 6901, into the entity as stored: rules in the
  order they were sent, enum values as the contract writes them) must name an existing member;
  no pointers appends " (edited)" to the name. Version + 1, new `dateModified`, audited
  `Update` / `SUCCESS` with `user {"id", "name"}` and application "Genesys Cloud admin".
  Returns the stored entity.
- `edit_before_next_put(kind, id, pointer_values=None, user_name=…)`: that edit lands when the
  next PUT of the entity arrives, just before it is looked at, so the PUT is stale.
- `stale_as_400(True)`: every stale PUT is answered 400 "… does not match the current version
  …" (`False`: every one 409; `None`: the `stale_alternates` quirk decides).
- `fail_next_audit_query(count=1)`: the next audit queries end `Failed`.
- `lack(*permissions)`: the client's role lacks them (403 naming them); `lack()` restores all.
- `puts`: every PUT that got past the token, throttling and permission checks, in order
  (`PutRecord`: `kind`, `id`, `body` as sent, `status`); `audit_queries`: every audit query
  (`AuditQuery`: `id`, `body`, `state`, `polls`).
- `audits(entity_id=None)`: the stored audit entries (`AuditEntry`); `entity(kind, id)`: the
  stored entity (a copy); `page_cap` (10): the `page_size_capped` cap.

Fixed readings where the text is silent: a stale version is answered before the body is looked
at, and audited `Update` / `FAILURE` (a refused body is not audited); `version` must be an
integer (not a string); a PUT's `id`, when sent, must be the path's; rule set and filter names
are unique in the org, case-insensitively; a rule set needs a `contactList` (the columns its
conditions name come from it); a filter is `ContactList`-sourced (this org has no templates);
outbound listings filter by prefix case-insensitively (`filterType=Contains` too), actions by a
case-insensitive part of the name; listings are ordered by name; `propertyChanges` leave out
`id`, `version` and the dates; an audit query snapshots the trail when it is created, takes
entries with `start <= eventDate <= end`, and is kept for the server's lifetime; audit entries
are at least a millisecond apart; each seeded rule set and filter has one `Create` audit by user
`system` (a day before the server started, whole seconds). Enum values are taken only as the
contract writes them, whatever case the server answers in. `decoys` is read when the server is
made (the other quirks on every call). There is no HTTP admin surface: tests drive the Python one.
"""

from __future__ import annotations

import contextlib
import copy
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from cx_assets_tests.independent import genesys_rules_seed as seed
from cx_assets_tests.independent.genesys_platform_server import (
    PlatformServer,
    RunningServer,
    serve,
)
from cx_assets_tests.independent.genesys_rules_audit import (
    AuditEntry,
    AuditLog,
    AuditQuery,
    property_changes,
)
from cx_assets_tests.independent.genesys_rules_check import (
    Invalid,
    Lookups,
    check_filter,
    check_rule_set,
    strip_extras,
)
from cx_assets_tests.independent.genesys_rules_quirks import Quirks
from cx_assets_tests.independent.genesys_rules_reads import (
    ACTION_VIEW,
    ADMIN_APP,
    ALL_PERMISSIONS,
    AUDIT_VIEW,
    AUDITS,
    BRIDGE_VIEW,
    CLF_ADD,
    CLF_EDIT,
    CLF_VIEW,
    ENTITY_TYPES,
    LIST_VIEW,
    RS_ADD,
    RS_EDIT,
    RS_VIEW,
    WEB_CLIENT,
    PutRecord,
    Reads,
    json_body,
    kind_of,
    pointer_set,
    user_for,
)
from cx_assets_tests.independent.genesys_rules_render import (
    ACTIONS,
    FILTERS,
    LISTS,
    RULESETS,
    fail,
)

__all__ = ["PutRecord", "Quirks", "RulesServer", "RunningServer", "serve_rules"]

Json = dict[str, Any]


class RulesServer(Reads, PlatformServer):
    """State and Starlette `app`; tests flip `quirks` and the switches between calls."""

    def __init__(
        self,
        quirks: Quirks | None = None,
        client_id: str = "independent-rules-client",
        client_secret: str = "independent-rules-secret",
    ) -> None:
        super().__init__(client_id, client_secret)
        self.quirks: Any = quirks or Quirks()
        self.permissions = {client_id: set(ALL_PERMISSIONS)}
        self.page_cap = 10
        self.puts: list[PutRecord] = []
        self.audit = AuditLog(self)
        self.started = datetime.now(UTC)
        created = (self.started - timedelta(days=1)).replace(microsecond=0)
        decoys = self.quirks.decoys
        self.contact_lists = seed.contact_lists(created, decoys)
        self.actions = seed.actions(decoys)
        self.stores = {
            "ruleset": seed.rule_sets(created, decoys),
            "contactlistfilter": seed.filters(created, decoys),
        }
        for kind, store in self.stores.items():
            for entity in store.values():
                when = entity["dateCreated"]
                self.audit.record(
                    ENTITY_TYPES[kind],
                    "Create",
                    "SUCCESS",
                    entity,
                    when=when,
                    user=dict(seed.SEED_USER),
                    application=ADMIN_APP,
                )
        self._armed: dict[tuple[str, str], tuple[dict[str, Any] | None, str]] = {}
        self._stale_400: bool | None = None
        self._stale_count = 0
        api, one = self._api, frozenset
        actions_view = one({ACTION_VIEW, BRIDGE_VIEW})
        routes = [
            Route("/oauth/token", self._token, methods=["POST"]),
            Route(LISTS, api(self._list_contact_lists, one({LIST_VIEW}))),
            Route(LISTS + "/{id}", api(self._get_contact_list, one({LIST_VIEW}))),
            Route(ACTIONS, api(self._list_actions, actions_view)),
            Route(ACTIONS + "/{id}", api(self._get_action, actions_view)),
            Route(AUDITS, api(self._audit_create, one({AUDIT_VIEW})), methods=["POST"]),
            Route(AUDITS + "/{id}", api(self._audit_poll, one({AUDIT_VIEW}))),
            Route(AUDITS + "/{id}/results", api(self._audit_results, one({AUDIT_VIEW}))),
        ]
        for kind, base, view, edit, add in (
            ("ruleset", RULESETS, RS_VIEW, RS_EDIT, RS_ADD),
            ("contactlistfilter", FILTERS, CLF_VIEW, CLF_EDIT, CLF_ADD),
        ):
            routes += [
                Route(base, api(self._lister(kind), one({view})), methods=["GET"]),
                Route(base, api(self._poster(kind), one({add})), methods=["POST"]),
                Route(base + "/{id}", api(self._getter(kind), one({view})), methods=["GET"]),
                Route(base + "/{id}", api(self._putter(kind), one({edit})), methods=["PUT"]),
            ]
        self.app: Any = Starlette(routes=routes)

    # ---- admin surface -----------------------------------------------------------------------
    def edit(
        self,
        kind: str,
        entity_id: str,
        pointer_values: dict[str, Any] | None = None,
        user_name: str = "Dana Okafor",
    ) -> Json:
        kind = kind_of(kind)
        stored = self.stores[kind][entity_id]
        changed = copy.deepcopy(stored)
        for pointer, value in (pointer_values or {}).items():
            pointer_set(changed, pointer, copy.deepcopy(value))
        if not pointer_values:
            changed["name"] += " (edited)"
        try:
            clean = self._check(kind, changed)
        except Invalid as exc:
            raise ValueError(f"the edit leaves an invalid entity: {exc}") from None
        self._land(kind, stored, clean, keep_rule_ids=True)
        client = dict(WEB_CLIENT) if self.quirks.ui_edit_client else None
        self._audit_change(
            kind,
            stored,
            self.stores[kind][entity_id],
            user=user_for(user_name),
            client=client,
            application=ADMIN_APP,
        )
        return copy.deepcopy(self.stores[kind][entity_id])

    def edit_before_next_put(
        self,
        kind: str,
        entity_id: str,
        pointer_values: dict[str, Any] | None = None,
        user_name: str = "Dana Okafor",
    ) -> None:
        kind = kind_of(kind)
        if entity_id not in self.stores[kind]:
            raise KeyError(entity_id)
        self._armed[kind, entity_id] = (pointer_values, user_name)

    def stale_as_400(self, on: bool | None = True) -> None:
        self._stale_400 = on

    def fail_next_audit_query(self, count: int = 1) -> None:
        self.audit.fail_next += count

    def lack(self, *permissions: str) -> None:
        if unknown := sorted(set(permissions) - ALL_PERMISSIONS):
            raise ValueError(f"unknown permission(s): {', '.join(unknown)}")
        self.permissions[self.client_id] = set(ALL_PERMISSIONS - set(permissions))

    @property
    def audit_queries(self) -> list[AuditQuery]:
        return list(self.audit.queries.values())

    def audits(self, entity_id: str | None = None) -> list[AuditEntry]:
        return [e for e in self.audit.entries if entity_id in (None, e.entity["id"])]

    def entity(self, kind: str, entity_id: str) -> Json:
        return copy.deepcopy(self.stores[kind_of(kind)][entity_id])

    # ---- helpers -----------------------------------------------------------------------------
    def _check(self, kind: str, body: Any) -> Json:
        lookups = Lookups(self.contact_lists, self.actions)
        if kind == "ruleset":
            return check_rule_set(body, lookups)
        return check_filter(body, lookups)

    def _unique(self, kind: str, name: str, entity_id: str | None) -> None:
        for other in self.stores[kind].values():
            if other["id"] != entity_id and other["name"].casefold() == name.casefold():
                raise Invalid("name", f"the name {name!r} is already used by {other['id']}")

    def _land(self, kind: str, old: Json | None, clean: Json, keep_rule_ids: bool) -> Json:
        now = datetime.now(UTC)
        entity = {"id": old["id"] if old else str(uuid.uuid4())} | clean
        entity["version"] = old["version"] + 1 if old else 1
        entity["dateCreated"] = old["dateCreated"] if old else now
        entity["dateModified"] = now
        for rule in entity.get("rules", []):
            if not keep_rule_ids or "id" not in rule:
                rule["id"] = str(uuid.uuid4())
        self.stores[kind][entity["id"]] = entity
        return entity

    def _audit_change(self, kind: str, old: Json | None, new: Json, **who: Any) -> None:
        deep = self.quirks.deep_property_changes
        changes = property_changes(old or {}, new, deep)
        action = "Update" if old else "Create"
        self.audit.record(
            ENTITY_TYPES[kind], action, "SUCCESS", new, property_changes=changes, **who
        )

    # ---- rule sets and filters -----------------------------------------------------------------
    def _lister(self, kind: str):
        async def listing(request: Request) -> Response:
            summary = self.quirks.list_summaries
            items = [self.render(kind, e, summary) for e in self.stores[kind].values()]
            return self._page(request, items)

        return listing

    def _getter(self, kind: str):
        async def get(request: Request) -> Response:
            entity_id = request.path_params["id"]
            if (stored := self.stores[kind].get(entity_id)) is None:
                return self._missing(ENTITY_TYPES[kind], entity_id)
            return JSONResponse(self.render(kind, stored))

        return get

    def _poster(self, kind: str):
        async def post(request: Request) -> Response:
            try:
                body = await json_body(request)
                if isinstance(body, dict) and self.quirks.post_refuses_server_fields:
                    for key in ("id", "version"):
                        if key in body:
                            raise Invalid(key, f"{key} is the server's: not in a new entity")
                clean = self._check(kind, strip_extras(body))
                self._unique(kind, clean["name"], None)
            except Invalid as exc:
                return self._bad(exc)
            entity = self._land(kind, None, clean, keep_rule_ids=False)
            self._audit_change(kind, None, entity, client=self._client(request))
            status = 201 if self.quirks.post_201 else 200
            return JSONResponse(self.render(kind, entity), status_code=status)

        return post

    def _putter(self, kind: str):
        async def put(request: Request) -> Response:
            record = PutRecord(kind, request.path_params["id"], None)
            self.puts.append(record)
            response = await self._put(request, kind, record)
            record.status = response.status_code
            return response

        return put

    async def _put(self, request: Request, kind: str, record: PutRecord) -> Response:
        try:
            body = record.body = await json_body(request)
        except Invalid as exc:
            return self._bad(exc)
        if (stored := self.stores[kind].get(record.id)) is None:
            return self._missing(ENTITY_TYPES[kind], record.id)
        if (armed := self._armed.pop((kind, record.id), None)) is not None:
            self.edit(kind, record.id, armed[0], armed[1])
            stored = self.stores[kind][record.id]
        if not isinstance(body, dict):
            return self._bad(Invalid("body", "must be a JSON object"))
        version = body.get("version")
        if version is None:
            return self._bad(Invalid("version", "version is required to update"))
        if not isinstance(version, int) or isinstance(version, bool):
            return self._bad(Invalid("version", "version must be an integer"))
        if version != stored["version"]:
            return self._stale(request, kind, stored, version)
        try:
            if body.get("id") not in (None, record.id):
                raise Invalid("id", f"the body's id is not {record.id}")
            clean = self._check(kind, strip_extras(body))
            self._unique(kind, clean["name"], record.id)
        except Invalid as exc:
            return self._bad(exc)
        new = self._land(kind, stored, clean, keep_rule_ids=not self.quirks.rule_ids_renewed)
        self._audit_change(kind, stored, new, client=self._client(request))
        return JSONResponse(self.render(kind, new))

    def _stale(self, request: Request, kind: str, stored: Json, sent: int) -> Response:
        self._stale_count += 1
        as_400 = self._stale_400
        if as_400 is None:
            as_400 = self.quirks.stale_alternates and self._stale_count % 2 == 1
        current = stored["version"]
        self.audit.record(
            ENTITY_TYPES[kind],
            "Update",
            "FAILURE",
            stored,
            client=self._client(request),
            message=f"version {sent} is stale, current {current}",
        )
        extra = self.quirks.extra_members
        if as_400:
            message = f"Invalid version: the version supplied ({sent}) does not match the "
            message += f"current version ({current}) of {ENTITY_TYPES[kind]} {stored['id']}"
            return fail(400, "bad.request", message, "version", extra)
        message = f"The version supplied ({sent}) does not match the current version ({current})"
        return fail(409, "conflict", message, extra=extra)

    # ---- audits ------------------------------------------------------------------------------


@contextlib.contextmanager
def serve_rules(server: RulesServer | None = None) -> Iterator[RunningServer]:
    """The server on a free loopback port (the shared `serve`); `.server` is the state."""
    with serve(server or RulesServer()) as running:
        yield running
