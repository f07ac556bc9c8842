"""Contract: the platform-mode details-job response models (docs/api-contract.md "# Platform
mode"; the strict request is in test_platform_query.py).

Responses are tolerant: each needs only what the flow uses, ignores unknown fields and accepts
every reasonable reading the contract leaves open; a body that still cannot be read fails once
with an `UnreadableResponse` that names the field and what arrived (never its whole content).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

import httpx
import pytest

from cx_assets.genesys.conversations.platform import short_cursor
from cx_assets.genesys.conversations.platform_models import (
    AsyncQueryResponse,
    AsyncQueryStatus,
    DataAvailability,
    DayResults,
    PageFile,
    ResultsPage,
    read_response,
)
from cx_assets.http.errors import ApiError, UnreadableResponse

URL = "https://api.mypurecloud.ie/api/v2/analytics/conversations/details/jobs/j1/results"
DAY = dt.date(2024, 1, 1)
INTERVAL = "2024-01-01T00:00:00.000Z/2024-01-02T00:00:00.000Z"
MIDNIGHT = dt.datetime(2024, 1, 2, tzinfo=dt.UTC)


def served(body: Any, *, raw: bytes | None = None) -> httpx.Response:
    content = raw if raw is not None else json.dumps(body).encode()
    return httpx.Response(200, content=content, request=httpx.Request("GET", f"{URL}?cursor=c1"))


def unreadable(model: type, body: Any = None, *, raw: bytes | None = None) -> str:
    with pytest.raises(UnreadableResponse) as err:
        read_response(model, served(body, raw=raw))
    assert isinstance(err.value, ApiError) and not err.value.transient  # never retried
    return str(err.value)


# -- job creation and status ------------------------------------------------------------------


def test_create_answer_needs_only_a_job_id() -> None:
    job = read_response(AsyncQueryResponse, served({"jobId": "j1", "selfUri": "/x", "n": 1}))
    assert job.jobId == "j1"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"id": "j1"}, "field 'jobId': required but absent (got an object with fields [id])"),
        ({"jobId": ""}, "field 'jobId': String should have at least 1 character"),
        ({"jobId": 7}, "field 'jobId': Input should be a valid string (got 7)"),
    ],
)
def test_create_answer_without_a_job_id_is_unreadable(body: Any, expected: str) -> None:
    message = unreadable(AsyncQueryResponse, body)
    assert message.startswith(f"GET {URL.split('.ie')[1]} -> 200: response cannot be read")
    assert expected in message
    assert "cursor" not in message  # the query string never reaches a message


def test_status_needs_only_state() -> None:
    status = read_response(AsyncQueryStatus, served({"state": "QUEUED"}))
    assert (status.state, status.errorMessage, status.expirationDate) == ("QUEUED", None, None)


def test_status_reads_every_optional_field_in_any_iso_form() -> None:
    status = read_response(
        AsyncQueryStatus,
        served(
            {
                "state": "FAILED",
                "errorMessage": "too big",
                "submissionDate": "2024-01-02T03:04:05Z",
                "completionDate": "2024-01-02T03:04:06.789+00:00",
                "expirationDate": "",
                "somethingNew": {"x": 1},
            }
        ),
    )
    assert status.errorMessage == "too big"
    assert status.submissionDate == dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    assert status.completionDate == dt.datetime(2024, 1, 2, 3, 4, 6, 789000, tzinfo=dt.UTC)
    assert status.expirationDate is None


def test_state_is_read_in_any_case_and_unknown_states_still_parse() -> None:
    """Unknown states are treated as still running by `wait` (bounded by its timeout), so a new
    enum value from Genesys never crashes parsing."""
    assert read_response(AsyncQueryStatus, served({"state": " fulfilled "})).state == "FULFILLED"
    odd = read_response(AsyncQueryStatus, served({"state": "RUNNING"}))
    assert (odd.state, odd.known) == ("RUNNING", False)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"status": "done"}, "field 'state': required but absent (got an object with fields"),
        ({"state": None}, "field 'state': Input should be a valid string (got None)"),
        ({"state": ""}, "field 'state': String should have at least 1 character"),
        ([{"state": "QUEUED"}], "the body: Input should be an object"),
        ({"state": "QUEUED", "completionDate": "soon"}, "field 'completionDate'"),
    ],
)
def test_status_that_cannot_be_read_names_the_field(body: Any, expected: str) -> None:
    assert expected in unreadable(AsyncQueryStatus, body)


# -- results pages ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"conversations": None},
        {"conversations": []},
        {"conversations": [], "cursor": None},
        {"conversations": [], "cursor": ""},
    ],
)
def test_a_page_without_conversations_or_cursor_is_an_empty_last_page(body: Any) -> None:
    page = read_response(ResultsPage, served(body))
    assert (page.conversation_count, page.cursor, page.dataAvailabilityDate) == (0, None, None)


def test_a_page_with_a_cursor_and_a_watermark() -> None:
    page = read_response(
        ResultsPage,
        served(
            {
                "conversations": [{"conversationId": "a"}, {"conversationId": "b", "x": [1]}],
                "cursor": "opaque/+=token",
                "dataAvailabilityDate": "2024-01-02T06:00:00.000Z",
                "totalHits": 2,
            }
        ),
    )
    assert page.conversation_count == 2
    assert page.cursor == "opaque/+=token"
    assert page.dataAvailabilityDate == dt.datetime(2024, 1, 2, 6, tzinfo=dt.UTC)


def test_a_numeric_cursor_is_kept_as_the_text_to_send_back() -> None:
    assert read_response(ResultsPage, served({"cursor": 1234})).cursor == "1234"


def test_a_broken_page_says_what_arrived_without_dumping_conversations() -> None:
    secret_number = "tel:+15551234567"
    message = unreadable(ResultsPage, {"conversations": {"ani": secret_number}})
    assert "field 'conversations': Input should be a valid array" in message
    assert "got an object with fields [ani]" in message
    assert secret_number not in message
    message = unreadable(ResultsPage, {"conversations": ["x"]})
    assert "field 'conversations.0': Input should be an object (got 'x')" in message


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"<html>gateway</html>", "response is not JSON: '<html>gateway</html>'"),
        (b"", "the body: Input should be an object (got None)"),
        (b'{"conversations": [', "response is not JSON"),
    ],
)
def test_a_body_that_is_not_a_json_object_is_unreadable(raw: bytes, expected: str) -> None:
    assert expected in unreadable(ResultsPage, raw=raw)


# -- availability -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "2024-01-02T00:00:00Z",
        "2024-01-02T00:00:00.000Z",
        "2024-01-02T00:00:00+00:00",
        "2024-01-02T00:00:00.000+00:00",
        "2024-01-02T00:00:00.000000+0000",
        "2024-01-02T01:00:00+01:00",
        "2024-01-02T00:00:00",  # no offset: Genesys states UTC
    ],
)
def test_availability_reads_every_iso_form_as_aware_utc(text: str) -> None:
    when = read_response(DataAvailability, served({"dataAvailabilityDate": text}))
    assert when.dataAvailabilityDate == MIDNIGHT
    assert when.dataAvailabilityDate.tzinfo is dt.UTC


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({}, "field 'dataAvailabilityDate': required but absent (got an empty object)"),
        ({"dataAvailabilityDate": None}, "field 'dataAvailabilityDate'"),
        ({"dataAvailabilityDate": "yesterday"}, "(got 'yesterday')"),
    ],
)
def test_availability_without_a_date_is_unreadable(body: Any, expected: str) -> None:
    message = unreadable(DataAvailability, body)
    assert "cannot be read as DataAvailability" in message
    assert expected in message


# -- what a day produced ----------------------------------------------------------------------


def test_page_file_hashes_exactly_the_bytes_served() -> None:
    content = b'{"conversations":[{"conversationId":"a"}],"cursor":"c"}  \n'
    page = PageFile.of(
        "page-00001.json", content, read_response(ResultsPage, served(None, raw=content))
    )
    assert page.sha256 == hashlib.sha256(content).hexdigest()
    assert (page.bytes, page.conversations, page.had_cursor) == (len(content), 1, True)


def _day(watermark: dt.datetime | None) -> DayResults:
    now = dt.datetime(2024, 1, 3, tzinfo=dt.UTC)
    return DayResults(
        day=DAY, job_id="j", interval=INTERVAL, pages=(), conversations=0,
        data_availability=watermark, resubmitted=False, replaced_job_id=None,
        submitted_at=now, fulfilled_at=now, finished_at=now, request_stats=None,
    )  # fmt: skip


def test_a_day_is_provisional_until_data_is_available_past_its_end() -> None:
    assert _day(MIDNIGHT - dt.timedelta(seconds=1)).provisional is True
    assert _day(MIDNIGHT).provisional is False
    assert _day(None).provisional is None


def test_cursors_are_shortened_for_logs() -> None:
    cursor = "eyJhbGciOiJIUzI1NiJ9.secret-part"
    assert short_cursor(cursor) == f"'eyJhbG'… ({len(cursor)} chars)"
    assert "secret" not in short_cursor(cursor)
    assert short_cursor(None) == "none (first page)"
