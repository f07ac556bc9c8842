"""Plain-httpx helpers for the platform details-jobs tests (written from the contract, not from
our own Genesys client: the emulator is tested against docs/api-contract.md "# Platform mode")."""

from __future__ import annotations

import time
from typing import Any

import httpx

from cx_assets.emulator import EmulatorServer

JOBS = "/api/v2/analytics/conversations/details/jobs"
DAY = "2024-01-01T00:00:00.000Z/2024-01-02T00:00:00.000Z"
NEXT_DAY = "2024-01-02T00:00:00.000Z/2024-01-03T00:00:00.000Z"
VIEW = "analytics:conversationDetail:view"
AGENT_VIEW = "analytics:agentConversationDetail:view"
#: Fast platform settings: jobs fulfilled at once, a small day.
FAST_JOBS: dict[str, Any] = {"details_job_delay_s": 0.0, "details_conversations_per_day": 60}


def token(emu: EmulatorServer, client_id: str | None = None, secret: str | None = None) -> str:
    """Basic auth and `grant_type=client_credentials` only, as the platform contract says."""
    response = httpx.post(
        f"{emu.url}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(client_id or emu.client_id, secret or emu.client_secret),
    )
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def client(emu: EmulatorServer, bearer: str | None = None) -> httpx.Client:
    bearer = bearer or token(emu)
    return httpx.Client(base_url=emu.url, headers={"Authorization": f"Bearer {bearer}"}, timeout=30)


def submit(api: httpx.Client, interval: str = DAY, **fields: Any) -> str:
    response = api.post(JOBS, json={"interval": interval, **fields})
    assert response.status_code == 202, response.text
    return response.json()["jobId"]


def wait_state(api: httpx.Client, job_id: str, deadline_s: float = 20.0) -> dict[str, Any]:
    """Poll until a terminal state (a generous deadline, not a timing assertion)."""
    deadline = time.monotonic() + deadline_s
    while True:
        status = api.get(f"{JOBS}/{job_id}").json()
        if status["state"] not in ("QUEUED", "PENDING") or time.monotonic() > deadline:
            return status
        time.sleep(0.02)


def results(
    api: httpx.Client, job_id: str, page_size: int | None = None, cursor: str | None = None
) -> httpx.Response:
    params: dict[str, Any] = {}
    if page_size is not None:
        params["pageSize"] = page_size
    if cursor is not None:
        params["cursor"] = cursor
    return api.get(f"{JOBS}/{job_id}/results", params=params)


def all_pages(api: httpx.Client, job_id: str, page_size: int = 25) -> list[dict[str, Any]]:
    """Every page of a FULFILLED job, following cursors until a page has none."""
    pages: list[dict[str, Any]] = []
    cursor = None
    while True:
        response = results(api, job_id, page_size, cursor)
        assert response.status_code == 200, response.text
        pages.append(response.json())
        cursor = pages[-1].get("cursor")
        if not cursor:
            return pages
        assert len(pages) < 1000, "paging does not end"


def conversations(api: httpx.Client, interval: str = DAY, **fields: Any) -> list[dict[str, Any]]:
    """Submit, wait for FULFILLED, page to the end; the conversations in served order."""
    job_id = submit(api, interval, **fields)
    assert wait_state(api, job_id)["state"] == "FULFILLED"
    return [c for page in all_pages(api, job_id) for c in page.get("conversations") or []]
