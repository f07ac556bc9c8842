"""OAuth (tutorial mode), rate limits, faults and JSON errors of the independent tutorial data
actions server: docs/api-contract.md "Errors", "Rate limits", "OAuth: `POST /oauth/token`".

Fixed readings: the token form may carry the client by Basic or by form fields (Basic wins when
both are there); a form field besides `grant_type`, `scope`, `client_id`, `client_secret` is a
400 `invalid_request`; the 403 names the first missing scope the endpoint needs; a scope the
client lost (`lack`) after its token was issued is missing from that token too.
"""

from __future__ import annotations

import base64
import math
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

Json = dict[str, Any]
Handler = Callable[[Request], Awaitable[Response]]
SCOPES = frozenset(
    {"data:actions:read", "data:actions:write", "platform:webhooks:write", "audit:read"}
)
FORM_KEYS = {"grant_type", "scope", "client_id", "client_secret"}


@dataclass
class Fault:
    """An injected answer for the next `count` matching API calls (after `after` pass)."""

    kind: str
    count: int = 1
    path_contains: str = ""
    method: str | None = None
    status: int = 503
    retry_after: int = 1
    after: int = 0
    fired: int = 0


@dataclass
class Auth:
    """Clients, tokens, windows and faults; `quirks` is read on every call."""

    quirks: Any
    client_id: str
    client_secret: str
    budget: int = 300
    window_s: float = 60.0
    token_lifetime_s: int = 3600
    allowed: set[str] = field(default_factory=lambda: set(SCOPES))
    faults: list[Fault] = field(default_factory=list)
    tokens: dict[str, tuple[str, frozenset[str], float]] = field(default_factory=dict)
    windows: dict[str, tuple[float, int]] = field(default_factory=dict)

    def error(self, status: int, code: str, message: str, **more: Any) -> JSONResponse:
        body: Json = {"status": status, "code": code, "message": message}
        if self.quirks.extra_members:
            body |= {"contextId": str(uuid.uuid4()), "details": []}
        return JSONResponse(body | more, status_code=status)

    def add_fault(self, kind: str, **options: Any) -> Fault:
        if kind not in ("http_429", "http_5xx"):
            raise ValueError(f"unknown fault kind {kind!r}: http_429 or http_5xx")
        fault = Fault(kind, **options)
        self.faults.append(fault)
        return fault

    async def token(self, request: Request) -> Response:
        form = parse_qs((await request.body()).decode(), keep_blank_values=True)
        one = {k: v[-1] for k, v in form.items()}
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        client_id, secret = one.get("client_id", ""), one.get("client_secret", "")
        if scheme.lower() == "basic":
            try:
                client_id, _, secret = base64.b64decode(value).decode().partition(":")
            except ValueError:
                client_id, secret = "", ""
        if client_id != self.client_id or secret != self.client_secret:
            return oauth_error(401, "invalid_client", "client authentication failed")
        if unknown := sorted(set(form) - FORM_KEYS):
            return oauth_error(400, "invalid_request", f"unexpected form field {unknown[0]}")
        if one.get("grant_type") != "client_credentials":
            grant = one.get("grant_type", "")
            return oauth_error(400, "unsupported_grant_type", f"grant_type {grant!r}")
        asked = set(one["scope"].split()) if one.get("scope", "").strip() else set(self.allowed)
        if refused := sorted(asked - self.allowed):
            return oauth_error(400, "invalid_scope", f"scope {refused[0]} is not allowed")
        token = secrets.token_urlsafe(24)
        expires = time.monotonic() + self.token_lifetime_s
        self.tokens[token] = (client_id, frozenset(asked), expires)
        granted = sorted(asked, reverse=bool(self.quirks.token_extras))
        body: Json = {
            "access_token": token,
            "token_type": "bearer",
            "expires_in": self.token_lifetime_s,
            "scope": " ".join(granted),
        }
        if self.quirks.token_extras:
            body |= {"issued_at": int(time.time()), "organization": {"id": str(uuid.uuid4())}}
        return JSONResponse(body)

    def expire_tokens(self) -> None:
        self.tokens = {t: (c, s, 0.0) for t, (c, s, _) in self.tokens.items()}

    def api(self, handler: Handler, scope: str) -> Handler:
        async def endpoint(request: Request) -> Response:
            headers, response = self.guard(request, scope)
            if response is None:
                response = await handler(request)
            response.headers.update(headers)
            return response

        return endpoint

    def guard(self, request: Request, scope: str) -> tuple[dict[str, str], Response | None]:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        client_id, granted, expires = self.tokens.get(token, ("", frozenset(), 0.0))
        now = time.monotonic()
        if scheme.lower() != "bearer" or expires < now:
            return {}, self.error(401, "bad.credentials", "missing, unknown or expired token")
        began, used = self.windows.get(client_id, (now, 0))
        began, used = (now, 1) if now - began >= self.window_s else (began, used + 1)
        self.windows[client_id] = (began, used)
        reset = max(1, math.ceil(self.window_s - (now - began)))
        headers = {
            "X-RateLimit-Remaining": str(max(0, self.budget - used)),
            "X-RateLimit-Reset": str(reset),
            "inin-ratelimit-count": str(used),
            "inin-ratelimit-allowed": str(self.budget),
            "inin-ratelimit-reset": str(reset),
        }
        if used > self.budget:
            headers["Retry-After"] = str(reset)
            message = f"rate limit of {self.budget} requests per window exceeded"
            return headers, self.error(429, "too.many.requests", message)
        if fault := self._take_fault(request):
            if fault.kind == "http_429":
                headers["Retry-After"] = self._retry_after(fault.retry_after)
                return headers, self.error(429, "too.many.requests", "injected throttle")
            return headers, self.error(fault.status, "service.unavailable", "injected failure")
        if scope not in granted or scope not in self.allowed:
            message = f"the token lacks the scope {scope} this endpoint needs"
            return headers, self.error(403, "missing.scope", message)
        return headers, None

    def _retry_after(self, seconds: int) -> str:
        if not self.quirks.retry_after_date:
            return str(seconds)
        when = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=seconds + 1)
        return format_datetime(when, usegmt=True)

    def _take_fault(self, request: Request) -> Fault | None:
        for fault in self.faults:
            method_ok = fault.method is None or fault.method.upper() == request.method
            if fault.count > 0 and method_ok and fault.path_contains in request.url.path:
                if fault.after > 0:
                    fault.after -= 1
                    continue
                fault.count -= 1
                fault.fired += 1
                return fault
        return None


def oauth_error(status: int, code: str, description: str) -> JSONResponse:
    body = {"error": code, "error_description": description, "status": status}
    return JSONResponse(body | {"message": description}, status_code=status)
