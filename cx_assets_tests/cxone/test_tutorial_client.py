"""Contract (against the real emulator over loopback): one `export_range` call is one export job
for the whole range; every page is followed until `nextPageToken` is null and every record of
the range comes back once; a page in the wrong format is fetched again and, if it stays wrong,
fails naming expected and actual; a `failed` export raises with the server's errorMessage; 429s
are waited out; a request over 90 days never reaches the server."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable

import pytest
from pydantic import ValidationError

from cx_assets.cxone.ranges import DayRange
from cx_assets.cxone.tutorial import (
    CxoneExportFailed,
    CxoneExportSettings,
    CxoneExportTimeout,
    FormatMismatch,
)
from cx_assets.emulator import EmulatorServer
from cx_assets_tests.cxone.cxone_testkit import FAST_SETTINGS, cxone_client

pytestmark = pytest.mark.integration

JAN = DayRange(dt.date(2024, 1, 1), dt.date(2024, 1, 3))
SMALL_PAGES = CxoneExportSettings(**{**FAST_SETTINGS.__dict__, "page_size": 25})


def cxone_exports(emu: EmulatorServer) -> list[dict]:
    return emu.stats().get("cxone_exports", [])


def start_day(record: dict) -> dt.date:
    return dt.datetime.fromisoformat(record["startTime"]).astimezone(dt.UTC).date()


def test_export_range_is_one_job_with_every_record(emulator: EmulatorServer) -> None:
    with cxone_client(emulator, SMALL_PAGES) as client:
        export = client.export_range(JAN)
    ids = [r["id"] for r in export.records]
    assert ids, "the emulator returned no records"
    assert len(ids) == len(set(ids))
    assert export.total_reported == len(ids)
    assert export.count_matches
    assert {start_day(r) for r in export.records if "startTime" in r} <= set(JAN.dates())
    jobs = cxone_exports(emulator)
    assert len(jobs) == 1
    assert jobs[0]["id"] == export.export_id
    assert jobs[0]["format"] == "json"
    assert jobs[0]["start"].startswith("2024-01-01T00:00:00.000")
    assert jobs[0]["end"].startswith("2024-01-04T00:00:00.000")


def test_pages_are_followed_until_the_token_is_null(emulator: EmulatorServer) -> None:
    with cxone_client(emulator, SMALL_PAGES) as client:
        small = client.export_range(JAN)
    with cxone_client(emulator) as client:  # pageSize 1000: one page
        whole = client.export_range(JAN)
    assert small.pages == math.ceil(len(small.records) / 25) > 1
    assert whole.pages == 1
    assert [r["id"] for r in small.records] == [r["id"] for r in whole.records]


def test_the_same_day_yields_the_same_records(emulator: EmulatorServer) -> None:
    with cxone_client(emulator) as client:
        wide = client.export_range(JAN)
        one = client.export_range(DayRange.single(dt.date(2024, 1, 2)))
    wide_by_id = {r["id"]: r for r in wide.records if "id" in r}
    assert one.records
    assert all(wide_by_id.get(r.get("id")) == r for r in one.records)
    on_day = [r for r in wide.records if r.get("startTime", "").startswith("2024-01-02")]
    assert sum("startTime" in r for r in one.records) == len(on_day)


def test_a_wrong_format_page_is_fetched_again(emulator: EmulatorServer) -> None:
    with cxone_client(emulator, SMALL_PAGES) as client:
        clean = client.export_range(JAN)
        emulator.add_faults("wrong_format:count=1")
        retried = client.export_range(JAN)
    assert retried.format_retries == 1
    assert [r["id"] for r in retried.records] == [r["id"] for r in clean.records]


def test_a_page_that_stays_in_the_wrong_format_fails_clearly(emulator: EmulatorServer) -> None:
    emulator.add_faults("wrong_format:count=20")
    with cxone_client(emulator) as client, pytest.raises(FormatMismatch) as excinfo:
        client.export_range(JAN)
    message = str(excinfo.value)
    assert "page 1: expected format json, got Content-Type" in message
    assert "(3 attempt(s))" in message
    assert excinfo.value.actual != "json"


def test_a_failed_export_raises_with_the_server_reason(emulator: EmulatorServer) -> None:
    emulator.add_faults("export_failed:count=1,path_prefix=/cxone")
    with cxone_client(emulator) as client, pytest.raises(CxoneExportFailed) as excinfo:
        client.export_range(JAN)
    message = str(excinfo.value)
    assert message.startswith("CXone export ")
    assert " failed: " in message
    assert "no errorMessage given" not in message


def test_429s_are_waited_out(emulator: EmulatorServer) -> None:
    emulator.add_faults("http_429:count=3,retry_after=1,path_prefix=/cxone/api")
    with cxone_client(emulator) as client:
        export = client.export_range(JAN)
    assert export.records
    assert export.request_stats["throttled"] == 3
    assert export.request_stats["retries"] >= 3


def test_over_90_days_fails_before_any_request(emulator: EmulatorServer) -> None:
    with cxone_client(emulator) as client, pytest.raises(ValidationError) as excinfo:
        client.export_range(DayRange(dt.date(2024, 1, 1), dt.date(2024, 3, 31)))
    assert "the limit is 90 days" in str(excinfo.value)
    assert cxone_exports(emulator) == []


def test_export_days_splits_gaps_and_the_limit(emulator: EmulatorServer) -> None:
    days = [dt.date(2024, 1, 1) + dt.timedelta(days=i) for i in range(92)] + [dt.date(2024, 6, 1)]
    with cxone_client(emulator) as client:
        exports = client.export_days(days)
    assert [(e.range.first, e.range.days) for e in exports] == [
        (dt.date(2024, 1, 1), 90),
        (dt.date(2024, 3, 31), 2),
        (dt.date(2024, 6, 1), 1),
    ]
    assert len(cxone_exports(emulator)) == 3


def test_an_export_that_never_completes_times_out(
    emulator_factory: Callable[..., EmulatorServer],
) -> None:
    slow = emulator_factory(cxone_queue_delay_s=30.0)
    impatient = CxoneExportSettings(**{**FAST_SETTINGS.__dict__, "timeout_s": 0.3})
    with cxone_client(slow, impatient) as client, pytest.raises(CxoneExportTimeout) as excinfo:
        client.export_range(JAN)
    assert "still pending after 0.3 s" in str(excinfo.value)
