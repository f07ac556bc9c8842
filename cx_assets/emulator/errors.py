"""Genesys-style JSON errors: `{"status", "code", "message"}`; the message names field and limit."""

from __future__ import annotations

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


class ApiError(Exception):
    """Raised by a route; becomes a JSON error response."""

    def __init__(
        self,
        status: int,
        message: str,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code or _CODES.get(status, "error")
        self.headers = headers


def error_response(
    status: int, message: str, code: str | None = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    body = {"status": status, "code": code or _CODES.get(status, "error"), "message": message}
    return JSONResponse(body, status_code=status, headers=headers)


async def json_body(request: Request, shape: str = "JSON") -> Any:
    """The request's JSON body, or a 400 saying what the body must be."""
    try:
        return await request.json()
    except ValueError as exc:
        raise ApiError(400, f"the body must be {shape}") from exc


async def handle_api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.message, exc.code, exc.headers)


async def handle_http_exception(request: Request, exc: Exception) -> Response:
    """Starlette's own 404/405 in the same JSON shape as every other error."""
    assert isinstance(exc, HTTPException)
    message = exc.detail if exc.status_code != 404 else f"no such resource: {request.url.path}"
    return error_response(exc.status_code, str(message), headers=exc.headers)


EXCEPTION_HANDLERS = {ApiError: handle_api_error, HTTPException: handle_http_exception}
