"""Errors raised by the transport: what was called, what the server said, nothing secret.

`str(error)` reads like `POST /api/v2/dataexports -> 400: endDate must be after startDate`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from urllib.parse import urlsplit

import httpx

from cx_assets.http.redact import redact, redact_url

_SNIPPET_CHARS = 300


class ApiError(Exception):
    """A call that failed. `status` is None when no HTTP answer arrived (connection, timeout).

    `retry_after` is the answer's `Retry-After` header as sent (None without one), so a caller
    that retries on its own (a presigned download) can honour it too."""

    retry_after: str | None = None

    def __init__(
        self,
        status: int | None,
        method: str,
        url: str | httpx.URL,
        message: str,
        *,
        code: str | None = None,
    ) -> None:
        self.status = status
        self.method = method.upper()
        self.url = redact_url(url)
        self.message = message
        self.code = code
        super().__init__(str(self))

    @property
    def path(self) -> str:
        return urlsplit(self.url).path or "/"

    @property
    def transient(self) -> bool:
        """No answer, a timeout, throttling or a server error: a later attempt may succeed."""
        return self.status is None or self.status in (408, 429) or self.status >= 500

    def __str__(self) -> str:
        outcome = str(self.status) if self.status is not None else "no response"
        return f"{self.method} {self.path} -> {outcome}: {self.message}"

    def __reduce__(self):  # keep pickling (multiprocess executors) working with kw-only args
        return (_rebuild, (type(self), self.__dict__.copy()))


def _rebuild(cls: type[ApiError], state: dict) -> ApiError:
    error = cls.__new__(cls)
    error.__dict__.update(state)
    Exception.__init__(error, str(error))
    return error


class AuthError(ApiError):
    """401: credentials rejected, or the API refused a freshly refreshed token."""


class ForbiddenError(ApiError):
    """403: the token lacks a scope/permission, or a presigned URL expired or was tampered."""


class NotFoundError(ApiError):
    """404: the resource does not exist (or is not visible to this client)."""


class ConflictError(ApiError):
    """409: the resource is not in a state that allows this (e.g. export not COMPLETED yet)."""


class UnreadableResponse(ApiError):
    """A 2xx whose body lacks what the caller needs (a field missing, of the wrong type, not
    JSON). A retry would read the same, so it fails once, naming the field and what arrived."""


class RetriesExhausted(ApiError):
    """The retry policy gave up; `last_error` is the final attempt's failure."""

    def __init__(
        self, last_error: ApiError, *, attempts: int, elapsed_s: float, reason: str = ""
    ) -> None:
        self.last_error = last_error
        self.attempts = attempts
        self.elapsed_s = elapsed_s
        why = f" ({reason})" if reason else ""
        super().__init__(
            last_error.status,
            last_error.method,
            last_error.url,
            f"gave up after {attempts} attempt(s) in {elapsed_s:.1f} s{why}; "
            f"last: {last_error.message}",
            code=last_error.code,
        )


_BY_STATUS: dict[int, type[ApiError]] = {
    401: AuthError,
    403: ForbiddenError,
    404: NotFoundError,
    409: ConflictError,
}


def server_message(response: httpx.Response) -> tuple[str, str | None]:
    """(message, code) from an error body: Genesys `message`, OAuth `error_description`/`error`,
    else a short text snippet, else the reason phrase. The response must have been read."""
    try:
        text = response.text if response.content else ""
    except httpx.ResponseNotRead:  # the body broke off mid-read
        text = ""
    code: str | None = None
    try:
        body = json.loads(text) if text else None
    except ValueError:
        body = None
    if isinstance(body, dict):
        code = _str_or_none(body.get("code")) or _str_or_none(body.get("error"))
        for key in ("message", "error_description", "error"):
            value = _str_or_none(body.get(key))
            if value:
                return value, code
    snippet = " ".join(text.split())
    if snippet:
        if len(snippet) > _SNIPPET_CHARS:
            snippet = snippet[:_SNIPPET_CHARS] + "…"
        return snippet, code
    return response.reason_phrase or "no message", code


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def error_from_response(
    method: str, response: httpx.Response, secrets: Iterable[str | None] = (), note: str = ""
) -> ApiError:
    """The ApiError subclass for a read, unsuccessful response; the message is redacted."""
    message, code = server_message(response)
    message = redact(message + note, secrets)
    cls = _BY_STATUS.get(response.status_code, ApiError)
    error = cls(response.status_code, method, response.request.url, message, code=code)
    error.retry_after = response.headers.get("Retry-After")
    return error


def error_from_exception(
    method: str, url: str | httpx.URL, exc: Exception, secrets: Iterable[str | None] = ()
) -> ApiError:
    """An ApiError (status None) for a request that got no HTTP answer."""
    detail = redact(str(exc), secrets)
    kind = type(exc).__name__
    message = f"{kind}: {detail}" if detail else kind
    return ApiError(None, method, url, message)
