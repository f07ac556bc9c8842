"""Contract: `fetch_day` against each of the emulator's platform fault switches.

A FAILED job ends in an error carrying its errorMessage; a job that expires while paging is
resubmitted once and the day still lands whole, a second expiry fails clearly; a cursor the
server refuses fails at once (not retried) and the job is cancelled; a 429 storm on the results
is waited out as Retry-After asks; a page cut off mid-body is fetched again intact. Faults aimed
at one job's results are switched on when the test sees that job's id go by (`on_response`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from cx_assets.emulator import EmulatorServer
from cx_assets.genesys.conversations.platform import JobExpired, JobFailed, ResultsRejected
from cx_assets_tests.genesys.conversations.test_platform_client import (
    JOBS,
    assert_whole_day,
    job_states,
    platform_client,
)
from cx_assets_tests.genesys.genesys_testkit import DAY, RETRY_AFTER_CAP_S, emulator_status_count

pytestmark = pytest.mark.integration

FAST_JOBS = {"details_job_delay_s": 0.0, "details_conversations_per_day": 60}


@pytest.fixture
def emu(emulator_factory) -> EmulatorServer:  # type: ignore[no-untyped-def]
    return emulator_factory(**FAST_JOBS)


def on_results_of_new_job(
    emu: EmulatorServer, fault: str
) -> tuple[Callable[[httpx.Response], None], list[str]]:
    """An `on_response` hook that switches `fault` on for the results of the first job created."""
    jobs: list[str] = []

    def hook(response: httpx.Response) -> None:
        request = response.request
        if request.method == "POST" and request.url.path == JOBS and response.is_success:
            response.read()
            if not jobs:
                jobs.append(response.json()["jobId"])
                emu.add_faults(f"{fault},path_prefix={JOBS}/{jobs[0]}/results")

    return hook, jobs


def test_failed_job_names_its_error_message(emu: EmulatorServer, dest: Path) -> None:
    emu.add_faults("job_failed")
    with platform_client(emu) as client, pytest.raises(JobFailed) as err:
        client.fetch_day(DAY, dest)
    [(job_id, state)] = job_states(emu).items()
    assert state == "FAILED" and emu.stats()["details_jobs_cancelled"] == 0  # final: kept
    with platform_client(emu) as client:
        reason = client.status(job_id).errorMessage
    assert reason
    assert str(err.value) == f"details job {job_id} for {DAY} FAILED: {reason}"
    assert list(dest.iterdir()) == []


def test_expiry_while_paging_resubmits_once(emu: EmulatorServer, dest: Path) -> None:
    emu.add_faults({"kind": "job_expired", "after": 2})
    with platform_client(emu, page_size=10) as client:
        result = client.fetch_day(DAY, dest)
    assert_whole_day(result, dest)  # pages 1 and 2 of the first job are gone
    assert result.resubmitted
    states = job_states(emu)
    assert states == {result.replaced_job_id: "EXPIRED", result.job_id: "FULFILLED"}
    assert emu.stats()["details_jobs_created"] == 2
    assert emulator_status_count(emu, f"{JOBS}/{result.replaced_job_id}/results", 404) == 1


def test_second_expiry_fails_clearly(emu: EmulatorServer, dest: Path) -> None:
    emu.add_faults({"kind": "job_expired", "after": 1, "count": 2})
    with platform_client(emu, page_size=10) as client, pytest.raises(JobExpired) as err:
        client.fetch_day(DAY, dest)
    first, second = job_states(emu)
    message = str(err.value)
    assert f"details job {second} for {DAY} expired again while paging" in message
    assert f"after resubmitting expired job {first}" in message
    assert "404" in message
    assert emu.stats()["details_jobs_created"] == 2
    assert list(dest.iterdir()) == []


def test_invalid_cursor_fails_once_and_cancels_the_job(emu: EmulatorServer, dest: Path) -> None:
    emu.add_faults("invalid_cursor")
    with platform_client(emu, page_size=10) as client, pytest.raises(ResultsRejected) as err:
        client.fetch_day(DAY, dest)
    [(job_id, state)] = job_states(emu).items()
    assert state == "CANCELLED" and emu.stats()["details_jobs_cancelled"] == 1
    message = str(err.value)
    assert message.startswith(f"GET {JOBS}/{job_id}/results -> 400: ")
    assert "cursor" in message.split(" -> 400: ")[1]
    assert message.endswith("; not retried")
    assert emulator_status_count(emu, f"{JOBS}/{job_id}/results", 400) == 1  # not repeated
    assert list(dest.iterdir()) == []


def test_429_storm_on_results_honours_retry_after(emu: EmulatorServer, dest: Path) -> None:
    hook, jobs = on_results_of_new_job(emu, "http_429:count=4,retry_after=2")
    with platform_client(emu, on_response=hook) as client:
        result = client.fetch_day(DAY, dest)
    assert_whole_day(result, dest)
    stats = result.request_stats
    assert stats is not None and stats["throttled"] == 4 and stats["retries"] == 4
    # 2 s asked, capped to RETRY_AFTER_CAP_S in tests; ignoring it would wait ~10 ms backoffs.
    assert stats["wait_seconds"] >= 4 * RETRY_AFTER_CAP_S
    assert emulator_status_count(emu, f"{JOBS}/{jobs[0]}/results", 429) == 4


def test_a_page_cut_off_mid_body_is_fetched_again_intact(emu: EmulatorServer, dest: Path) -> None:
    hook, jobs = on_results_of_new_job(emu, "drop_connection:count=1")
    with platform_client(emu, on_response=hook) as client:
        result = client.fetch_day(DAY, dest)
    assert_whole_day(result, dest)  # every page parses and hashes as recorded
    stats = result.request_stats
    assert stats is not None and stats["connection_errors"] == 1 and stats["retries"] == 1
    assert emu.stats()["faults_fired"]["drop_connection"] == 1
    assert len(jobs) == 1 and not result.resubmitted
