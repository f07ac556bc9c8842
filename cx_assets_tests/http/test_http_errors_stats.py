"""Contract: ApiError reads `METHOD /path -> status: server message`, picks the message from
Genesys or OAuth bodies, survives pickling; RequestStats counts correctly across threads."""

from __future__ import annotations

import pickle
import threading

import httpx
import pytest

from cx_assets.http.errors import (
    ApiError,
    ConflictError,
    ForbiddenError,
    NotFoundError,
    RetriesExhausted,
    error_from_response,
)
from cx_assets.http.retry import RetrySettings
from cx_assets.http.stats import RequestStats, RequestStatsSnapshot


def _response(status: int, **kwargs) -> httpx.Response:
    request = httpx.Request("POST", "https://api.example.com/api/v2/dataexports?token=abc")
    return httpx.Response(status, request=request, **kwargs)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {
                "json": {
                    "status": 400,
                    "code": "bad.request",
                    "message": "endDate must be after startDate",
                }
            },
            "endDate must be after startDate",
        ),
        (
            {"json": {"error": "invalid_scope", "error_description": "scope x not allowed"}},
            "scope x not allowed",
        ),
        ({"json": {"error": "invalid_client"}}, "invalid_client"),
        ({"text": "<html>  Bad \n gateway </html>"}, "<html> Bad gateway </html>"),
        ({"content": b""}, "Bad Request"),
    ],
)
def test_message_comes_from_the_body(kwargs: dict, message: str) -> None:
    error = error_from_response("POST", _response(400, **kwargs))
    assert str(error) == f"POST /api/v2/dataexports -> 400: {message}"
    assert error.url == "https://api.example.com/api/v2/dataexports"


def test_long_text_bodies_are_cut_short() -> None:
    error = error_from_response("GET", _response(502, text="x" * 5000))
    assert len(error.message) < 400


@pytest.mark.parametrize(
    ("status", "cls"), [(403, ForbiddenError), (404, NotFoundError), (409, ConflictError)]
)
def test_status_picks_the_subclass(status: int, cls: type[ApiError]) -> None:
    assert type(error_from_response("GET", _response(status, json={"message": "m"}))) is cls


def test_errors_pickle_round_trip() -> None:
    last = ApiError(503, "get", "https://h/p?sig=1", "busy", code="svc")
    error = RetriesExhausted(last, attempts=3, elapsed_s=1.25)
    copy = pickle.loads(pickle.dumps(error))
    assert (
        str(copy) == str(error) == "GET /p -> 503: gave up after 3 attempt(s) in 1.2 s; last: busy"
    )
    assert copy.last_error.status == 503


def test_connection_failure_reads_as_no_response() -> None:
    assert str(ApiError(None, "GET", "http://h/x", "ConnectError")) == (
        "GET /x -> no response: ConnectError"
    )


def test_stats_count_across_threads_and_subtract() -> None:
    stats = RequestStats()
    before = stats.snapshot()

    def work() -> None:
        for _ in range(1000):
            stats.add("requests")
            stats.add("bytes_received", 10)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stats.add("wait_seconds", 0.5)
    assert stats.requests == 8000
    assert stats.as_dict() == {
        "requests": 8000,
        "retries": 0,
        "throttled": 0,
        "server_errors": 0,
        "connection_errors": 0,
        "token_requests": 0,
        "bytes_received": 80000,
        "wait_seconds": 0.5,
    }
    assert (stats.snapshot() - before) == RequestStatsSnapshot(
        requests=8000, bytes_received=80000, wait_seconds=0.5
    )
    with pytest.raises(KeyError):
        stats.add("requestz")


def test_retry_settings_reject_nonsense_and_bound_the_backoff() -> None:
    with pytest.raises(ValueError, match="max_attempts"):
        RetrySettings(max_attempts=0)
    settings = RetrySettings(initial_backoff_s=1, max_backoff_s=5, jitter_s=0)
    assert [settings.backoff(n) for n in (1, 2, 3, 4, 10)] == [1, 2, 4, 5, 5]


@pytest.mark.parametrize(
    ("status", "transient"),
    [
        *[(status, True) for status in (None, 408, 429, 500, 503)],
        *[(status, False) for status in (400, 401, 403, 404, 409, 422)],
    ],
)
def test_only_no_answer_timeouts_throttling_and_server_errors_are_transient(
    status: int | None, transient: bool
) -> None:
    error = ApiError(status, "GET", "https://api.example.com/api/v2/x", "boom")
    assert error.transient is transient
