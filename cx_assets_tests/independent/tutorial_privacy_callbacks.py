"""Signed completion callbacks of the independent tutorial privacy server: docs/api-contract.md
"### Completion callback" (l. 456-477).

Fixed readings: deliveries go out on a small thread pool; 5 attempts with back-off `backoff_s`
doubling (0.5 s, 1 s, 2 s, 4 s); an attempt that gets no answer within 5 s failed; each attempt
is signed afresh with a `t` strictly later than the previous attempt's of that request (so `t`
may run a few seconds ahead of the clock); a callback still pending when the server stops stays
in `outbox` and `start()` (the next `serve_privacy`) sends it again with 5 fresh attempts.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import httpx

ATTEMPTS = 5
DEFAULT_SECRET = "independent-privacy-webhook-secret"


@dataclass(frozen=True)
class Attempt:
    """One POST to a callback URL: `status` None when the connection failed."""

    request_id: str
    url: str
    attempt: int
    t: int
    status: int | None
    delivered: bool
    replay: bool = False


@dataclass(frozen=True)
class Outgoing:
    request_id: str
    url: str
    body: bytes


@dataclass
class Callbacks:
    """Outbox, delivery threads and the log of attempts; the knobs are read on every attempt."""

    replay: bool = False
    secret: str = DEFAULT_SECRET
    enabled: bool = True
    target: str | None = None
    backoff_s: float = 0.5
    outbox: dict[str, Outgoing] = field(default_factory=dict)
    log: list[Attempt] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    _last_t: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _pool: ThreadPoolExecutor | None = None
    _http: httpx.Client | None = None
    _stop: threading.Event = field(default_factory=threading.Event)

    def start(self) -> None:
        """Begin delivering; whatever is still in the outbox goes out again."""
        self._stop = threading.Event()
        self._http = httpx.Client(timeout=5.0)
        self._pool = ThreadPoolExecutor(4, thread_name_prefix="privacy-callback")
        for out in list(self.outbox.values()):
            self._pool.submit(self._deliver, out, self._stop)

    def stop(self) -> None:
        self._stop.set()
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
        self._http = None  # left to the garbage collector: a delivery may still be using it

    def send(self, request_id: str, url: str, body: bytes) -> None:
        """Queue one callback (unless delivery is off)."""
        if not self.enabled:
            return
        out = Outgoing(request_id, self.target or url, body)
        self.outbox[request_id] = out
        if self._pool is not None:
            self._pool.submit(self._deliver, out, self._stop)

    def signature(self, t: int, body: bytes) -> str:
        mac = hmac.new(self.secret.encode(), f"{t}.".encode() + body, hashlib.sha256)
        return f"t={t},v1={mac.hexdigest()}"

    def _deliver(self, out: Outgoing, stop: threading.Event) -> None:
        http = self._http
        if http is None:
            return
        for attempt in range(1, ATTEMPTS + 1):
            if stop.is_set():
                return
            with self._lock:
                t = max(int(time.time()), self._last_t.get(out.request_id, 0) + 1)
                self._last_t[out.request_id] = t
            headers = {
                "Content-Type": "application/json",
                "X-Genesys-Signature": self.signature(t, out.body),
            }
            status = _post(http, out.url, out.body, headers)
            ok = status is not None and 200 <= status < 300
            self.log.append(Attempt(out.request_id, out.url, attempt, t, status, ok))
            if ok:
                if self.replay:
                    again = _post(http, out.url, out.body, headers)
                    self.log.append(
                        Attempt(out.request_id, out.url, attempt, t, again, False, True)
                    )
                self.outbox.pop(out.request_id, None)
                return
            if attempt < ATTEMPTS and stop.wait(self.backoff_s * 2 ** (attempt - 1)):
                return
        self.outbox.pop(out.request_id, None)


def _post(http: httpx.Client, url: str, body: bytes, headers: dict[str, str]) -> int | None:
    try:
        return http.post(url, content=body, headers=headers).status_code
    except httpx.HTTPError:
        return None
