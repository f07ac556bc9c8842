"""An independent tutorial-mode data actions server: datasets, data actions with condition trees
and ETag / If-Match locking, platform webhooks and the audit query.

Written from docs/api-contract.md ("Errors", "Rate limits", "OAuth: `POST /oauth/token`", "## Data
actions, datasets, webhooks, audits") and ../shared/tutorials/004_*.txt only, never from the
project's client or emulator, so a client that works only against the emulator's reading fails
here. Where the text leaves a choice open the other readings are `Quirks` switches
(tutorial_data_actions_quirks.py): `Quirks()` all on (default), `Quirks.obvious()` all off,
`Quirks.only(...)`. Modules: `_auth` (token, scopes, rate limits, faults), `_tree` (seed and
tree rules), `_hooks` (audits, webhooks and deliveries).

    with serve_data_actions(DataActionsServer(Quirks.obvious())) as running:
        running.url, running.client_id, running.client_secret   # login and API on one URL
        server: DataActionsServer = running.server               # the admin surface below

Admin surface (Python, on `running.server`):

- `edit(action_id, conditions=None, name=None, actor="someone-else")`: an out-of-band edit
  (neither given: the first comparison's literal changes); version + 1, audited SUCCESS by
  `actor`, announced to webhooks. Returns the stored action.
- `edit_before_next_put(action_id, rename=False, actor="someone-else")`: that edit lands when the
  next PUT of the action arrives (after its 404 check, before its If-Match is looked at): by
  default a literal changes, with `rename=True` only the name (` (edited)` appended).
- `puts` (`PutRecord`: `action_id`, `if_match`, `body`, `status`, in order), `audits` (stored
  records, oldest first), `deliveries`, `action(id)`, `webhook(id)`.
- `lack(*scopes)`: the client is no longer allowed them (403 naming one; asking for one at the
  token endpoint: 400 `invalid_scope`); `lack()` restores all.
- `add_fault("http_429"|"http_5xx", count=1, path_contains="", method=None, status=503,
  retry_after=1, after=0)`, `expire_tokens()`, `auth.budget` / `auth.window_s`.

Fixed readings where the text is silent: checks run 404, 400 (JSON object, `conditions`
present, no unknown top-level member: `id`, `version`, `etag` and the members the server writes
are accepted and ignored; `name` a non-empty string), 428 (`If-Match` absent or `*`), then 409
and 422 (in the order `validate_before_lock` says); 409 and 422 are audited FAILURE at the current
version, 428 and 400 are not; a PUT's changed-nothing test compares the canonical tree and the
name; the stored tree keeps only `type`, `children` or `value` + `expression`.
"""

from __future__ import annotations

import contextlib
import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from cx_assets_tests.independent import tutorial_data_actions_tree as tree
from cx_assets_tests.independent.loopback import serve_app
from cx_assets_tests.independent.tutorial_data_actions_auth import SCOPES, Auth
from cx_assets_tests.independent.tutorial_data_actions_hooks import (
    Audits,
    BadRequest,
    Webhooks,
)
from cx_assets_tests.independent.tutorial_data_actions_quirks import Quirks
from cx_assets_tests.independent.tutorial_data_actions_render import ACTIONS, Reads, matches

__all__ = ["DataActionsServer", "PutRecord", "Quirks", "RunningDataActions", "serve_data_actions"]

Json = dict[str, Any]
DATASETS = "/api/v2/datasets"
WEBHOOKS, AUDITS = "/api/v2/platform/webhooks", "/api/v2/audits/query"
READ, WRITE, HOOKS, AUDIT = (
    "data:actions:read",
    "data:actions:write",
    "platform:webhooks:write",
    "audit:read",
)
ACCEPTED_KEYS = {"name", "conditions", "id", "version", "etag", "description", "dateModified"}
ACCEPTED_KEYS |= {"selfUri"}


@dataclass
class PutRecord:
    action_id: str
    if_match: str | None
    body: Any = None
    status: int | None = None


