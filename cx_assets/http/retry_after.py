"""Parse `Retry-After` (RFC 9110): delay-seconds or an HTTP date, never trusting it blindly."""

from __future__ import annotations

import datetime as dt
import math
from email.utils import parsedate_to_datetime

#: A server asking for more than this is capped to it (one rate-limit window plus margin).
MAX_RETRY_AFTER_S = 120.0


def parse_retry_after(
    value: str | None, now: dt.datetime | None = None, *, max_s: float = MAX_RETRY_AFTER_S
) -> float | None:
    """Seconds to wait, capped at `max_s`; None when missing or unusable (caller backs off).

    Accepts "2", "2.5" or an HTTP date ("Wed, 21 Oct 2015 07:28:00 GMT"); a date in the past means
    0. Negative, NaN, infinite or unparseable values are None rather than an exception.
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        seconds = _seconds_until_date(text, now)
        if seconds is None:
            return None
    if not math.isfinite(seconds) or seconds < 0:
        return None
    return min(seconds, max_s)


def _seconds_until_date(text: str, now: dt.datetime | None) -> float | None:
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:  # RFC dates are GMT; "-0000" parses naive
        when = when.replace(tzinfo=dt.UTC)
    now = now or dt.datetime.now(dt.UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=dt.UTC)
    return max(0.0, (when - now).total_seconds())
