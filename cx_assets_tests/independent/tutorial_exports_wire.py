"""Wire pieces of the independent tutorial exports server: timestamps, presigned URLs, the
server-side faults and cut connections (docs/api-contract.md "### Presigned file URLs").

`CutConnections` wraps the ASGI app so a handler can end its connection without an answer or in
the middle of a body: ASGI cannot say "close the socket", so it aborts uvicorn's transport (the
object behind the raw `send`) and waits until uvicorn sees the connection gone.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from urllib.parse import quote, urlencode

from cx_assets_tests.independent.loopback import abort_connection
from cx_assets_tests.independent.tutorial_exports_quirks import Quirks

Scope = MutableMapping[str, object]
Message = MutableMapping[str, object]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
CUT_KEY = "independent.exports.cut"
AMZ_DATE = "%Y%m%dT%H%M%SZ"


def stamp(moment: datetime, quirks: Quirks) -> str:
    """`createdAt` / `completedAt` as the quirks spell them."""
    text = moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    if not quirks.timestamps_no_millis:
        text += f".{moment.microsecond // 1000:03d}"
    return text + ("+00:00" if quirks.timestamps_offset else "Z")


def retry_after(seconds: int, quirks: Quirks, now: datetime) -> str:
    """Whole seconds, or an HTTP date that far ahead (plus one, so rounding never shortens it)."""
    if not quirks.retry_after_date:
        return str(seconds)
    return format_datetime(now.replace(microsecond=0) + timedelta(seconds=seconds + 1), True)


@dataclass
class Signer:
    """HMAC-SHA256 over path, date and expiry. `retire()` keeps the old key so URLs signed
    with it are reported expired rather than tampered."""

    secret: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    retired: list[bytes] = field(default_factory=list)

    def signature(self, key: bytes, path: str, date: str, expires: str) -> str:
        message = f"{path}\n{date}\n{expires}".encode()
        return hmac.new(key, message, hashlib.sha256).hexdigest()

    def query(self, path: str, signed_at: datetime, expires: int, quirks: Quirks) -> str:
        date = signed_at.astimezone(UTC).strftime(AMZ_DATE)
        sig = self.signature(self.secret, path, date, str(expires))
        if not quirks.uri_param_order:
            return urlencode(
                [("X-Amz-Date", date), ("X-Amz-Expires", expires), ("X-Amz-Signature", sig)]
            )
        credential = f"independent/{date[:8]}/us-east-1/s3/aws4_request"
        pairs = [
            ("X-Amz-Expires", str(expires)),
            ("X-Amz-Algorithm", "AWS4-HMAC-SHA256"),
            ("X-Amz-Credential", credential),
            ("X-Amz-Date", date),
            ("X-Amz-SignedHeaders", "host"),
            ("X-Amz-Signature", sig),
        ]
        return urlencode(pairs, quote_via=quote)

    def problem(self, path: str, query: dict[str, str], now: datetime) -> str | None:
        """Why a download is refused (403), or None."""
        date, expires, sig = (query.get(f"X-Amz-{k}") for k in ("Date", "Expires", "Signature"))
        if date is None or expires is None or sig is None:
            return "the URL is not presigned: X-Amz-Date, X-Amz-Expires, X-Amz-Signature needed"
        try:
            signed_at = datetime.strptime(date, AMZ_DATE).replace(tzinfo=UTC)
            lifetime = int(expires)
        except ValueError:
            return "X-Amz-Date or X-Amz-Expires is malformed"
        if hmac.compare_digest(sig, self.signature(self.secret, path, date, expires)):
            if now > signed_at + timedelta(seconds=lifetime):
                return "Request has expired: the presigned URL is no longer valid"
            return None
        for key in self.retired:
            if hmac.compare_digest(sig, self.signature(key, path, date, expires)):
                return "Request has expired: the presigned URL is no longer valid"
        return "The request signature does not match"

    def retire(self) -> None:
        self.retired.append(self.secret)
        self.secret = secrets.token_bytes(32)


API_FAULTS = ("http_429", "http_5xx")
SERVER_FAULTS = (
    "drop",
    "export_failed",
    "wrong_checksum",
    "expired_urls",
    "download_429",
    "download_5xx",
    "download_drop",
    "truncate",
    "corrupt",
)


@dataclass
class Fault:
    """A server-side fault for the next `count` matching events (after `after` pass).

    `drop` matches API calls by `path_contains` / `method`; the download kinds match by
    `partition` (the file's index, None: any) and `path_contains`; `export_failed` ends the
    next created exports FAILED with `reason`; `wrong_checksum` lists a wrong checksum for
    `partition` (None: 0) in the next manifests; `expired_urls` signs the next manifests' URLs
    already expired."""

    kind: str
    count: int = 1
    path_contains: str = ""
    method: str | None = None
    partition: int | None = None
    status: int = 503
    retry_after: int = 1
    reason: str = "injected failure: the export job failed"
    after: int = 0
    fired: int = 0

    def matches(
        self, kinds: tuple[str, ...], path: str, method: str, partition: int | None
    ) -> bool:
        if self.kind not in kinds or self.count <= 0 or self.path_contains not in path:
            return False
        if self.method is not None and self.method.upper() != method:
            return False
        return self.partition is None or partition is None or self.partition == partition


def take(
    faults: list[Fault],
    kinds: str | tuple[str, ...],
    path: str = "",
    method: str = "",
    partition: int | None = None,
) -> Fault | None:
    """The first live fault of one of `kinds` that matches, consumed once (or None)."""
    wanted = (kinds,) if isinstance(kinds, str) else kinds
    for fault in faults:
        if fault.matches(wanted, path, method, partition):
            if fault.after > 0:
                fault.after -= 1
                continue
            fault.count -= 1
            fault.fired += 1
            return fault
    return None


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
        cut = Cut()
        scope[CUT_KEY] = cut
        done = False

        async def guarded(message: Message) -> None:
            nonlocal done
            if done or cut.mode == "before_answer":
                return
            if cut.mode == "mid_body" and message["type"] == "http.response.body":
                body = message.get("body", b"")
                assert isinstance(body, bytes)
                await send({"type": "http.response.body", "body": body[: len(body) // 2]} | MORE)
                done = True
                return
            await send(message)

        await self.app(scope, receive, guarded)
        if cut.mode is not None:
            await abort_connection(send)


MORE = {"more_body": True}
