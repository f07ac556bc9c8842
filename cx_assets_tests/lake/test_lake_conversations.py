"""Contract: normalise_conversations turns one day's raw JSONL/CSV export files into one Parquet
file with exactly CONVERSATION_COLUMNS (UTC timestamps, derived duration, agent ids, participant
count), and writes every rejected line to the quarantine file with source file, 1-based line,
reason and raw text: nothing is lost, nothing partial is left visible."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pytest

from cx_assets.lake.conversations import normalise_conversations
from cx_assets.lake.conversations_schema import CONVERSATION_COLUMNS, NormaliseResult, RawFile
from cx_assets.lake.parquet_schema import parquet_columns, schema_differences

DAY = dt.date(2024, 1, 1)
UTC = dt.UTC


def run(tmp_path: Path, *files: RawFile, day: dt.date = DAY) -> NormaliseResult:
    out_dir = tmp_path / "staging" / "lake"
    out_dir.mkdir(parents=True, exist_ok=True)
    return normalise_conversations(
        list(files),
        day=day,
        export_id="exp-1",
        out_file=out_dir / "part-0.parquet",
        quarantine_file=tmp_path / "staging" / "quarantine" / "quarantine.jsonl",
        memory_limit="256MB",
    )


def jsonl(path: Path) -> RawFile:
    return RawFile(path=path, format="jsonl", name=path.name, record_count=None)


def rows(parquet: Path) -> list[dict[str, Any]]:
    with duckdb.connect() as con:
        con.execute("SET TimeZone = 'UTC'")
        cursor = con.execute(
            "SELECT * FROM read_parquet(?) ORDER BY conversation_id", [str(parquet)]
        )
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]


def quarantine(result: NormaliseResult) -> list[dict[str, Any]]:
    assert result.quarantine_file is not None
    return [json.loads(line) for line in result.quarantine_file.read_text().splitlines()]


def assert_exact_schema(parquet: Path) -> None:
    expected = [(c.name, c.type) for c in CONVERSATION_COLUMNS]
    assert schema_differences(parquet_columns(parquet), expected) == []


def test_jsonl_records_become_typed_utc_rows_with_derived_values(
    tmp_path: Path, write_jsonl: Callable[..., Path], record: Callable[..., dict[str, Any]]
) -> None:
    path = write_jsonl(
        "conversations-2024-01-01-0000.jsonl",
        [
            record("a", agents=("u-1", None, "u-2")),
            record(
                "b",
                start="2024-01-01T10:00:00.250+02:00",
                end="2024-01-01T08:01:00.000Z",
                agents=(),
                queue=None,
                wrapUp=None,
                type="internal",
                channel={"type": "chat"},
            ),
        ],
    )
    result = run(tmp_path, jsonl(path))

    assert_exact_schema(result.out_file)
    assert (result.row_count, result.quarantined, result.quarantine_file) == (2, 0, None)
    assert result.per_file == {path.name: (2, 0)}
    assert result.bytes_in == path.stat().st_size
    a, b = rows(result.out_file)
    assert a == {
        "conversation_id": "a",
        "conversation_date": DAY,
        "originating_direction": "inbound",
        "media_type": "voice",
        "start_time": dt.datetime(2024, 1, 1, 8, 0, tzinfo=UTC),
        "end_time": dt.datetime(2024, 1, 1, 8, 7, 12, 345000, tzinfo=UTC),
        "duration_ms": 432345,
        "division_ids": None,
        "queue_id": "q-1",
        "queue_name": "Billing",
        "wrap_up_code": "w-1",
        "wrap_up_name": "Resolved",
        "handle_ms": None,
        "talk_ms": 300000,
        "hold_ms": 12000,
        "acw_ms": 45000,
        "acd_ms": None,
        "abandon_ms": None,
        "participant_count": 5,
        "agent_ids": ["u-1", "u-2"],
        "abandoned": None,
        "api_mode": "tutorial",
        "export_id": "exp-1",
        "source_file": path.name,
    }
    # +02:00 is converted to UTC; null queue/wrapUp stay null; no agents -> empty list.
    assert b["start_time"] == dt.datetime(2024, 1, 1, 8, 0, 0, 250000, tzinfo=UTC)
    assert b["duration_ms"] == 59750
    assert (b["queue_id"], b["queue_name"], b["wrap_up_code"]) == (None, None, None)
    assert (b["originating_direction"], b["media_type"], b["participant_count"]) == (
        "internal",
        "chat",
        2,
    )
    assert b["agent_ids"] == []
    # Nothing but the Parquet file is left beside it (scratch folder removed).
    assert [p.name for p in result.out_file.parent.iterdir()] == ["part-0.parquet"]


def test_csv_fills_only_the_columns_it_has(tmp_path: Path) -> None:
    path = tmp_path / "conversations-2024-01-01-0000.csv"
    path.write_text(
        "interactionId,type,startTimestamp,endTimestamp,channelType\n"
        "c-1,inbound,2024-01-01T08:00:00.000Z,2024-01-01T08:00:01.500Z,voice\n"
        'c-2,outbound,2024-01-01T23:59:59.999Z,,"email"\n'
    )
    result = run(tmp_path, RawFile(path=path, format="csv", name=path.name, record_count=2))

    assert_exact_schema(result.out_file)
    assert result.per_file == {path.name: (2, 0)}
    c1, c2 = rows(result.out_file)
    assert (c1["media_type"], c1["duration_ms"], c1["conversation_date"]) == ("voice", 1500, DAY)
    assert c1["start_time"] == dt.datetime(2024, 1, 1, 8, tzinfo=UTC)
    for column in ("queue_id", "wrap_up_name", "talk_ms", "participant_count", "agent_ids"):
        assert c1[column] is None
    assert (c2["originating_direction"], c2["media_type"], c2["end_time"], c2["duration_ms"]) == (
        "outbound",
        "email",
        None,
        None,
    )


def test_each_kind_of_bad_input_is_quarantined_with_file_line_reason_and_raw(
    tmp_path: Path, write_jsonl: Callable[..., Path], record: Callable[..., dict[str, Any]]
) -> None:
    lines: list[Any] = [
        record("ok-1"),
        '{"interactionId": "broken", "startTimestamp": ',  # 2: not JSON
        "[1, 2, 3]",  # 3: JSON, not an object
        record("x", interactionId=None),  # 4
        record("x", interactionId="  "),  # 5
        "{}",  # 6
        record("no-start", startTimestamp=None),  # 7
        record("bad-start", startTimestamp="yesterday"),  # 8
        record("naive-start", startTimestamp="2024-01-01T08:00:00"),  # 9: no zone
        record("next-day", start="2024-01-01T23:30:00.000-02:00"),  # 10: 01:30Z on the 2nd
        "",  # 11: blank, holds no record
        record("ok-2"),  # 12
    ]
    path = write_jsonl("day.jsonl", lines)
    result = run(tmp_path, jsonl(path))

    assert [r["conversation_id"] for r in rows(result.out_file)] == ["ok-1", "ok-2"]
    got = quarantine(result)
    assert [(q["source_file"], q["line"]) for q in got] == [
        ("day.jsonl", n) for n in (2, 3, 4, 5, 6, 7, 8, 9, 10)
    ]
    reasons = [q["reason"] for q in got]
    assert reasons[0].startswith("invalid JSON: ")
    assert reasons[1] == "not a JSON object (list)"
    assert reasons[2:5] == ["missing interactionId"] * 3
    assert reasons[5] == "missing startTimestamp"
    assert reasons[6:8] == ["unparseable startTimestamp"] * 2
    assert reasons[8] == "wrong partition: starts on 2024-01-02, partition is 2024-01-01"
    raw_lines = path.read_text().splitlines()
    assert [q["raw"] for q in got] == [raw_lines[n - 1] for n in (2, 3, 4, 5, 6, 7, 8, 9, 10)]
    assert (result.row_count, result.quarantined) == (2, 9)
    assert result.per_file == {"day.jsonl": (2, 9)}


def test_duplicates_keep_the_first_occurrence_across_files(
    tmp_path: Path, write_jsonl: Callable[..., Path], record: Callable[..., dict[str, Any]]
) -> None:
    first = write_jsonl("part-0.jsonl", [record("a", type="inbound"), record("b")])
    second = write_jsonl(
        "part-1.jsonl", [record("c"), record("a", type="outbound"), record("a", type="internal")]
    )
    result = run(tmp_path, jsonl(first), jsonl(second))

    kept = {r["conversation_id"]: r for r in rows(result.out_file)}
    assert sorted(kept) == ["a", "b", "c"]
    assert (kept["a"]["originating_direction"], kept["a"]["source_file"]) == (
        "inbound",
        "part-0.jsonl",
    )
    assert [(q["source_file"], q["line"], q["reason"]) for q in quarantine(result)] == [
        ("part-1.jsonl", 2, "duplicate interactionId"),
        ("part-1.jsonl", 3, "duplicate interactionId"),
    ]
    assert result.per_file == {"part-0.jsonl": (2, 0), "part-1.jsonl": (1, 2)}


def test_csv_rows_with_the_wrong_number_of_fields_are_quarantined(tmp_path: Path) -> None:
    path = tmp_path / "day.csv"
    path.write_text(
        "interactionId,type,startTimestamp,endTimestamp,channelType\n"
        "c-1,inbound,2024-01-01T08:00:00Z,2024-01-01T08:01:00Z,voice\n"
        "c-2,inbound,2024-01-01T08:00:00Z\n"
        ",inbound,2024-01-01T08:00:00Z,2024-01-01T08:01:00Z,voice\n"
    )
    result = run(tmp_path, RawFile(path=path, format="csv", name="day.csv", record_count=3))
    assert [r["conversation_id"] for r in rows(result.out_file)] == ["c-1"]
    assert [(q["line"], q["reason"], q["raw"]) for q in quarantine(result)] == [
        (3, "expected 5 CSV fields, got 3", "c-2,inbound,2024-01-01T08:00:00Z"),
        (4, "missing interactionId", ",inbound,2024-01-01T08:00:00Z,2024-01-01T08:01:00Z,voice"),
    ]


@pytest.mark.parametrize("content", [None, ""])
def test_empty_input_gives_a_valid_empty_parquet_with_the_schema(
    tmp_path: Path, content: str | None
) -> None:
    files = []
    if content is not None:
        empty = tmp_path / "empty.jsonl"
        empty.write_text(content)
        files.append(jsonl(empty))
    result = run(tmp_path, *files)
    assert_exact_schema(result.out_file)
    assert rows(result.out_file) == []
    assert (result.row_count, result.quarantined, result.quarantine_file) == (0, 0, None)


def test_a_rerun_replaces_the_output_file(
    tmp_path: Path, write_jsonl: Callable[..., Path], record: Callable[..., dict[str, Any]]
) -> None:
    path = write_jsonl("day.jsonl", [record("a"), record("b")])
    run(tmp_path, jsonl(path))
    path = write_jsonl("day.jsonl", [record("c")])
    result = run(tmp_path, jsonl(path))
    assert [r["conversation_id"] for r in rows(result.out_file)] == ["c"]
    assert [p.name for p in result.out_file.parent.iterdir()] == ["part-0.parquet"]


def test_other_days_are_rejected_as_a_whole_when_the_file_is_misplaced(
    tmp_path: Path, write_jsonl: Callable[..., Path], record: Callable[..., dict[str, Any]]
) -> None:
    path = write_jsonl("day.jsonl", [record("a"), record("b")])
    result = run(tmp_path, jsonl(path), day=dt.date(2024, 1, 2))
    assert result.row_count == 0
    assert {q["reason"] for q in quarantine(result)} == {
        "wrong partition: starts on 2024-01-01, partition is 2024-01-02"
    }


def test_unknown_formats_and_duplicate_file_names_are_refused(tmp_path: Path) -> None:
    raw = tmp_path / "x.json"
    raw.write_text("")
    with pytest.raises(ValueError, match="format 'json' is not jsonl or csv"):
        run(tmp_path, RawFile(path=raw, format="json", name="x.json"))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="must be unique"):
        run(tmp_path, jsonl(raw), jsonl(raw))


def test_a_field_of_the_wrong_json_type_reads_as_null_and_keeps_the_record(
    tmp_path: Path, write_jsonl: Callable[..., Path], record: Callable[..., dict[str, Any]]
) -> None:
    odd = record("odd", durations={"talkMs": "lots", "holdMs": 5, "acwMs": 6})
    path = write_jsonl("day.jsonl", [record("a"), odd])
    result = run(tmp_path, jsonl(path))
    got = {r["conversation_id"]: r for r in rows(result.out_file)}
    assert (got["odd"]["talk_ms"], got["odd"]["hold_ms"]) == (None, 5)
    assert got["a"]["talk_ms"] == 300000
    assert result.quarantined == 0


def test_bom_and_crlf_line_endings_are_read_with_correct_line_numbers(
    tmp_path: Path, record: Callable[..., dict[str, Any]]
) -> None:
    path = tmp_path / "day.jsonl"
    text = "\r\n".join([json.dumps(record("a")), "not json", json.dumps(record("b"))]) + "\r\n"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    result = run(tmp_path, jsonl(path))
    assert [r["conversation_id"] for r in rows(result.out_file)] == ["a", "b"]
    assert [(q["line"], q["raw"]) for q in quarantine(result)] == [(2, "not json")]


def test_a_failure_leaves_no_output_and_no_scratch_files(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        run(tmp_path, jsonl(tmp_path / "missing.jsonl"))
    assert list((tmp_path / "staging" / "lake").iterdir()) == []
    assert not (tmp_path / "staging" / "quarantine").exists()