class DataActionsServer(Reads):
    """State and Starlette `app`; tests flip `quirks` and the switches between calls."""

    def __init__(
        self,
        quirks: Quirks | None = None,
        client_id: str = "independent-data-actions-client",
        client_secret: str = "independent-data-actions-secret",
    ) -> None:
        self._quirks: Any = quirks or Quirks()
        self.client_id, self.client_secret = client_id, client_secret
        self.auth = Auth(self.quirks, client_id, client_secret)
        self.datasets = tree.datasets()
        self.actions = tree.seeded_actions(self.quirks.tutorial_literals)
        self.modified = dict.fromkeys(self.actions, datetime.now(UTC))
        self.audit = Audits(self.quirks)
        self.hooks = Webhooks(self.quirks)
        if self.quirks.webhook_decoys:
            self.hooks.seed_decoys()
        self.puts: list[PutRecord] = []
        self._armed: dict[str, tuple[bool, str]] = {}
        api = self.auth.api
        self.app: Any = Starlette(
            routes=[
                Route("/oauth/token", self.auth.token, methods=["POST"]),
                Route(DATASETS, api(self._datasets, READ)),
                Route(DATASETS + "/{id}", api(self._dataset, READ)),
                Route(ACTIONS, api(self._actions, READ)),
                Route(ACTIONS + "/{id}", api(self._action, READ), methods=["GET"]),
                Route(ACTIONS + "/{id}", api(self._put, WRITE), methods=["PUT"]),
                Route(WEBHOOKS, api(self._hook_create, HOOKS), methods=["POST"]),
                Route(WEBHOOKS, api(self._hook_list, HOOKS), methods=["GET"]),
                Route(WEBHOOKS + "/{id}", api(self._hook_delete, HOOKS), methods=["DELETE"]),
                Route(AUDITS, api(self._audit_query, AUDIT), methods=["POST"]),
            ]
        )

    @property
    def quirks(self) -> Any:
        """The switches, read on every call (`tutorial_literals` and `webhook_decoys` shape the
        seed, so they count only when the server is made)."""
        return self._quirks

    @quirks.setter
    def quirks(self, quirks: Any) -> None:
        self._quirks = self.auth.quirks = self.audit.quirks = self.hooks.quirks = quirks

    # ---- admin surface -------------------------------------------------------------------------
    def edit(
        self,
        action_id: str,
        conditions: Json | None = None,
        name: str | None = None,
        actor: str = "someone-else",
    ) -> Json:
        stored = self.actions[action_id]
        if conditions is None and name is None:
            conditions = tree.bump_first_literal(stored["conditions"])
        if conditions is not None:
            loose = self.quirks.tutorial_literals
            try:
                conditions = tree.check(conditions, self.datasets, loose, "conditions")
            except tree.TreeProblems as exc:
                raise ValueError(f"the edit leaves an invalid tree: {exc}") from None
        self._land(action_id, conditions or stored["conditions"], name or stored["name"], actor)
        return self.action(action_id)

    def edit_before_next_put(
        self, action_id: str, rename: bool = False, actor: str = "someone-else"
    ) -> None:
        if action_id not in self.actions:
            raise KeyError(action_id)
        self._armed[action_id] = (rename, actor)

    def lack(self, *scopes: str) -> None:
        if unknown := sorted(set(scopes) - SCOPES):
            raise ValueError(f"unknown scope(s): {', '.join(unknown)}")
        self.auth.allowed = set(SCOPES - set(scopes))

    def add_fault(self, kind: str, **options: Any) -> Any:
        return self.auth.add_fault(kind, **options)

    def expire_tokens(self) -> None:
        self.auth.expire_tokens()

    @property
    def audits(self) -> list[Json]:
        return copy.deepcopy(self.audit.records)

    @property
    def deliveries(self) -> list[Any]:
        return list(self.hooks.deliveries)

    def action(self, action_id: str) -> Json:
        return copy.deepcopy(self.actions[action_id])

    def webhook(self, hook_id: str) -> Json:
        return copy.deepcopy(self.hooks.hooks[hook_id])

    def close(self) -> None:
        self.hooks.close()

    # ---- helpers -------------------------------------------------------------------------------
    def _land(self, action_id: str, conditions: Json, name: str, actor: str) -> Json:
        stored = self.actions[action_id]
        stored |= {"conditions": conditions, "name": name, "version": stored["version"] + 1}
        self.modified[action_id] = datetime.now(UTC)
        self.audit.record(action_id, actor, "SUCCESS", stored["version"])
        self.hooks.announce(action_id, stored["version"], actor)
        return stored

    async def _put(self, request: Request) -> Response:
        record = PutRecord(request.path_params["id"], request.headers.get("if-match"))
        self.puts.append(record)
        response = await self._apply(request, record)
        record.status = response.status_code
        return response

    async def _apply(self, request: Request, record: PutRecord) -> Response:
        error, action_id = self.auth.error, record.action_id
        try:
            body = record.body = json.loads(await request.body())
        except ValueError:
            return error(400, "bad.request", "the body is not JSON")
        if (stored := self.actions.get(action_id)) is None:
            return self._missing("data action", action_id)
        if (armed := self._armed.pop(action_id, None)) is not None:
            rename, actor = armed
            self.edit(action_id, name=stored["name"] + " (edited)" if rename else None, actor=actor)
        if not isinstance(body, dict):
            return error(400, "bad.request", "the body must be a JSON object")
        if unknown := sorted(set(body) - ACCEPTED_KEYS):
            return error(400, "bad.request", f"unknown field {unknown[0]}")
        if "conditions" not in body:
            return error(400, "bad.request", "conditions is required")
        name = body.get("name", stored["name"])
        if not isinstance(name, str) or not name.strip():
            return error(400, "bad.request", "name must be a non-empty string")
        conditions, root = body["conditions"], "conditions"
        if isinstance(conditions, list):
            if len(conditions) != 1:
                message = (
                    f"conditions as a list must hold exactly one root node, got {len(conditions)}"
                )
                return error(400, "bad.request", message)
            conditions, root = conditions[0], "conditions[0]"
        sent = record.if_match
        if sent is None or sent.strip() in ("", "*"):
            return error(428, "precondition.required", "If-Match is required (the ETag read)")
        current = stored["version"]
        try:
            clean: Json | None = tree.check(
                conditions, self.datasets, self.quirks.tutorial_literals, root
            )
            problems: list[tuple[str, str]] = []
        except tree.TreeProblems as exc:
            clean, problems = None, exc.problems
        stale = not matches(sent, self.etag(action_id))
        if stale and not (problems and self.quirks.validate_before_lock):
            message = f"If-Match {sent} is stale: data action {action_id} is at version {current}"
            message += f" (ETag {self.etag(action_id)})"
            self.audit.record(action_id, self._actor(request), "FAILURE", current, message=message)
            response = error(409, "conflict", message, currentVersion=current)
            response.headers["ETag"] = self.etag(action_id)
            return response
        if clean is None:
            shown = problems[:1] if self.quirks.first_problem_only else problems
            message = "; ".join(f"{p}: {r}" for p, r in shown)
            self.audit.record(action_id, self._actor(request), "FAILURE", current, message=message)
            details = [{"path": p, "rule": r} for p, r in problems]
            return error(422, "invalid.conditions", message, details=details)
        if clean == stored["conditions"] and name == stored["name"]:
            if self.quirks.noop_audited:
                self.audit.record(action_id, self._actor(request), "SUCCESS", current)
            return self._one(stored)
        return self._one(self._land(action_id, clean, name, self._actor(request)))

    # ---- webhooks and audits -------------------------------------------------------------------
    async def _hook_create(self, request: Request) -> Response:
        try:
            hook = self.hooks.create(json.loads(await request.body() or b"null"))
        except (BadRequest, ValueError) as exc:
            return self.auth.error(400, "bad.request", str(exc))
        if self.quirks.audit_other_operations:
            self.audit.record(
                hook["id"], self._actor(request), "SUCCESS", 1,
                operation="CREATE", event_type="platform.webhook.created",
            )  # fmt: skip
        status = 200 if self.quirks.webhook_200 else 201
        return JSONResponse(self.hooks.render(hook, with_secret=True), status_code=status)

    async def _hook_list(self, request: Request) -> Response:
        return JSONResponse(self.hooks.listing())

    async def _hook_delete(self, request: Request) -> Response:
        hook_id = request.path_params["id"]
        if self.hooks.hooks.pop(hook_id, None) is None:
            return self._missing("webhook", hook_id)
        if self.quirks.audit_other_operations:
            self.audit.record(
                hook_id, self._actor(request), "SUCCESS", 1,
                operation="DELETE", event_type="platform.webhook.deleted",
            )  # fmt: skip
        return Response(status_code=204)

    async def _audit_query(self, request: Request) -> Response:
        try:
            return JSONResponse(self.audit.query(json.loads(await request.body() or b"null")))
        except (BadRequest, ValueError) as exc:
            return self.auth.error(400, "bad.request", str(exc))


@dataclass
class RunningDataActions:
    """What a test gets: where the server listens, its credentials, and its admin surface."""

    url: str
    client_id: str
    client_secret: str
    server: DataActionsServer

    @property
    def quirks(self) -> Any:
        return self.server.quirks

    @property
    def scopes(self) -> str:
        return " ".join(sorted(SCOPES))


@contextlib.contextmanager
def serve_data_actions(server: DataActionsServer | None = None) -> Iterator[RunningDataActions]:
    """Run `server` under uvicorn on a free loopback port in a background thread."""
    server = server or DataActionsServer()
    with serve_app(server.app, "the independent data actions server") as url:
        try:
            yield RunningDataActions(url, server.client_id, server.client_secret, server)
        finally:
            server.close()
