"""The signature on every webhook delivery we receive, privacy callbacks and events alike.

`X-Genesys-Signature: t=<unix seconds>,v1=<hex>` where `v1 = HMAC-SHA256(secret, "<t>." + body)`.
A delivery is accepted only if the signature matches and `t` is within 5 minutes of now; the
replay guard (a `(requestId, t)` or event pair accepted once) belongs to each inbox.
Whatever the header holds (any bytes, huge numbers) is a refusal, never a server error, and
its value never reaches a response, a log or a file.
Kept apart from the HTTP server so senders and tests can sign with the same formula.
"""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-Genesys-Signature"
TOLERANCE_S = 300.0
#: Unix seconds have 10 digits until 2286; more is not a timestamp (and would overflow a float).
_MAX_T_DIGITS = 12


class SignatureRejected(ValueError):
    """Why a delivery was refused: `reason` is the short code refusals are counted by
    (`missing_signature`, `malformed_signature`, `bad_signature`, `stale`); the message says
    more, and never quotes the body or the signature."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The header value for `body` sent at `timestamp` (for tests and other senders)."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify_signature(
    header: str | None, body: bytes, secret: str, *, now: float, tolerance_s: float = TOLERANCE_S
) -> int:
    """The signed timestamp if `header` signs `body` with `secret` recently enough."""
    if not header:
        raise SignatureRejected("missing_signature", f"missing {SIGNATURE_HEADER} header")
    parts: dict[str, list[str]] = {}
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        parts.setdefault(key, []).append(value)
    try:
        [t_text] = parts.get("t", [])
        if not (t_text.isascii() and t_text.isdigit() and len(t_text) <= _MAX_T_DIGITS):
            raise ValueError(t_text)
        timestamp = int(t_text)
    except ValueError:
        raise SignatureRejected(
            "malformed_signature", "signature header has no single integer t="
        ) from None
    expected = sign(secret, timestamp, body).split("v1=", 1)[1].encode()
    # Bytes, not str: compare_digest refuses a non-ASCII str (a forged header) with a TypeError.
    # Hex in either case: the contract writes `v1=<hex>` without fixing it.
    given = [v.strip().lower().encode("latin-1", errors="replace") for v in parts.get("v1", [])]
    if not any(hmac.compare_digest(expected, v) for v in given):
        raise SignatureRejected("bad_signature", "signature does not match the body")
    age = now - timestamp
    if abs(age) > tolerance_s:
        raise SignatureRejected(
            "stale",
            f"signature timestamp is {age:.0f} s from now (at most {tolerance_s:.0f} s)",
        )
    return timestamp
