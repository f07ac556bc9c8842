"""The body rules of `POST /api/v2/data/privacy/requests` (docs/api-contract.md l. 423-436) for
the independent tutorial privacy server: one `validate` that turns a JSON body into an `Asked`
or raises `BadRequest` naming the field and the limit.

Fixed readings where the text is silent: every field but `callbackUrl` is required (the table
gives each a rule); `callbackUrl: null` counts as absent (the tutorial sends
`callbackUrl: requestConfig.callbackUrl || null`); `requestId` is the canonical 8-4-4-4-12
hyphenated form in either case, kept in lower case; `entityId` is a string; `timeRange` holds
exactly `start` and `end`, each a string `datetime.fromisoformat` reads with an offset;
"at most 30 days" is `end - start <= 30 days`. Fields are checked in the table's order, unknown
fields first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

ALLOWED_TYPES: dict[str, tuple[str, ...]] = {
    "user": ("profile", "interactions", "notes", "tags"),
    "conversation": ("transcript", "metadata", "analytics", "attachments"),
    "interaction": ("voice", "chat", "email", "social", "callback"),
}
FIELDS = (
    "requestId",
    "entityType",
    "entityId",
    "format",
    "dataTypes",
    "timeRange",
    "callbackUrl",
)
FORMATS = ("json", "csv")
MAX_WINDOW = timedelta(days=30)
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)


class BadRequest(ValueError):
    """A 400: `field` is the member it names, `str(exc)` the message (field and limit)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Asked:
    """A validated body; two bodies are "the same" when their `Asked` are equal."""

    request_id: str
    entity_type: str
    entity_id: str
    format: str
    data_types: tuple[str, ...]
    start: str
    end: str
    callback_url: str | None

    @property
    def start_at(self) -> datetime:
        return datetime.fromisoformat(self.start)

    @property
    def end_at(self) -> datetime:
        return datetime.fromisoformat(self.end)


def validate(body: Any) -> Asked:
    """The body as an `Asked`, or `BadRequest` for the first rule it breaks."""
    if not isinstance(body, dict):
        raise BadRequest("body", "the body must be a JSON object")
    if unknown := sorted(set(body) - set(FIELDS)):
        allowed = ", ".join(FIELDS)
        raise BadRequest(unknown[0], f"unknown field {unknown[0]}: the body may hold {allowed}")
    for name in FIELDS[:-1]:
        if body.get(name) is None:
            raise BadRequest(name, f"{name} is required")
    request_id = body["requestId"]
    if not isinstance(request_id, str) or not UUID_RE.match(request_id):
        raise BadRequest(
            "requestId", f"requestId must be a UUID (8-4-4-4-12 hex), got {request_id!r}"
        )
    entity_type = body["entityType"]
    if not isinstance(entity_type, str) or entity_type not in ALLOWED_TYPES:
        kinds = ", ".join(ALLOWED_TYPES)
        raise BadRequest("entityType", f"entityType must be one of {kinds}, got {entity_type!r}")
    entity_id = body["entityId"]
    if not isinstance(entity_id, str) or not 1 <= len(entity_id) <= 128:
        shown = len(entity_id) if isinstance(entity_id, str) else type(entity_id).__name__
        message = f"entityId must be a string of 1 to 128 characters, got {shown}"
        raise BadRequest("entityId", message)
    if not isinstance(body["format"], str) or body["format"] not in FORMATS:
        raise BadRequest("format", f"format must be json or csv, got {body['format']!r}")
    data_types = _data_types(body["dataTypes"], entity_type)
    start, end = _time_range(body["timeRange"])
    callback_url = body.get("callbackUrl")
    if callback_url is not None:
        parts = urlsplit(callback_url) if isinstance(callback_url, str) else None
        if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
            message = f"callbackUrl must be an absolute http or https URL, got {callback_url!r}"
            raise BadRequest("callbackUrl", message)
    return Asked(
        request_id.lower(),
        entity_type,
        entity_id,
        body["format"],
        data_types,
        start,
        end,
        callback_url,
    )


def _data_types(value: Any, entity_type: str) -> tuple[str, ...]:
    allowed = ALLOWED_TYPES[entity_type]
    if not isinstance(value, list) or not value:
        raise BadRequest("dataTypes", "dataTypes must be a non-empty list")
    for i, item in enumerate(value):
        if not isinstance(item, str) or item not in allowed:
            message = (
                f"dataTypes[{i}] {item!r} is not allowed for entityType {entity_type}: "
                f"only {', '.join(allowed)}"
            )
            raise BadRequest("dataTypes", message)
        if item in value[:i]:
            raise BadRequest("dataTypes", f"dataTypes[{i}] repeats {item!r}: no repeats")
    return tuple(value)


def _time_range(value: Any) -> tuple[str, str]:
    if not isinstance(value, dict):
        raise BadRequest("timeRange", "timeRange must be an object {start, end}")
    if unknown := sorted(set(value) - {"start", "end"}):
        raise BadRequest("timeRange", f"unknown field timeRange.{unknown[0]}: only start, end")
    moments: list[datetime] = []
    for name in ("start", "end"):
        raw = value.get(name)
        moment = _instant(raw)
        if moment is None:
            message = f"timeRange.{name} must be ISO 8601 with an offset or Z, got {raw!r}"
            raise BadRequest(f"timeRange.{name}", message)
        moments.append(moment)
    start, end = moments
    if end <= start:
        raise BadRequest("timeRange.end", "timeRange.end must be after timeRange.start")
    if end - start > MAX_WINDOW:
        days = (end - start) / timedelta(days=1)
        message = f"timeRange spans {days:.1f} days: at most 30 days"
        raise BadRequest("timeRange", message)
    return value["start"], value["end"]


def _instant(raw: Any) -> datetime | None:
    if not isinstance(raw, str):
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None
