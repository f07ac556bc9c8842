"""Contract: ApiClient against a real loopback server. 429 honours Retry-After (seconds, date,
or backoff when malformed); 5xx, timeouts and dropped connections back off and retry; other 4xx
fail at once with the server's message; retries stop at max attempts or max total time; POSTs
are only repeated when that is safe; rate-limit headers pace later requests; presigned downloads
send no credentials, are tried once, and never show their signature."""

from __future__ import annotations

import email.utils
import time

import httpx
import pytest
from http_scripted_server import ScriptedServer, Step
from http_testkit import FAST_RETRY, SleepRecorder, make_auth

from cx_assets.http.client import ApiClient
from cx_assets.http.errors import (
    ApiError,
    ConflictError,
    ForbiddenError,
    NotFoundError,
    RetriesExhausted,
)
from cx_assets.http.retry import RetrySettings

PATH = "/api/v2/things"


def test_plain_get_returns_json_and_counts(client: ApiClient, server: ScriptedServer) -> None:
    assert client.get_json(PATH, params={"pageSize": 5}) == {"path": PATH, "method": "GET"}
    call = server.calls(PATH)[0]
    assert call.query == "pageSize=5"
    assert call.headers["user-agent"] == "cx-assets/0.1"
    stats = client.stats.as_dict()
    assert stats["requests"] == 1 and stats["token_requests"] == 1
    assert stats["bytes_received"] > 0 and stats["retries"] == 0


def test_429_waits_retry_after_seconds_then_succeeds(
    client: ApiClient, server: ScriptedServer, sleeps: SleepRecorder
) -> None:
    server.script("GET", PATH, Step(429, {"message": "slow down"}, {"Retry-After": "3"}))
    assert client.get_json(PATH)["path"] == PATH
    assert sleeps.calls == [3.0]
    assert len(server.calls(PATH)) == 2
    assert client.stats.throttled == 1 and client.stats.retries == 1


def test_429_with_http_date_waits_until_that_date(
    client: ApiClient, server: ScriptedServer, sleeps: SleepRecorder
) -> None:
    when = email.utils.formatdate(time.time() + 8, usegmt=True)
    server.script("GET", PATH, Step(429, {"message": "slow down"}, {"Retry-After": when}))
    client.get_json(PATH)
    assert len(sleeps.calls) == 1 and 6.0 <= sleeps.calls[0] <= 8.0


def test_429_asking_longer_than_the_retry_budget_gives_up_at_once(
    client: ApiClient, server: ScriptedServer, sleeps: SleepRecorder
) -> None:
    server.script("GET", PATH, Step(429, {"message": "slow down"}, {"Retry-After": "60"}))
    with pytest.raises(RetriesExhausted) as err:
        client.get_json(PATH)
    assert sleeps.calls == []
    assert "the next wait would pass max_total_s=10" in str(err.value)
    assert err.value.status == 429


def test_429_with_malformed_retry_after_falls_back_to_backoff(
    client: ApiClient, server: ScriptedServer, sleeps: SleepRecorder
) -> None:
    server.script("GET", PATH, Step(429, {"message": "x"}, {"Retry-After": "soon-ish"}))
    client.get_json(PATH)
    assert sleeps.calls == [FAST_RETRY.initial_backoff_s]


def test_503_twice_then_success_backs_off_exponentially(
    client: ApiClient, server: ScriptedServer, sleeps: SleepRecorder
) -> None:
    server.script("GET", PATH, Step(503, {"message": "busy"}), Step(503, {"message": "busy"}))
    assert client.get_json(PATH)["path"] == PATH
    assert sleeps.calls == [0.01, 0.02]
    assert client.stats.server_errors == 2 and client.stats.retries == 2
    assert client.stats.wait_seconds == pytest.approx(0.03)


def test_400_fails_at_once_with_the_server_message(
    client: ApiClient, server: ScriptedServer
) -> None:
    body = {"status": 400, "code": "bad.request", "message": "endDate must be after startDate"}
    server.script("POST", "/api/v2/dataexports", Step(400, body))
    with pytest.raises(ApiError) as err:
        client.post_json("/api/v2/dataexports", {"startDate": "b", "endDate": "a"})
    assert str(err.value) == "POST /api/v2/dataexports -> 400: endDate must be after startDate"
    assert err.value.status == 400 and err.value.code == "bad.request"
    assert len(server.calls("/api/v2/dataexports")) == 1


