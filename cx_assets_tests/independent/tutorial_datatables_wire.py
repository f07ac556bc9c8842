"""Wire pieces of the independent tutorial data tables server: cursors and cut connections.

Cursors name the table, the version they were issued for and a position; contract line 275-279:
opaque, answered from the current version at their position, 400 when they cannot be decoded.

`CutConnections` wraps the ASGI app so a handler can end its connection without an answer, or
in the middle of the body (a truncated rows page): ASGI cannot close a socket, so it aborts
uvicorn's transport (the object behind the raw `send`) and waits until uvicorn sees it gone.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cx_assets_tests.independent.loopback import abort_connection

CUT_KEY = "tutorial_datatables.cut"
ESCAPED_PREFIX, ESCAPED_SUFFIX = "c+", "/="


@dataclass(frozen=True)
class Cursor:
    table_id: str
    version: int
    offset: int


def encode_cursor(cursor: Cursor, needs_escaping: bool) -> str:
    raw = json.dumps({"t": cursor.table_id, "v": cursor.version, "o": cursor.offset}).encode()
    if needs_escaping:
        return ESCAPED_PREFIX + base64.b64encode(raw).decode() + ESCAPED_SUFFIX
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(text: str) -> Cursor | None:
    """The cursor a spelling names, or None (either spelling is read in either mode)."""
    try:
        if text.startswith(ESCAPED_PREFIX) and text.endswith(ESCAPED_SUFFIX):
            inner = text[len(ESCAPED_PREFIX) : -len(ESCAPED_SUFFIX)]
            raw = base64.b64decode(inner, validate=True)
        else:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        data = json.loads(raw)
        cursor = Cursor(data["t"], data["v"], data["o"])
    except (binascii.Error, ValueError, TypeError, KeyError, UnicodeDecodeError):
        return None
    ints = all(
        isinstance(x, int) and not isinstance(x, bool) for x in (cursor.version, cursor.offset)
    )
    if not isinstance(cursor.table_id, str) or not ints or cursor.offset < 0:
        return None
    return cursor


@dataclass
class Cut:
    """Set by a handler: `before_answer` (nothing reaches the client) or `mid_body`."""

    mode: str | None = None


def cut_of(scope: MutableMapping[str, Any]) -> Cut:
    cut: Cut = scope[CUT_KEY]
    return cut


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
        if cut.mode is not None:
            await abort_connection(send)
