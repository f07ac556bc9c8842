"""The real NICE CXone back-end API (platform mode) under `/cxone-platform`.

What docs/api-contract.md "# NICE CXone — platform mode" describes: discovery (discovery.py),
OAuth password/refresh grants and the access-key endpoints with JWTs (token_routes.py,
tokens.py), and the Reporting API `contacts/completed` (routes.py) over contacts generated per
day from (seed, day, index) (contacts.py, catalog.py) and selected as index ranges
(selection.py, query.py). Late updates (late_updates.py, updates.py) persist in the state dir.

Its own tokens and per-tenant budget, checked in routes.py rather than by `BearerGuard`
because CXone's 401 body is OAuth's `{"error": "invalid_token"}`; request faults (`http_429`,
`http_5xx`, `slow`, `hang`) reach it through the app's WireMiddleware like any path.
"""

from __future__ import annotations

from starlette.routing import BaseRoute, Mount

from cx_assets.emulator.context import EmulatorContext
from cx_assets.emulator.cxone.platform import discovery, late_updates, routes, token_routes
from cx_assets.emulator.cxone.platform.service import SERVICE, PlatformService
from cx_assets.emulator.cxone.platform.wire import PREFIX


def mounts(ctx: EmulatorContext) -> list[BaseRoute]:
    """Register the platform service in `ctx.services` and return its routes for the app."""
    ctx.services[SERVICE] = PlatformService(ctx.config)
    platform_routes = (*discovery.ROUTES, *token_routes.ROUTES, *routes.ROUTES)
    return [Mount(PREFIX, routes=platform_routes), *late_updates.ROUTES]


__all__ = ["PREFIX", "SERVICE", "PlatformService", "mounts"]
