"""Export requests and export state of the independent tutorial CXone server.

`check_request` applies the contract's table for `POST /cxone/api/v2/analytics/data-exports`
("Any other field, or a rule broken: 400 naming the field and the limit"); `Export` walks
`pending` -> (`processing`) -> `completed` | `failed`, one step per status poll.

Fixed readings where the text is silent: `reportId`, `dateRange`, `format` and `columns` are
required (the table marks only `filters` and `pageSize` optional); `filters: null` counts as
absent (the tutorial's schema has `filters: Optional[Dict]`); a filter's value is a list of
scalars (the contract's example `{"medium": ["voice"]}`), an empty list matches nothing;
`dateRange` holds `start` and `end` and nothing else; `pageSize` is a JSON integer (not a
boolean); checks run in the table's order after the unknown-field check.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from cx_assets_tests.independent.tutorial_cxone_records import FIELDS, Contact
from cx_assets_tests.independent.tutorial_cxone_wire import parse_request_instant

KNOWN = ("reportId", "dateRange", "format", "columns", "filters", "pageSize")
REPORTS = ("interactions",)
FORMATS = ("json", "csv", "xlsx")
MAX_SPAN = timedelta(days=90)
Json = dict[str, Any]


class BadRequest(ValueError):
    """A 400 whose message names the field and the limit."""


@dataclass(frozen=True)
class ExportRequest:
    report_id: str
    start_text: str
    end_text: str
    start: datetime
    end: datetime
    format: str
    columns: tuple[str, ...]
    filters: Mapping[str, tuple[Any, ...]]
    page_size: int


def check_request(body: object, tutorial_span: bool) -> ExportRequest:
    """The create body as the table reads it, or BadRequest naming the field and the limit."""
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object with reportId, dateRange, format, columns")
    if unknown := [k for k in body if k not in KNOWN]:
        raise BadRequest(f"unknown field {unknown[0]}: the fields are {', '.join(KNOWN)}")
    report = body.get("reportId")
    if report is None:
        raise BadRequest("reportId is required")
    if report not in REPORTS:
        raise BadRequest(f"reportId {report!r} is not a known report (known: interactions)")
    start_text, end_text, start, end = _date_range(body.get("dateRange"), tutorial_span)
    fmt = body.get("format")
    if fmt not in FORMATS:
        raise BadRequest(f"format must be one of json, csv, xlsx, got {fmt!r}")
    columns = _columns(body.get("columns"))
    filters = _filters(body.get("filters"))
    size = body.get("pageSize", 1000)
    if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= 10_000:
        raise BadRequest(f"pageSize must be an integer from 1 to 10000, got {size!r}")
    return ExportRequest(report, start_text, end_text, start, end, fmt, columns, filters, size)


def _date_range(value: object, tutorial_span: bool) -> tuple[str, str, datetime, datetime]:
    if value is None:
        raise BadRequest("dateRange is required: {start, end}")
    if not isinstance(value, dict) or set(value) != {"start", "end"}:
        raise BadRequest("dateRange must be an object with exactly start and end")
    parsed = {}
    for name in ("start", "end"):
        if (when := parse_request_instant(value[name])) is None:
            raise BadRequest(
                f"dateRange.{name} must be ISO 8601 UTC with milliseconds and Z"
                f" (2024-01-01T00:00:00.000Z), got {value[name]!r}"
            )
        parsed[name] = when
    start, end = parsed["start"], parsed["end"]
    if end <= start:
        raise BadRequest("dateRange.end must be after dateRange.start")
    too_long = (end - start).days > 90 if tutorial_span else end - start > MAX_SPAN
    if too_long:
        raise BadRequest("dateRange spans more than the maximum of 90 days")
    return value["start"], value["end"], start, end


def _columns(value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not 1 <= len(value) <= 150:
        raise BadRequest("columns must be a list of 1 to 150 record field names")
    seen: list[str] = []
    for name in value:
        if name not in FIELDS:
            raise BadRequest(f"columns: {name!r} is not a record field ({', '.join(FIELDS)})")
        if name in seen:
            raise BadRequest(
                f"columns: {name} is named more than once (a column may be named once)"
            )
        seen.append(name)
    return tuple(seen)


def _filters(value: object) -> dict[str, tuple[Any, ...]]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BadRequest("filters must be an object of record field -> list of values")
    out: dict[str, tuple[Any, ...]] = {}
    for name, values in value.items():
        if name not in FIELDS:
            raise BadRequest(f"filters: {name!r} is not a record field ({', '.join(FIELDS)})")
        if not isinstance(values, list) or any(isinstance(v, dict | list) for v in values):
            raise BadRequest(f"filters.{name} must be a list of values")
        out[name] = tuple(values)
    return out


@dataclass
class Export:
    """One export; `polls_needed` status polls complete it (0: complete at creation)."""

    id: str
    number: int
    request: ExportRequest
    created_at: datetime
    polls_needed: int
    fail_message: str | None = None
    status: str = "pending"
    polls: int = 0
    ended_at: datetime | None = None
    statuses_served: list[str] = field(default_factory=list)
    contacts: list[Contact] | None = None
    """The contacts in range, taken on first read: an export is a snapshot of its days."""

    def poll(self, now: datetime, skip_processing: bool) -> None:
        """One status poll: the export moves on as the polls it needs run out."""
        if self.status in ("completed", "failed"):
            return
        self.polls += 1
        self.settle(now, skip_processing)

    def settle(self, now: datetime, skip_processing: bool) -> None:
        if self.polls >= self.polls_needed:
            self.status = "failed" if self.fail_message else "completed"
            self.ended_at = now
        elif self.polls > 1 and not skip_processing:
            self.status = "processing"

    def summary(self) -> Json:
        """What the emulator's `/admin/stats` `cxone_exports` lists, for state inspection."""
        r = self.request
        return {
            "id": self.id,
            "start": r.start_text,
            "end": r.end_text,
            "format": r.format,
            "status": self.status,
        }
