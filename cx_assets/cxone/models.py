"""Pydantic models for the CXone analytics data-export payloads.

The request forbids unknown fields and checks every rule of the contract (format, 1-150 known
columns, filter keys, page size, date order, the 90-day span) before anything is sent, so a bad
request fails with a message naming the field and the limit instead of a round trip. Responses
ignore fields we do not use, so an additive server change does not break a run.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from cx_assets.cxone.endpoints import INTERACTIONS_REPORT, RECORD_FIELDS
from cx_assets.cxone.ranges import MAX_RANGE_DAYS, DayRange
from cx_assets.http.timestamps import require_offset

MAX_SPAN = dt.timedelta(days=MAX_RANGE_DAYS)
MAX_COLUMNS = 150
MAX_PAGE_SIZE = 10_000
ExportFormat = Literal["json", "csv", "xlsx"]
ExportStatus = Literal["pending", "processing", "completed", "failed"]


def iso_ms_z(value: dt.datetime) -> str:
    """`2024-01-01T00:00:00.000Z`: the only instant spelling the API accepts."""
    utc = value.astimezone(dt.UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


class DateRange(BaseModel):
    """`dateRange`: the instants `[start, end)`, timezone-aware, kept in UTC."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    start: dt.datetime
    end: dt.datetime

    @field_validator("start", "end")
    @classmethod
    def _aware(cls, value: dt.datetime) -> dt.datetime:
        return require_offset(value).astimezone(dt.UTC)

    @classmethod
    def of(cls, days: DayRange) -> DateRange:
        return cls(start=days.start, end=days.end)

    def to_json(self) -> dict[str, str]:
        return {"start": iso_ms_z(self.start), "end": iso_ms_z(self.end)}


class ExportRequest(BaseModel):
    """Body of `POST /api/v2/analytics/data-exports`; build by field name or by API alias."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    report_id: str = Field(default=INTERACTIONS_REPORT, alias="reportId", min_length=1)
    date_range: DateRange = Field(alias="dateRange")
    format: ExportFormat = "json"
    columns: list[str] = Field(
        default_factory=lambda: list(RECORD_FIELDS), min_length=1, max_length=MAX_COLUMNS
    )
    filters: dict[str, Any] | None = None
    page_size: int = Field(default=1000, alias="pageSize", ge=1, le=MAX_PAGE_SIZE)

    @field_validator("date_range")
    @classmethod
    def _window(cls, value: DateRange) -> DateRange:
        if value.end <= value.start:
            raise ValueError(
                f"dateRange.end ({iso_ms_z(value.end)}) must be after dateRange.start "
                f"({iso_ms_z(value.start)})"
            )
        if value.end - value.start > MAX_SPAN:
            span = (value.end - value.start) / dt.timedelta(days=1)
            raise ValueError(
                f"dateRange spans {span:g} days; the limit is {MAX_RANGE_DAYS} days "
                "(split the range first: cx_assets.cxone.ranges.split_days)"
            )
        return value

    @field_validator("columns")
    @classmethod
    def _known_columns(cls, value: list[str]) -> list[str]:
        unknown = [c for c in value if c not in RECORD_FIELDS]
        if unknown:
            raise ValueError(
                f"unknown column(s) {', '.join(map(repr, unknown))}; "
                f"known: {', '.join(RECORD_FIELDS)}"
            )
        repeated = sorted({c for c in value if value.count(c) > 1})
        if repeated:
            raise ValueError(f"column(s) listed more than once: {', '.join(repeated)}")
        return value

    @field_validator("filters")
    @classmethod
    def _known_filter_keys(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        unknown = [k for k in value or {} if k not in RECORD_FIELDS]
        if unknown:
            raise ValueError(
                f"filters on unknown field(s) {', '.join(map(repr, unknown))}; "
                f"known: {', '.join(RECORD_FIELDS)}"
            )
        return value

    @classmethod
    def for_range(
        cls,
        days: DayRange,
        *,
        fmt: ExportFormat = "json",
        columns: tuple[str, ...] | list[str] = RECORD_FIELDS,
        page_size: int = 1000,
        filters: dict[str, Any] | None = None,
    ) -> ExportRequest:
        return cls(
            date_range=DateRange.of(days),
            format=fmt,
            columns=list(columns),
            page_size=page_size,
            filters=filters,
        )

    def to_json(self) -> dict[str, Any]:
        """The wire body as the tutorial sends it: API field names, instants as ISO ms Z, and
        `filters` always present (`{}` when there are none)."""
        body = self.model_dump(by_alias=True)
        body["dateRange"] = self.date_range.to_json()
        body["filters"] = body["filters"] or {}
        return body


class CreatedExport(BaseModel):
    """The answer to `POST /api/v2/analytics/data-exports`: the tutorial reads only its `id`."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: str = Field(min_length=1)


class ExportJob(BaseModel):
    """An export as `GET /api/v2/analytics/data-exports/{id}` reports it."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: str = Field(min_length=1)
    status: ExportStatus
    errorMessage: str | None = None
    totalRecords: int | None = Field(default=None, ge=0)
