"""Genesys-style JSON errors: `{"status", "code", "message"}`; the message names field and limit.

On platform paths (the real Platform API v2, `PLATFORM_PREFIXES`) the body is the real
`ErrorBody`: the same three keys plus `contextId`, `details` (naming the field when there is one)
and `errors`; the tutorial paths keep their first-contract shape.
"""

from __future__ import annotations

import uuid
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

_CODES = {
    400: "bad.request",
    401: "authentication.required",
    403: "missing.permissions",
    404: "not.found",
    405: "method.not.allowed",
    409: "conflict",
    429: "too.many.requests",
}
#: Paths of the real Genesys Cloud Platform API v2 that the emulator serves.
#: (`/api/v2/audits/query` itself is shared with the tutorial: its handler picks the shape.)
PLATFORM_PREFIXES = (
    "/api/v2/analytics/",
    "/api/v2/flows/",
    "/api/v2/gdpr/",
    "/api/v2/outbound/",
    "/api/v2/integrations/",
    "/api/v2/audits/query/",
)


def is_platform(path: str) -> bool:
    return path.startswith(PLATFORM_PREFIXES)


class ApiError(Exception):
    """Raised by a route; becomes a JSON error response."""

    def __init__(
        self,
        status: int,
        message: str,
        code: str | None = None,
        headers: dict[str, str] | None = None,
        field: str | None = None,
    ) -> None:
        """`field` is the request field at fault (platform bodies name it in `details`)."""
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code or _CODES.get(status, "error")
        self.headers = headers
        self.field = field


def error_response(
    status: int, message: str, code: str | None = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    body = {"status": status, "code": code or _CODES.get(status, "error"), "message": message}
    return JSONResponse(body, status_code=status, headers=headers)


def platform_error_response(
    status: int,
    message: str,
    code: str | None = None,
    headers: dict[str, str] | None = None,
    field: str | None = None,
) -> JSONResponse:
    """The real `ErrorBody`: message, code, status, contextId, details, errors."""
    details = [{"errorCode": "invalid.value", "fieldName": field}] if field else []
    body = {
        "message": message,
        "code": code or _CODES.get(status, "error"),
        "status": status,
        "contextId": str(uuid.uuid4()),
        "details": details,
        "errors": [],
    }
    return JSONResponse(body, status_code=status, headers=headers)


def rate_limited(retry_after_s: int, headers: dict[str, str] | None = None) -> JSONResponse:
    """The real 429 (DG-429): `Retry-After: N` and the body naming the same N seconds."""
    message = f"Rate limit exceeded the maximum. Retry the request in [{retry_after_s}] seconds"
    headers = {**(headers or {}), "Retry-After": str(retry_after_s)}
    return platform_error_response(429, message, "too.many.requests.retry.after", headers)


def error_response_for(
    path: str,
    status: int,
    message: str,
    code: str | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """The error body of the mode `path` belongs to."""
    shape = platform_error_response if is_platform(path) else error_response
    return shape(status, message, code, headers)


async def json_body(request: Request, shape: str = "JSON") -> Any:
    """The request's JSON body, or a 400 saying what the body must be."""
    try:
        return await request.json()
    except ValueError as exc:
        raise ApiError(400, f"the body must be {shape}") from exc


async def handle_api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    if is_platform(request.url.path):
        return platform_error_response(exc.status, exc.message, exc.code, exc.headers, exc.field)
    return error_response(exc.status, exc.message, exc.code, exc.headers)


async def handle_http_exception(request: Request, exc: Exception) -> Response:
    """Starlette's own 404/405 in the same JSON shape as every other error."""
    assert isinstance(exc, HTTPException)
    message = exc.detail if exc.status_code != 404 else f"no such resource: {request.url.path}"
    return error_response_for(request.url.path, exc.status_code, str(message), headers=exc.headers)


EXCEPTION_HANDLERS = {ApiError: handle_api_error, HTTPException: handle_http_exception}
