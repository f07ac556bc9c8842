"""The NICE CXone side of the emulator (under `/cxone`) and the data-lake webhook receiver.

The real CXone back-end API (platform mode) lives in `platform/`, mounted at `/cxone-platform`.

`mounts(ctx)` registers both services in `ctx.services` (closed with the app) and returns the two
mounts for the app. CXone has its own tokens and budget, checked by the shared `BearerGuard`
with CXone's instances and only `X-RateLimit-*` headers (no `inin-*`); request faults
(`http_429`, `http_5xx`, `slow`, …) reach it through the app's WireMiddleware like any path.

Routes: tutorial.py (token endpoint, exports) and lake_webhook.py; state: service.py (tokens,
budget, exports), store.py (export jobs), records.py (synthetic records), validation.py.
"""

from __future__ import annotations

from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Mount

from cx_assets.emulator.context import EmulatorContext
from cx_assets.emulator.cxone import lake_webhook, tutorial
from cx_assets.emulator.cxone import platform as cxone_platform
from cx_assets.emulator.cxone.lake_webhook import LakeWebhookStore
from cx_assets.emulator.cxone.service import CxoneService
from cx_assets.emulator.middleware import BearerGuard

CXONE_PREFIX = "/cxone"
LAKE_WEBHOOK_PREFIX = "/lake-webhook"
RATE_HEADERS = ("X-RateLimit-Remaining", "X-RateLimit-Reset")


def mounts(ctx: EmulatorContext) -> list[BaseRoute]:
    """Build CXone's and the receiver's state from `ctx.config` and mount their routes."""
    service = CxoneService.from_config(ctx.config)
    ctx.services["cxone"] = service
    ctx.services["lake_webhook"] = LakeWebhookStore(ctx.config.state_dir)
    guard = Middleware(
        BearerGuard,
        tokens=service.tokens,
        limiter=service.limiter,
        refused="expired, revoked, unknown or non-CXone tokens are refused",
        rate_headers=RATE_HEADERS,
    )
    return [
        Mount(CXONE_PREFIX, routes=tutorial.ROUTES, middleware=[guard]),
        Mount(LAKE_WEBHOOK_PREFIX, routes=lake_webhook.ROUTES),
        *cxone_platform.mounts(ctx),
    ]


__all__ = ["CXONE_PREFIX", "LAKE_WEBHOOK_PREFIX", "CxoneService", "LakeWebhookStore", "mounts"]
