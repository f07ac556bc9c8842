"""Contract: the CXone checks judge what is on disk and name what is wrong.

`rows_match_records` fails when a day's file no longer holds the rows its read produced (a file
truncated or replaced behind the catalog's back, or gone), and when the read's records are not
all in a day or in quarantine; `integrity_at_least_threshold` fails naming each day below the
threshold. The nightly schedule asks for yesterday and the late-update days before it.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import dagster as dg
import polars as pl

from cx_assets.cxone.ranges import DayRange
from cx_assets.defs.cxone import checks
from cx_assets.defs.cxone.environment import emulator_platform
from cx_assets.defs.cxone.schedules import cxone_interactions_schedule, nightly_days
from cx_assets.flows.cxone import LandedDay
from cx_assets.flows.cxone_records import ReadSummary
from cx_assets.lake.cxone_columns import PLATFORM, SCHEMA
from cx_assets.lake.cxone_reads import ReadSink
from cx_assets.lake.paths import DataLayout

DAY = dt.date(2024, 4, 2)


def _contact(cid: int, **overrides: Any) -> dict[str, Any]:
    record = {
        "contactId": cid,
        "contactStart": "2024-04-02T09:00:00Z",
        "lastUpdateTime": "2024-04-02T10:00:00Z",
        "mediaTypeName": "Call",
        "isOutbound": False,
        "skillId": 7,
        "totalDurationSeconds": 60,
    }
    return {**record, **overrides}


def _landed(tmp_path: Path, records: list[dict[str, Any]]) -> LandedDay:
    with ReadSink(
        DataLayout(tmp_path),
        PLATFORM,
        [DAY],
        read_id="pull-1",
        raw_dataset="contacts",
        raw_partition=DAY.isoformat(),
        fallback=lambda r: DAY,
    ) as sink:
        sink.add(b"{}", records)
        (built,) = sink.finish()
    now = dt.datetime(2024, 4, 3, tzinfo=dt.UTC)
    read = ReadSummary(
        read_id="pull-1",
        api_mode="platform",
        kind="full",
        range=DayRange.single(DAY),
        records=len(records),
        pages=1,
        quarantined=0,
        total_reported=None,
        started_at=now,
        finished_at=now,
    )
    return LandedDay(built, read, built.received)


def test_rows_match_passes_for_an_intact_day(tmp_path: Path) -> None:
    result = checks.rows_match_records([_landed(tmp_path, [_contact(1), _contact(2)])])
    assert result.passed
    assert result.metadata["rows"].value == 2


def test_rows_match_fails_when_the_file_changed_behind_the_catalog(tmp_path: Path) -> None:
    landed = _landed(tmp_path, [_contact(1), _contact(2), _contact(3)])
    pl.DataFrame([], schema=SCHEMA).write_parquet(landed.built.written.path)  # emptied
    result = checks.rows_match_records([landed])
    assert not result.passed
    assert "2024-04-02: file has 0 rows, expected 3" in (result.description or "")


def test_rows_match_fails_when_the_file_is_gone(tmp_path: Path) -> None:
    landed = _landed(tmp_path, [_contact(1)])
    landed.built.written.path.unlink()
    result = checks.rows_match_records([landed])
    assert not result.passed and "is missing" in (result.description or "")


def test_rows_match_fails_when_served_records_are_unaccounted_for(tmp_path: Path) -> None:
    landed = _landed(tmp_path, [_contact(1)])
    lost = LandedDay(landed.built, landed.read, read_placed=0)
    result = checks.rows_match_records([lost])
    assert not result.passed
    assert "0 placed + 0 quarantined != 1 served" in (result.description or "")


def test_integrity_names_the_failing_day_and_its_fields(tmp_path: Path) -> None:
    landed = _landed(tmp_path, [_contact(1), _contact(2, skillId=None)])
    result = checks.integrity_at_least_threshold([landed], 0.99)
    assert not result.passed
    assert "2024-04-02: integrity 0.5000 < 0.99" in (result.description or "")
    assert "skillId 1" in (result.description or "")
    assert result.metadata["failing_days"].value == ["2024-04-02"]


def test_the_nightly_schedule_asks_for_yesterday_and_the_days_before() -> None:
    now = dt.datetime(2024, 4, 10, 2, 45, tzinfo=dt.UTC)
    assert nightly_days(now, 3, "2024-01-01") == [
        "2024-04-06",
        "2024-04-07",
        "2024-04-08",
        "2024-04-09",
    ]
    assert nightly_days(now, 3, "2024-04-08") == ["2024-04-08", "2024-04-09"]
    assert nightly_days(now, 0, "2024-01-01") == ["2024-04-09"]


def test_the_schedule_reads_the_late_update_days_from_the_resource() -> None:
    when = dt.datetime(2024, 4, 10, 2, 45, tzinfo=dt.UTC)
    resource = emulator_platform(late_update_days=1)
    with dg.build_schedule_context(
        scheduled_execution_time=when, resources={"cxone": resource}
    ) as context:
        requests = list(cxone_interactions_schedule(context))
    assert [r.partition_key for r in requests] == ["2024-04-08", "2024-04-09"]
    assert len({r.run_key for r in requests}) == 2
