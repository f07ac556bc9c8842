"""Wire pieces of the independent tutorial CXone server: timestamp spellings and cut connections.

`CutConnections` wraps the ASGI app so a handler can lose its answer (`request.scope
["cxone.cut"] = "before_answer"`: the work is done, nothing reaches the client) or stop half-way
through the body (`"mid_body"`, after the full `Content-Length` was announced). ASGI cannot say
"close the socket", so it aborts uvicorn's transport behind the raw `send`.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import UTC, datetime
from typing import Any

from starlette.responses import Response

from cx_assets_tests.independent.loopback import abort_connection

Message = MutableMapping[str, Any]
Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
CUT_KEY = "cxone.cut"


def json_response(body: object, status: int = 200, params: bool = False) -> Response:
    """A JSON answer; `params` (quirk `content_type_params`) adds `; charset=utf-8`."""
    media = "application/json; charset=utf-8" if params else "application/json"
    data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    return Response(data, status_code=status, headers={"content-type": media})


def parse_request_instant(text: object) -> datetime | None:
    """`2024-01-01T00:00:00.000Z` exactly (the contract's request rule), else None."""
    if not isinstance(text, str) or len(text) != 24 or not text.endswith("Z"):
        return None
    try:
        parsed = datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ")
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if text[19] == "." else None


def ms_z(when: datetime) -> str:
    """ISO 8601 UTC with milliseconds and `Z`, the spelling the records use."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def stamp(when: datetime, offset: bool, no_millis: bool) -> str:
    """A server-written instant in the spelling the quirks ask for."""
    when = when.astimezone(UTC)
    text = when.strftime("%Y-%m-%dT%H:%M:%S")
    if not no_millis:
        text += f".{when.microsecond // 1000:03d}"
    return text + ("+00:00" if offset else "Z")


class CutConnections:
    """ASGI middleware: honours a handler's cut by aborting the connection."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        scope[CUT_KEY] = None
        done = False

        async def guarded(message: Message) -> None:
            nonlocal done
            mode = scope.get(CUT_KEY)
            if done or mode == "before_answer":
                return
            if mode == "mid_body" and message["type"] == "http.response.body":
                body = message.get("body", b"")
                half = body[: len(body) // 2]
                await send({"type": "http.response.body", "body": half, "more_body": True})
                done = True
                return
            await send(message)

        await self.app(scope, receive, guarded)
        if scope.get(CUT_KEY) is not None:
            await abort_connection(send)
