"""What the platform data tables routes share: the service, ErrorBody errors, page numbers.

Errors are always the real `ErrorBody` here (errors.platform_error_response), whatever
`errors.PLATFORM_PREFIXES` says about `/api/v2/flows/`, so these routes answer like Genesys.
Paging is Genesys's page-number envelope, shared by every platform flow (emulator/paging.py).
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from cx_assets.emulator.context import EmulatorContext
from cx_assets.emulator.errors import ApiError, platform_error_response
from cx_assets.emulator.genesys.datatables.platform_jobs import PlatformJobs
from cx_assets.emulator.genesys.datatables.platform_store import PlatformTables

SERVICE = "platform_datatables"
VIEW = "architect:datatable:view"
EDIT = "architect:datatable:edit"
ROW_VIEW = "architect:datatableRow:view"
ROW_ADD = "architect:datatableRow:add"
ROW_EDIT = "architect:datatableRow:edit"
ROW_DELETE = "architect:datatableRow:delete"
MAX_TABLES_PAGE_SIZE = 100

Handler = Callable[[Request], Awaitable[Response]]


@dataclass
class PlatformService:
    """The one service the platform data tables API starts with the app."""

    tables: PlatformTables
    jobs: PlatformJobs

    def close(self) -> None:
        self.jobs.close()


def platform_route(handler: Handler) -> Handler:
    """Turn an ApiError raised by `handler` (or a permission check) into the real ErrorBody."""

    @functools.wraps(handler)
    async def run(request: Request) -> Response:
        try:
            return await handler(request)
        except ApiError as exc:
            return platform_error_response(
                exc.status, exc.message, exc.code, exc.headers, exc.field
            )

    return run


def ctx_of(request: Request) -> EmulatorContext:
    return request.app.state.ctx


def service(request: Request) -> PlatformService:
    return ctx_of(request).services[SERVICE]


def base_url(request: Request) -> str:
    """The emulator's own base URL as the caller reached it (for absolute signed URLs)."""
    return str(request.base_url).rstrip("/")


def bool_param(request: Request, name: str, default: bool) -> bool:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() not in ("true", "false"):
        raise ApiError(400, f"{name} must be true or false, got {raw!r}", field=name)
    return raw.lower() == "true"


def descending(request: Request) -> bool:
    raw = (request.query_params.get("sortOrder") or "ascending").lower()
    if raw not in ("asc", "ascending", "desc", "descending"):
        raise ApiError(
            400, f"sortOrder must be ascending or descending, got {raw!r}", field="sortOrder"
        )
    return raw.startswith("desc")
