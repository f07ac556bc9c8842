"""The `X-Genesys-Signature` HMAC that signs every callback and webhook the emulator sends.

`X-Genesys-Signature: t=<unix>,v1=<hex>` with `v1 = HMAC-SHA256(secret, f"{t}." + raw body)`.
Privacy completion callbacks and data action webhooks are signed the same way, so the formula
lives here once for every flow that sends one.
"""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-Genesys-Signature"


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The hex `v1` of `body` sent at `timestamp` (unix seconds)."""
    message = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    """The `X-Genesys-Signature` value: `t=<timestamp>,v1=<signature>`."""
    return f"t={timestamp},v1={signature(secret, timestamp, body)}"
