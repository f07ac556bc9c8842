"""What a stranger can make the receiver hold: a body over the cap is refused with 413 whether
its Content-Length says so or it arrives chunked without one, and the server's peak memory does
not grow with the posted size; more bodies in flight than the cap get 503 with Retry-After; a
full inbox refuses (503) rather than drops. No response, log line or file ever carries a byte of
what was posted, signed or not."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette

from cx_assets.lake.privacy import PrivacyArea
from cx_assets.receiver.events import EVENTS_PATH, EventInbox
from cx_assets.receiver.events import SECRET_ENV as EVENTS_SECRET_ENV
from cx_assets.receiver.limits import MAX_BODY_ENV, ReceiverLimits
from cx_assets.receiver.privacy import CALLBACK_PATH, SECRET_ENV, PrivacyInbox
from cx_assets.receiver.refusals import read_ledger
from cx_assets.receiver.server import create_webhook_app
from cx_assets_tests.receiver.loopback import (
    cli_env,
    peak_rss_bytes,
    serve,
    serve_cli,
    signed,
    wait_for,
)

PRIVACY_SECRET = "privacy-secret-1"
EVENTS_SECRET = "events-secret-1"
NOW = 1_710_000_000
MIB = 1 << 20
MARKER = b"ZQXJ-posted-bytes-JXQZ"


def _event(version: int = 4, **fields: object) -> bytes:
    payload = {
        "eventType": "data.action.updated",
        "actionId": "route-vip",
        "version": version,
        "timestamp": "2024-03-09T16:00:00Z",
    } | fields
    return json.dumps(payload).encode()


def _chunks(total: int, chunk: bytes = MARKER * 3000) -> Iterator[bytes]:
    sent = 0
    while sent < total:
        piece = chunk[: total - sent]
        sent += len(piece)
        yield piece


def _app(root: Path, limits: ReceiverLimits) -> Starlette:
    return create_webhook_app(
        root, PRIVACY_SECRET, events_secret=EVENTS_SECRET, clock=lambda: NOW, limits=limits
    )


def _counts(ledger: Path, total: int) -> dict[str, int]:
    def flushed() -> bool:
        state = read_ledger(ledger)
        return state is not None and state.total >= total

    wait_for(flushed, f"{total} refusals")
    state = read_ledger(ledger)
    assert state is not None
    return state.counts


def _stored(root: Path) -> bytes:
    return b"".join(p.read_bytes() for p in root.rglob("*") if p.is_file())


def test_oversized_bodies_get_413_and_peak_memory_stays_flat(tmp_path: Path) -> None:
    root = tmp_path / "data"
    secrets = {SECRET_ENV: PRIVACY_SECRET, EVENTS_SECRET_ENV: EVENTS_SECRET}
    env = cli_env(**secrets, **{MAX_BODY_ENV: str(MIB)})
    with serve_cli(root, env) as (base, pid), httpx.Client(base_url=base) as http:
        for _ in range(3):  # every code path once before the baseline
            assert http.post(EVENTS_PATH, content=b"x" * 1000).status_code == 401
            assert http.post(EVENTS_PATH, content=_chunks(2 * MIB)).status_code == 413
        baseline = peak_rss_bytes(pid)
        responses = []
        for _ in range(8):
            declared = {"Content-Length": str(50 * MIB)}
            responses.append(http.post(EVENTS_PATH, content=_chunks(50 * MIB), headers=declared))
            responses.append(http.post(CALLBACK_PATH, content=_chunks(50 * MIB)))  # chunked
        growth = peak_rss_bytes(pid) - baseline
        assert [r.status_code for r in responses] == [413] * 16
        assert all(MARKER not in r.content for r in responses)
        assert growth < 16 * MIB, f"peak RSS grew {growth / MIB:.1f} MiB over 800 MB posted"
        event = _event()
        now = int(time.time())
        ok = http.post(EVENTS_PATH, content=event, headers=signed(EVENTS_SECRET, now, event))
        assert ok.status_code == 202  # still serving
    assert _counts(EventInbox(root).refusals_path, 12) == {"missing_signature": 3, "too_large": 11}
    assert _counts(PrivacyInbox(PrivacyArea(root)).refusals_path, 8) == {"too_large": 8}
    assert MARKER not in _stored(root)


@pytest.mark.parametrize("chunked", [False, True])
def test_a_body_at_the_cap_is_read_and_one_byte_more_is_not(tmp_path: Path, chunked: bool) -> None:
    cap = 2000
    event = _event()
    at_cap = event + b" " * (cap - len(event))
    over = at_cap + b" "
    with serve(_app(tmp_path, ReceiverLimits(max_body_bytes=cap))) as base:

        def post(body: bytes) -> int:
            content = _chunks(len(body), body) if chunked else body
            headers = signed(EVENTS_SECRET, NOW, body)
            return httpx.post(f"{base}{EVENTS_PATH}", content=content, headers=headers).status_code

        assert post(at_cap) == 202
        assert post(over) == 413
    assert len(EventInbox(tmp_path).pending()) == 1


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        (EVENTS_PATH, _event() + b" " + MARKER * 200, 413),  # signed, over the cap
        (EVENTS_PATH, _event(actionId="../" + MARKER.decode()), 400),
        (EVENTS_PATH, _event(eventType=MARKER.decode()), 400),
        (EVENTS_PATH, _event(version=MARKER.decode()), 400),
        (EVENTS_PATH, b'{"' + MARKER + b'": [1, 2', 400),  # not JSON
        (CALLBACK_PATH, b'{"requestId": "r1", "status": "' + MARKER + b'"}', 400),
        (CALLBACK_PATH, b'{"requestId": "' + MARKER * 10 + b'", "status": "QUEUED"}', 400),
        (CALLBACK_PATH, b'{"requestId": {"' + MARKER + b'": 1}, "status": "QUEUED"}', 400),
        (CALLBACK_PATH, MARKER, 400),
    ],
)
def test_no_response_log_or_file_echoes_a_signed_body(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, path: str, body: bytes, status: int
) -> None:
    caplog.set_level(logging.DEBUG)
    secret = EVENTS_SECRET if path == EVENTS_PATH else PRIVACY_SECRET
    with serve(_app(tmp_path, ReceiverLimits(max_body_bytes=3000))) as base:
        response = httpx.post(f"{base}{path}", content=body, headers=signed(secret, NOW, body))
    assert response.status_code == status
    assert MARKER not in response.content and MARKER[:8] not in response.content
    assert MARKER.decode() not in caplog.text
    assert MARKER not in _stored(tmp_path)


def test_more_bodies_at_once_than_the_cap_get_503_with_retry_after(tmp_path: Path) -> None:
    release = threading.Event()

    def slow() -> Iterator[bytes]:
        yield b'{"eventType": '
        release.wait(10)
        yield b'"data.action.updated"}'

    limits = ReceiverLimits(max_concurrent_bodies=1)
    with serve(_app(tmp_path, limits)) as base:
        results: list[int] = []
        holder = threading.Thread(
            target=lambda: results.append(
                httpx.post(f"{base}{EVENTS_PATH}", content=slow(), timeout=15).status_code
            )
        )
        holder.start()
        busy: list[httpx.Response] = []

        def refused() -> bool:
            busy.append(httpx.post(f"{base}{EVENTS_PATH}", content=_event()))
            return busy[-1].status_code == 503

        try:
            wait_for(refused, "a 503 while the slow body holds the only slot")
        finally:
            release.set()
            holder.join(15)
        assert busy[-1].headers["Retry-After"].isdigit()
        assert results == [401]  # the slow body was read to the end, then judged
        assert httpx.post(f"{base}{EVENTS_PATH}", content=_event()).status_code == 401
    assert _counts(EventInbox(tmp_path).refusals_path, 3)["busy"] == 1


def test_a_full_inbox_refuses_new_events_and_keeps_the_pending_ones(tmp_path: Path) -> None:
    with serve(_app(tmp_path, ReceiverLimits(max_pending=2))) as base:
        codes = []
        for version in (1, 2, 3):
            body = _event(version)
            codes.append(
                httpx.post(
                    f"{base}{EVENTS_PATH}", content=body, headers=signed(EVENTS_SECRET, NOW, body)
                )
            )
    assert [r.status_code for r in codes] == [202, 202, 503]
    assert "Retry-After" in codes[2].headers
    assert sorted(e.event.version for e in EventInbox(tmp_path).pending()) == [1, 2]
    assert _counts(EventInbox(tmp_path).refusals_path, 1) == {"inbox_full": 1}


def test_a_body_too_slow_to_arrive_gets_408_and_frees_its_slot(tmp_path: Path) -> None:
    def trickle() -> Iterator[bytes]:
        for _ in range(30):
            yield b" "
            time.sleep(0.1)

    limits = ReceiverLimits(max_concurrent_bodies=1, body_timeout_s=1)
    with serve(_app(tmp_path, limits)) as base:
        started = time.monotonic()
        slow = httpx.post(f"{base}{EVENTS_PATH}", content=trickle(), timeout=10)
        assert slow.status_code == 408 and time.monotonic() - started < 2.5
        body = _event()
        headers = signed(EVENTS_SECRET, NOW, body)
        assert httpx.post(f"{base}{EVENTS_PATH}", content=body, headers=headers).status_code == 202
    assert _counts(EventInbox(tmp_path).refusals_path, 1) == {"too_slow": 1}
