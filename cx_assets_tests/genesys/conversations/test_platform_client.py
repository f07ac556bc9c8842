"""Contract: `DetailsJobsClient.fetch_day` lands one UTC day from the emulator's platform routes
(real sockets, uvicorn): one details job, its pages on disk byte for byte as served, every
conversation of the day exactly once, each page's SHA-256 right; a role without the permission
gets an error naming it; a job that never finishes is cancelled on the server; a create whose
answer is lost is not sent again. Fault switches are in test_platform_faults.py.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import json
import logging
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from cx_assets.emulator import EmulatorServer
from cx_assets.genesys.conversations.platform import (
    DayResults,
    DetailsJobsClient,
    DetailsJobSettings,
    JobTimeout,
    SubmitUncertain,
)
from cx_assets.genesys.permissions import MissingPermission
from cx_assets.http.auth import ClientCredentialsAuth
from cx_assets.http.client import ApiClient
from cx_assets_tests.emulator.emulator_fixtures import EmulatorFactory
from cx_assets_tests.genesys.genesys_testkit import DAY, FAST_RETRY

pytestmark = pytest.mark.integration

JOBS = "/api/v2/analytics/conversations/details/jobs"
PER_DAY = 60
FAST_JOBS: dict[str, Any] = {"details_job_delay_s": 0.0, "details_conversations_per_day": PER_DAY}
FAST = DetailsJobSettings(page_size=7, poll_initial_s=0.01, poll_max_s=0.05, timeout_s=10.0)
VIEW = "analytics:conversationDetail:view"
AGENT_VIEW = "analytics:agentConversationDetail:view"


@pytest.fixture
def emu(emulator_factory: EmulatorFactory) -> EmulatorServer:
    return emulator_factory(**FAST_JOBS)


@contextlib.contextmanager
def platform_client(
    emu: EmulatorServer,
    client_id: str = "",
    secret: str = "",
    *,
    timeout: float = 10.0,
    on_response: Callable[[httpx.Response], None] | None = None,
    **settings: Any,
) -> Iterator[DetailsJobsClient]:
    """The client as a platform run builds it: Basic auth and no scope, the shared transport
    with test-sized waits."""
    auth = ClientCredentialsAuth(
        f"{emu.url}/oauth/token",
        client_id or emu.client_id,
        secret or emu.client_secret,
        retry=FAST_RETRY,
    )
    with ApiClient(
        emu.url, auth=auth, retry=FAST_RETRY, timeout=timeout, on_response=on_response
    ) as api:
        yield DetailsJobsClient(api, dataclasses.replace(FAST, **settings))


def conversations_on_disk(result: DayResults, dest: Path) -> list[dict[str, Any]]:
    """Exactly the result's pages are in `dest` (no temp files), each with its recorded size,
    SHA-256 and count; their conversations in page order."""
    assert sorted(p.name for p in dest.iterdir()) == [p.name for p in result.pages]
    assert [p.name for p in result.pages] == [
        f"page-{n:05d}.json" for n in range(1, len(result.pages) + 1)
    ]
    found: list[dict[str, Any]] = []
    for page in result.pages:
        content = (dest / page.name).read_bytes()
        assert (len(content), hashlib.sha256(content).hexdigest()) == (page.bytes, page.sha256)
        records = json.loads(content).get("conversations") or []
        assert len(records) == page.conversations
        found += records
    assert len(found) == result.conversations
    return found


def assert_whole_day(result: DayResults, dest: Path) -> None:
    """Every conversation that started on DAY, once, oldest first."""
    records = conversations_on_disk(result, dest)
    ids = [c["conversationId"] for c in records]
    assert len(ids) == len(set(ids)) == PER_DAY
    starts = [c["conversationStart"] for c in records]
    assert starts == sorted(starts) and all(s.startswith(f"{DAY}T") for s in starts)


def job_states(emu: EmulatorServer) -> dict[str, str]:
    return {job["jobId"]: job["state"] for job in emu.stats()["details_jobs"]}


def test_a_day_lands_on_disk_exactly_as_served(
    emu: EmulatorServer, dest: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="cx_assets.genesys.conversations.platform")
    with platform_client(emu) as client:
        result = client.fetch_day(DAY, dest)
    assert_whole_day(result, dest)
    assert len(result.pages) == 9  # 60 conversations, 7 a page
    assert [p.had_cursor for p in result.pages] == [True] * 8 + [False]
    assert result.interval == "2024-01-01T00:00:00.000Z/2024-01-02T00:00:00.000Z"
    assert job_states(emu) == {result.job_id: "FULFILLED"}
    assert emu.stats()["details_jobs_created"] == 1
    assert not result.resubmitted and result.replaced_job_id is None
    assert result.data_availability is not None and result.provisional is False
    for moment in (result.submitted_at, result.fulfilled_at, result.finished_at):
        assert moment.utcoffset() == dt.timedelta(0)
    assert result.submitted_at <= result.fulfilled_at <= result.finished_at
    stats = result.request_stats
    assert stats is not None and stats["requests"] >= 11 and stats["retries"] == 0
    assert stats["bytes_received"] >= result.bytes
    progress = [r.getMessage() for r in caplog.records]
    assert any("page 9, 4 conversation(s)" in line for line in progress)
    assert any(f"9 page(s), {PER_DAY} conversation(s)" in line for line in progress)


def test_logs_hold_no_secret_token_or_whole_cursor(
    emu: EmulatorServer, dest: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with platform_client(emu) as client:
        result = client.fetch_day(DAY, dest)
        auth = client.api.auth
        assert isinstance(auth, ClientCredentialsAuth)
        secrets = auth.secrets()
    cursors = [json.loads((dest / p.name).read_bytes()).get("cursor") for p in result.pages]
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "page 1," in text and len(secrets) >= 2  # the secret and the token issued
    for value in [*secrets, *filter(None, cursors)]:
        assert value not in text


def test_a_recent_day_is_provisional_until_data_is_available(
    emulator_factory: EmulatorFactory, dest: Path
) -> None:
    emu = emulator_factory(**FAST_JOBS, details_availability_lag_s=2 * 86400)
    yesterday = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
    with platform_client(emu, page_size=50) as client:
        watermark = client.availability()
        result = client.fetch_day(yesterday, dest)
    lag = dt.datetime.now(dt.UTC) - watermark
    assert dt.timedelta(hours=47) < lag < dt.timedelta(hours=49)
    assert result.provisional is True
    assert result.data_availability is not None and result.data_availability < watermark + lag


@pytest.mark.parametrize(
    ("role", "call", "needs"),
    [
        (("routing:queue:view",), "POST", f"the permission {VIEW} (or {AGENT_VIEW})"),
        ((AGENT_VIEW,), "GET", f"the permission {VIEW};"),  # availability needs the first
    ],
)
def test_403_names_the_permission_the_role_lacks(
    emulator_factory: EmulatorFactory,
    dest: Path,
    role: tuple[str, ...],
    call: str,
    needs: str,
) -> None:
    clients = {"emulator-client": "emulator-secret", "limited": "limited-secret"}
    emu = emulator_factory(**FAST_JOBS, clients=clients, client_permissions={"limited": role})
    with (
        platform_client(emu, "limited", "limited-secret") as client,
        pytest.raises(MissingPermission) as err,
    ):
        if call == "POST":
            client.fetch_day(DAY, dest)
        else:
            client.availability()
    message = str(err.value)
    path = JOBS if call == "POST" else f"{JOBS}/availability"
    assert message.startswith(f"{call} {path} -> 403: Unable to perform the requested action")
    assert f"The OAuth client's role needs {needs}" in message
    assert (
        "add it to a role assigned to the OAuth client in Genesys Cloud Admin > OAuth." in message
    )
    assert emu.stats()["details_jobs_created"] == 0
    assert not dest.exists() or list(dest.iterdir()) == []


def test_agent_detail_permission_alone_fetches_the_day(
    emulator_factory: EmulatorFactory, dest: Path
) -> None:
    clients = {"emulator-client": "emulator-secret", "agents": "agents-secret"}
    emu = emulator_factory(
        **FAST_JOBS, clients=clients, client_permissions={"agents": [AGENT_VIEW]}
    )
    with platform_client(emu, "agents", "agents-secret", page_size=50) as client:
        assert_whole_day(client.fetch_day(DAY, dest), dest)


def test_a_job_that_never_finishes_is_cancelled(emu: EmulatorServer, dest: Path) -> None:
    emu.add_faults("slow_job:delay_s=30")
    with platform_client(emu, timeout_s=0.3) as client, pytest.raises(JobTimeout) as err:
        client.fetch_day(DAY, dest)
    [(job_id, state)] = job_states(emu).items()
    assert state == "CANCELLED"
    assert emu.stats()["details_jobs_cancelled"] == 1
    assert f"details job {job_id} for {DAY} still " in str(err.value)
    assert "after 0.3 s (timeout_s)" in str(err.value)
    assert list(dest.iterdir()) == []


def test_a_create_whose_answer_is_lost_is_not_sent_again(emu: EmulatorServer, dest: Path) -> None:
    """The transport re-sends other POSTs after a read timeout; a details job it must not."""
    emu.add_faults(f"slow:count=1,delay_s=1,path_prefix={JOBS}")
    with platform_client(emu, timeout=0.3) as client, pytest.raises(SubmitUncertain) as err:
        client.fetch_day(DAY, dest)
    assert str(err.value).startswith(f"POST {JOBS} -> no response: ReadTimeout")
    assert "not re-sent" in str(err.value)
    deadline = time.monotonic() + 10  # the emulator records the slow answer once it is done
    while "499" not in emu.stats()["by_path"].get(JOBS, {}) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert emu.stats()["by_path"][JOBS] == {"499": 1}  # one POST, abandoned; none re-sent
    assert emu.stats()["details_jobs_created"] == 0


def test_a_staging_folder_with_pages_is_refused_before_any_call(
    emu: EmulatorServer, dest: Path
) -> None:
    dest.mkdir()
    (dest / "page-00001.json").write_bytes(b"{}")
    with platform_client(emu) as client, pytest.raises(ValueError, match="already holds"):
        client.fetch_day(DAY, dest)
    assert emu.stats()["details_jobs_created"] == 0
