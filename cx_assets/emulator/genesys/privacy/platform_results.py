"""The bytes of a completed GDPR export's results files, made up from the subject alone.

The records depend only on the subject and the part, so a restart, a fresh URL or a test that
recomputes a file sees the same records; the document also names the request and its part.
"""

from __future__ import annotations

import hashlib
import json
import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

MEDIA_TYPE = "application/json"
RECORDS_PER_FILE = 4
_MEDIA = ("voice", "chat", "email", "message", "callback")
_QUEUES = ("Q Billing", "Q Support", "Q Sales", "Q Renewals")
_WRAPUPS = ("Resolved", "Follow-up", "Escalated", "No answer")
_WORDS = ("refund", "delivery", "invoice", "address", "upgrade", "complaint", "renewal", "card")
_EPOCH = datetime(2024, 1, 1, tzinfo=UTC)


def part_name(part: int) -> str:
    """The file name of results part `part` (from 1) under `/files/{requestId}/`."""
    return f"results-{part}.json"


def identifiers(subject: dict[str, Any]) -> list[tuple[str, str]]:
    """(member, value) for every identifier the subject names, in a fixed order."""
    found: list[tuple[str, str]] = []
    for name, value in sorted(subject.items()):
        if isinstance(value, str):
            found.append((name, value))
        elif isinstance(value, list):
            found.extend((name, item) for item in value)
        elif isinstance(value, dict):
            found.append((name, str(value.get("value") or value.get("id") or "")))
    return found


def _rng(subject: dict[str, Any], part: int) -> random.Random:
    shape = json.dumps({"subject": subject, "part": part}, sort_keys=True)
    return random.Random(int.from_bytes(hashlib.sha256(shape.encode()).digest()[:8], "big"))


def records(subject: dict[str, Any], part: int) -> list[dict[str, Any]]:
    """A few interaction records that mention one of the subject's identifiers each."""
    rng = _rng(subject, part)
    known = identifiers(subject) or [("subject", "")]
    out = []
    for _ in range(RECORDS_PER_FILE):
        start = _EPOCH + timedelta(seconds=rng.randrange(0, 2 * 365 * 86400))
        member, value = rng.choice(known)
        out.append(
            {
                "type": "conversation",
                "conversationId": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "startTime": start.isoformat(timespec="seconds").replace("+00:00", "Z"),
                "mediaType": rng.choice(_MEDIA),
                "direction": rng.choice(("inbound", "outbound")),
                "queueName": rng.choice(_QUEUES),
                "wrapUpCode": rng.choice(_WRAPUPS),
                "matchedOn": member,
                "matchedValue": value,
                "summary": " ".join(rng.choice(_WORDS) for _ in range(rng.randrange(3, 7))),
            }
        )
    return out


def render(request_id: str, subject: dict[str, Any], part: int, parts: int) -> bytes:
    """One results file: `{"requestId", "part", "parts", "subject", "records"}` as JSON."""
    document = {
        "requestId": request_id,
        "part": part,
        "parts": parts,
        "subject": subject,
        "records": records(subject, part),
    }
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()
