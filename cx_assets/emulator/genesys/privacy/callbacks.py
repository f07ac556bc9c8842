"""Completion callbacks: a compact JSON POST signed `X-Genesys-Signature: t=<unix>,v1=<hex>`.

`v1 = HMAC-SHA256(webhook secret, f"{t}." + raw body)` (emulator/signing.py). Each attempt is
signed afresh with a `t` strictly later than the previous attempt's, so a receiver that remembers
`(requestId, t)` to refuse replays never mistakes a retry for one.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from cx_assets.emulator.signing import SIGNATURE_HEADER, signature_header
from cx_assets.emulator.stats import Stats

log = logging.getLogger(__name__)

TIMEOUT_S = 5.0


def callback_body(
    request_id: str, status: str, download_url: str | None, entity_type: str
) -> bytes:
    payload = {
        "requestId": request_id,
        "status": status,
        "downloadUrl": download_url,
        "entityType": entity_type,
    }
    return json.dumps(payload, separators=(",", ":")).encode()


class CallbackSender:
    """Delivers callbacks on a few worker threads, retrying non-2xx answers and connection errors.

    The retry loop is hand-written rather than tenacity's: every attempt must be logged to the
    stats and re-signed, and the back-off sleep must end at once when the emulator shuts down.
    """

    def __init__(self, secret: str, attempts: int, backoff_s: float, stats: Stats) -> None:
        self._secret = secret
        self._attempts = attempts
        self._backoff_s = backoff_s
        self._stats = stats
        self._stop = threading.Event()
        # a few workers: one slow or dead receiver must not hold back every other callback
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="cx-emulator-callback")

    def submit(self, request_id: str, url: str, body: bytes, done: Callable[[str], None]) -> None:
        """Send in the background; `done` gets "delivered" or "undelivered" (not on shutdown)."""
        self._pool.submit(self._deliver, request_id, url, body, done)

    def _deliver(self, request_id: str, url: str, body: bytes, done: Callable[[str], None]) -> None:
        last_t = 0
        for attempt in range(1, self._attempts + 1):
            if self._stop.is_set():
                return
            last_t = max(int(time.time()), last_t + 1)
            outcome = self._post(url, body, last_t)
            delivered = isinstance(outcome, int) and 200 <= outcome < 300
            self._stats.log(
                "privacy_callbacks",
                {
                    "requestId": request_id,
                    "attempt": attempt,
                    "status": outcome,
                    "delivered": delivered,
                },
            )
            if delivered:
                done("delivered")
                return
            if attempt < self._attempts and self._stop.wait(self._backoff_s * 2 ** (attempt - 1)):
                return
        if not self._stop.is_set():
            log.warning("callback for privacy request %s undelivered", request_id)
            done("undelivered")

    def _post(self, url: str, body: bytes, timestamp: int) -> int | str:
        """The HTTP status, or the kind of connection error (never the URL: it may carry a key)."""
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: signature_header(self._secret, timestamp, body),
        }
        try:
            # a client per attempt: callbacks are rare, and none is left open at shutdown
            return httpx.post(url, content=body, headers=headers, timeout=TIMEOUT_S).status_code
        except httpx.HTTPError as exc:
            return f"error: {type(exc).__name__}"

    def close(self) -> None:
        self._stop.set()
        self._pool.shutdown(wait=False, cancel_futures=True)


def log_dropped(stats: Stats, request_id: str) -> None:
    """The `drop_callback` fault: record that this callback will never be sent."""
    item: dict[str, Any] = {
        "requestId": request_id,
        "attempt": 0,
        "status": "dropped",
        "delivered": False,
    }
    stats.log("privacy_callbacks", item)
