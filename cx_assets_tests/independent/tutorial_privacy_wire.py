"""HTTP pieces of the independent tutorial privacy server: timestamp spellings and cut
connections.

`CutConnections` wraps the ASGI app so a handler can end its connection without an answer
(`before_answer`) or half-way through the body (`mid_body`, after the full `Content-Length` was
promised). ASGI cannot say "close the socket", so it aborts uvicorn's transport (the object
behind the raw `send`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request

from cx_assets_tests.independent.loopback import abort_connection
from cx_assets_tests.independent.tutorial_privacy_quirks import Quirks

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
CUT_KEY = "tutorial_privacy.cut"


def stamp(moment: datetime, quirks: Quirks) -> str:
    """A server timestamp in UTC as the quirks spell it (milliseconds truncated)."""
    moment = moment.astimezone(UTC)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if not quirks.timestamps_no_millis:
        text += f".{moment.microsecond // 1000:03d}"
    return text + ("+00:00" if quirks.timestamps_offset else "Z")


def cut(request: Request, mode: str) -> None:
    """Ask `CutConnections` to end this request's connection: `before_answer` or `mid_body`."""
    request.scope[CUT_KEY]["mode"] = mode


class CutConnections:
    """ASGI middleware: honours a handler's `cut` by aborting the connection."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state: dict[str, str | None] = {"mode": None}
        scope[CUT_KEY] = state
        done = False

        async def guarded(message: Message) -> None:
            nonlocal done
            if done or state["mode"] == "before_answer":
                return
            if state["mode"] == "mid_body" and message["type"] == "http.response.body":
                body = message.get("body", b"")
                await send(
                    {
                        "type": "http.response.body",
                        "body": body[: len(body) // 2],
                        "more_body": True,
                    }
                )
                done = True
                return
            await send(message)

        await self.app(scope, receive, guarded)
        if state["mode"] is not None:
            await abort_connection(send)
