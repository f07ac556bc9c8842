"""Contract: CXone records are grouped by the UTC day of `startTime`; a day's alignment counts
complete records and, per field, the records missing it (absent, null or ill-typed); each day is
written as one typed Parquet file (the declared schema, no inference) holding every record, and
writing a day replaces only that day's file."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Any

import duckdb
import pytest

from cx_assets.cxone.endpoints import RECORD_FIELDS
from cx_assets.lake.cxone import (
    INTERACTION_COLUMNS,
    REQUIRED_FIELDS,
    align_day,
    split_by_day,
    write_day,
    write_unplaced,
)
from cx_assets.lake.parquet_schema import parquet_columns
from cx_assets.lake.paths import DataLayout

DAY = dt.date(2024, 2, 29)


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


def read_rows(path: Path) -> list[tuple[Any, ...]]:
    with duckdb.connect() as con:
        con.execute("SET TimeZone = 'UTC'")
        sql = "SELECT * FROM read_parquet(?, hive_partitioning = false) ORDER BY id"
        return con.execute(sql, [str(path)]).fetchall()


def test_required_fields_are_the_api_record_fields() -> None:
    assert REQUIRED_FIELDS == RECORD_FIELDS


def test_split_by_utc_day_of_start_time() -> None:
    records = [
        record("a", "2024-02-28T23:59:59.999Z"),
        record("b", "2024-02-29T00:30:00.000+01:00"),  # 28 Feb 23:30 UTC
        record("c", "2024-02-29T00:00:00.000Z"),
        record("d", startTime=...),  # placed by endTime (29 Feb, an exported day)
        record("e", startTime="yesterday"),
        record("f", startTime=None, endTime="2024-03-05T00:00:00.000Z"),  # not exported
        record("g", startTime=..., endTime=...),
    ]
    split = split_by_day(records, days=[dt.date(2024, 2, 28), DAY, dt.date(2024, 3, 1)])
    assert {day: [r["id"] for r in rs] for day, rs in split.by_day.items()} == {
        dt.date(2024, 2, 28): ["a", "b"],
        DAY: ["c", "d", "e"],
        dt.date(2024, 3, 1): [],
    }
    assert [r["id"] for r in split.unplaced] == ["f", "g"]
    assert split.outside([DAY]) == [dt.date(2024, 2, 28)]


def test_unplaced_records_are_quarantined_as_served(tmp_path: Path) -> None:
    layout = DataLayout(tmp_path)
    assert write_unplaced(layout, "exp-1", []) is None
    path = write_unplaced(layout, "exp-1", [record("g", startTime=..., endTime=...)])
    assert path == tmp_path / "quarantine/cxone/interactions/exp-1/unplaced.jsonl"
    (line,) = [json.loads(x) for x in path.read_text().splitlines()]
    assert line["record"]["id"] == "g"
    assert "startTime" not in line["record"]
    assert "no usable startTime" in line["reason"]
    with pytest.raises(ValueError, match="export id"):
        write_unplaced(layout, "../x", [record("g")])


def test_alignment_counts_each_missing_field() -> None:
    records = [
        record("full"),
        record("no-agent", agentId=...),
        record("null-agent-and-queue", agentId=None, queueId=None),
        record("bad-hold", holdTime="12s"),
        record("bool-talk", talkTime=True),
        record("bad-end", endTime="not a time"),
    ]
    alignment = align_day(DAY, records)
    assert (alignment.total, alignment.valid) == (6, 1)
    assert alignment.integrity_rate == pytest.approx(1 / 6)
    assert alignment.missing_by_field == {
        **dict.fromkeys(REQUIRED_FIELDS, 0),
        "agentId": 2,
        "queueId": 1,
        "holdTime": 1,
        "talkTime": 1,
        "endTime": 1,
    }


def test_empty_day_is_fully_intact() -> None:
    alignment = align_day(DAY, [])
    assert (alignment.total, alignment.valid, alignment.integrity_rate) == (0, 0, 1.0)
    assert set(alignment.missing_by_field.values()) == {0}


def test_write_day_keeps_every_record_with_declared_types(tmp_path: Path) -> None:
    layout = DataLayout(tmp_path)
    records = [record("a"), record("b", agentId=..., holdTime="x", endTime=None)]
    written = write_day(layout, DAY, records)
    assert written.path == tmp_path / "lake/cxone/interactions/date=2024-02-29/part.parquet"
    assert written.rows == 2
    assert written.bytes == written.path.stat().st_size
    assert written.sha256 == hashlib.sha256(written.path.read_bytes()).hexdigest()
    assert parquet_columns(written.path) == list(INTERACTION_COLUMNS)
    rows = read_rows(written.path)
    assert rows[0] == (
        "a",
        "inbound",
        "voice",
        dt.datetime(2024, 2, 29, 10, 0, tzinfo=dt.UTC),
        dt.datetime(2024, 2, 29, 10, 5, 0, 500000, tzinfo=dt.UTC),
        "agent-1",
        "queue-1",
        12.0,
        30.5,
        240.25,
    )
    assert rows[1][0] == "b"
    assert (rows[1][4], rows[1][5], rows[1][7]) == (None, None, None)
    assert [p.name for p in written.path.parent.iterdir()] == ["part.parquet"]  # no temp left


def test_writing_a_day_replaces_only_that_day(tmp_path: Path) -> None:
    layout = DataLayout(tmp_path)
    other_day = dt.date(2024, 3, 1)
    other = write_day(layout, other_day, [record("x", "2024-03-01T01:00:00.000Z")])
    other_bytes = other.path.read_bytes()
    write_day(layout, DAY, [record("a"), record("b")])
    rewritten = write_day(layout, DAY, [record("c")])
    assert [r[0] for r in read_rows(rewritten.path)] == ["c"]
    assert other.path.read_bytes() == other_bytes
    empty = write_day(layout, DAY, [])
    assert empty.rows == 0
    assert read_rows(empty.path) == []
    assert parquet_columns(empty.path) == list(INTERACTION_COLUMNS)
