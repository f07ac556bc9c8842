"""The app factory: shared state, middleware, and one line per vendor API in `APIS`."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Route

from cx_assets.emulator import admin, files
from cx_assets.emulator.auth import TOKEN_PATH, TokenStore, token_endpoint
from cx_assets.emulator.config import EmulatorConfig
from cx_assets.emulator.context import Api, EmulatorContext
from cx_assets.emulator.cxone import mounts as cxone_mounts
from cx_assets.emulator.errors import EXCEPTION_HANDLERS
from cx_assets.emulator.faults import FaultBoard
from cx_assets.emulator.genesys.conversations import platform as conversation_jobs
from cx_assets.emulator.genesys.conversations import tutorial as conversations
from cx_assets.emulator.genesys.datatables import platform as platform_datatables
from cx_assets.emulator.genesys.datatables import tutorial as datatables
from cx_assets.emulator.genesys.privacy import platform as gdpr
from cx_assets.emulator.genesys.privacy import tutorial as privacy
from cx_assets.emulator.genesys.rules import platform as platform_rules
from cx_assets.emulator.genesys.rules import tutorial as rules
from cx_assets.emulator.middleware import BearerGuard, WireMiddleware
from cx_assets.emulator.presign import Signer, load_or_create_secret
from cx_assets.emulator.ratelimit import RateLimiter
from cx_assets.emulator.stats import Stats

#: Every vendor API the emulator serves. A new API: a module exporting an `Api`, added here.
#: Tutorial and platform paths do not collide, so both modes are served at once.
APIS: tuple[Api, ...] = (
    conversations.API,
    conversation_jobs.API,
    datatables.API,
    platform_datatables.API,
    privacy.API,
    gdpr.API,
    rules.API,
    platform_rules.API,
)


def create_context(config: EmulatorConfig, apis: Sequence[Api] = APIS) -> EmulatorContext:
    config.state_dir.mkdir(parents=True, exist_ok=True)
    scopes = tuple(scope for api in apis for scope in api.scopes)
    return EmulatorContext(
        config=config,
        tokens=TokenStore(
            config.clients,
            config.client_scopes,
            scopes,
            config.token_ttl_s,
            client_permissions=config.client_permissions,
        ),
        limiter=RateLimiter(config.rate_limit_per_minute, window_s=config.rate_window_s),
        faults=FaultBoard(config.faults, seed=config.seed),
        stats=Stats(),
        signer=Signer(
            config.signing_secret or load_or_create_secret(config.state_dir), config.url_expiry_s
        ),
    )


def create_app(config: EmulatorConfig | None = None, apis: Sequence[Api] = APIS) -> Starlette:
    """The Genesys-side ASGI app; API services start with the app's lifespan."""
    config = config or EmulatorConfig.from_env()
    ctx = create_context(config, apis)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        for api in apis:
            if api.start is not None:
                ctx.services[api.name] = api.start(ctx)
        try:
            yield
        finally:
            for service in ctx.services.values():
                service.close()

    routes: list[BaseRoute] = [
        Route(TOKEN_PATH, token_endpoint, methods=["POST"]),
        *admin.ROUTES,
        *files.ROUTES,
    ]
    for api in apis:
        routes.extend(api.routes)
    routes.extend(cxone_mounts(ctx))  # NICE CXone at /cxone and the lake webhook receiver
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(WireMiddleware, ctx=ctx),
            Middleware(BearerGuard, tokens=ctx.tokens, limiter=ctx.limiter),
        ],
        exception_handlers=EXCEPTION_HANDLERS,
        lifespan=lifespan,
    )
    app.state.ctx = ctx
    return app
