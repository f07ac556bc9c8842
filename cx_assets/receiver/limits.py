"""How much a stranger can make the receiver hold: body size, bodies in flight, pending files.

Anyone who can reach the port can post; only a valid signature makes a delivery ours, and the
signature covers the whole body, so the body must be read before it can be judged. These limits
keep that reading cheap: a body larger than `max_body_bytes` is cut off there (413), one not
complete within `body_timeout_s` too (408: a slow sender cannot hold a slot), at most
`max_concurrent_bodies` bodies are read at once (beyond that 503 with Retry-After), and at most
`max_pending` verified deliveries wait in an inbox for their sensor (beyond that 503: the
sender retries later and nothing already stored is dropped). Worst case memory for bodies is
about `max_body_bytes * max_concurrent_bodies` (16 MiB by default), whatever is posted.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

MAX_BODY_ENV = "CX_WEBHOOK_MAX_BODY_BYTES"
MAX_CONCURRENT_ENV = "CX_WEBHOOK_MAX_CONCURRENT_BODIES"
MAX_PENDING_ENV = "CX_WEBHOOK_MAX_PENDING"
BODY_TIMEOUT_ENV = "CX_WEBHOOK_BODY_TIMEOUT_S"
#: A callback or event is a few hundred bytes; 1 MiB leaves room for any sender's envelope.
DEFAULT_MAX_BODY_BYTES = 1 << 20
DEFAULT_MAX_CONCURRENT_BODIES = 16
DEFAULT_MAX_PENDING = 10_000
#: A few hundred bytes take milliseconds; 10 s is generous for any honest sender.
DEFAULT_BODY_TIMEOUT_S = 10
#: What a 503 asks the sender to wait, in seconds.
RETRY_AFTER_S = 5


def _positive_int(environ: Mapping[str, str], name: str, default: int) -> int:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"{name}={raw!r} is not a positive whole number")
    return int(raw)


@dataclass(frozen=True)
class ReceiverLimits:
    """The receiver's caps (see the module docstring); each has an environment variable."""

    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    max_concurrent_bodies: int = DEFAULT_MAX_CONCURRENT_BODIES
    max_pending: int = DEFAULT_MAX_PENDING
    body_timeout_s: float = DEFAULT_BODY_TIMEOUT_S

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ReceiverLimits:
        """The caps from `CX_WEBHOOK_MAX_BODY_BYTES`, `CX_WEBHOOK_MAX_CONCURRENT_BODIES`,
        `CX_WEBHOOK_MAX_PENDING` and `CX_WEBHOOK_BODY_TIMEOUT_S`; a value that is not a positive
        whole number is a ValueError naming the variable."""
        env = os.environ if environ is None else environ
        return cls(
            max_body_bytes=_positive_int(env, MAX_BODY_ENV, DEFAULT_MAX_BODY_BYTES),
            max_concurrent_bodies=_positive_int(
                env, MAX_CONCURRENT_ENV, DEFAULT_MAX_CONCURRENT_BODIES
            ),
            max_pending=_positive_int(env, MAX_PENDING_ENV, DEFAULT_MAX_PENDING),
            body_timeout_s=_positive_int(env, BODY_TIMEOUT_ENV, DEFAULT_BODY_TIMEOUT_S),
        )
