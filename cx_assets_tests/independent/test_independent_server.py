"""The independent platform server keeps the contract (docs/api-contract.md "# Platform mode").

Plain httpx over loopback: paging visits each conversation of a job exactly once whatever the
quirks, every quirk can be switched to the obvious reading, and every fault fires.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest

from cx_assets_tests.independent.genesys_platform_server import (
    AGENT_VIEW,
    JOBS,
    VIEW,
    Quirks,
    RunningServer,
)

DAY = date(2024, 1, 1)
DAY_QUERY = {
    "interval": "2024-01-01T00:00:00.000Z/2024-01-02T00:00:00.000Z",
    "order": "asc",
    "orderBy": "conversationStart",
    "startOfDayIntervalMatching": True,
}


def token(running: RunningServer, client_id: str = "", secret: str = "") -> str:
    auth = (client_id or running.client_id, secret or running.client_secret)
    form = {"grant_type": "client_credentials"}
    response = httpx.post(f"{running.url}/oauth/token", data=form, auth=auth)
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def api(running: RunningServer, bearer: str = "") -> httpx.Client:
    headers = {"Authorization": f"Bearer {bearer or token(running)}"}
    return httpx.Client(base_url=running.url, headers=headers)


def fulfilled_job(client: httpx.Client, query: dict[str, Any] = DAY_QUERY) -> str:
    created = client.post(JOBS, json=query)
    assert created.status_code in (200, 202), created.text
    job_id = str(created.json()["jobId"])
    for _ in range(10):
        state = client.get(f"{JOBS}/{job_id}").json()["state"]
        if state == "FULFILLED":
            return job_id
    raise AssertionError(f"job {job_id} is still {state}")


def all_pages(client: httpx.Client, job_id: str, page_size: int = 1000) -> list[dict[str, Any]]:
    pages, cursor = [], None
    while True:
        params = {"pageSize": page_size} | ({"cursor": cursor} if cursor else {})
        response = client.get(f"{JOBS}/{job_id}/results", params=params)
        assert response.status_code == 200, response.text
        pages.append(response.json())
        if not (cursor := pages[-1].get("cursor")):
            return pages


def ids(pages: list[dict[str, Any]]) -> list[str]:
    return [c["conversationId"] for page in pages for c in page.get("conversations") or []]


def test_token_endpoint_checks_credentials_and_form(independent_genesys: RunningServer) -> None:
    url = f"{independent_genesys.url}/oauth/token"
    good = (independent_genesys.client_id, independent_genesys.client_secret)
    ok = httpx.post(url, data={"grant_type": "client_credentials"}, auth=good).json()
    assert ok["token_type"] == "bearer" and ok["expires_in"] == 3600 and "organization" in ok
    wrong = httpx.post(url, data={"grant_type": "client_credentials"}, auth=("x", "y"))
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    scoped = httpx.post(url, data={"grant_type": "client_credentials", "scope": "a"}, auth=good)
    assert scoped.status_code == 400 and "scope" in scoped.json()["description"]
    assert not any(name.startswith("inin-ratelimit") for name in scoped.headers)
    independent_genesys.quirks.token_extras = False
    plain = httpx.post(url, data={"grant_type": "client_credentials"}, auth=good).json()
    assert set(plain) == {"access_token", "token_type", "expires_in"}


def test_paging_visits_each_conversation_once_with_all_quirks(
    independent_genesys: RunningServer,
) -> None:
    with api(independent_genesys) as client:
        pages = all_pages(client, fulfilled_job(client))
    expected = [c["conversationId"] for c in independent_genesys.server.conversations(DAY)]
    assert ids(pages) == expected and len(set(expected)) == 8
    assert pages[1]["conversations"] == [] and pages[1]["cursor"]
    assert "conversations" not in pages[-1] and pages[-1]["cursor"] is None
    assert all(len(page.get("conversations", [])) <= 3 for page in pages)
    assert all(c in pages[0]["cursor"] for c in "+/=") and len(pages[0]["cursor"]) > 80
    assert pages[0]["dataAvailabilityDate"].endswith("+00:00")
    assert all("dataAvailabilityDate" not in page for page in pages[1:])
    records = [c for page in pages for c in page.get("conversations") or []]
    assert sum("conversationEnd" not in c for c in records) == 1  # the ongoing one
    assert any(c.get("conversationEnd", "").startswith("2024-01-02") for c in records)
    starts = [c["conversationStart"] for c in records]
    assert any(s[-5] == "." for s in starts)
    assert any(len(s) == len("2024-01-01T00:00:00Z") for s in starts)
    agent = records[0]["participants"][2]["sessions"][0]
    assert [m["name"] for m in agent["metrics"]].count("tTalk") == 2


def test_every_quirk_switches_to_the_obvious_reading(independent_genesys: RunningServer) -> None:
    independent_genesys.server.quirks = Quirks.obvious()
    independent_genesys.server.polls_until_fulfilled = 2
    with api(independent_genesys) as client:
        created = client.post(JOBS, json=DAY_QUERY)
        assert created.status_code == 202
        job_id = created.json()["jobId"]
        queued = client.get(f"{JOBS}/{job_id}").json()
        assert queued["state"] == "QUEUED" and "submissionDate" in queued
        assert client.get(f"{JOBS}/{job_id}").json()["state"] == "FULFILLED"
        pages = all_pages(client, job_id, page_size=3)
        availability = client.get(f"{JOBS}/availability").json()["dataAvailabilityDate"]
        cancelled = client.delete(f"{JOBS}/{job_id}")
    assert [len(page["conversations"]) for page in pages] == [3, 3, 2]
    assert "cursor" not in pages[-1] and pages[0]["cursor"] == "page-1"
    assert all("dataAvailabilityDate" in page for page in pages)
    assert availability.endswith("Z") and availability[-5] == "."
    assert cancelled.status_code == 204 and cancelled.content == b""
    starts = [c["conversationStart"] for page in pages for c in page["conversations"]]
    assert all(s[-5] == "." for s in starts)


def test_status_carries_only_state_until_fulfilled(independent_genesys: RunningServer) -> None:
    independent_genesys.server.polls_until_fulfilled = 2
    with api(independent_genesys) as client:
        created = client.post(JOBS, json=DAY_QUERY)
        job_id = created.json()["jobId"]
        early = client.get(f"{JOBS}/{job_id}/results")
        polls = [client.get(f"{JOBS}/{job_id}").json() for _ in range(3)]
    assert created.status_code == 200 and created.json() == {"jobId": job_id}
    assert early.status_code == 400 and "QUEUED, not FULFILLED" in early.json()["message"]
    assert polls[0] == {"state": "QUEUED"} and polls[1]["state"] == "FULFILLED"
    assert {"submissionDate", "completionDate", "expirationDate"} <= set(polls[1])


def test_overlap_matching_puts_a_midnight_crosser_in_two_days(
    independent_genesys: RunningServer,
) -> None:
    second_day = {"interval": "2024-01-02T00:00:00Z/2024-01-03T00:00:00Z"}
    own_only = second_day | {"order": "desc", "startOfDayIntervalMatching": True}
    with api(independent_genesys) as client:
        overlap = ids(all_pages(client, fulfilled_job(client, second_day)))
        own_pages = all_pages(client, fulfilled_job(client, own_only))
    first_day = independent_genesys.server.conversations(DAY)
    crosser_and_ongoing = {c["conversationId"] for c in first_day[-2:]}
    assert crosser_and_ongoing <= set(overlap) and not crosser_and_ongoing & set(ids(own_pages))
    assert set(overlap) - crosser_and_ongoing == set(ids(own_pages)) and len(overlap) == 10
    starts = [c["conversationStart"] for page in own_pages for c in page.get("conversations", [])]
    assert starts == sorted(starts, reverse=True)


def test_a_cursor_not_url_encoded_is_unknown(independent_genesys: RunningServer) -> None:
    with api(independent_genesys) as client:
        job_id = fulfilled_job(client)
        cursor = client.get(f"{JOBS}/{job_id}/results").json()["cursor"]
        raw = client.get(f"{independent_genesys.url}{JOBS}/{job_id}/results?cursor={cursor}")
        other_job = fulfilled_job(client)
        foreign = client.get(f"{JOBS}/{other_job}/results", params={"cursor": cursor})
        huge = client.get(f"{JOBS}/{job_id}/results", params={"pageSize": 1001})
    assert raw.status_code == 400 and "cursor" in raw.json()["message"]
    assert foreign.status_code == 400 and "cursor" in foreign.json()["message"]
    assert huge.status_code == 400 and "pageSize" in huge.json()["message"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({}, "interval"),
        ({"interval": "2024-01-02T00:00:00Z/2024-01-01T00:00:00Z"}, "interval"),
        ({"interval": "2024-01-01T00:00:00/2024-01-02T00:00:00"}, "offset"),
        (DAY_QUERY | {"order": "up"}, "order"),
        (DAY_QUERY | {"pageSize": 5}, "pageSize"),
        (DAY_QUERY | {"segmentFilters": {}}, "segmentFilters"),
    ],
)
def test_an_invalid_query_is_a_400_naming_the_field(
    independent_genesys: RunningServer, query: dict[str, Any], field: str
) -> None:
    with api(independent_genesys) as client:
        response = client.post(JOBS, json=query)
    assert response.status_code == 400 and field in response.json()["message"]
    assert independent_genesys.server.jobs == {}


def test_rate_limit_headers_budget_and_429_fault(independent_genesys: RunningServer) -> None:
    server = independent_genesys.server
    server.budget = 3
    server.add_fault("http_429", retry_after=2, path_contains="/availability")
    with api(independent_genesys) as client:
        faulted = client.get(f"{JOBS}/availability")
        ok = client.get(f"{JOBS}/availability")
        client.get(f"{JOBS}/availability")
        over = client.get(f"{JOBS}/availability")
    assert faulted.status_code == 429 and faulted.headers["Retry-After"] == "2"
    assert faulted.json()["code"] == "too.many.requests.retry.after"
    assert "[2] seconds" in faulted.json()["message"]
    assert ok.status_code == 200 and ok.headers["inin-ratelimit-count"] == "2"
    assert ok.headers["inin-ratelimit-allowed"] == "3" and int(ok.headers["inin-ratelimit-reset"])
    assert over.status_code == 429 and over.headers["Retry-After"].isdigit()
    assert "x-ratelimit-remaining" not in ok.headers


def test_5xx_fault_fires_for_the_matching_method_only(independent_genesys: RunningServer) -> None:
    independent_genesys.server.add_fault("http_5xx", status=502, method="POST", count=2)
    with api(independent_genesys) as client:
        status = client.get(f"{JOBS}/availability").status_code
        answers = [client.post(JOBS, json=DAY_QUERY).status_code for _ in range(3)]
    assert status == 200 and answers == [502, 502, 200]
    assert len(independent_genesys.server.jobs) == 1


def test_403_names_the_missing_permission(independent_genesys: RunningServer) -> None:
    server = independent_genesys.server
    server.add_client("agent-only", "s1", {AGENT_VIEW})
    server.add_client("nothing", "s2", set())
    with api(independent_genesys, token(independent_genesys, "agent-only", "s1")) as client:
        created = client.post(JOBS, json=DAY_QUERY)
        watermark = client.get(f"{JOBS}/availability")
    with api(independent_genesys, token(independent_genesys, "nothing", "s2")) as client:
        bare = client.post(JOBS, json=DAY_QUERY)
        server.quirks.bare_403 = False
        full = client.post(JOBS, json=DAY_QUERY)
    assert created.status_code == 200 and watermark.status_code == 403
    assert watermark.json() == {"message": watermark.json()["message"]}
    assert f"[{VIEW}]" in watermark.json()["message"]
    assert bare.status_code == 403 and VIEW in bare.json()["message"]
    assert full.json()["code"] == "missing.any.permissions" and full.json()["status"] == 403
    assert "inin-ratelimit-count" in full.headers


def test_failed_job_and_cancel(independent_genesys: RunningServer) -> None:
    independent_genesys.server.fail_next_jobs(message="Too many results")
    with api(independent_genesys) as client:
        failed = client.post(JOBS, json=DAY_QUERY).json()["jobId"]
        status = client.get(f"{JOBS}/{failed}").json()
        results = client.get(f"{JOBS}/{failed}/results")
        cancel = client.delete(f"{JOBS}/{failed}")
        unknown = client.delete(f"{JOBS}/no-such-job")
        after = client.get(f"{JOBS}/{failed}").json()
    assert status == {"state": "FAILED", "errorMessage": "Too many results"}
    assert results.status_code == 400
    assert cancel.status_code == 202 and cancel.content == b"" and after["state"] == "CANCELLED"
    assert unknown.status_code == 404


@pytest.mark.parametrize(("expired_410", "status"), [(True, 410), (False, 404)])
def test_job_expires_while_paging(
    independent_genesys: RunningServer, expired_410: bool, status: int
) -> None:
    independent_genesys.quirks.expired_410 = expired_410
    independent_genesys.server.expire_next_jobs(after_pages=1)
    with api(independent_genesys) as client:
        job_id = fulfilled_job(client)
        first = client.get(f"{JOBS}/{job_id}/results").json()
        gone = client.get(f"{JOBS}/{job_id}/results", params={"cursor": first["cursor"]})
        state = client.get(f"{JOBS}/{job_id}").json()["state"]
        again = ids(all_pages(client, fulfilled_job(client)))
    assert gone.status_code == status and state == "EXPIRED"
    assert len(again) == 8


def test_tokens_expire_and_requests_are_recorded(independent_genesys: RunningServer) -> None:
    server = independent_genesys.server
    server.availability_date = datetime(2024, 1, 3, 6, 0, 0, 123000, tzinfo=UTC)
    with api(independent_genesys) as client:
        before = client.get(f"{JOBS}/availability")
        server.expire_tokens()
        after = client.get(f"{JOBS}/availability")
    assert before.json() == {"dataAvailabilityDate": "2024-01-03T06:00:00+00:00"}
    assert after.status_code == 401 and "inin-ratelimit-count" not in after.headers
    assert [(s.method, s.status) for s in server.served] == [
        ("POST", 200),
        ("GET", 200),
        ("GET", 401),
    ]
    assert server.token_requests == [{"grant_type": ["client_credentials"]}]
