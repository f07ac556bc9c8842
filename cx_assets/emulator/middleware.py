"""ASGI middleware: request counting, request-level faults, and the bearer/rate-limit guard.

Pure ASGI rather than BaseHTTPMiddleware, so multi-GB file bodies stream through untouched.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import anyio
from starlette.datastructures import MutableHeaders
from starlette.responses import JSONResponse
from starlette.routing import get_route_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cx_assets.emulator.auth import TokenStore
from cx_assets.emulator.context import EmulatorContext
from cx_assets.emulator.errors import error_response, error_response_for, is_platform, rate_limited
from cx_assets.emulator.faults import Fault
from cx_assets.emulator.ratelimit import RateLimiter

API_PREFIX = "/api/"
ADMIN_PREFIX = "/admin"


async def _hold(receive: Receive, delay_s: float) -> Receive | None:
    """Wait `delay_s` (or until the client hangs up: None), then replay the request body."""
    buffered: list[Message] = []
    more = True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        buffered.append(message)
        more = message.get("more_body", False)
    with anyio.move_on_after(delay_s):
        if (await receive())["type"] == "http.disconnect":
            return None

    async def replay() -> Message:
        return buffered.pop(0) if buffered else await receive()

    return replay


HTTP_DATE_RETRY_S = 2


def _retry_after(fault: Fault) -> str:
    if fault.retry_after == "http-date":
        when = datetime.now(UTC) + timedelta(seconds=HTTP_DATE_RETRY_S)
        return format_datetime(when, usegmt=True)
    return str(fault.retry_after if fault.retry_after is not None else 1)


def _injected_429(path: str, fault: Fault) -> ASGIApp:
    """The injected 429: the real body on platform paths, the first contract's elsewhere."""
    if is_platform(path):
        if fault.retry_after == "http-date":
            response = rate_limited(HTTP_DATE_RETRY_S)
            response.headers["Retry-After"] = _retry_after(fault)
            return response
        return rate_limited(int(fault.retry_after) if fault.retry_after is not None else 1)
    return error_response(
        429, "rate limit exceeded (injected fault)", headers={"Retry-After": _retry_after(fault)}
    )


class WireMiddleware:
    """Outermost layer: counts client requests and fires hang/slow/429/5xx faults."""

    def __init__(self, app: ASGIApp, ctx: EmulatorContext) -> None:
        self.app = app
        self.ctx = ctx

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or path.startswith(ADMIN_PREFIX):
            await self.app(scope, receive, send)
            return
        status = 0

        async def counting_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            faults = self.ctx.faults
            for kind in ("hang", "slow"):
                if (fault := faults.take(kind, path)) is not None:
                    held = await _hold(receive, fault.wait_s())
                    if held is None:
                        status = 499  # client went away while held
                        return
                    receive = held
            if (fault := faults.take("http_429", path)) is not None:
                await _injected_429(path, fault)(scope, receive, counting_send)
                return
            if (fault := faults.take("http_5xx", path)) is not None:
                code = fault.status or 503
                response = error_response_for(path, code, f"server error {code} (injected fault)")
                await response(scope, receive, counting_send)
                return
            if faults.take("unreadable_body", path) is not None:
                # A 200 whose body holds none of what the route promises: a server that changed
                # its shape, for clients that must fail once naming what they missed.
                response = JSONResponse({"unexpected": "shape (injected fault)"})
                await response(scope, receive, counting_send)
                return
            await self.app(scope, receive, counting_send)
        finally:
            self.ctx.stats.record(path, status or 500)


class BearerGuard:
    """On `{prefix}…`: 401 without a live token, then the per-client budget and its headers.

    One guard for both vendors: Genesys guards `/api/…` with its token store and announces the
    budget with every header family (only `inin-ratelimit-*`, and the real 429 body, on the
    platform paths); CXone (inside its `/cxone` mount, so the prefix is matched
    on the mount-relative route path) passes its own tokens, budget and `X-RateLimit-*` only.
    """

    def __init__(
        self,
        app: ASGIApp,
        tokens: TokenStore,
        limiter: RateLimiter,
        *,
        prefix: str = API_PREFIX,
        refused: str = "expired, revoked or unknown tokens are refused",
        rate_headers: tuple[str, ...] | None = None,
    ) -> None:
        """`rate_headers` picks the budget headers to send; None sends all of them."""
        self.app = app
        self.tokens = tokens
        self.limiter = limiter
        self.prefix = prefix
        self.refused = refused
        self.rate_headers = rate_headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not get_route_path(scope).startswith(self.prefix):
            await self.app(scope, receive, send)
            return
        header = dict(scope["headers"]).get(b"authorization", b"").decode("latin-1")
        kind, _, token = header.partition(" ")
        grant = self.tokens.lookup(token.strip()) if kind.lower() == "bearer" else None
        path = scope.get("path", "")
        if grant is None:
            reason = "a bearer token is required" if not token else "the token is invalid"
            response = error_response_for(path, 401, f"{reason} ({self.refused})")
            response.headers["WWW-Authenticate"] = "Bearer"
            await response(scope, receive, send)
            return
        verdict = self.limiter.hit(grant.client_id)
        platform = is_platform(path)  # the full path: inside the CXone mount it never matches
        rate_headers = verdict.inin_headers() if platform else verdict.headers()
        if self.rate_headers is not None and not platform:
            rate_headers = {name: rate_headers[name] for name in self.rate_headers}
        if not verdict.allowed and platform:
            await rate_limited(verdict.reset_s, rate_headers)(scope, receive, send)
            return
        if not verdict.allowed:
            rate_headers["Retry-After"] = str(verdict.reset_s)
            response = error_response(
                429,
                f"rate limit of {verdict.budget} requests per 60 s exceeded for client "
                f"{grant.client_id}; retry in {verdict.reset_s} s",
                headers=rate_headers,
            )
            await response(scope, receive, send)
            return
        scope["cx.grant"] = grant

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in rate_headers.items():
                    headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)
