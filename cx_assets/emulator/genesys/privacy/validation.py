"""The contract's rules for a privacy export request; every refusal names the field and its limit.

Written apart from the pipeline's own pydantic validation on purpose: the emulator is an
independent implementation of the contract, so a rule both sides get wrong cannot cancel out.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from cx_assets.emulator.errors import ApiError

FIELDS = ("requestId", "entityType", "entityId", "format", "dataTypes", "timeRange", "callbackUrl")
DATA_TYPES: dict[str, tuple[str, ...]] = {
    "user": ("profile", "interactions", "notes", "tags"),
    "conversation": ("transcript", "metadata", "analytics", "attachments"),
    "interaction": ("voice", "chat", "email", "social", "callback"),
}
FORMATS = ("json", "csv")
MAX_ENTITY_ID = 128
MAX_WINDOW = timedelta(days=30)


def _bad(message: str) -> ApiError:
    return ApiError(400, message)


def parse_instant(value: Any, name: str) -> datetime:
    """An ISO 8601 date-time that carries an offset or Z, in UTC."""
    if not isinstance(value, str):
        raise _bad(f"{name} is required: an ISO 8601 date-time with an offset or Z")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise _bad(f"{name} is not ISO 8601: {value!r}") from exc
    if parsed.tzinfo is None:
        raise _bad(f"{name} needs an offset or Z: {value!r}")
    return parsed.astimezone(UTC)


def normalise_request_id(value: Any) -> str:
    """The canonical lower-case form of a hyphenated UUID (either case is accepted)."""
    if not isinstance(value, str) or len(value) != 36:
        raise _bad("requestId is required: a UUID like 123e4567-e89b-12d3-a456-426614174000")
    try:
        canonical = str(uuid.UUID(value))
    except ValueError as exc:
        raise _bad(f"requestId is not a UUID: {value!r}") from exc
    if canonical != value.lower():
        raise _bad(f"requestId is not a hyphenated UUID: {value!r}")
    return canonical


def _entity_type(body: dict[str, Any]) -> str:
    value = body.get("entityType")
    if value not in DATA_TYPES:
        raise _bad(f"entityType must be one of {', '.join(DATA_TYPES)} (got {value!r})")
    return value


def _entity_id(body: dict[str, Any]) -> str:
    value = body.get("entityId")
    if not isinstance(value, str) or not 1 <= len(value) <= MAX_ENTITY_ID:
        got = f"{len(value)} characters" if isinstance(value, str) else repr(value)
        raise _bad(f"entityId must be a string of 1 to {MAX_ENTITY_ID} characters (got {got})")
    return value


def _data_types(body: dict[str, Any], entity_type: str) -> list[str]:
    value = body.get("dataTypes")
    allowed = DATA_TYPES[entity_type]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise _bad(
            f"dataTypes must be a non-empty list drawn from {', '.join(allowed)} "
            f"for entityType {entity_type}"
        )
    repeated = sorted({v for v in value if value.count(v) > 1})
    if repeated:
        raise _bad(f"dataTypes must not repeat a type (repeated: {', '.join(repeated)})")
    wrong = [v for v in value if v not in allowed]
    if wrong:
        raise _bad(
            f"dataTypes {', '.join(wrong)} not allowed for entityType {entity_type}; "
            f"allowed: {', '.join(allowed)}"
        )
    return list(value)


def _time_range(body: dict[str, Any]) -> dict[str, str]:
    value = body.get("timeRange")
    if not isinstance(value, dict) or set(value) != {"start", "end"}:
        raise _bad("timeRange must be an object with exactly start and end")
    start = parse_instant(value["start"], "timeRange.start")
    end = parse_instant(value["end"], "timeRange.end")
    if end <= start:
        raise _bad("timeRange.end must be after timeRange.start")
    if end - start > MAX_WINDOW:
        days = (end - start) / timedelta(days=1)
        raise _bad(f"timeRange must span at most 30 days (got {days:.1f} days)")
    return {"start": value["start"], "end": value["end"]}


def _callback_url(body: dict[str, Any]) -> str | None:
    value = body.get("callbackUrl")
    if value is None:
        return None
    parts = urlsplit(value) if isinstance(value, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise _bad("callbackUrl must be an absolute http or https URL")
    return value


def validate_request(body: Any) -> dict[str, Any]:
    """The request as stored (requestId normalised, callbackUrl None when absent)."""
    if not isinstance(body, dict):
        raise _bad("the body must be a JSON object")
    unknown = sorted(set(body) - set(FIELDS))
    if unknown:
        raise _bad(f"unknown field(s): {', '.join(unknown)}; allowed fields: {', '.join(FIELDS)}")
    request_id = normalise_request_id(body.get("requestId"))
    entity_type = _entity_type(body)
    entity_id = _entity_id(body)
    if body.get("format") not in FORMATS:
        raise _bad(f"format must be 'json' or 'csv' (got {body.get('format')!r})")
    return {
        "requestId": request_id,
        "entityType": entity_type,
        "entityId": entity_id,
        "format": body["format"],
        "dataTypes": _data_types(body, entity_type),
        "timeRange": _time_range(body),
        "callbackUrl": _callback_url(body),
    }
