"""The completion-callback receiver for privacy requests: a small Starlette app.

`X-Genesys-Signature: t=<unix seconds>,v1=<hex>` where `v1 = HMAC-SHA256(secret, "<t>." + body)`.
A callback is accepted only if the signature matches, `t` is within 5 minutes of now and the
`(requestId, t)` pair has not been accepted before; anything else is answered 401 and changes no
request state. An accepted callback is written durably to the privacy area's inbox (atomic, 0600),
where the tracking sensor acts on it at its next tick. The receiver never touches the catalog
(DuckDB has one writer; Dagster runs hold it), and never stores the presigned `downloadUrl`.
Refusals are noted (reason only) in `webhooks/rejected/` so the sensor can audit them.

The same app serves `POST /genesys/events` (`events.EVENTS_PATH`): `data.action.updated`
events from the webhook `defs/data_actions/webhook.ensure_webhook` registers, signed the same way
but with the client-chosen webhook secret (`CX_GENESYS_WEBHOOK_SECRET`). The same stale/replay
rules apply (401, nothing stored); verified events go to `events.EventInbox`.

Run it with `serve_webhooks(["--port", "8780"])` (the CLI's `cx-assets webhooks serve`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import hmac
import json
import logging
import os
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from cx_assets import settings
from cx_assets.genesys.privacy.models import PrivacyCallback
from cx_assets.lake.privacy import FILE_MODE, PrivacyArea, private_dir, write_private_json
from cx_assets.receiver import events
from cx_assets.receiver.events import ActionEvent, EventInbox

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Genesys-Signature"
TOLERANCE_S = 300.0
CALLBACK_PATH = "/privacy/callback"
SECRET_ENV = "CX_PRIVACY_WEBHOOK_SECRET"
#: The emulator's default secret: used only when `CX_PRIVACY_WEBHOOK_SECRET` is not set.
EMULATOR_WEBHOOK_SECRET = "emulator-webhook-secret"
DEFAULT_PORT = 8780
_SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")


class SignatureRejected(ValueError):
    """Why a callback was refused: bad or missing signature, stale, or replayed."""


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The header value for `body` sent at `timestamp` (for tests and other senders)."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify_signature(
    header: str | None, body: bytes, secret: str, *, now: float, tolerance_s: float = TOLERANCE_S
) -> int:
    """The signed timestamp if `header` signs `body` with `secret` recently enough."""
    if not header:
        raise SignatureRejected(f"missing {SIGNATURE_HEADER} header")
    parts: dict[str, list[str]] = {}
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        parts.setdefault(key, []).append(value)
    try:
        [t_text] = parts.get("t", [])
        timestamp = int(t_text)
    except ValueError:
        raise SignatureRejected("signature header has no single integer t=") from None
    expected = sign(secret, timestamp, body).split("v1=", 1)[1]
    if not any(hmac.compare_digest(expected, v) for v in parts.get("v1", [])):
        raise SignatureRejected("signature does not match the body")
    age = now - timestamp
    if abs(age) > tolerance_s:
        raise SignatureRejected(
            f"signature timestamp is {age:.0f} s from now (at most {tolerance_s:.0f} s)"
        )
    return timestamp


@dataclass(frozen=True)
class InboxEntry:
    path: Path
    request_id: str
    status: str
    entity_type: str | None
    signed_at: int
    received_at: str


class PrivacyInbox:
    """Verified callbacks on disk: written by the receiver, consumed by the tracking sensor."""

    def __init__(self, area: PrivacyArea) -> None:
        self.area = area.ensure()

    def _marker(self, request_id: str, timestamp: int) -> Path:
        key = hashlib.sha256(f"{request_id}:{timestamp}".encode()).hexdigest()[:40]
        return self.area.seen_dir / key

    def accept(self, callback: PrivacyCallback, timestamp: int) -> bool:
        """Store the callback; False (nothing stored) if `(requestId, t)` was accepted before."""
        marker = self._marker(callback.request_id, timestamp)
        try:  # O_EXCL: of two concurrent deliveries exactly one wins
            os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY, FILE_MODE))
        except FileExistsError:
            return False
        entry = {
            "requestId": callback.request_id,
            "status": callback.status,
            "entityType": callback.entity_type,
            "t": timestamp,
            "receivedAt": dt.datetime.now(dt.UTC).isoformat(),
        }
        try:
            write_private_json(self.area.inbox_dir / f"{timestamp}-{marker.name}.json", entry)
        except BaseException:
            marker.unlink(missing_ok=True)  # let the sender's retry through
            raise
        return True

    def note_rejection(self, reason: str, request_id: str | None, timestamp: int | None) -> None:
        note = {
            "reason": reason,
            "requestId": request_id if request_id and _SAFE_ID.fullmatch(request_id) else None,
            "t": timestamp,
            "receivedAt": dt.datetime.now(dt.UTC).isoformat(),
        }
        name = f"{time.time_ns()}-{uuid.uuid4().hex[:8]}.json"
        write_private_json(self.area.rejected_callbacks_dir / name, note)

    def pending(self) -> list[InboxEntry]:
        """Accepted callbacks not yet acted on, oldest first."""
        entries = []
        for path in sorted(self.area.inbox_dir.glob("*.json")):
            data = json.loads(path.read_text())
            entries.append(
                InboxEntry(
                    path,
                    data["requestId"],
                    data["status"],
                    data.get("entityType"),
                    int(data["t"]),
                    data["receivedAt"],
                )
            )
        return entries

    def mark_done(self, entry: InboxEntry) -> None:
        private_dir(self.area.done_dir)
        os.replace(entry.path, self.area.done_dir / entry.path.name)

    def rejections(self) -> list[tuple[Path, dict[str, Any]]]:
        folder = self.area.rejected_callbacks_dir
        return [(p, json.loads(p.read_text())) for p in sorted(folder.glob("*.json"))]

    def mark_rejection_audited(self, path: Path) -> None:
        done = private_dir(self.area.rejected_callbacks_dir / "audited")
        os.replace(path, done / path.name)


def _peek_ids(body: bytes) -> tuple[str | None, int | None]:
    """A requestId from an unverified body, only for the rejection note (never trusted)."""
    try:
        data = json.loads(body)
        return (data.get("requestId") if isinstance(data, dict) else None), None
    except ValueError:
        return None, None


def _events_endpoint(
    data_root: Path, secret: str, tolerance_s: float, clock: Callable[[], float]
) -> Callable[[Request], Any]:
    """`POST EVENTS_PATH`: verify, refuse replays, store the `data.action.updated` event."""
    inbox = EventInbox(data_root)

    def refuse(reason: str, timestamp: int | None = None) -> JSONResponse:
        inbox.note_rejection(reason, timestamp)
        log.warning("data action event refused: %s", reason)
        return JSONResponse({"error": "unauthorized", "message": reason}, status_code=401)

    async def events(request: Request) -> JSONResponse:
        body = await request.body()
        now = clock()
        try:
            header = request.headers.get(SIGNATURE_HEADER)
            timestamp = verify_signature(header, body, secret, now=now, tolerance_s=tolerance_s)
        except SignatureRejected as exc:
            return refuse(str(exc))
        try:
            event = ActionEvent.model_validate_json(body)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "body"
            return JSONResponse(
                {
                    "error": "bad_request",
                    "message": f"not a data action event: {where}: {first['msg']}",
                },
                status_code=400,
            )
        inbox.forget_seen_before(now - 2 * tolerance_s)
        if not inbox.accept(body, event, timestamp):
            return refuse(f"replayed event (t={timestamp}) already accepted", timestamp)
        log.info("data action event accepted: %s v%s", event.action_id, event.version)
        return JSONResponse({"accepted": True, "eventId": event.event_id}, status_code=202)

    return events


def create_webhook_app(
    data_root: Path,
    secret: str,
    *,
    events_secret: str | None = None,
    tolerance_s: float = TOLERANCE_S,
    clock: Callable[[], float] = time.time,
) -> Starlette:
    """The receiver app: privacy callbacks verified with `secret`, data action events with
    `events_secret` (default: `CX_GENESYS_WEBHOOK_SECRET` or the emulator default).
    `clock` is injectable so tests can age a signature."""
    events_secret = events_secret or events.receiver_secret_from_env()
    if not secret or not events_secret:
        raise ValueError("the webhook secrets must not be empty")
    inbox = PrivacyInbox(PrivacyArea(Path(data_root)))

    def refuse(reason: str, body: bytes, timestamp: int | None = None) -> JSONResponse:
        request_id, _ = _peek_ids(body)
        inbox.note_rejection(reason, request_id if isinstance(request_id, str) else None, timestamp)
        log.warning("privacy callback refused: %s", reason)
        return JSONResponse({"error": "unauthorized", "message": reason}, status_code=401)

    async def callback(request: Request) -> JSONResponse:
        body = await request.body()
        try:
            timestamp = verify_signature(
                request.headers.get(SIGNATURE_HEADER),
                body,
                secret,
                now=clock(),
                tolerance_s=tolerance_s,
            )
        except SignatureRejected as exc:
            return refuse(str(exc), body)
        try:
            parsed = PrivacyCallback.model_validate_json(body)
        except ValidationError as exc:
            return JSONResponse(
                {"error": "bad_request", "message": f"not a privacy callback: {exc.errors()[0]}"},
                status_code=400,
            )
        if not inbox.accept(parsed, timestamp):
            return refuse(
                f"replayed callback (requestId, t={timestamp}) already accepted", body, timestamp
            )
        log.info("privacy callback accepted: %s %s", parsed.request_id, parsed.status)
        return JSONResponse({"accepted": True, "requestId": parsed.request_id}, status_code=202)

    async def health(_: Request) -> JSONResponse:
        return JSONResponse({"ok": True})

    return Starlette(
        routes=[
            Route(CALLBACK_PATH, callback, methods=["POST"]),
            Route(
                events.EVENTS_PATH,
                _events_endpoint(Path(data_root), events_secret, tolerance_s, clock),
                methods=["POST"],
            ),
            Route("/health", health, methods=["GET"]),
        ]
    )


def webhook_secret_from_env() -> str:
    return os.environ.get(SECRET_ENV) or EMULATOR_WEBHOOK_SECRET


def serve_webhooks(argv: list[str]) -> int:
    """`cx-assets webhooks serve [--host H] [--port P] [--data-dir D]`: run the receiver."""
    import uvicorn

    parser = argparse.ArgumentParser(
        prog="cx-assets webhooks serve",
        description="Receive signed privacy-request completion callbacks "
        f"(POST {CALLBACK_PATH}; secret {SECRET_ENV}) and data action events "
        f"(POST {events.EVENTS_PATH}; secret {events.SECRET_ENV}).",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--data-dir", type=Path, default=None, help="data root (CX_DATA_DIR)")
    args = parser.parse_args(argv)
    for variable in (SECRET_ENV, events.SECRET_ENV):
        if not os.environ.get(variable):
            print(f"{variable} is not set: using the emulator's default secret")
    data_root = (args.data_dir or settings.data_dir()).resolve()
    app = create_webhook_app(data_root, webhook_secret_from_env())
    base = f"http://{args.host}:{args.port}"
    print(f"privacy callbacks: {base}{CALLBACK_PATH} -> {data_root}")
    print(f"data action events: {base}{events.EVENTS_PATH} -> {data_root}")
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0
