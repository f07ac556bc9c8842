"""Plain-httpx helpers for the platform GDPR tests (written from docs/api-contract.md "Privacy:
GDPR requests, /api/v2/gdpr/…", not from our own Genesys client)."""

from __future__ import annotations

import time
from typing import Any

import httpx

REQUESTS = "/api/v2/gdpr/requests"
SUBJECTS = "/api/v2/gdpr/subjects"
PHONE = "+46701740605"  # Anna Lindqvist, one of the emulator's made-up people
TERMINAL = ("COMPLETED", "ERROR")
#: Statuses every step lasts this long; short, so a request finishes in a fraction of a second.
FAST: dict[str, Any] = {"gdpr_step_s": 0.02}


def export_body(**subject: Any) -> dict[str, Any]:
    """The minimal export body of the contract (a phone number unless `subject` is given)."""
    return {"requestType": "GDPR_EXPORT", "subject": subject or {"phoneNumbers": [PHONE]}}


def file_request(
    api: httpx.Client, body: dict[str, Any] | None = None, **params: Any
) -> dict[str, Any]:
    """POST a request (the minimal export by default); the `GDPRRequest` of the 2xx answer."""
    response = api.post(REQUESTS, json=body or export_body(), params=params)
    assert response.is_success, response.text
    return response.json()


def wait_done(api: httpx.Client, request_id: str, deadline_s: float = 20.0) -> dict[str, Any]:
    """Poll until COMPLETED or ERROR (a generous deadline, not a timing assertion)."""
    deadline = time.monotonic() + deadline_s
    while True:
        response = api.get(f"{REQUESTS}/{request_id}")
        assert response.status_code == 200, response.text
        body = response.json()
        if body["status"] in TERMINAL or time.monotonic() > deadline:
            return body
        time.sleep(0.01)


def statuses_seen(api: httpx.Client, *request_ids: str) -> dict[str, list[str]]:
    """Every status each request showed while polled side by side, in order, without repeats."""
    seen: dict[str, list[str]] = {request_id: [] for request_id in request_ids}
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        for request_id, shown in seen.items():
            status = api.get(f"{REQUESTS}/{request_id}").json()["status"]
            if not shown or shown[-1] != status:
                shown.append(status)
        if all(shown[-1] in TERMINAL for shown in seen.values()):
            break
        time.sleep(0.01)
    return seen
