"""OAuth, scopes, rate limits, faults and JSON errors of the independent tutorial CXone server:
docs/api-contract.md "Errors", "Rate limits", "OAuth", "### `POST /cxone/oauth/token`".

Not tutorial_data_actions_auth.py: CXone takes credentials in form fields only ("HTTP Basic is
refused with 401 `invalid_client`") and has no `inin-*` headers. Fixed readings: any
`Authorization: Basic` header on the token call is refused, even beside form fields; form
fields other than the four named are ignored; `scope` is optional (every allowed scope is
granted); the 403 names the first scope the endpoint needs that the token lacks; a scope the
client lost (`lack`) after its token was issued is missing from that token too; a 401 carries
no rate-limit headers (there is no known client to count it against).
"""

from __future__ import annotations

import asyncio
import math
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import format_datetime
from typing import Any
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import Response

from cx_assets_tests.independent.tutorial_cxone_wire import CUT_KEY, json_response

Json = dict[str, Any]
Handler = Callable[[Request], Awaitable[Response]]
READ, WRITE, REPORTS = "analytics:export:read", "analytics:export:write", "reports:read"
SCOPES = frozenset({READ, WRITE, REPORTS})
GUARD_KINDS = ("http_429", "http_5xx", "slow", "drop")
SERVER_KINDS = ("truncate", "wrong_format", "export_failed")
FAULT_KINDS = GUARD_KINDS + SERVER_KINDS


@dataclass
class Fault:
    """An injected answer for the next `count` matching calls (after `after` of them pass).

    `path_contains` narrows it (the token endpoint is hit only by a fault whose `path_contains`
    is non-empty and in its path); `status` for `http_5xx`; `retry_after` seconds for
    `http_429`; `delay_s` for `slow`; `message` for `export_failed`.
    """

    kind: str
    count: int = 1
    path_contains: str = ""
    method: str | None = None
    status: int = 503
    retry_after: int = 1
    delay_s: float = 1.0
    message: str = "export processing window exceeded (injected)"
    after: int = 0
    fired: int = 0


