"""The strict reading of an `AsyncConversationQuery` (the body of a details job).

Field names and enums as in the Genesys Python SDK (VENDOR_APIS.md §2.1). Every refusal is a 400
naming the field. Filters are accepted only empty: the emulator does not evaluate filter trees,
and a job that silently ignored one would hand back conversations the caller excluded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cx_assets.emulator.errors import ApiError

ORDERS = ("asc", "desc", "unordered")
ORDER_BYS = ("conversationStart", "conversationEnd", "segmentStart", "segmentEnd")
FILTERS = (
    "conversationFilters",
    "segmentFilters",
    "evaluationFilters",
    "surveyFilters",
    "resolutionFilters",
)
FIELDS = ("interval", "order", "orderBy", "limit", "startOfDayIntervalMatching", *FILTERS)
INTERVAL_HINT = (
    "'start/end' in ISO-8601 with an offset, e.g. 2024-01-01T00:00:00Z/2024-01-02T00:00:00Z"
)


@dataclass(frozen=True)
class Query:
    """A validated job query; instants are epoch milliseconds, the interval half-open."""

    interval: str
    start_ms: int
    end_ms: int
    order: str = "asc"
    order_by: str = "conversationStart"
    limit: int | None = None
    start_of_day: bool = False


def _bad(field: str, message: str) -> ApiError:
    return ApiError(400, message, field=field)


def _instant(text: str, which: str) -> int:
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise _bad("interval", f"interval {which} is not ISO-8601: {text!r}") from exc
    if parsed.tzinfo is None:
        raise _bad("interval", f"interval {which} needs an offset or Z: {text!r}")
    return round(parsed.astimezone(UTC).timestamp() * 1000)


def parse_interval(value: Any) -> tuple[int, int]:
    if not isinstance(value, str) or value.count("/") != 1:
        raise _bad("interval", f"interval is required: {INTERVAL_HINT}")
    start_text, end_text = value.split("/")
    start, end = _instant(start_text, "start"), _instant(end_text, "end")
    if end <= start:
        raise _bad("interval", f"interval end must be after its start: {value!r}")
    return start, end


def parse_query(body: Any) -> Query:
    """The query, or a 400 naming the first field that breaks the contract."""
    if not isinstance(body, dict):
        raise ApiError(400, "the body must be a JSON object (AsyncConversationQuery)")
    unknown = sorted(set(body) - set(FIELDS))
    if unknown:
        raise _bad(
            unknown[0],
            f"unknown field(s): {', '.join(unknown)}; allowed fields: {', '.join(FIELDS)}",
        )
    start, end = parse_interval(body.get("interval"))
    order = body.get("order", "asc")
    if order not in ORDERS:
        raise _bad("order", f"order must be one of {', '.join(ORDERS)}, got {order!r}")
    order_by = body.get("orderBy", "conversationStart")
    if order_by not in ORDER_BYS:
        raise _bad("orderBy", f"orderBy must be one of {', '.join(ORDER_BYS)}, got {order_by!r}")
    limit = body.get("limit")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise _bad("limit", f"limit must be an integer >= 1, got {limit!r}")
    matching = body.get("startOfDayIntervalMatching", False)
    if not isinstance(matching, bool):
        raise _bad(
            "startOfDayIntervalMatching",
            f"startOfDayIntervalMatching must be true or false, got {matching!r}",
        )
    for name in FILTERS:
        value = body.get(name)
        if value is None:
            continue
        if not isinstance(value, list):
            raise _bad(name, f"{name} must be a list of filters")
        if value:
            raise _bad(
                name, f"{name}: the emulator does not apply filters (send [] or leave it out)"
            )
    return Query(body["interval"], start, end, order, order_by, limit, matching)
