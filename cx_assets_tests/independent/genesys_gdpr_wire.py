"""HTTP pieces of the independent GDPR server: dates, ErrorBody, page envelopes, cut connections.

`CutConnections` wraps the ASGI app so a handler can end its connection without an answer, or
in the middle of a body: ASGI has no way to say "close the socket", so it aborts uvicorn's
transport (the object behind the raw `send`) and waits until uvicorn sees the connection gone.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse

from cx_assets_tests.independent.genesys_gdpr_quirks import Quirks
from cx_assets_tests.independent.loopback import abort_connection

Json = dict[str, Any]
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
CUT_KEY = "independent.cut"


def created_text(moment: datetime, quirks: Quirks) -> str:
    """`createdDate` as the quirks write it (truncated, never rounded, without milliseconds)."""
    moment = moment.astimezone(UTC)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if not quirks.created_no_millis:
        text += f".{moment.microsecond // 1000:03d}"
    return text + ("+00:00" if quirks.created_offset else "Z")


def fail(
    status: int,
    code: str,
    message: str,
    field: str | None = None,
    reason: str = "",
    extra: bool = False,
) -> JSONResponse:
    """A Genesys `ErrorBody`; `details[0].fieldName` and `messageParams` name the field."""
    details = [{"errorCode": code, "fieldName": field}] if field else []
    body: Json = {"message": message, "code": code, "status": status}
    body |= {"contextId": str(uuid.uuid4()), "details": details, "errors": []}
    if field:
        params = {"field": field} | ({"reason": reason} if reason else {})
        body |= {"messageWithParams": message, "messageParams": params}
    if extra:
        body["xIndependentError"] = {"where": field or ""}
    return JSONResponse(body, status_code=status)


class BadParam(ValueError):
    """A query parameter the server refuses: 400 naming it."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name


def int_param(request: Request, name: str, default: int, high: int | None = None) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or int(raw) < 1 or (high is not None and int(raw) > high):
        limit = f"1..{high}" if high is not None else "at least 1"
        raise BadParam(name, f"{name} must be an integer {limit}, got {raw!r}")
    return int(raw)


@dataclass
class Paging:
    """How a listing pages: largest `pageSize`, silent cap, and the quirks' envelope shape."""

    max_size: int
    cap: int | None
    quirks: Quirks


def envelope(request: Request, items: Sequence[Any], paging: Paging) -> Json:
    """The pageNumber envelope over `items`; URIs relative, other query parameters kept."""
    quirks = paging.quirks
    if paging.cap is None:
        size = int_param(request, "pageSize", 25, paging.max_size)
    else:
        size = min(int_param(request, "pageSize", 25), paging.cap)
    number = int_param(request, "pageNumber", 1)
    total, count = len(items), math.ceil(len(items) / size)
    kept = [(k, v) for k, v in request.query_params.multi_items()]
    kept = [(k, v) for k, v in kept if k not in ("pageNumber", "pageSize")]

    def uri(page: int) -> str:
        return f"{request.url.path}?{urlencode([*kept, ('pageSize', size), ('pageNumber', page)])}"

    body: Json = {"entities": items[(number - 1) * size : number * size]}
    body |= {"pageSize": size, "pageNumber": number}
    if not quirks.list_no_counts:
        body["total"] = total
        if not quirks.list_total_only:
            body |= {"pageCount": count, "lastUri": uri(max(count, 1))}
    body |= {"firstUri": uri(1), "selfUri": uri(number)}
    if number < count:
        body["nextUri"] = uri(number + 1)
    if number > 1:
        body["previousUri"] = uri(number - 1)
    if quirks.extra_fields:
        body["xIndependentPage"] = {"served": len(body["entities"])}
    return body


@dataclass
class Cut:
    """Set by a handler: `before_answer` (nothing reaches the client) or `mid_body`."""

    mode: str | None = None


class CutConnections:
    """ASGI middleware: honours a handler's `Cut` by aborting the connection."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cut = scope[CUT_KEY] = Cut()
        done = False

        async def guarded(message: Message) -> None:
            nonlocal done
            if done or cut.mode == "before_answer":
                return
            if cut.mode == "mid_body" and message["type"] == "http.response.body":
                body = message.get("body", b"")
                half = body[: len(body) // 2]
                await send({"type": "http.response.body", "body": half, "more_body": True})
                done = True
                return
            await send(message)

        await self.app(scope, receive, guarded)
        if cut.mode is not None:
            await abort_connection(send)
