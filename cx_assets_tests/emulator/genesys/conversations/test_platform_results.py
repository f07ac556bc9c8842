"""Details job results over HTTP: opaque cursors, absent on the last page; every conversation on
exactly one page; `dataAvailabilityDate` on each page; the same job twice gives the same
conversations; with startOfDayIntervalMatching exactly the conversations starting in the
interval, without it every one whose lifetime overlaps it (so a midnight-crosser is in both
days); `order=desc` and `limit`; today's job holds no future conversation and the ongoing ones
lack conversationEnd; pageSize above the cap and unknown cursors are 400s naming the field."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from .platform_support import (
    FAST_JOBS,
    NEXT_DAY,
    all_pages,
    client,
    conversations,
    results,
    submit,
    wait_state,
)

DAY_END = "2024-01-02T00:00:00.000Z"


@pytest.fixture
def api(emulator_factory):
    return client(emulator_factory(**FAST_JOBS, details_max_page_size=50))


def test_pages_hold_every_conversation_exactly_once(api):
    job_id = submit(api, startOfDayIntervalMatching=True)
    assert wait_state(api, job_id)["state"] == "FULFILLED"
    pages = all_pages(api, job_id, page_size=7)
    assert [len(p["conversations"]) for p in pages] == [7] * 8 + [4]
    assert all("cursor" in p for p in pages[:-1]) and "cursor" not in pages[-1]
    assert all(datetime.fromisoformat(p["dataAvailabilityDate"]).tzinfo for p in pages)
    ids = [c["conversationId"] for p in pages for c in p["conversations"]]
    assert len(ids) == len(set(ids)) == 60
    starts = [c["conversationStart"] for p in pages for c in p["conversations"]]
    assert starts == sorted(starts)
    assert all(s.startswith("2024-01-01T") for s in starts)
    # a second job over the same interval: the same conversations, whatever the page size
    again = conversations(api, startOfDayIntervalMatching=True)
    assert [c for p in pages for c in p["conversations"]] == again


def test_start_of_day_matching_versus_lifetime_overlap(api):
    day = conversations(api, startOfDayIntervalMatching=True)
    next_day = conversations(api, NEXT_DAY, startOfDayIntervalMatching=True)
    crossers = [c for c in day if c["conversationEnd"] > DAY_END]
    assert crossers, "some conversations run past midnight"
    assert not {c["conversationId"] for c in day} & {c["conversationId"] for c in next_day}
    overlapping = conversations(api, NEXT_DAY)
    by_id = {c["conversationId"]: c for c in overlapping}
    assert {c["conversationId"] for c in crossers} <= set(by_id)
    assert set(by_id) == {c["conversationId"] for c in next_day + crossers}
    assert all(c["conversationEnd"] > "2024-01-02T" for c in overlapping)


def test_a_part_of_a_day_holds_only_what_starts_inside_it(api):
    morning = "2024-01-01T06:00:00+00:00/2024-01-01T12:00:00+00:00"
    inside = conversations(api, morning, startOfDayIntervalMatching=True)
    day = conversations(api, startOfDayIntervalMatching=True)
    expected = [c for c in day if "2024-01-01T06:00" <= c["conversationStart"] < "2024-01-01T12"]
    assert inside == expected and 5 <= len(inside) <= 25


def test_descending_order_and_limit(api):
    ascending = conversations(api, startOfDayIntervalMatching=True)
    descending = conversations(api, startOfDayIntervalMatching=True, order="desc")
    assert descending == ascending[::-1]
    limited = conversations(api, startOfDayIntervalMatching=True, limit=30)
    assert limited == ascending[:30]


def test_today_has_no_future_conversations_and_ongoing_ones_lack_an_end(emulator_factory):
    api = client(emulator_factory(details_job_delay_s=0.0, details_conversations_per_day=2000))
    now = datetime.now(UTC)
    interval = f"{(now - timedelta(hours=1)).isoformat()}/{(now + timedelta(hours=1)).isoformat()}"
    job_id = submit(api, interval)
    submitted = wait_state(api, job_id)["submissionDate"]  # the job's "now"
    records = [c for page in all_pages(api, job_id) for c in page["conversations"]]
    assert records and all(c["conversationStart"] <= submitted for c in records)
    ongoing = [c for c in records if "conversationEnd" not in c]
    assert 0 < len(ongoing) < len(records) // 2
    ended = [c for c in records if "conversationEnd" in c]
    assert all(c["conversationEnd"] <= submitted for c in ended)


def test_page_size_cap_and_unknown_cursors_are_400s_naming_the_field(api):
    job_id = submit(api)
    assert wait_state(api, job_id)["state"] == "FULFILLED"
    for size in (51, 0, "ten"):
        refused = results(api, job_id, size)  # type: ignore[arg-type]
        assert refused.status_code == 400
        body = refused.json()
        assert "pageSize" in body["message"] and "50" in body["message"]
        assert body["details"] == [{"errorCode": "invalid.value", "fieldName": "pageSize"}]
    other_job = submit(api)
    assert wait_state(api, other_job)["state"] == "FULFILLED"
    foreign = results(api, other_job, 10).json()["cursor"]
    for cursor in ("not-a-cursor", foreign, foreign[:-2]):
        refused = results(api, job_id, 10, cursor)
        assert refused.status_code == 400, cursor
        assert "cursor" in refused.json()["message"]
        assert refused.json()["details"][0]["fieldName"] == "cursor"
