"""Reporting API contacts/completed: parameter rules (literal Z, window, top, skip, versions),
skip paging to a short last page and 204, stable order, determinism, realistic records, the
missing-field share, the lifecycle near "now", and pages served without building the day."""

from __future__ import annotations

import time
import tracemalloc
from datetime import UTC, datetime, timedelta

import pytest

from cx_assets_tests.emulator.cxone.platform_support import (
    CONTACTS,
    DAY,
    REQUIRED,
    all_contacts,
    api,
)

DAY2 = {"startDate": "2024-03-06T00:00:00.000Z", "endDate": "2024-03-07T00:00:00.000Z"}


@pytest.fixture
def emu(emulator_factory):
    return emulator_factory(cxone_contacts_per_day=250)


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"startDate": "2024-03-05T00:00:00+00:00"}, "startDate"),
        ({"startDate": "2024-03-05T00:00:00"}, "startDate"),
        ({"endDate": "2024-03-06"}, "endDate"),
        ({"endDate": "2024-03-06T00:00:00.000+01:00"}, "endDate"),
        ({"updatedSince": "2024-03-05T00:00:00.000z"}, "updatedSince"),
        ({"endDate": "2024-03-05T00:00:00.000Z"}, "endDate"),  # not after startDate
        ({"endDate": "2024-04-06T00:00:01Z"}, "endDate"),  # over 31 days
        ({"top": "10001"}, "top"),
        ({"top": "0"}, "top"),
        ({"skip": "-1"}, "skip"),
        ({"skip": "ten"}, "skip"),
    ],
)
def test_bad_parameters_are_400_naming_the_parameter(emu, params, named):
    with api(emu) as client:
        response = client.get(CONTACTS, params={**DAY, **params})
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid_request" and named in body["error_description"]


def test_updated_since_may_not_go_back_more_than_the_limit(emu):
    with api(emu) as client:
        old = client.get(CONTACTS, params={"updatedSince": "2020-01-01T00:00:00Z"})
        assert old.status_code == 400 and "updatedSince" in old.json()["error_description"]
        assert client.get(CONTACTS, params={"startDate": DAY["startDate"]}).status_code == 400


def test_literal_z_with_or_without_milliseconds_is_accepted(emu):
    with api(emu) as client:
        seconds = {"startDate": "2024-03-05T00:00:00Z", "endDate": "2024-03-06T00:00:00Z"}
        plain = client.get(CONTACTS, params=seconds)
        with_ms = client.get(CONTACTS, params=DAY)
    assert plain.status_code == with_ms.status_code == 200
    assert plain.json()["completedContacts"] == with_ms.json()["completedContacts"]


def test_configured_limits_for_window_and_top(emulator_factory):
    emu = emulator_factory(cxone_contacts_per_day=120, cxone_max_top=50, cxone_max_window_days=2)
    with api(emu) as client:
        page = client.get(CONTACTS, params=DAY)
        assert len(page.json()["completedContacts"]) == 50  # the default top is the maximum
        assert client.get(CONTACTS, params={**DAY, "top": 51}).status_code == 400
        three_days = {**DAY, "endDate": "2024-03-08T00:00:00Z"}
        assert client.get(CONTACTS, params=three_days).status_code == 400
        two_days = {**DAY, "endDate": "2024-03-07T00:00:00Z"}
        assert client.get(CONTACTS, params=two_days).json()["totalRecords"] == 240


@pytest.mark.parametrize(
    ("version", "status"), [("v21.0", 200), ("v32.0", 200), ("v20.0", 404), ("v33.0", 404)]
)
def test_served_api_versions(emu, version, status):
    with api(emu) as client:
        response = client.get(CONTACTS.replace("v30.0", version), params=DAY)
    assert response.status_code == status


def test_an_unknown_api_host_is_404(emu):
    with api(emu) as client:
        path = CONTACTS.replace("api-na1.niceincontact.com", "api-eu1.niceincontact.com")
        assert client.get(path, params=DAY).status_code == 404


def test_skip_paging_reaches_a_short_last_page_then_204(emu):
    with api(emu) as client:
        sizes: list[int] = []
        while True:
            page = client.get(CONTACTS, params={**DAY, "top": 100, "skip": sum(sizes)})
            if page.status_code != 200:
                break
            assert page.json()["totalRecords"] == 250
            sizes.append(len(page.json()["completedContacts"]))
        assert sizes == [100, 100, 50]
        assert page.status_code == 204 and page.content == b""
        assert client.get(CONTACTS, params={**DAY, "skip": 251}).status_code == 204
        stats = emu.stats()["cxone_platform"]["contacts_requests"]
    assert [(r["skip"], r["status"], r["records"]) for r in stats] == [
        ("0", 200, 100), ("100", 200, 100), ("200", 200, 50), ("250", 204, 0), ("251", 204, 0)
    ]  # fmt: skip
    assert stats[0]["startDate"] == DAY["startDate"] and stats[0]["top"] == "100"


