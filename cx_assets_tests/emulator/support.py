"""Plain-httpx helpers for emulator tests (deliberately not cx_assets.http or cx_assets.genesys:
the emulator is tested against the contract, not against our own clients)."""

from __future__ import annotations

import time
from typing import Any

import httpx

from cx_assets.emulator import EmulatorServer

DAY = {"startDate": "2024-01-01T00:00:00Z", "endDate": "2024-01-02T00:00:00Z"}


def get_token(emu: EmulatorServer, scope: str | None = None) -> str:
    data = {"grant_type": "client_credentials"}
    if scope is not None:
        data["scope"] = scope
    response = httpx.post(
        f"{emu.url}/oauth/token", data=data, auth=(emu.client_id, emu.client_secret)
    )
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def api_client(emu: EmulatorServer, token: str | None = None) -> httpx.Client:
    token = token or get_token(emu)
    return httpx.Client(base_url=emu.url, headers={"Authorization": f"Bearer {token}"})


def export_body(fmt: str = "jsonl", **changes: Any) -> dict[str, Any]:
    """The tutorial's create body (`conversation` / `full`), with `changes` applied."""
    return {"type": "conversation", "view": "full", "format": fmt, **DAY, **changes}


def wait_for_status(client: httpx.Client, export_id: str, wanted: str) -> dict[str, Any]:
    """Poll until `wanted` (or FAILED/COMPLETED); a generous deadline, not a timing assertion."""
    deadline = time.monotonic() + 30
    while True:
        body = client.get(f"/api/v2/dataexports/{export_id}").json()
        if body["status"] in (wanted, "FAILED", "COMPLETED") or time.monotonic() > deadline:
            return body
        time.sleep(0.02)


def completed_export(client: httpx.Client, **body: Any) -> tuple[str, list[dict[str, Any]]]:
    """Create an export, wait for COMPLETED; its id and its manifest (a bare array of files)."""
    created = client.post("/api/v2/dataexports", json=export_body(**body))
    assert created.status_code == 202, created.text
    export = wait_for_status(client, created.json()["id"], "COMPLETED")
    assert export["status"] == "COMPLETED", export
    manifest = client.get(f"/api/v2/dataexports/{export['id']}/files")
    assert manifest.status_code == 200, manifest.text
    files = manifest.json()
    assert isinstance(files, list), files
    return export["id"], files


def completed_manifest(client: httpx.Client, **body: Any) -> list[dict[str, Any]]:
    """Create an export, wait for COMPLETED, return its manifest: the array of file records."""
    return completed_export(client, **body)[1]
