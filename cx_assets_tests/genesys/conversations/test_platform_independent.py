"""Contract: `DetailsJobsClient.fetch_day` works against the independent platform server
(cx_assets_tests/independent), written from the contract text by someone who had read neither
the client nor the emulator, with every "other reasonable reading" it offers switched on.

Same outcomes as against the emulator: the day on disk with each conversation exactly once and
each page's SHA-256 right; FAILED names its errorMessage; an expiry while paging (410 here) is
resubmitted once, a second one fails clearly; 429s are waited out as Retry-After asks; a 403
names the permission; a timeout leaves the job CANCELLED on the server.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cx_assets.genesys.conversations.platform import (
    DayResults,
    DetailsJobsClient,
    DetailsJobSettings,
    JobExpired,
    JobFailed,
    JobTimeout,
)
from cx_assets.genesys.permissions import MissingPermission
from cx_assets.http.auth import ClientCredentialsAuth
from cx_assets.http.client import ApiClient
from cx_assets_tests.genesys.genesys_testkit import DAY, FAST_RETRY, RETRY_AFTER_CAP_S
from cx_assets_tests.independent.genesys_platform_server import (
    JOBS,
    VIEW,
    PlatformServer,
    Quirks,
    RunningServer,
    serve,
)

pytestmark = pytest.mark.integration

FAST = DetailsJobSettings(page_size=5, poll_initial_s=0.01, poll_max_s=0.05, timeout_s=5.0)


@pytest.fixture
def independent() -> Iterator[RunningServer]:
    """The independent server (what its own `independent_genesys` fixture starts)."""
    with serve() as running:
        yield running


@contextlib.contextmanager
def client_for(
    running: RunningServer, client_id: str = "", secret: str = "", **settings: Any
) -> Iterator[DetailsJobsClient]:
    """A platform client as a run builds it: Basic auth, no scope, the shared transport."""
    auth = ClientCredentialsAuth(
        f"{running.url}/oauth/token",
        client_id or running.client_id,
        secret or running.client_secret,
        retry=FAST_RETRY,
    )
    with ApiClient(running.url, auth=auth, retry=FAST_RETRY, timeout=5.0) as api:
        yield DetailsJobsClient(api, DetailsJobSettings(**{**FAST.__dict__, **settings}))


def ids_on_disk(result: DayResults, dest: Path) -> list[str]:
    """Exactly the result's pages are in `dest`, each hashing as recorded; their ids in order."""
    assert sorted(p.name for p in dest.iterdir()) == [p.name for p in result.pages]
    found: list[str] = []
    for page in result.pages:
        content = (dest / page.name).read_bytes()
        assert hashlib.sha256(content).hexdigest() == page.sha256
        assert len(content) == page.bytes
        conversations = json.loads(content).get("conversations") or []
        assert len(conversations) == page.conversations
        found += [c["conversationId"] for c in conversations]
    assert len(found) == result.conversations
    return found


def expected_ids(running: RunningServer) -> list[str]:
    return sorted(c["conversationId"] for c in running.server.conversations(DAY))


@pytest.mark.parametrize("quirks", ["all", "none"])
def test_a_day_lands_with_every_conversation_exactly_once(
    independent: RunningServer, tmp_path: Path, quirks: str
) -> None:
    if quirks == "none":
        independent.server.quirks = Quirks.obvious()
    with client_for(independent) as client:
        result = client.fetch_day(DAY, tmp_path)
    found = ids_on_disk(result, tmp_path)
    assert sorted(found) == expected_ids(independent)
    assert len(set(found)) == len(found)
    assert len(result.pages) > 1 and not result.pages[-1].had_cursor
    assert all(p.had_cursor for p in result.pages[:-1])
    assert result.data_availability is not None and result.provisional is False
    assert result.submitted_at <= result.fulfilled_at <= result.finished_at
    assert not result.resubmitted
    [job] = independent.server.jobs.values()
    assert job.job_id == result.job_id and job.query["startOfDayIntervalMatching"] is True