def test_an_empty_day_and_a_future_day_are_204(emulator_factory):
    empty = emulator_factory(cxone_contacts_per_day=0)
    with api(empty) as client:
        assert client.get(CONTACTS, params=DAY).status_code == 204
    emu = emulator_factory(cxone_contacts_per_day=50)
    with api(emu) as client:
        future = {"startDate": "2099-01-01T00:00:00Z", "endDate": "2099-01-02T00:00:00Z"}
        assert client.get(CONTACTS, params=future).status_code == 204


def test_order_is_stable_across_calls_and_follows_contact_start(emu):
    with api(emu) as client:
        first = all_contacts(client, top=70)
        again = all_contacts(client, top=33)
    assert first == again and len(first) == 250
    ids = [r["contactId"] for r in first]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    starts = [r["contactStart"] for r in first if r.get("contactStart")]
    assert starts == sorted(starts)
    assert all(DAY["startDate"] <= s < DAY["endDate"] for s in starts)


def test_contact_ids_are_unique_across_days_and_a_window_spans_days(emu):
    with api(emu) as client:
        one, two = all_contacts(client), all_contacts(client, **DAY2)
        both = all_contacts(client, startDate=DAY["startDate"], endDate=DAY2["endDate"])
    assert not {r["contactId"] for r in one} & {r["contactId"] for r in two}
    assert both == one + two


def test_contacts_are_the_same_after_a_restart_and_differ_by_seed(emulator_factory):
    first = emulator_factory(cxone_contacts_per_day=100)
    with api(first) as client:
        before = all_contacts(client)
    first.stop()
    with api(emulator_factory(cxone_contacts_per_day=100)) as client:
        assert all_contacts(client) == before
    with api(emulator_factory(cxone_contacts_per_day=100, seed=7)) as client:
        assert all_contacts(client) != before


def _lacks_required(record: dict) -> bool:
    return any(record.get(name) is None for name in REQUIRED)


def test_the_missing_rate_share_lacks_a_required_field(emulator_factory):
    emu = emulator_factory(cxone_contacts_per_day=3000, cxone_missing_rate=0.2)
    with api(emu) as client:
        records = all_contacts(client)
    share = sum(map(_lacks_required, records)) / len(records)
    assert 0.17 <= share <= 0.23
    assert any(r.get("contactStart") is None for r in records)  # still served for its day
    assert any(name not in r for r in records for name in REQUIRED)  # some lack the key itself
    clean = emulator_factory(cxone_contacts_per_day=500, cxone_missing_rate=0.0)
    with api(clean) as client:
        assert not any(map(_lacks_required, all_contacts(client)))


def test_records_look_like_a_contact_centre(emulator_factory):
    emu = emulator_factory(cxone_contacts_per_day=3000, cxone_missing_rate=0.0)
    with api(emu) as client:
        records = all_contacts(client)
    n = len(records)
    media = [r["mediaTypeName"] for r in records]
    assert media.count("Call") / n > 0.6 and {"Chat", "Email", "SMS"} <= set(media)
    assert 0.2 <= sum(r["isOutbound"] for r in records) / n <= 0.3
    abandoned = [r for r in records if r["abandoned"]]
    assert 0.03 <= len(abandoned) / n <= 0.07
    assert all(r["agentId"] is None and r["agentSeconds"] == 0 for r in abandoned)
    handled = [r for r in records if not r["abandoned"]]
    assert all(r["agentId"] and r["teamName"] for r in handled)
    assert len({r["skillId"] for r in records}) <= 15
    assert all(r["skillName"] and r["campaignName"] for r in records)
    assert all(0 < r["totalDurationSeconds"] < 3 * 3600 for r in records)
    assert all(r["lastUpdateTime"] > r["contactStart"] for r in records)


def test_contacts_that_have_not_finished_yet_are_not_served(emulator_factory):
    emu = emulator_factory(cxone_contacts_per_day=5000)
    now = datetime.now(UTC)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    window = {
        "startDate": midnight.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "endDate": (midnight + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    elapsed = (now - midnight).total_seconds()
    with api(emu) as client:
        records = all_contacts(client, **window)
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.999Z")
    assert all(r["lastUpdateTime"] <= stamp for r in records if r.get("lastUpdateTime"))
    assert len(records) <= 5000 * elapsed / 86400 + 1


def test_a_deep_page_of_a_big_day_is_served_without_building_the_day(emulator_factory):
    emu = emulator_factory(cxone_contacts_per_day=100_000)
    with api(emu) as client:
        client.get(CONTACTS, params={**DAY, "top": 1})  # warm up
        tracemalloc.start()
        started = time.monotonic()
        tail = client.get(CONTACTS, params={**DAY, "skip": 99_900, "top": 100})
        elapsed = time.monotonic() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert tail.status_code == 200 and len(tail.json()["completedContacts"]) == 100
        assert tail.json()["totalRecords"] == 100_000
        assert elapsed < 1.0 and peak < 8 * 1024 * 1024  # a held day would be hundreds of MB
        started = time.monotonic()
        deep = client.get(CONTACTS, params={**DAY, "skip": 90_000})
        assert len(deep.json()["completedContacts"]) == 10_000
        assert time.monotonic() - started < 6.0
