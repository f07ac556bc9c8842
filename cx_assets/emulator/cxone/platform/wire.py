"""What every platform route shares: OAuth-style error bodies, form-or-JSON bodies, the issuer."""

from __future__ import annotations

import json
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import JSONResponse

from cx_assets.emulator.context import EmulatorContext
from cx_assets.emulator.cxone.platform.service import SERVICE, PlatformService

PREFIX = "/cxone-platform"


def service(request: Request) -> PlatformService:
    return request.app.state.ctx.services[SERVICE]


def context(request: Request) -> EmulatorContext:
    return request.app.state.ctx


def issuer(request: Request) -> str:
    """`<scheme>://<host:port>/cxone-platform`, as the client reached it."""
    return f"{request.url.scheme}://{request.url.netloc}{PREFIX}"


def error(
    status: int, code: str, description: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    """CXone's OAuth-style error body: `{"error", "error_description"}`."""
    body = {"error": code, "error_description": description}
    return JSONResponse(body, status_code=status, headers=headers)


async def fields(request: Request) -> dict[str, str]:
    """A JSON object or a urlencoded form body as strings (TAP-N sends forms where docs say JSON).

    Parsed with the stdlib, so python-multipart is not needed; an unreadable body is empty.
    """
    raw = await request.body()
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            data = json.loads(raw or b"{}")
        except ValueError:
            return {}
        if not isinstance(data, dict):
            return {}
        return {str(k): str(v) for k, v in data.items() if v is not None}
    return {k: v[-1] for k, v in parse_qs(raw.decode("latin-1")).items()}
