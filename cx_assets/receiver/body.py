"""Reading a delivery's body under the receiver's caps, before anything else looks at it.

The declared `Content-Length` is checked up front (a body declared too large is refused
unread), and the stream is counted as it arrives, so a chunked body, or one whose sender lies,
is cut off at the cap too: memory per request never exceeds the cap plus one chunk, whatever is
posted. A body not complete within the timeout is refused (408) so a slow sender cannot hold a
slot, and a sender that hangs up mid-body is counted, not logged with a traceback. A refusal
for size, time or load answers `Connection: close`, so the server stops receiving the rest
instead of reading and discarding it.
"""

from __future__ import annotations

import asyncio

from starlette.requests import ClientDisconnect, Request

from cx_assets.receiver.limits import RETRY_AFTER_S, ReceiverLimits
from cx_assets.receiver.refusals import Refused

CLOSE = {"Connection": "close"}


class BodyGate:
    """At most `limits.max_concurrent_bodies` bodies read at once, each at most
    `limits.max_body_bytes`. One per app; used from the server's event loop."""

    def __init__(self, limits: ReceiverLimits) -> None:
        self.limits = limits
        self._slots = asyncio.Semaphore(limits.max_concurrent_bodies)

    def _too_large(self, size: int) -> Refused:
        cap = self.limits.max_body_bytes
        return Refused("too_large", 413, f"body larger than {cap} bytes", size=size, headers=CLOSE)

    async def read(self, request: Request) -> bytes:
        """The whole body, or `Refused` (413 too large, 408 too slow, 503 busy, 400 bad
        Content-Length or a sender gone mid-body)."""
        declared = request.headers.get("content-length")
        if declared is not None:
            if not declared.isdigit():
                raise Refused("malformed", 400, "Content-Length is not a number", headers=CLOSE)
            if int(declared) > self.limits.max_body_bytes:
                raise self._too_large(int(declared))
        if self._slots.locked():
            raise Refused(
                "busy",
                503,
                "too many deliveries at once; retry later",
                size=int(declared) if declared else None,
                headers={**CLOSE, "Retry-After": str(RETRY_AFTER_S)},
            )
        body = bytearray()
        async with self._slots:
            try:
                async with asyncio.timeout(self.limits.body_timeout_s):
                    async for chunk in request.stream():
                        if len(body) + len(chunk) > self.limits.max_body_bytes:
                            raise self._too_large(len(body) + len(chunk))
                        body += chunk
            except TimeoutError:
                message = f"body not complete within {self.limits.body_timeout_s:g} s"
                raise Refused("too_slow", 408, message, size=len(body), headers=CLOSE) from None
            except ClientDisconnect:
                raise Refused("disconnected", 400, "sender hung up", size=len(body)) from None
        return bytes(body)
