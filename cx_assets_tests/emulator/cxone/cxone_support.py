"""Plain-httpx helpers for the CXone emulator tests (not cx_assets.cxone: the emulator is tested
against the contract, not against our own client)."""

from __future__ import annotations

import time
from typing import Any

import httpx

from cx_assets.emulator import EmulatorServer

CXONE_CLIENT = ("emulator-cxone-key", "emulator-cxone-secret")
EXPORTS = "/api/v2/analytics/data-exports"
ALL_COLUMNS = [
    "id",
    "direction",
    "medium",
    "startTime",
    "endTime",
    "agentId",
    "queueId",
    "holdTime",
    "wrapTime",
    "talkTime",
]
#: Fast CXone settings for tests: no queueing, a short run, small days.
FAST_CXONE = {"cxone_queue_delay_s": 0.0, "cxone_run_delay_s": 0.05, "cxone_records_per_day": 30}


def cxone_token(emu: EmulatorServer, scope: str | None = None) -> str:
    data = {
        "grant_type": "client_credentials",
        "client_id": CXONE_CLIENT[0],
        "client_secret": CXONE_CLIENT[1],
    }
    if scope is not None:
        data["scope"] = scope
    response = httpx.post(f"{emu.url}/cxone/oauth/token", data=data)
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def cxone_client(emu: EmulatorServer, token: str | None = None) -> httpx.Client:
    token = token or cxone_token(emu)
    return httpx.Client(
        base_url=f"{emu.url}/cxone", headers={"Authorization": f"Bearer {token}"}, timeout=30
    )


def export_body(
    start: str = "2024-01-01T00:00:00.000Z",
    end: str = "2024-01-02T00:00:00.000Z",
    fmt: str = "json",
    **changes: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "reportId": "interactions",
        "dateRange": {"start": start, "end": end},
        "format": fmt,
        "columns": list(ALL_COLUMNS),
    }
    return {**body, **changes}


def wait_finished(client: httpx.Client, export_id: str) -> dict[str, Any]:
    """Poll until completed or failed; a generous deadline, not a timing assertion."""
    deadline = time.monotonic() + 30
    while True:
        body = client.get(f"{EXPORTS}/{export_id}").json()
        if body["status"] in ("completed", "failed") or time.monotonic() > deadline:
            return body
        time.sleep(0.02)


def completed_export(client: httpx.Client, **body: Any) -> dict[str, Any]:
    created = client.post(EXPORTS, json=export_body(**body))
    assert created.status_code == 202, created.text
    export = wait_finished(client, created.json()["id"])
    assert export["status"] == "completed", export
    return export


def all_json_records(
    client: httpx.Client, export_id: str, page_size: int | None = None
) -> tuple[list[dict[str, Any]], int]:
    """Every record of a json export, following nextPageToken; also the number of pages."""
    records: list[dict[str, Any]] = []
    token: str | None = None
    pages = 0
    while True:
        params: dict[str, Any] = {}
        if page_size is not None:
            params["pageSize"] = page_size
        if token is not None:
            params["nextPageToken"] = token
        response = client.get(f"{EXPORTS}/{export_id}/data", params=params)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("application/json")
        body = response.json()
        records.extend(body["data"])
        pages += 1
        token = body["nextPageToken"]
        if token is None:
            return records, pages
