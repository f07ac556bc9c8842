"""The create-export rules of the contract; every refusal is a 400 naming the field and limit.

Hand-written rather than a pydantic model on purpose: the emulator is an independent reading of
the contract, and its messages must say the contract's limits in the contract's words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cx_assets.emulator.cxone.records import FIELDS
from cx_assets.emulator.errors import ApiError

BODY_FIELDS = ("reportId", "dateRange", "format", "columns", "filters", "pageSize")
REPORTS = ("interactions",)
FORMATS = ("json", "csv", "xlsx")
MAX_COLUMNS = 150
MAX_SPAN = timedelta(days=90)
MAX_PAGE_SIZE = 10_000
DEFAULT_PAGE_SIZE = 1000
_INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z")
_INSTANT_SHAPE = "ISO 8601 UTC with milliseconds and Z, e.g. 2024-01-01T00:00:00.000Z"


@dataclass(frozen=True)
class ExportRequest:
    report_id: str
    start: str
    end: str
    start_ms: int
    end_ms: int
    format: str
    columns: tuple[str, ...]
    filters: dict[str, list[Any]]
    page_size: int


def _bad(message: str) -> ApiError:
    return ApiError(400, message)


def _instant(value: Any, name: str) -> tuple[str, int]:
    if not isinstance(value, str) or not _INSTANT.fullmatch(value):
        raise _bad(f"{name} must be {_INSTANT_SHAPE}; got {value!r}")
    try:
        moment = datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    except ValueError as exc:
        raise _bad(f"{name} is not a real date-time: {value!r}") from exc
    return value, round(moment.timestamp() * 1000)


def _columns(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise _bad(f"columns is required: a list of 1 to {MAX_COLUMNS} record field names")
    if len(value) > MAX_COLUMNS:
        raise _bad(f"columns has {len(value)} names; at most {MAX_COLUMNS} are allowed")
    unknown = [name for name in value if name not in FIELDS]
    if unknown:
        raise _bad(f"columns: unknown column {unknown[0]!r}; known columns: {', '.join(FIELDS)}")
    repeated = sorted({name for name in value if value.count(name) > 1})
    if repeated:
        raise _bad(f"columns: {', '.join(repeated)} named more than once")
    return tuple(value)


def _filters(value: Any) -> dict[str, list[Any]]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _bad(
            'filters must be an object of field -> list of values, e.g. {"medium": ["voice"]}'
        )
    for key, allowed in value.items():
        if key not in FIELDS:
            raise _bad(f"filters: unknown field {key!r}; known fields: {', '.join(FIELDS)}")
        if not isinstance(allowed, list) or not allowed:
            raise _bad(f"filters.{key} must be a non-empty list of values")
        if any(isinstance(item, dict | list) for item in allowed):
            raise _bad(f"filters.{key} must list plain values (strings or numbers)")
    return dict(value)


def _page_size(value: Any, name: str = "pageSize") -> int:
    if value is None:
        return DEFAULT_PAGE_SIZE
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_PAGE_SIZE:
        raise _bad(f"{name} must be an integer from 1 to {MAX_PAGE_SIZE}; got {value!r}")
    return value


def page_size_param(raw: str | None, default: int) -> int:
    """The `pageSize` query parameter of a data page (the export's own when absent)."""
    if raw is None:
        return default
    try:
        number = int(raw)
    except ValueError as exc:
        raise _bad(f"pageSize must be an integer from 1 to {MAX_PAGE_SIZE}; got {raw!r}") from exc
    return _page_size(number)


def validate_create(body: Any) -> ExportRequest:
    """The contract's rules, in field order; the first broken one is reported."""
    if not isinstance(body, dict):
        raise _bad("the body must be a JSON object")
    unknown = sorted(set(body) - set(BODY_FIELDS))
    if unknown:
        raise _bad(f"unknown field {unknown[0]!r}; allowed fields: {', '.join(BODY_FIELDS)}")
    if body.get("reportId") not in REPORTS:
        raise _bad(f"reportId must be one of: {', '.join(REPORTS)}; got {body.get('reportId')!r}")
    date_range = body.get("dateRange")
    if not isinstance(date_range, dict):
        raise _bad("dateRange is required: an object {start, end}")
    extra = sorted(set(date_range) - {"start", "end"})
    if extra:
        raise _bad(f"dateRange: unknown field {extra[0]!r}; allowed fields: start, end")
    start, start_ms = _instant(date_range.get("start"), "dateRange.start")
    end, end_ms = _instant(date_range.get("end"), "dateRange.end")
    if end_ms <= start_ms:
        raise _bad(f"dateRange.end must be after dateRange.start ({end} <= {start})")
    span = timedelta(milliseconds=end_ms - start_ms)
    if span > MAX_SPAN:
        raise _bad(f"dateRange spans {span} (more than 90 days); at most 90 days are allowed")
    fmt = body.get("format")
    if fmt not in FORMATS:
        raise _bad(f"format must be one of: {', '.join(FORMATS)}; got {fmt!r}")
    return ExportRequest(
        report_id=body["reportId"],
        start=start,
        end=end,
        start_ms=start_ms,
        end_ms=end_ms,
        format=fmt,
        columns=_columns(body.get("columns")),
        filters=_filters(body.get("filters")),
        page_size=_page_size(body.get("pageSize")),
    )
