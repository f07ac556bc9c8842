"""The signature on every webhook delivery we receive, privacy callbacks and events alike.

`X-Genesys-Signature: t=<unix seconds>,v1=<hex>` where `v1 = HMAC-SHA256(secret, "<t>." + body)`.
A delivery is accepted only if the signature matches and `t` is within 5 minutes of now; the
replay guard (a `(requestId, t)` or event pair accepted once) belongs to each inbox.
Kept apart from the HTTP server so senders and tests can sign with the same formula.
"""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-Genesys-Signature"
TOLERANCE_S = 300.0


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
