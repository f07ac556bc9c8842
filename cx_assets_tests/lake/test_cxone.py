"""Contract: CXone records are placed in the UTC day they started (tutorial: `startTime`, else
`endTime`; platform: `contactStart`); every record of a day becomes a row of its typed Parquet
file (the declared schema, no inference); a day's integrity counts the rows missing each
required field; a record placed in no requested day is quarantined as served; writing a day
replaces only that day; a pull served twice keeps one row per id, and late updates merged over
a stored day replace just their rows."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Any

import duckdb
import pytest

from cx_assets.lake.cxone_columns import INTERACTION_COLUMNS, PLATFORM, TUTORIAL
from cx_assets.lake.cxone_days import DayBuilder, day_path
from cx_assets.lake.cxone_reads import ReadSink
from cx_assets.lake.parquet_schema import parquet_columns
from cx_assets.lake.paths import DataLayout

DAY = dt.date(2024, 2, 29)
COLUMNS = [(name, typ) for name, typ, _ in INTERACTION_COLUMNS]


def record(rid: str, start: str = "2024-02-29T10:00:00.000Z", **overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": rid,
        "direction": "inbound",
        "medium": "voice",
        "startTime": start,
        "endTime": "2024-02-29T10:05:00.500Z",
        "agentId": "agent-1",
        "queueId": "queue-1",
        "holdTime": 12,
        "wrapTime": 30.5,
        "talkTime": 240.25,
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not ...}  # `...` marks an absent key


def contact(cid: int, start: str = "2024-02-29T10:00:00.000Z", **overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "contactId": cid,
        "masterContactId": cid,
        "contactStart": start,
        "lastUpdateTime": "2024-02-29T12:00:00.000Z",
        "mediaTypeName": "Call",
        "isOutbound": False,
        "agentId": 1001,
        "skillId": 42,
        "skillName": "Billing",
        "abandoned": False,
        "holdSeconds": 3,
        "ACWSeconds": 20.5,
        "agentSeconds": 180,
        "inQueueSeconds": 15,
        "totalDurationSeconds": 218.5,
        "fromAddr": "+15551234567",
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not ...}


def rows(path: Path, columns: str = "*") -> list[tuple[Any, ...]]:
    with duckdb.connect() as con:
        con.execute("SET TimeZone = 'UTC'")
        sql = f"SELECT {columns} FROM read_parquet(?) ORDER BY id"
        return con.execute(sql, [str(path)]).fetchall()


def land(layout: DataLayout, mapping: Any, days: list[dt.date], pages: list[list[dict]]) -> Any:
    def end_day(r: dict) -> dt.date | None:
        end = TUTORIAL.columns["end_time"](r)
        return end.date() if end is not None and end.date() in days else None

    with ReadSink(
        layout,
        mapping,
        days,
        read_id="read-1",
        raw_dataset="exports",
        raw_partition=f"{days[0]}_{days[-1]}",
        fallback=end_day,
    ) as sink:
        for page in pages:
            sink.add(json.dumps({"data": page}).encode(), page)
        built = sink.finish()
    return sink, {b.written.day: b for b in built}


def test_records_go_to_the_utc_day_they_started(tmp_path: Path) -> None:
    layout = DataLayout(tmp_path)
    days = [dt.date(2024, 2, 28), DAY, dt.date(2024, 3, 1)]
    page = [
        record("a", "2024-02-28T23:59:59.999Z"),
        record("b", "2024-02-29T00:30:00.000+01:00"),  # 28 Feb 23:30 UTC
        record("c", "2024-02-29T00:00:00.000Z"),
        record("d", startTime=...),  # placed by endTime (29 Feb, an exported day)
        record("e", startTime="yesterday", endTime="2024-02-29T01:00:00Z"),
        record("f", startTime=None, endTime="2024-03-05T00:00:00.000Z"),  # not exported
        record("g", startTime=..., endTime=...),
        record("h", "2024-03-09T10:00:00Z"),  # started outside the read's days
    ]
    sink, built = land(layout, TUTORIAL, days, [page[:4], page[4:]])
    placed = {day: sorted(r[0] for r in rows(b.written.path, "id")) for day, b in built.items()}
    assert placed == {dt.date(2024, 2, 28): ["a", "b"], DAY: ["c", "d", "e"], days[2]: []}
    assert (sink.records, sink.pages, sink.placed, sink.quarantine.count) == (8, 2, 5, 3)
    lines = [json.loads(x) for x in sink.quarantine.path.read_text().splitlines()]
    assert [x["record"]["id"] for x in lines] == ["f", "g", "h"]
    assert "no usable start time" in lines[0]["reason"]
    assert "outside the days" in lines[2]["reason"]
    raw = sorted((tmp_path / "raw/cxone/exports/2024-02-28_2024-03-01/read-1").iterdir())
    assert [p.name for p in raw] == ["response-00001.json", "response-00002.json"]
    assert not list((tmp_path / "staging").glob("run-*"))  # staging removed


def test_integrity_counts_each_missing_field(tmp_path: Path) -> None:
    page = [
        record("full"),
        record("no-agent", agentId=...),
        record("null-agent-and-queue", agentId=None, queueId=None),
        record("bad-hold", holdTime="12s"),
        record("bool-talk", talkTime=True),
        record("bad-end", endTime="not a time"),
    ]
    _, built = land(DataLayout(tmp_path), TUTORIAL, [DAY], [page])
    alignment = built[DAY].alignment
    assert (alignment.total, alignment.valid) == (6, 1)
    assert alignment.integrity_rate == pytest.approx(1 / 6)
    assert alignment.missing_by_field == {
        **dict.fromkeys(TUTORIAL.required, 0),
        "agentId": 2,
        "queueId": 1,
        "holdTime": 1,
        "talkTime": 1,
        "endTime": 1,
    }


def test_an_empty_day_is_fully_intact_and_still_written(tmp_path: Path) -> None:
    _, built = land(DataLayout(tmp_path), TUTORIAL, [DAY], [])
    b = built[DAY]
    assert (b.alignment.total, b.alignment.integrity_rate, b.written.rows) == (0, 1.0, 0)
    assert parquet_columns(b.written.path) == COLUMNS


def test_a_tutorial_day_keeps_every_record_with_declared_types(tmp_path: Path) -> None:
    layout = DataLayout(tmp_path)
    _, built = land(
        layout, TUTORIAL, [DAY], [[record("a"), record("b", agentId=..., holdTime="x")]]
    )
    written = built[DAY].written
    assert written.path == day_path(layout, DAY)
    assert written.path == tmp_path / "lake/cxone/interactions/date=2024-02-29/part.parquet"
    assert written.bytes == written.path.stat().st_size
    assert written.sha256 == hashlib.sha256(written.path.read_bytes()).hexdigest()
    assert parquet_columns(written.path) == COLUMNS
    a, b = rows(written.path, "id, direction, medium, start_time, end_time, agent_id, hold_time")
    assert a == (
        "a",
        "inbound",
        "voice",
        dt.datetime(2024, 2, 29, 10, 0, tzinfo=dt.UTC),
        dt.datetime(2024, 2, 29, 10, 5, 0, 500000, tzinfo=dt.UTC),
        "agent-1",
        12.0,
    )
    assert (b[0], b[5], b[6]) == ("b", None, None)
    assert [p.name for p in written.path.parent.iterdir()] == ["part.parquet"]  # no temp left


def test_a_platform_contact_maps_onto_the_same_columns_without_personal_data(
    tmp_path: Path,
) -> None:
    page = [
        contact(1),
        contact(2, isOutbound=True, mediaTypeName="Chat", abandoned=True, agentId=0),
        contact(3, mediaTypeName=None, skillId=12.0),
    ]
    _, built = land(DataLayout(tmp_path), PLATFORM, [DAY], [page])
    b = built[DAY]
    got = rows(b.written.path, "id, direction, medium, agent_id, queue_id, wrap_time, end_time")
    assert got[0] == (
        "1",
        "inbound",
        "voice",
        "1001",
        "42",
        20.5,
        dt.datetime(2024, 2, 29, 10, 3, 38, 500000, tzinfo=dt.UTC),
    )
    assert got[1][:4] == ("2", "outbound", "chat", None)  # agentId 0: no agent
    assert got[2][2] is None and got[2][4] == "12"
    assert (b.alignment.valid, b.alignment.missing_by_field["mediaTypeName"]) == (2, 1)
    with duckdb.connect() as con:
        text = str(con.execute("SELECT * FROM read_parquet(?)", [str(b.written.path)]).fetchall())
    assert "+15551234567" not in text


def test_a_contact_served_twice_is_one_row_and_the_newer_wins(tmp_path: Path) -> None:
    newer = contact(1, lastUpdateTime="2024-02-29T13:00:00Z", ACWSeconds=99)
    _, built = land(DataLayout(tmp_path), PLATFORM, [DAY], [[contact(1), contact(2)], [newer]])
    b = built[DAY]
    assert (b.received, b.duplicates, b.written.rows, b.expected_rows) == (3, 1, 2, 2)
    assert rows(b.written.path, "id, wrap_time") == [("1", 99.0), ("2", 20.5)]


def test_late_updates_merge_over_the_stored_day(tmp_path: Path) -> None:
    layout = DataLayout(tmp_path)
    _, first = land(layout, PLATFORM, [DAY], [[contact(i) for i in range(1, 6)]])
    builder = DayBuilder(layout, DAY, PLATFORM, layout.staging_dir())
    builder.add([contact(2, lastUpdateTime="2024-03-01T08:00:00Z", ACWSeconds=77), contact(9)])
    merged = builder.publish(base=first[DAY].written.path)
    assert (merged.replaced, merged.duplicates, merged.written.rows) == (1, 0, 6)
    assert merged.expected_rows == 6 and merged.merged
    assert dict(rows(merged.written.path, "id, wrap_time"))["2"] == 77.0


def test_writing_a_day_replaces_only_that_day(tmp_path: Path) -> None:
    layout = DataLayout(tmp_path)
    other_day = dt.date(2024, 3, 1)
    _, other = land(layout, TUTORIAL, [other_day], [[record("x", "2024-03-01T01:00:00.000Z")]])
    other_bytes = other[other_day].written.path.read_bytes()
    land(layout, TUTORIAL, [DAY], [[record("a"), record("b")]])
    _, again = land(layout, TUTORIAL, [DAY], [[record("c")]])
    assert [r[0] for r in rows(again[DAY].written.path, "id")] == ["c"]
    assert other[other_day].written.path.read_bytes() == other_bytes


def test_a_read_id_that_could_escape_the_data_root_is_refused(tmp_path: Path) -> None:
    layout = DataLayout(tmp_path)
    with pytest.raises(ValueError, match="read id"):
        ReadSink(
            layout,
            TUTORIAL,
            [DAY],
            read_id="../x",
            raw_dataset="exports",
            raw_partition=DAY.isoformat(),
            fallback=lambda r: None,
        )
