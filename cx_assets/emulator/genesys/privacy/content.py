"""The bytes of a privacy export, derived only from the request, so every render is identical.

A restart, a second download or a test recomputing it all see the same bytes and checksum.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import random
from collections.abc import Callable
from datetime import UTC
from typing import Any

from cx_assets.emulator.genesys.privacy.validation import parse_instant

RECORDS_PER_TYPE = 3
MEDIA_TYPES = {"json": "application/json", "csv": "text/csv"}
CSV_COLUMNS = ("data_type", "record_id", "field", "value")

_WORDS = ("refund", "delivery", "invoice", "password", "upgrade", "complaint", "address", "billing")
_CHANNELS = ("voice", "chat", "email", "sms", "social")


def _phrase(rng: random.Random) -> str:
    return " ".join(rng.choice(_WORDS) for _ in range(rng.randrange(3, 7)))


def _choice(*options: str) -> Callable[[random.Random], str]:
    return lambda rng: rng.choice(options)


def _number(low: int, high: int) -> Callable[[random.Random], int]:
    return lambda rng: rng.randrange(low, high)


def _ident(prefix: str) -> Callable[[random.Random], str]:
    return lambda rng: f"{prefix}-{rng.getrandbits(48):012x}"


#: Per data type: the fields of its records (beyond `id` and `timestamp`) and how to fake them.
FIELDS: dict[str, dict[str, Callable[[random.Random], Any]]] = {
    "profile": {
        "name": lambda rng: f"Subject {rng.randrange(1000, 9999)}",
        "email": lambda rng: f"subject{rng.randrange(1000, 9999)}@example.com",
        "department": _choice("sales", "support", "billing"),
    },
    "interactions": {
        "conversationId": _ident("conv"),
        "channel": _choice(*_CHANNELS),
        "durationSeconds": _number(20, 1800),
    },
    "notes": {"author": _ident("agent"), "text": _phrase},
    "tags": {"tag": _choice(*_WORDS)},
    "transcript": {"speaker": _choice("agent", "customer"), "text": _phrase},
    "metadata": {"key": _choice("queue", "wrapup", "language"), "value": _choice("a", "b", "c")},
    "analytics": {"metric": _choice("tHandle", "tTalk", "tHeld"), "valueMs": _number(0, 600_000)},
    "attachments": {
        "fileName": lambda rng: f"{rng.choice(_WORDS)}.pdf",
        "bytes": _number(1, 10**6),
    },
    "voice": {"recordingId": _ident("rec"), "durationSeconds": _number(20, 1800)},
    "chat": {"from": _choice("agent", "customer"), "text": _phrase},
    "email": {"subject": _phrase, "direction": _choice("inbound", "outbound")},
    "social": {"platform": _choice("x", "facebook", "instagram"), "text": _phrase},
    "callback": {"number": lambda rng: f"+1555{rng.randrange(10**6, 10**7)}", "outcome": _phrase},
}


def _seed(request: dict[str, Any]) -> int:
    """From everything that shapes the content (not the callback URL)."""
    shape = {k: request[k] for k in ("requestId", "entityId", "format", "dataTypes", "timeRange")}
    digest = hashlib.sha256(json.dumps(shape, sort_keys=True).encode()).digest()
    return int.from_bytes(digest[:8], "big")


def records(request: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """A few records per requested data type, timestamped inside the request's window."""
    rng = random.Random(_seed(request))
    start = parse_instant(request["timeRange"]["start"], "timeRange.start")
    end = parse_instant(request["timeRange"]["end"], "timeRange.end")
    out: dict[str, list[dict[str, Any]]] = {}
    for data_type in request["dataTypes"]:
        items = []
        for n in range(1, RECORDS_PER_TYPE + 1):
            moment = start + (end - start) * rng.random()
            stamp = moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
            record: dict[str, Any] = {"id": f"{data_type}-{n}", "timestamp": stamp}
            record.update({name: make(rng) for name, make in FIELDS[data_type].items()})
            items.append(record)
        out[data_type] = items
    return out


def render(request: dict[str, Any]) -> bytes:
    """The export file: one JSON document, or CSV rows `data_type,record_id,field,value`."""
    data = records(request)
    if request["format"] == "json":
        document = {
            "requestId": request["requestId"],
            "subject": {"entityType": request["entityType"], "entityId": request["entityId"]},
            "timeRange": request["timeRange"],
            "data": data,
        }
        return json.dumps(document, separators=(",", ":")).encode()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for data_type, items in data.items():
        for record in items:
            for field, value in record.items():
                if field != "id":
                    writer.writerow((data_type, record["id"], field, value))
    return buffer.getvalue().encode()
