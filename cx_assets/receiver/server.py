"""Our webhook receiver: a small Starlette app for signed privacy callbacks and events.

`POST /privacy/callback` (`privacy.CALLBACK_PATH`): a privacy request's completion callback,
verified with `CX_PRIVACY_WEBHOOK_SECRET` (`signing.verify_signature`: HMAC over `t` and the body,
`t` within 5 minutes). A bad, stale or replayed callback is answered 401 and changes no request
state; an accepted one goes to `privacy.PrivacyInbox`, where the tracking sensor acts on it.

`POST /genesys/events` (`events.EVENTS_PATH`): `data.action.updated` events from the webhook
`flows/rules_webhook.ensure_webhook` registers, signed the same way but with the client-chosen
webhook secret (`CX_GENESYS_WEBHOOK_SECRET`). The same stale/replay rules apply (401, nothing
stored); verified events go to `events.EventInbox`.

Anyone who reaches the port can post, so a refusal costs nothing that grows: bodies are read
under `limits.ReceiverLimits` (413 beyond the size cap, 503 beyond the bodies in flight or a
full inbox), and a refused delivery (401, 400, 413, 503) writes no file of its own; it is
counted in its route's `refusals.RefusalLedger`, whose sensor audits a summary. No response and
no log line quotes a body, a header or a secret. The receiver never touches the catalog (DuckDB
has one writer; Dagster runs hold it). Run it with `serve_webhooks(["--port", "8780"])` (the
CLI's `cx-assets webhooks serve`), which refuses to start with the emulator's public secrets
anywhere but beside the emulator on loopback (`startup.secret_problem`).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from cx_assets import settings
from cx_assets.genesys.privacy.models import PrivacyCallback
from cx_assets.lake.privacy import FILE_MODE, PrivacyArea
from cx_assets.receiver import events
from cx_assets.receiver.body import BodyGate
from cx_assets.receiver.events import ActionEvent, EventInbox
from cx_assets.receiver.limits import RETRY_AFTER_S, ReceiverLimits
from cx_assets.receiver.privacy import (
    CALLBACK_PATH,
    SECRET_ENV,
    PrivacyInbox,
    webhook_secret_from_env,
)
from cx_assets.receiver.refusals import RefusalLedger, Refused
from cx_assets.receiver.signing import (
    SIGNATURE_HEADER,
    TOLERANCE_S,
    SignatureRejected,
    verify_signature,
)
from cx_assets.receiver.startup import secret_problem

M = TypeVar("M", bound=BaseModel)

log = logging.getLogger(__name__)

DEFAULT_PORT = 8780
#: Pydantic error types whose message quotes the input; reported by type alone.
_QUOTING_ERRORS = {"union_tag_invalid", "union_tag_not_found"}
_FIELD_NAME_CHARS = 64


def _not_a(what: str, model: type[BaseModel], exc: ValidationError, size: int) -> Refused:
    """A 400 naming the first field that failed and why, without quoting the body: the field
    path is ours (the models ignore unknown keys) and the message is pydantic's fixed text."""
    first = exc.errors(include_url=False, include_input=False, include_context=False)[0]
    names = {f.alias or n for n, f in model.model_fields.items()} | set(model.model_fields)
    where = ".".join(
        p if isinstance(p, str) and p in names else ("[]" if isinstance(p, int) else "?")
        for p in first["loc"]
    )
    why = first["type"] if first["type"] in _QUOTING_ERRORS else first["msg"]
    if first["type"].startswith("json_"):
        why = "not valid JSON"
    message = f"not {what}: {where[:_FIELD_NAME_CHARS] or 'body'}: {why}"
    return Refused("malformed", 400, message, size=size)


def _verify(request: Request, body: bytes, secret: str, now: float, tolerance_s: float) -> int:
    try:
        header = request.headers.get(SIGNATURE_HEADER)
        return verify_signature(header, body, secret, now=now, tolerance_s=tolerance_s)
    except SignatureRejected as exc:
        raise Refused(exc.reason, 401, str(exc), size=len(body)) from None


@dataclass(frozen=True)
class _Delivery(Generic[M]):
    """A body read under the caps, its signature verified and its shape read as `parsed`."""

    body: bytes
    parsed: M
    timestamp: int
    received_at: float

    @property
    def size(self) -> int:
        return len(self.body)


async def _read_delivery(
    request: Request,
    gate: BodyGate,
    secret: str,
    tolerance_s: float,
    clock: Callable[[], float],
    model: type[M],
    what: str,
) -> _Delivery[M]:
    """What both routes do first; any refusal is raised as `Refused`."""
    body = await gate.read(request)
    now = clock()
    timestamp = _verify(request, body, secret, now, tolerance_s)
    try:
        parsed = model.model_validate_json(body)
    except ValidationError as exc:
        raise _not_a(what, model, exc, len(body)) from None
    return _Delivery(body, parsed, timestamp, now)


def _inbox_full(pending: int, limits: ReceiverLimits, size: int) -> Refused | None:
    if pending < limits.max_pending:
        return None
    return Refused(
        "inbox_full",
        503,
        f"{pending} deliveries wait for the sensor; retry later",
        size=size,
        headers={"Retry-After": str(RETRY_AFTER_S)},
    )


def _refusal_response(exc: Refused, ledger: RefusalLedger) -> JSONResponse:
    ledger.record(exc.reason, exc.size)
    return JSONResponse(
        {"error": exc.reason, "message": exc.message}, status_code=exc.status, headers=exc.headers
    )


