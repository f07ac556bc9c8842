"""The one retry policy (tenacity): what is retried, how long to wait, when to give up.

429 waits `Retry-After` plus jitter (backoff when missing or malformed); 408, 5xx and connection
errors back off exponentially with jitter; other 4xx fail at once. Bounded by attempts and by
total seconds (a wait that would cross the deadline is not started).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import httpx
import tenacity

from cx_assets.http.errors import (
    RetriesExhausted,
    error_from_exception,
    error_from_response,
)
from cx_assets.http.redact import redact_url
from cx_assets.http.retry_after import parse_retry_after
from cx_assets.http.stats import RequestStats

log = logging.getLogger(__name__)

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})

# Errors where the request never reached the server: safe to repeat even for a POST.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


@dataclass(frozen=True)
class RetrySettings:
    """Bounds of the retry policy. Attempts include the first one."""

    max_attempts: int = 8
    max_total_s: float = 300.0
    initial_backoff_s: float = 0.5
    max_backoff_s: float = 30.0
    jitter_s: float = 0.5
    max_retry_after_s: float = 120.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {self.max_attempts}")
        for name in ("max_total_s", "initial_backoff_s", "max_backoff_s", "jitter_s"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative, got {getattr(self, name)}")

    def backoff(self, attempt: int) -> float:
        """Exponential backoff after failed attempt number `attempt` (1-based), plus jitter."""
        base = min(self.max_backoff_s, self.initial_backoff_s * 2 ** (attempt - 1))
        return base + random.uniform(0, self.jitter_s)


def is_retryable_status(status: int) -> bool:
    return status in (408, 429) or status >= 500


def is_retryable_exception(
    method: str, exc: BaseException, *, resend_on_timeout: bool = True
) -> bool:
    """Transport failures worth repeating. POST is not idempotent, so only when it surely was
    not sent, or on a read timeout: the POST may have created the resource, and we repeat it
    anyway because its callers (export creation) tolerate a duplicate; an orphan export costs
    less than a failed run. `resend_on_timeout=False` is for creates that must not run twice
    (a Genesys details job holds one of the org's job slots): only the never-sent are repeated."""
    if not isinstance(exc, httpx.TransportError):
        return False
    if method.upper() in IDEMPOTENT_METHODS or isinstance(exc, _NOT_SENT):
        return True
    return resend_on_timeout and isinstance(exc, httpx.ReadTimeout)


def call_with_retry(
    send: Callable[[], httpx.Response],
    *,
    method: str,
    url: str | httpx.URL,
    settings: RetrySettings,
    stats: RequestStats,
    secrets: Callable[[], Iterable[str | None]] = tuple,
    sleep: Callable[[float], None] = time.sleep,
    resend_on_timeout: bool = True,
    resend_on_server_error: bool = True,
) -> httpx.Response:
    """Call `send` until it returns a non-retryable response; raise RetriesExhausted (or the
    ApiError for a non-retryable transport failure) otherwise. `send` must read the body.
    `resend_on_timeout`: see `is_retryable_exception`. `resend_on_server_error=False` repeats
    only a 429 (surely not acted on), never a 5xx a gateway may have sent after the create."""
    retry_status = is_retryable_status if resend_on_server_error else (lambda s: s == 429)
    safe_url = redact_url(url)

    def wait(state: tenacity.RetryCallState) -> float:
        outcome = state.outcome
        if outcome is not None and not outcome.failed:
            response: httpx.Response = outcome.result()
            if response.status_code == 429:
                after = parse_retry_after(
                    response.headers.get("Retry-After"), max_s=settings.max_retry_after_s
                )
                if after is not None:
                    return after + random.uniform(0, settings.jitter_s)
        return settings.backoff(state.attempt_number)

    def before_sleep(state: tenacity.RetryCallState) -> None:
        delay = state.upcoming_sleep
        stats.add("retries")
        stats.add("wait_seconds", delay)
        log.warning(
            "%s %s: %s; retry %d/%d in %.2f s",
            method,
            safe_url,
            _describe(state),
            state.attempt_number + 1,
            settings.max_attempts,
            delay,
        )

    retrying = tenacity.Retrying(
        stop=tenacity.stop_after_attempt(settings.max_attempts)
        | tenacity.stop_before_delay(settings.max_total_s),
        wait=wait,
        retry=tenacity.retry_if_exception(
            lambda e: is_retryable_exception(method, e, resend_on_timeout=resend_on_timeout)
        )
        | tenacity.retry_if_result(lambda r: retry_status(r.status_code)),
        sleep=sleep,
        before_sleep=before_sleep,
    )
    try:
        return retrying(send)
    except tenacity.RetryError as gave_up:
        last = gave_up.last_attempt
        state = retrying.statistics
        attempts = int(state.get("attempt_number", last.attempt_number))
        elapsed = float(state.get("delay_since_first_attempt", 0.0))
        if last.failed:
            cause = last.exception()
            error = error_from_exception(method, url, cause, secrets())  # type: ignore[arg-type]
        else:
            error = error_from_response(method, last.result(), secrets())
        if attempts >= settings.max_attempts:
            reason = f"max_attempts={settings.max_attempts}"
        else:
            reason = f"the next wait would pass max_total_s={settings.max_total_s:g}"
        raise RetriesExhausted(error, attempts=attempts, elapsed_s=elapsed, reason=reason) from None
    except httpx.TransportError as exc:
        # Not retryable (e.g. a POST whose connection broke after sending): still an ApiError,
        # and `from None` keeps httpx's request (with its full URL) out of the traceback chain.
        raise error_from_exception(method, url, exc, secrets()) from None
    finally:
        # tenacity keeps its pending actions (bound methods of `retrying`) in `iter_state`: a
        # reference cycle that would hold every response, body included, until the cyclic GC
        # runs. A 90-day pull of 10K-record pages grew the worker by ~9 MB a day without this.
        retrying.iter_state.reset()


def _describe(state: tenacity.RetryCallState) -> str:
    outcome = state.outcome
    if outcome is None:
        return "failed"
    if outcome.failed:
        return type(outcome.exception()).__name__
    return f"HTTP {outcome.result().status_code}"
