"""Export jobs of the independent tutorial exports server: the POST body rules, the status an
export is at, and the export object as served (docs/api-contract.md "### `POST
/api/v2/dataexports`", "### `GET /api/v2/dataexports/{id}`").

Fixed readings where the text is silent: all five body fields are required; the checks run in
the order JSON object, unknown field, missing field, `type`, `view`, `format`, `startDate`,
`endDate`, order of the dates, window; the window is `endDate - startDate` and may be exactly
31 days; an export covers the UTC days its window touches and holds the conversations whose
start lies in `[startDate, endDate)`; the status moves only when the export is polled (a GET of
the export), never with time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from cx_assets_tests.independent.tutorial_exports_quirks import Quirks
from cx_assets_tests.independent.tutorial_exports_records import ExportFile
from cx_assets_tests.independent.tutorial_exports_wire import stamp

Json = dict[str, Any]
FIELDS = ("type", "view", "format", "startDate", "endDate")
ALLOWED = {
    "type": ("conversation", "conversations"),
    "view": ("full", "detail"),
    "format": ("jsonl", "csv"),
}
MAX_WINDOW = timedelta(days=31)
WAITING = ("QUEUED", "RUNNING")
WAITING_MORE = ("QUEUED", "PENDING", "RUNNING", "PROCESSING")
COMPLETED, FAILED = "COMPLETED", "FAILED"


class BadRequest(ValueError):
    """A POST body the server refuses: 400 with this message (it names the field and limit)."""


def _instant(name: str, value: Any) -> datetime:
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            moment = None
        if moment is not None and moment.tzinfo is not None:
            return moment
    raise BadRequest(f"{name} must be ISO 8601 with an offset or Z, got {value!r}")


def check_request(body: Any) -> tuple[datetime, datetime]:
    """The window of a valid POST body, or BadRequest."""
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object")
    if unknown := sorted(set(body) - set(FIELDS)):
        raise BadRequest(f"unknown field {unknown[0]}: the body takes only {', '.join(FIELDS)}")
    for name in FIELDS:
        if name not in body:
            raise BadRequest(f"{name} is required")
    for name, allowed in ALLOWED.items():
        if body[name] not in allowed:
            shown = " or ".join(allowed)
            raise BadRequest(f"{name} must be {shown}, got {body[name]!r}")
    start, end = _instant("startDate", body["startDate"]), _instant("endDate", body["endDate"])
    if end <= start:
        raise BadRequest("endDate must be after startDate")
    if end - start > MAX_WINDOW:
        days = (end - start) / timedelta(days=1)
        raise BadRequest(f"the window from startDate to endDate is at most 31 days, got {days:g}")
    return start, end


def export_days(start: datetime, end: datetime) -> list[date]:
    """The UTC days `[start, end)` touches."""
    day, last = start.astimezone(UTC).date(), end.astimezone(UTC)
    days = []
    while datetime(day.year, day.month, day.day, tzinfo=UTC) < last:
        days.append(day)
        day += timedelta(days=1)
    return days


@dataclass
class Export:
    """One export as the server keeps it; `polls` counts GETs of it."""

    id: str
    ordinal: int
    body: Json
    start: datetime
    end: datetime
    polls_needed: int
    created_at: datetime
    fail_reason: str | None = None
    polls: int = 0
    completed_at: datetime | None = None
    files: list[ExportFile] | None = None
    envelope: bool = False
    statuses: list[str] = field(default_factory=list)

    @property
    def fmt(self) -> str:
        return str(self.body["format"])

    def status(self, quirks: Quirks) -> str:
        """Where it is now (upper case): waiting until `polls_needed` polls, then terminal."""
        if self.polls >= self.polls_needed:
            return FAILED if self.fail_reason is not None else COMPLETED
        waiting = WAITING_MORE if quirks.extra_statuses else WAITING
        return waiting[self.polls * len(waiting) // self.polls_needed]


def _instant_text(moment: datetime) -> str:
    moment = moment.astimezone(UTC)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond // 1000:03d}+00:00"


def render_export(export: Export, quirks: Quirks) -> Json:
    """The export object of "### `GET /api/v2/dataexports/{id}`" under the quirks."""
    status = export.status(quirks)
    body: Json = {"id": export.id}
    body |= {k: export.body[k] for k in ("type", "view", "format")}
    if quirks.dates_normalised:
        body |= {"startDate": _instant_text(export.start), "endDate": _instant_text(export.end)}
    else:
        body |= {"startDate": export.body["startDate"], "endDate": export.body["endDate"]}
    body["status"] = status.lower() if quirks.status_lower else status
    if status == FAILED:
        body["statusReason"] = export.fail_reason
    elif quirks.nulls_for_absent:
        body["statusReason"] = None
    body["createdAt"] = stamp(export.created_at, quirks)
    if status == COMPLETED and export.completed_at is not None:
        body["completedAt"] = stamp(export.completed_at, quirks)
    elif quirks.nulls_for_absent:
        body["completedAt"] = None
    if quirks.status_minimal:
        body = {k: body[k] for k in ("id", "status", "statusReason") if k in body}
    if quirks.extra_members:
        body |= {
            "selfUri": f"/api/v2/dataexports/{export.id}",
            "division": {"id": "00000000-0000-4000-8000-000000000001", "name": "Home"},
        }
    if quirks.key_order:
        body = dict(reversed(body.items()))
    return body