def _privacy_endpoint(
    inbox: PrivacyInbox,
    ledger: RefusalLedger,
    gate: BodyGate,
    secret: str,
    tolerance_s: float,
    clock: Callable[[], float],
) -> Callable[[Request], object]:
    """`POST CALLBACK_PATH`: read under the caps, verify, refuse replays, store the callback."""

    async def callback(request: Request) -> JSONResponse:
        try:
            delivery = await _read_delivery(
                request, gate, secret, tolerance_s, clock, PrivacyCallback, "a privacy callback"
            )
            if full := _inbox_full(inbox.pending_count(), gate.limits, delivery.size):
                raise full
            parsed, timestamp, body = delivery.parsed, delivery.timestamp, delivery.body
            inbox.forget_seen_before(delivery.received_at - 2 * tolerance_s)
            if not inbox.accept(parsed, timestamp):
                message = f"replayed callback (requestId, t={timestamp}) already accepted"
                raise Refused("replay", 401, message, size=len(body))
        except Refused as exc:
            return _refusal_response(exc, ledger)
        log.info("privacy callback accepted: %s %s", parsed.request_id, parsed.status)
        return JSONResponse({"accepted": True, "requestId": parsed.request_id}, status_code=202)

    return callback


def _events_endpoint(
    inbox: EventInbox,
    ledger: RefusalLedger,
    gate: BodyGate,
    secret: str,
    tolerance_s: float,
    clock: Callable[[], float],
) -> Callable[[Request], object]:
    """`POST EVENTS_PATH`: read under the caps, verify, refuse replays, store the event."""

    async def receive_event(request: Request) -> JSONResponse:
        try:
            delivery = await _read_delivery(
                request, gate, secret, tolerance_s, clock, ActionEvent, "a data action event"
            )
            if full := _inbox_full(inbox.pending_count(), gate.limits, delivery.size):
                raise full
            event, timestamp, body = delivery.parsed, delivery.timestamp, delivery.body
            inbox.forget_seen_before(delivery.received_at - 2 * tolerance_s)
            if not inbox.accept(body, event, timestamp):
                message = f"replayed event (t={timestamp}) already accepted"
                raise Refused("replay", 401, message, size=len(body))
        except Refused as exc:
            return _refusal_response(exc, ledger)
        log.info("data action event accepted: %s v%s", event.action_id, event.version)
        return JSONResponse({"accepted": True, "eventId": event.event_id}, status_code=202)

    return receive_event


def create_webhook_app(
    data_root: Path,
    secret: str,
    *,
    events_secret: str | None = None,
    tolerance_s: float = TOLERANCE_S,
    clock: Callable[[], float] = time.time,
    limits: ReceiverLimits | None = None,
) -> Starlette:
    """The receiver app: privacy callbacks verified with `secret`, data action events with
    `events_secret` (default: `CX_GENESYS_WEBHOOK_SECRET` or the emulator default), bodies
    read under `limits` (default: from the environment). `clock` is injectable so tests can
    age a signature."""
    events_secret = events_secret or events.receiver_secret_from_env()
    if not secret or not events_secret:
        raise ValueError("the webhook secrets must not be empty")
    gate = BodyGate(limits or ReceiverLimits.from_env())
    privacy_inbox = PrivacyInbox(PrivacyArea(Path(data_root)))
    events_inbox = EventInbox(Path(data_root))
    privacy_refusals = RefusalLedger(
        privacy_inbox.refusals_path, CALLBACK_PATH, file_mode=FILE_MODE
    )
    event_refusals = RefusalLedger(events_inbox.refusals_path, events.EVENTS_PATH)

    async def health(_: Request) -> JSONResponse:
        return JSONResponse({"ok": True})

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        yield
        for ledger in (privacy_refusals, event_refusals):  # counts of the last interval
            if ledger.counts:
                ledger.flush()

    privacy_route = _privacy_endpoint(
        privacy_inbox, privacy_refusals, gate, secret, tolerance_s, clock
    )
    events_route = _events_endpoint(
        events_inbox, event_refusals, gate, events_secret, tolerance_s, clock
    )
    return Starlette(
        routes=[
            Route(CALLBACK_PATH, privacy_route, methods=["POST"]),
            Route(events.EVENTS_PATH, events_route, methods=["POST"]),
            Route("/health", health, methods=["GET"]),
        ],
        lifespan=lifespan,
    )


def serve_webhooks(argv: list[str]) -> int:
    """`cx-assets webhooks serve [--host H] [--port P] [--data-dir D]`: run the receiver.
    Exits 2 with one line, before listening, when the secrets or limits cannot serve `--host`."""
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
    problem = secret_problem(args.host, os.environ)
    try:
        limits = ReceiverLimits.from_env()
    except ValueError as exc:
        problem = problem or str(exc)
    if problem:
        print(f"cx-assets webhooks serve: {problem}", file=sys.stderr)
        return 2
    for variable in (SECRET_ENV, events.SECRET_ENV):
        if not os.environ.get(variable):
            print(f"{variable} is not set: using the emulator's default secret (loopback only)")
    data_root = (args.data_dir or settings.data_dir()).resolve()
    app = create_webhook_app(data_root, webhook_secret_from_env(), limits=limits)
    base = f"http://{args.host}:{args.port}"
    print(f"privacy callbacks: {base}{CALLBACK_PATH} -> {data_root}")
    print(f"data action events: {base}{events.EVENTS_PATH} -> {data_root}")
    print(
        f"limits: bodies up to {limits.max_body_bytes} bytes, {limits.max_concurrent_bodies} "
        f"at once, {limits.max_pending} pending per inbox"
    )
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0
