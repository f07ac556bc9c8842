"""The CXone bearer check and budget, on `/cxone/api/…` only.

The Genesys `BearerGuard` guards `/api/…` with the Genesys token store and announces the budget
with `inin-*` headers too; CXone has its own tokens and budget and only `X-RateLimit-*` headers,
so this guard reuses `TokenStore` and `RateLimiter` with CXone's own instances.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.routing import get_route_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cx_assets.emulator.auth import TokenStore
from cx_assets.emulator.errors import error_response
from cx_assets.emulator.ratelimit import RateLimiter

API_PREFIX = "/api/"
RATE_HEADERS = ("X-RateLimit-Remaining", "X-RateLimit-Reset")


class CxoneGuard:
    """401 without a live CXone token, then 429 with Retry-After over the per-client budget."""

    def __init__(self, app: ASGIApp, tokens: TokenStore, limiter: RateLimiter) -> None:
        self.app = app
        self.tokens = tokens
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # inside the /cxone mount: the route path is the part after the mount's prefix
        if scope["type"] != "http" or not get_route_path(scope).startswith(API_PREFIX):
            await self.app(scope, receive, send)
            return
        header = dict(scope["headers"]).get(b"authorization", b"").decode("latin-1")
        kind, _, token = header.partition(" ")
        grant = self.tokens.lookup(token.strip()) if kind.lower() == "bearer" else None
        if grant is None:
            reason = "a bearer token is required" if not token else "the token is invalid"
            response = error_response(
                401, f"{reason} (expired, revoked, unknown or non-CXone tokens are refused)"
            )
            response.headers["WWW-Authenticate"] = "Bearer"
            await response(scope, receive, send)
            return
        verdict = self.limiter.hit(grant.client_id)
        all_headers = verdict.headers()
        rate_headers = {name: all_headers[name] for name in RATE_HEADERS}
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