@pytest.mark.parametrize(
    ("status", "cls"), [(403, ForbiddenError), (404, NotFoundError), (409, ConflictError)]
)
def test_other_4xx_raise_their_subclass_without_retry(
    client: ApiClient, server: ScriptedServer, status: int, cls: type[ApiError]
) -> None:
    server.script("GET", PATH, Step(status, {"message": f"nope {status}"}))
    with pytest.raises(cls, match=f"GET /api/v2/things -> {status}: nope {status}"):
        client.get_json(PATH)
    assert len(server.calls(PATH)) == 1


def test_dropped_connection_then_success(client: ApiClient, server: ScriptedServer) -> None:
    server.script("GET", PATH, Step(200, {"partial": True}, drop=True))
    assert client.get_json(PATH) == {"path": PATH, "method": "GET"}
    assert client.stats.connection_errors == 1 and client.stats.retries == 1


def test_retries_exhausted_by_attempts(client: ApiClient, server: ScriptedServer) -> None:
    server.always("GET", PATH, Step(503, {"message": "still busy"}))
    with pytest.raises(RetriesExhausted) as err:
        client.get_json(PATH)
    assert err.value.status == 503 and err.value.attempts == FAST_RETRY.max_attempts
    assert "gave up after 4 attempt(s)" in str(err.value) and "max_attempts=4" in str(err.value)
    assert str(err.value).endswith("last: still busy")
    assert len(server.calls(PATH)) == 4


def test_retries_exhausted_by_total_time(server: ScriptedServer) -> None:
    server.always("GET", PATH, Step(502, {"message": "bad gateway"}))
    retry = RetrySettings(
        max_attempts=1000, max_total_s=0.3, initial_backoff_s=0.02, max_backoff_s=0.05, jitter_s=0
    )
    api = ApiClient(server.base_url, auth=make_auth(server), retry=retry)
    with api, pytest.raises(RetriesExhausted) as err:
        api.get_json(PATH)
    assert 1 < err.value.attempts < 1000
    assert len(server.calls(PATH)) == err.value.attempts
    assert err.value.last_error.status == 502


def test_connection_refused_is_an_api_error_without_status(server: ScriptedServer) -> None:
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}"
    sleeps = SleepRecorder()
    api = ApiClient(dead, auth=None, retry=FAST_RETRY, sleep=sleeps)
    with api, pytest.raises(RetriesExhausted) as err:
        api.get_json(PATH + "?token=abcdef123")
    assert err.value.status is None
    assert str(err.value).startswith("GET /api/v2/things -> no response: gave up after 4")
    assert "abcdef123" not in str(err.value)
    assert api.stats.connection_errors == 4


def test_get_read_timeout_is_retried(server: ScriptedServer) -> None:
    server.script("GET", PATH, Step(200, {"late": True}, delay_s=1.0))
    with ApiClient(server.base_url, auth=make_auth(server), retry=FAST_RETRY, timeout=0.2) as api:
        assert api.get_json(PATH) == {"path": PATH, "method": "GET"}
        assert api.stats.connection_errors == 1


def test_post_read_timeout_is_retried_because_callers_tolerate_duplicates(
    server: ScriptedServer,
) -> None:
    server.script("POST", PATH, Step(202, {"late": True}, delay_s=1.0))
    with ApiClient(server.base_url, auth=make_auth(server), retry=FAST_RETRY, timeout=0.2) as api:
        assert api.post_json(PATH, {"a": 1}) == {"path": PATH, "method": "POST"}
    assert len(server.calls(PATH)) == 2


def test_post_cut_mid_response_is_not_repeated(client: ApiClient, server: ScriptedServer) -> None:
    server.script("POST", PATH, Step(202, {"id": "x"}, drop=True))
    with pytest.raises(ApiError) as err:
        client.post_json(PATH, {"a": 1})
    assert err.value.status is None and not isinstance(err.value, RetriesExhausted)
    assert str(err.value).startswith("POST /api/v2/things -> no response: RemoteProtocolError")
    assert len(server.calls(PATH)) == 1