def test_failed_job_names_its_error_message(independent: RunningServer, tmp_path: Path) -> None:
    independent.server.fail_next_jobs(1, "Query timed out after 300 s")
    with client_for(independent) as client, pytest.raises(JobFailed) as err:
        client.fetch_day(DAY, tmp_path)
    assert "FAILED: Query timed out after 300 s" in str(err.value)
    assert str(DAY) in str(err.value)
    assert [j.state for j in independent.server.jobs.values()] == ["FAILED"]
    assert list(tmp_path.iterdir()) == []


def test_expiry_while_paging_is_resubmitted_once(
    independent: RunningServer, tmp_path: Path
) -> None:
    independent.server.expire_next_jobs(1, after_pages=2)
    with client_for(independent) as client:
        result = client.fetch_day(DAY, tmp_path)
    assert result.resubmitted
    first, second = independent.server.jobs.values()
    assert (first.state, result.replaced_job_id, result.job_id) == (
        "EXPIRED",
        first.job_id,
        second.job_id,
    )
    assert sorted(ids_on_disk(result, tmp_path)) == expected_ids(independent)


def test_second_expiry_fails_clearly(independent: RunningServer, tmp_path: Path) -> None:
    independent.server.expire_next_jobs(2, after_pages=1)
    with client_for(independent) as client, pytest.raises(JobExpired) as err:
        client.fetch_day(DAY, tmp_path)
    first, second = independent.server.jobs.values()
    assert f"details job {second.job_id} for {DAY} expired again" in str(err.value)
    assert f"after resubmitting expired job {first.job_id}" in str(err.value)
    assert "410" in str(err.value)
    assert list(tmp_path.iterdir()) == []


def test_429_storm_on_results_honours_retry_after(
    independent: RunningServer, tmp_path: Path
) -> None:
    independent.server.add_fault("http_429", count=3, path_contains="/results", retry_after=2)
    with client_for(independent) as client:
        result = client.fetch_day(DAY, tmp_path)
    assert sorted(ids_on_disk(result, tmp_path)) == expected_ids(independent)
    stats = result.request_stats
    assert stats is not None and stats["throttled"] == 3
    # 2 s asked, capped to RETRY_AFTER_CAP_S in tests; the no-hint backoff is ~10 ms.
    assert stats["wait_seconds"] >= 3 * RETRY_AFTER_CAP_S
    assert [s.status for s in independent.server.served].count(429) == 3


def test_403_names_the_permission(independent: RunningServer, tmp_path: Path) -> None:
    independent.server.add_client("no-analytics", "secret-0001", permissions={"users:view"})
    with (
        client_for(independent, "no-analytics", "secret-0001") as client,
        pytest.raises(MissingPermission) as err,
    ):
        client.fetch_day(DAY, tmp_path)
    message = str(err.value)
    assert message.startswith(f"POST {JOBS} -> 403: Unable to perform the requested action")
    assert "needs the permission analytics:conversationDetail:view (or " in message
    assert "Genesys Cloud Admin > OAuth" in message
    assert independent.server.jobs == {}


def test_availability_reads_the_offset_form(independent: RunningServer) -> None:
    independent.server.availability_date = dt.datetime(2024, 1, 2, 6, tzinfo=dt.UTC)
    independent.server.permissions[independent.client_id] = {VIEW}
    with client_for(independent) as client:
        assert client.availability() == dt.datetime(2024, 1, 2, 6, tzinfo=dt.UTC)


def test_timeout_cancels_the_job(tmp_path: Path) -> None:
    server = PlatformServer()
    server.polls_until_fulfilled = 10_000
    with serve(server) as running, client_for(running, timeout_s=0.2) as client:
        with pytest.raises(JobTimeout) as err:
            client.fetch_day(DAY, tmp_path)
        [job] = server.jobs.values()
        assert job.state == "CANCELLED"
    assert f"details job {job.job_id} for {DAY} still PENDING after 0.2 s" in str(err.value)
    assert [s.method for s in server.served].count("DELETE") == 1
