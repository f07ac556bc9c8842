"""Strict AsyncConversationQuery validation over HTTP: every bad body is a 400 whose message and
`details[].fieldName` name the field (interval missing, malformed, without offset, reversed;
order, orderBy, limit, startOfDayIntervalMatching of the wrong kind; unknown fields; filters the
emulator cannot apply); every documented field is accepted; no job is created for a refusal."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from cx_assets.emulator import EmulatorServer

from .platform_support import DAY, FAST_JOBS, JOBS, client


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[EmulatorServer]:
    with EmulatorServer(state_dir=tmp_path_factory.mktemp("emulator"), **FAST_JOBS) as emu:
        yield emu


@pytest.fixture(scope="module")
def api(server) -> httpx.Client:
    return client(server)


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({}, "interval", "interval is required"),
        ({"interval": 20240101}, "interval", "interval is required"),
        ({"interval": "2024-01-01T00:00:00Z"}, "interval", "start/end"),
        ({"interval": "yesterday/today"}, "interval", "not ISO-8601"),
        ({"interval": "2024-01-01T00:00:00/2024-01-02T00:00:00Z"}, "interval", "offset or Z"),
        ({"interval": "2024-01-02T00:00:00Z/2024-01-01T00:00:00Z"}, "interval", "after its start"),
        ({"interval": DAY, "order": "newest"}, "order", "asc, desc, unordered"),
        ({"interval": DAY, "orderBy": "agent"}, "orderBy", "conversationStart"),
        ({"interval": DAY, "limit": 0}, "limit", "integer >= 1"),
        ({"interval": DAY, "limit": "10"}, "limit", "integer >= 1"),
        ({"interval": DAY, "startOfDayIntervalMatching": 1}, "startOfDayIntervalMatching", "true"),
        ({"interval": DAY, "pageSize": 100}, "pageSize", "unknown field(s): pageSize"),
        ({"interval": DAY, "segmentFilters": {}}, "segmentFilters", "must be a list"),
        (
            {"interval": DAY, "conversationFilters": [{"type": "and", "predicates": []}]},
            "conversationFilters",
            "does not apply filters",
        ),
    ],
)  # fmt: skip
def test_bad_bodies_are_400_naming_the_field(api, body, field, words):
    response = api.post(JOBS, json=body)
    assert response.status_code == 400, response.text
    answer = response.json()
    assert answer["status"] == 400 and answer["code"] == "bad.request"
    assert words in answer["message"] and field in answer["message"]
    assert answer["details"] == [{"errorCode": "invalid.value", "fieldName": field}]


def test_not_json_and_not_an_object_are_400(api):
    for raw in (b"{", b"[1, 2]"):
        response = api.post(JOBS, content=raw, headers={"content-type": "application/json"})
        assert response.status_code == 400
        assert "AsyncConversationQuery" in response.json()["message"]


def test_every_documented_field_is_accepted_and_refusals_create_nothing(api, server):
    before = server.stats()["details_jobs_created"]
    body = {
        "interval": "2024-01-01T01:00:00.000+01:00/2024-01-02T01:00:00.000+01:00",
        "order": "unordered",
        "orderBy": "conversationEnd",
        "limit": 5,
        "startOfDayIntervalMatching": False,
        "conversationFilters": [],
        "segmentFilters": [],
        "evaluationFilters": [],
        "surveyFilters": [],
        "resolutionFilters": [],
    }
    assert api.post(JOBS, json=body).status_code == 202
    assert api.post(JOBS, json={"interval": "bad"}).status_code == 400
    assert server.stats()["details_jobs_created"] == before + 1
