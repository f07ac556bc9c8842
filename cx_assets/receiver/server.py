"""Our webhook receiver: a small Starlette app for signed privacy callbacks and events.

`POST /privacy/callback` (`privacy.CALLBACK_PATH`): a privacy request's completion callback,
verified with `CX_PRIVACY_WEBHOOK_SECRET` (`signing.verify_signature`: HMAC over `t` and the body,
`t` within 5 minutes). A bad, stale or replayed callback is answered 401 and changes no request
state; an accepted one goes to `privacy.PrivacyInbox`, where the tracking sensor acts on it.

`POST /genesys/events` (`events.EVENTS_PATH`): `data.action.updated` events from the webhook
`flows/rules_webhook.ensure_webhook` registers, signed the same way but with the client-chosen
webhook secret (`CX_GENESYS_WEBHOOK_SECRET`). The same stale/replay rules apply (401, nothing
stored); verified events go to `events.EventInbox`.

The receiver never touches the catalog (DuckDB has one writer; Dagster runs hold it).
Run it with `serve_webhooks(["--port", "8780"])` (the CLI's `cx-assets webhooks serve`).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from cx_assets import settings
from cx_assets.genesys.privacy.models import PrivacyCallback
from cx_assets.lake.privacy import PrivacyArea
from cx_assets.receiver import events
from cx_assets.receiver.events import ActionEvent, EventInbox
from cx_assets.receiver.privacy import (
    CALLBACK_PATH,
    SECRET_ENV,
    PrivacyInbox,
    webhook_secret_from_env,
)
from cx_assets.receiver.signing import (
    SIGNATURE_HEADER,
    TOLERANCE_S,
    SignatureRejected,
    verify_signature,
)

log = logging.getLogger(__name__)

DEFAULT_PORT = 8780


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
