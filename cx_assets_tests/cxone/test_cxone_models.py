"""Contract: an export request that breaks a rule of the CXone API (format, 1-150 known columns,
filter keys, page size 1-10000, end after start, span at most 90 days, unknown fields) fails
before any request with a message naming the field and the limit; a valid one serialises to
the tutorial's wire shape (API names, ISO 8601 with milliseconds and Z, `filters` always there).
The create answer needs only `id`."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from pydantic import ValidationError

from cx_assets.cxone.endpoints import RECORD_FIELDS
from cx_assets.cxone.models import CreatedExport, DateRange, ExportJob, ExportRequest
from cx_assets.cxone.ranges import DayRange

UTC = dt.UTC
JAN = DayRange(dt.date(2024, 1, 1), dt.date(2024, 1, 31))


def _request(**fields: Any) -> ExportRequest:
    body: dict[str, Any] = {"dateRange": DateRange.of(JAN), **fields}
    return ExportRequest(**body)


def _message(excinfo: pytest.ExceptionInfo[ValidationError]) -> str:
    return str(excinfo.value)


def test_wire_shape_uses_api_names_and_ms_z_instants() -> None:
    body = ExportRequest.for_range(JAN, page_size=250).to_json()
    assert body == {
        "reportId": "interactions",
        "dateRange": {"start": "2024-01-01T00:00:00.000Z", "end": "2024-02-01T00:00:00.000Z"},
        "format": "json",
        "columns": list(RECORD_FIELDS),
        "filters": {},  # always sent, as the tutorial does (`filters or {}`)
        "pageSize": 250,
    }


def test_offsets_are_converted_to_utc_with_milliseconds() -> None:
    start = dt.datetime(2024, 1, 1, 1, 30, 0, 123456, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    span = DateRange(start=start, end=start + dt.timedelta(hours=1))
    assert span.to_json() == {
        "start": "2024-01-01T00:30:00.123Z",
        "end": "2024-01-01T01:30:00.123Z",
    }


def test_exactly_90_days_is_allowed_91_is_not() -> None:
    ninety = DayRange(dt.date(2024, 1, 1), dt.date(2024, 3, 30))
    assert ninety.days == 90
    assert ExportRequest.for_range(ninety).date_range.end == dt.datetime(2024, 3, 31, tzinfo=UTC)
    with pytest.raises(ValidationError) as excinfo:
        ExportRequest.for_range(DayRange(dt.date(2024, 1, 1), dt.date(2024, 3, 31)))
    assert "dateRange spans 91 days; the limit is 90 days" in _message(excinfo)


@pytest.mark.parametrize(
    ("start", "end"),
    [("2024-01-02T00:00:00Z", "2024-01-01T00:00:00Z"), ("2024-01-01T00:00:00Z",) * 2],
)
def test_end_must_be_after_start(start: str, end: str) -> None:
    with pytest.raises(ValidationError) as excinfo:
        ExportRequest(dateRange={"start": start, "end": end})
    assert "dateRange.end" in _message(excinfo)
    assert "must be after dateRange.start" in _message(excinfo)


def test_naive_instants_are_refused() -> None:
    with pytest.raises(ValidationError) as excinfo:
        ExportRequest(dateRange={"start": "2024-01-01T00:00:00", "end": "2024-01-02T00:00:00Z"})
    assert "dateRange.start" in _message(excinfo)
    assert "UTC offset" in _message(excinfo)


@pytest.mark.parametrize(
    ("fields", "field", "limit"),
    [
        ({"pageSize": 0}, "pageSize", "greater than or equal to 1"),
        ({"pageSize": 10_001}, "pageSize", "less than or equal to 10000"),
        ({"columns": []}, "columns", "at least 1 item"),
        ({"columns": ["id"] * 151}, "columns", "at most 150 items"),
        ({"columns": ["id", "colour"]}, "columns", "unknown column(s) 'colour'"),
        ({"columns": ["id", "id"]}, "columns", "more than once: id"),
        ({"format": "parquet"}, "format", "'json', 'csv' or 'xlsx'"),
        ({"filters": {"mood": ["happy"]}}, "filters", "unknown field(s) 'mood'"),
        ({"reportId": ""}, "reportId", "at least 1 character"),
        ({"sortBy": "id"}, "sortBy", "Extra inputs are not permitted"),
    ],
)
def test_each_rule_names_its_field_and_limit(
    fields: dict[str, Any], field: str, limit: str
) -> None:
    with pytest.raises(ValidationError) as excinfo:
        _request(**fields)
    errors = excinfo.value.errors()
    assert len(errors) == 1
    assert errors[0]["loc"][0] == field
    assert limit in errors[0]["msg"]


def test_known_filters_and_partial_columns_pass() -> None:
    request = _request(filters={"medium": ["voice"]}, columns=["id", "startTime"], format="csv")
    body = request.to_json()
    assert body["filters"] == {"medium": ["voice"]}
    assert body["columns"] == ["id", "startTime"]
    assert body["format"] == "csv"


def test_job_ignores_unknown_response_fields_but_checks_status() -> None:
    job = ExportJob.model_validate({"id": "x1", "status": "failed", "errorMessage": "boom", "n": 1})
    assert (job.status, job.errorMessage) == ("failed", "boom")
    with pytest.raises(ValidationError):
        ExportJob.model_validate({"id": "x1", "status": "done"})


def test_create_answer_of_only_an_id_reads() -> None:
    """The tutorial reads only `id` from the create answer; a `status` beside it is ignored."""
    assert CreatedExport.model_validate({"id": "x1"}).id == "x1"
    assert CreatedExport.model_validate({"id": "x1", "status": "pending"}).id == "x1"
    with pytest.raises(ValidationError) as excinfo:
        CreatedExport.model_validate({"status": "pending"})
    assert excinfo.value.errors()[0]["loc"] == ("id",)
