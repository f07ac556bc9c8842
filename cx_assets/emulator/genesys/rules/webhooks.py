"""Delivers `data.action.updated` events to registered webhooks, signed like privacy callbacks.

`X-Genesys-Signature: t=<unix>,v1=HMAC-SHA256(webhook secret, f"{t}." + raw body)` (see
emulator/signing.py) plus the target's own headers. Retried on a non-2xx answer or a connection
error (`attempts` in all, sleeping from `backoff_s`, doubling), each attempt re-signed with a
later `t` so a receiver that refuses replayed `(t, body)` pairs never mistakes a retry for one.
Deliveries are in memory: one still being retried when the emulator stops is not resumed after a
restart.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from cx_assets.emulator.signing import SIGNATURE_HEADER, signature_header
from cx_assets.emulator.stats import Stats

log = logging.getLogger(__name__)

TIMEOUT_S = 5.0
STATS_NAME = "webhook_deliveries"
EVENT_UPDATED = "data.action.updated"
#: The event types a webhook may subscribe to.
EVENT_TYPES = (EVENT_UPDATED,)


def event_body(event: Mapping[str, Any]) -> bytes:
    """The compact JSON that is signed and sent (the receiver verifies these exact bytes)."""
    return json.dumps(dict(event), separators=(",", ":")).encode()


class WebhookSender:
    """A few worker threads, so one dead receiver does not hold back the others.

    The retry loop is hand-written rather than tenacity's for the same reasons as the privacy
    callbacks': each attempt is re-signed and logged, and the back-off ends at once on shutdown.
    """

    def __init__(self, attempts: int, backoff_s: float, stats: Stats) -> None:
        self._attempts = attempts
        self._backoff_s = backoff_s
        self._stats = stats
        self._stop = threading.Event()
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="cx-emulator-webhook")

    def submit(self, webhook: Mapping[str, Any], event: Mapping[str, Any]) -> None:
        """Deliver `event` to `webhook` (its id, secret and target) in the background."""
        if self._stop.is_set():
            return
        self._pool.submit(self._deliver, dict(webhook), event_body(event), dict(event))

    def _deliver(self, webhook: dict[str, Any], body: bytes, event: dict[str, Any]) -> None:
        last_t = 0
        for attempt in range(1, self._attempts + 1):
            if self._stop.is_set():
                return
            last_t = max(int(time.time()), last_t + 1)
            outcome = self._post(webhook, body, last_t)
            delivered = isinstance(outcome, int) and 200 <= outcome < 300
            self._stats.log(
                STATS_NAME,
                {
                    "webhookId": webhook["id"],
                    "actionId": event["actionId"],
                    "version": event["version"],
                    "attempt": attempt,
                    "status": outcome,
                    "delivered": delivered,
                },
            )
            if delivered:
                return
            if attempt < self._attempts and self._stop.wait(self._backoff_s * 2 ** (attempt - 1)):
                return
        if not self._stop.is_set():
            log.warning(
                "webhook %s: event for action %s undelivered", webhook["id"], event["actionId"]
            )

    def _post(self, webhook: dict[str, Any], body: bytes, timestamp: int) -> int | str:
        """The HTTP status, or the kind of connection error (never the URL: it may carry a key)."""
        target = webhook["target"]
        # case-insensitive, so a target header can never shadow the signature or content type
        headers = httpx.Headers(target.get("headers") or {})
        headers["Content-Type"] = "application/json"
        headers[SIGNATURE_HEADER] = signature_header(webhook["secret"], timestamp, body)
        try:
            return httpx.post(
                target["url"], content=body, headers=headers, timeout=TIMEOUT_S
            ).status_code
        except httpx.HTTPError as exc:
            return f"error: {type(exc).__name__}"

    def close(self) -> None:
        self._stop.set()
        self._pool.shutdown(wait=False, cancel_futures=True)