def test_post_503_is_retried(client: ApiClient, server: ScriptedServer) -> None:
    server.script("POST", PATH, Step(503, {"message": "busy"}))
    assert client.post_json(PATH, {"a": 1})["method"] == "POST"
    assert len(server.calls(PATH)) == 2


@pytest.mark.parametrize(
    "headers",
    [
        {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "7"},
        {
            "inin-ratelimit-count": "300",
            "inin-ratelimit-allowed": "300",
            "inin-ratelimit-reset": "7",
        },
    ],
)
def test_rate_limit_headers_pace_the_next_request(
    client: ApiClient, server: ScriptedServer, sleeps: SleepRecorder, headers: dict
) -> None:
    server.script("GET", PATH, Step(200, {"n": 1}, headers))
    client.get_json(PATH)
    assert sleeps.calls == []
    client.get_json(PATH)
    assert len(sleeps.calls) == 1 and 6.0 < sleeps.calls[0] <= 7.0
    assert client.stats.throttled == 0 and client.stats.wait_seconds == sleeps.calls[0]


def test_absolute_url_on_another_host_is_refused_before_sending(
    client: ApiClient, server: ScriptedServer
) -> None:
    with pytest.raises(
        ValueError, match=r"refusing to send credentials to 'http://evil\.example/x'"
    ):
        client.get_json("http://evil.example/x?token=t")
    assert server.seen == []
    assert client.get_json(server.base_url + PATH)["path"] == PATH  # same origin is fine


# -- presigned downloads -------------------------------------------------------------------

SIGNED = "/files/exp-1/part-0.jsonl"
QUERY = "?X-Amz-Date=20240101T000000Z&X-Amz-Expires=900&X-Amz-Signature=abcdef0123456789"


def test_download_streams_without_credentials(client: ApiClient, server: ScriptedServer) -> None:
    payload = b"line\n" * 50_000
    server.script("GET", SIGNED, Step(200, body=payload))
    client.get_json(PATH)  # a token exists now; it must not travel with the download
    with client.stream_download(server.base_url + SIGNED + QUERY) as response:
        received = b"".join(response.iter_raw(65536))
    assert received == payload
    call = server.calls(SIGNED)[0]
    assert "authorization" not in call.headers
    assert "X-Amz-Signature=abcdef0123456789" in call.query
    assert client.stats.bytes_received >= len(payload)


def test_download_403_is_single_attempt_and_hides_the_signature(
    client: ApiClient, server: ScriptedServer
) -> None:
    server.script("GET", SIGNED, Step(403, {"message": "Request has expired " + QUERY}))
    with (
        pytest.raises(ForbiddenError) as err,
        client.stream_download(server.base_url + SIGNED + QUERY),
    ):
        pass
    text = f"{err.value} {err.value.url} {err.value!r}"
    assert "abcdef0123456789" not in text
    assert str(err.value).startswith("GET /files/exp-1/part-0.jsonl -> 403: Request has expired")
    assert err.value.url == server.base_url + SIGNED


def test_download_503_is_not_retried_here(client: ApiClient, server: ScriptedServer) -> None:
    server.script("GET", SIGNED, Step(503, {"message": "busy"}))
    with pytest.raises(ApiError) as err, client.stream_download(server.base_url + SIGNED + QUERY):
        pass
    assert err.value.status == 503 and len(server.calls(SIGNED)) == 1


def test_download_cut_mid_body_reaches_the_caller_as_transport_error(
    client: ApiClient, server: ScriptedServer
) -> None:
    server.script("GET", SIGNED, Step(200, body=b"x" * 10_000, drop=True))
    with pytest.raises(httpx.TransportError):  # noqa: SIM117
        with client.stream_download(server.base_url + SIGNED + QUERY) as response:
            for _ in response.iter_raw():
                pass
    assert client.stats.connection_errors == 1


def test_download_to_a_dead_port_is_an_api_error(client: ApiClient) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}{SIGNED}{QUERY}"
    with pytest.raises(ApiError) as err, client.stream_download(dead):
        pass
    assert err.value.status is None and "abcdef0123456789" not in str(err.value)