@dataclass
class Auth:
    """The one OAuth client, its tokens, its rate window and the fault list."""

    quirks: Any
    client_id: str
    client_secret: str
    rng: random.Random
    clock: Callable[[], datetime]
    budget: int = 300
    window_s: float = 60.0
    token_lifetime_s: int = 3600
    allowed: set[str] = field(default_factory=lambda: set(SCOPES))
    faults: list[Fault] = field(default_factory=list)
    tokens: dict[str, tuple[frozenset[str], float]] = field(default_factory=dict)
    window: tuple[float, int] = (0.0, 0)

    def error(self, status: int, code: str, message: str, **more: Any) -> Response:
        """The contract's error body, `{"status", "code", "message"}`."""
        body: Json = {"status": status, "code": code, "message": message}
        if self.quirks.extra_fields:
            body |= {"contextId": f"ctx-{self.rng.getrandbits(48):012x}", "details": []}
        return json_response(body | more, status, self.quirks.content_type_params)

    def add_fault(self, kind: str, **options: Any) -> Fault:
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}: one of {', '.join(FAULT_KINDS)}")
        fault = Fault(kind, **options)
        self.faults.append(fault)
        return fault

    def take(self, kinds: tuple[str, ...], request: Request, token_call: bool = False) -> Fault:
        """The first armed fault of `kinds` matching `request`, consumed; else a dead Fault."""
        for fault in self.faults:
            if fault.kind not in kinds or fault.count <= 0:
                continue
            if fault.method is not None and fault.method.upper() != request.method:
                continue
            if fault.path_contains not in request.url.path:
                continue
            if token_call and not fault.path_contains:
                continue
            if fault.after > 0:
                fault.after -= 1
                continue
            fault.count -= 1
            fault.fired += 1
            return fault
        return Fault("none", count=0)

    # ---- token endpoint -------------------------------------------------------------------------
    async def token(self, request: Request) -> Response:
        fault = self.take(GUARD_KINDS, request, token_call=True)
        if fault.kind == "http_429":
            return self._throttled({}, fault.retry_after, "injected throttle")
        if fault.kind == "http_5xx":
            return self.error(fault.status, "service.unavailable", "injected failure")
        if fault.kind == "slow":
            await asyncio.sleep(fault.delay_s)
        form = parse_qs((await request.body()).decode(errors="replace"), keep_blank_values=True)
        one = {k: v[-1] for k, v in form.items()}
        if request.headers.get("authorization", "").lower().startswith("basic"):
            message = "HTTP Basic is not accepted: send client_id and client_secret as form fields"
            return oauth_error(401, "invalid_client", message)
        if one.get("client_id") != self.client_id or one.get("client_secret") != self.client_secret:
            return oauth_error(401, "invalid_client", "client authentication failed")
        if one.get("grant_type") != "client_credentials":
            grant = one.get("grant_type", "")
            return oauth_error(400, "unsupported_grant_type", f"grant_type {grant!r}")
        asked = set(one["scope"].split()) if one.get("scope", "").strip() else set(self.allowed)
        if refused := sorted(asked - self.allowed):
            return oauth_error(400, "invalid_scope", f"scope {refused[0]} is not allowed")
        token = f"cx1.{self.rng.getrandbits(128):032x}"
        self.tokens[token] = (frozenset(asked), time.monotonic() + self.token_lifetime_s)
        granted = sorted(asked, reverse=bool(self.quirks.token_extras))
        body: Json = {
            "access_token": token,
            "token_type": "bearer",
            "expires_in": self.token_lifetime_s,
            "scope": " ".join(granted),
        }
        if self.quirks.token_extras:
            body |= {"issued_at": int(self.clock().timestamp()), "site": "independent"}
        response = json_response(body, 200, self.quirks.content_type_params)
        if fault.kind == "drop":
            request.scope[CUT_KEY] = "before_answer"
        return response

    def expire_tokens(self) -> None:
        self.tokens = {t: (s, 0.0) for t, (s, _) in self.tokens.items()}

    # ---- bearer calls ---------------------------------------------------------------------------
    def api(self, handler: Handler, *scopes: str) -> Handler:
        """`handler` behind the token, rate-limit, fault and scope checks, in that order."""

        async def endpoint(request: Request) -> Response:
            headers, response, fault = self.guard(request, scopes)
            if fault.kind == "slow":
                await asyncio.sleep(fault.delay_s)
            if response is None:
                response = await handler(request)
            response.headers.update(headers)
            if fault.kind == "drop":
                request.scope[CUT_KEY] = "before_answer"
            return response

        return endpoint

    def guard(
        self, request: Request, scopes: tuple[str, ...]
    ) -> tuple[dict[str, str], Response | None, Fault]:
        none = Fault("none", count=0)
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        granted, expires = self.tokens.get(token.strip(), (frozenset(), 0.0))
        now = time.monotonic()
        if scheme.lower() != "bearer" or expires < now:
            return {}, self.error(401, "unauthorized", "missing, unknown or expired token"), none
        began, used = self.window
        began, used = (now, 1) if now - began >= self.window_s else (began, used + 1)
        self.window = (began, used)
        reset = max(1, math.ceil(self.window_s - (now - began)))
        headers = {
            "X-RateLimit-Remaining": str(max(0, self.budget - used)),
            "X-RateLimit-Reset": str(reset),
        }
        if used > self.budget:
            headers["Retry-After"] = str(reset)
            message = f"rate limit of {self.budget} requests per {self.window_s:g} s exceeded"
            return headers, self.error(429, "too.many.requests", message), none
        fault = self.take(GUARD_KINDS, request)
        if fault.kind == "http_429":
            return headers, self._throttled(headers, fault.retry_after, "injected throttle"), none
        if fault.kind == "http_5xx":
            failure = self.error(fault.status, "service.unavailable", "injected failure")
            return headers, failure, none
        for scope in scopes:
            if scope not in granted or scope not in self.allowed:
                message = f"the token lacks the scope {scope} this endpoint needs"
                return headers, self.error(403, "missing.scope", message), fault
        return headers, None, fault

    def _throttled(self, headers: dict[str, str], seconds: int, message: str) -> Response:
        response = self.error(429, "too.many.requests", message)
        if self.quirks.retry_after_date:
            when = self.clock().replace(microsecond=0) + timedelta(seconds=seconds + 1)
            headers["Retry-After"] = format_datetime(when, usegmt=True)
        else:
            headers["Retry-After"] = str(seconds)
        response.headers.update(headers)
        return response


def oauth_error(status: int, code: str, description: str) -> Response:
    """An OAuth error (`{"error", "error_description"}`) with the contract's members too."""
    body = {"error": code, "error_description": description, "status": status}
    return json_response(body | {"message": description}, status)
