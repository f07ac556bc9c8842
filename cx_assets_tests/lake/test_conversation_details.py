"""Contract: normalise_day turns a UTC day of platform-mode result pages (page-NNNNN.json, each an
AnalyticsConversationAsyncQueryResponse as served) into five Parquet files whose schemas are
exactly the declared columns, one row per conversation / participant / session / segment /
metric, and a quarantine.parquet holding every record (or page) that could not be read, with
its file, position, reason and JSON text: nothing is lost, nothing rejected leaks into a table."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import duckdb
import pytest

from cx_assets.lake import conversation_details as details
from cx_assets.lake.conversation_details import TABLES, DetailsNormaliseResult, normalise_day
from cx_assets.lake.conversation_details_schema import QUARANTINE_COLUMNS
from cx_assets.lake.parquet_schema import parquet_columns

DAY = dt.date(2024, 1, 1)
UTC = dt.UTC


def at(hms: str, ms: int = 0) -> dt.datetime:
    h, m, s = (int(x) for x in hms.split(":"))
    return dt.datetime(2024, 1, 1, h, m, s, ms * 1000, tzinfo=UTC)


# A page as the server sends it (unknown fields included), written by hand: customer, IVR, ACD
# and agent legs served out of time order; a repeated metric; an ongoing and an abandoned call.
PAGE = """{"totalHits": 3, "cursor": "c-2", "conversations": [
 {"conversationId": "c-full", "conversationStart": "2024-01-01T08:00:00.000Z",
  "conversationEnd": "2024-01-01T08:07:45.500Z", "originatingDirection": "inbound",
  "divisionIds": ["d-1", "d-2"], "externalTag": {"unknown": ["fields", 1]}, "participants": [
  {"participantId": "p-ivr", "purpose": "ivr", "participantName": "Main IVR", "sessions": [
   {"sessionId": "s-ivr", "mediaType": "callback", "metrics": [
     {"name": "tIvr", "value": 30000, "emitDate": "2024-01-01T08:00:30Z"}],
    "segments": [{"segmentType": "ivr", "segmentStart": "2024-01-01T08:00:00Z",
                  "segmentEnd": "2024-01-01T08:00:30Z"}]}]},
  {"participantId": "p-cust", "purpose": "customer", "externalContactId": "ext-9",
   "attributes": {"k": "v"}, "sessions": [
   {"sessionId": "s-cust", "mediaType": "voice", "direction": "inbound", "ani": "tel:+15550100",
    "dnis": "tel:+15550199", "provider": "Edge", "edgeId": "e-1",
    "metrics": [{"name": "nConnected", "value": 1, "emitDate": "2024-01-01T08:00:00Z"}],
    "segments": [{"segmentType": "interact", "segmentStart": "2024-01-01T08:00:00Z",
                  "segmentEnd": "2024-01-01T08:07:45.500Z", "extra": [{"deep": true}]}]}]},
  {"participantId": "p-agent", "purpose": "agent", "userId": "u-2", "teamId": "t-1", "sessions": [
   {"sessionId": "s-agent", "mediaType": "voice", "metrics": [
     {"name": "tTalk", "value": 120000, "emitDate": "2024-01-01T08:07:00Z"},
     {"name": "tTalk", "value": 60000, "emitDate": "2024-01-01T08:07:00Z", "unit": null},
     {"name": "tHeld", "value": 30000, "emitDate": "2024-01-01T08:07:00Z"},
     {"name": "tAcw", "value": 45000, "emitDate": "2024-01-01T08:07:45Z"},
     {"name": "tHandle", "value": 255000, "emitDate": "2024-01-01T08:07:45Z"},
     {"name": "tFancy", "value": 7, "emitDate": "2024-01-01T08:07:45Z"}],
    "segments": [
     {"segmentType": "alert", "segmentStart": "2024-01-01T08:00:50Z",
      "segmentEnd": "2024-01-01T08:00:55Z", "queueId": "q-later"},
     {"segmentType": "interact", "segmentStart": "2024-01-01T08:00:55Z",
      "segmentEnd": "2024-01-01T08:02:55Z", "queueId": "q-later"},
     {"segmentType": "hold", "segmentStart": "2024-01-01T08:02:55Z",
      "segmentEnd": "2024-01-01T08:03:25Z", "queueId": "q-later"},
     {"segmentType": "wrapup", "segmentStart": "2024-01-01T08:07:00Z",
      "segmentEnd": "2024-01-01T08:07:45Z", "wrapUpCode": "w-final", "wrapUpNote": "sorted"},
     {"segmentType": "wrapup", "segmentStart": "2024-01-01T08:06:00Z",
      "segmentEnd": "2024-01-01T08:06:10Z", "wrapUpCode": "w-early", "disconnectType": "client"}
    ]}]},
  {"participantId": "p-acd", "purpose": "acd", "sessions": [
   {"sessionId": "s-acd", "mediaType": "voice", "metrics": [
     {"name": "tAcd", "value": 20000, "emitDate": "2024-01-01T08:00:50Z"},
     {"name": "nOffered", "value": 1, "emitDate": "2024-01-01T08:00:30Z"}],
    "segments": [{"segmentType": "interact", "segmentStart": "2024-01-01T08:00:30Z",
                  "segmentEnd": "2024-01-01T08:00:50Z", "queueId": "q-first"}]}]},
  {"participantId": "p-user", "purpose": "user", "userId": "u-1", "sessions": []},
  {"participantId": "p-agent-again", "purpose": "agent", "userId": "u-2"}]},
 {"conversationId": "c-ongoing", "conversationStart": "2024-01-01T09:00:00+00:00",
  "participants": [{"participantId": "p-1", "purpose": "external",
                    "sessions": [{"sessionId": "s-1", "mediaType": "chat"}]}]},
 {"conversationId": "c-abandoned", "conversationStart": "2024-01-01T10:00:00Z",
  "conversationEnd": "2024-01-01T10:00:15Z", "participants": [
  {"participantId": "p-c", "purpose": "customer", "sessions": [{"sessionId": "s-c",
   "mediaType": "voice", "segments": [{"segmentType": "interact",
   "segmentStart": "2024-01-01T10:00:00Z", "segmentEnd": "2024-01-01T10:00:15Z"}]}]},
  {"participantId": "p-q", "purpose": "acd", "sessions": [{"sessionId": "s-q",
   "mediaType": "voice", "metrics": [{"name": "tAbandon", "value": 15000},
                                     {"name": "tAcd", "value": 15000}],
   "segments": [{"segmentType": "interact", "segmentStart": "2024-01-01T10:00:00Z",
                 "segmentEnd": "2024-01-01T10:00:15Z", "queueId": "q-9"}]}]}]}
]}"""


def metric(name: str, value: Any) -> dict[str, Any]:
    return {"name": name, "value": value, "emitDate": "2024-01-01T08:07:00Z"}


def with_metric(cid: str, value: Any, name: str = "tTalk") -> dict[str, Any]:
    return record(cid, participants=[{"sessions": [{"metrics": [metric(name, value)]}]}])


def record(cid: str, start: str = "2024-01-01T12:00:00Z", **more: Any) -> dict[str, Any]:
    return {"conversationId": cid, "conversationStart": start, **more}


def write_pages(folder: Path, *pages: Any) -> Path:
    """page-00001.json, ... : a list is a page's conversations, a str/bytes is the file as is."""
    folder.mkdir(parents=True, exist_ok=True)
    for n, page in enumerate(pages, 1):
        body = page if isinstance(page, str | bytes) else json.dumps({"conversations": page})
        path = folder / f"page-{n:05d}.json"
        path.write_bytes(body if isinstance(body, bytes) else body.encode())
    return folder


def run(tmp_path: Path, *pages: Any) -> DetailsNormaliseResult:
    return normalise_day(write_pages(tmp_path / "raw", *pages), DAY, "job-1", tmp_path / "out")


def rows(result: DetailsNormaliseResult, table: str, order: str = "ALL") -> list[dict[str, Any]]:
    with duckdb.connect() as con:
        con.execute("SET TimeZone = 'UTC'")
        cur = con.execute(
            f"SELECT * FROM read_parquet(?) ORDER BY {order}", [str(result.outputs[table])]
        )
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def quarantine(result: DetailsNormaliseResult) -> list[dict[str, Any]]:
    return rows(result, "quarantine", "source_file, position NULLS FIRST")


def ids(result: DetailsNormaliseResult, table: str) -> set[str]:
    return {r["conversation_id"] for r in rows(result, table)}


def drop_keys(value: Any, keys: set[str]) -> Any:
    if isinstance(value, dict):
        return {k: drop_keys(v, keys) for k, v in value.items() if k not in keys}
    return [drop_keys(v, keys) for v in value] if isinstance(value, list) else value


def test_every_conversation_column_is_mapped(tmp_path: Path) -> None:
    result = run(tmp_path, PAGE)
    by_id = {r["conversation_id"]: r for r in rows(result, "conversations")}
    # fmt: off
    assert by_id["c-full"] == {
        "conversation_id": "c-full", "conversation_date": DAY, "originating_direction": "inbound",
        "media_type": "voice",  # the customer's, not the first session's (callback)
        "start_time": at("08:00:00"), "end_time": at("08:07:45", 500), "duration_ms": 465500,
        "division_ids": ["d-1", "d-2"],
        "queue_id": "q-first",  # by segmentStart, not served order
        "queue_name": None,
        "wrap_up_code": "w-final",  # the last by segmentStart, served first
        "wrap_up_name": None, "handle_ms": 255000,
        "talk_ms": 180000,  # two tTalk metrics summed
        "hold_ms": 30000, "acw_ms": 45000, "acd_ms": 20000, "abandon_ms": None,
        "participant_count": 6,
        "agent_ids": ["u-1", "u-2"],  # agent and user, distinct, sorted
        "abandoned": False, "api_mode": "platform", "export_id": "job-1",
        "source_file": "page-00001.json",
    }
    # fmt: on
    live = by_id["c-ongoing"]
    assert (live["start_time"], live["end_time"], live["duration_ms"]) == (
        at("09:00:00"),
        None,
        None,
    )
    assert (live["media_type"], live["handle_ms"], live["abandoned"]) == ("chat", None, False)
    assert (live["division_ids"], live["agent_ids"], live["participant_count"]) == (None, [], 1)
    gone = by_id["c-abandoned"]
    assert (gone["abandoned"], gone["abandon_ms"], gone["acd_ms"]) == (True, 15000, 15000)
    assert (gone["agent_ids"], gone["queue_id"], gone["wrap_up_code"]) == ([], "q-9", None)
    assert (result.rows["conversations"], result.quarantined) == (3, 0)
    assert result.per_page == {"page-00001.json": 3} and result.conversations_read == 3


def test_participants_sessions_segments_and_metrics_are_mapped(tmp_path: Path) -> None:
    result = run(tmp_path, PAGE)
    parts = {r["participant_id"]: r for r in rows(result, "participants")}
    # fmt: off
    assert parts["p-agent"] == {
        "conversation_id": "c-full", "conversation_date": DAY, "participant_id": "p-agent",
        "participant_name": None, "purpose": "agent", "user_id": "u-2",
        "external_contact_id": None, "team_id": "t-1", "session_count": 1, "export_id": "job-1",
    }
    # fmt: on
    assert (parts["p-cust"]["external_contact_id"], parts["p-ivr"]["participant_name"]) == (
        "ext-9",
        "Main IVR",
    )
    assert (parts["p-user"]["session_count"], parts["p-agent-again"]["session_count"]) == (0, 0)
    sessions = {r["session_id"]: r for r in rows(result, "sessions")}
    # fmt: off
    assert sessions["s-cust"] == {
        "conversation_id": "c-full", "conversation_date": DAY, "participant_id": "p-cust",
        "session_id": "s-cust", "media_type": "voice", "direction": "inbound",
        "ani": "tel:+15550100", "dnis": "tel:+15550199", "provider": "Edge", "segment_count": 1,
        "metric_count": 1, "export_id": "job-1",
    }
    # fmt: on
    assert (sessions["s-agent"]["segment_count"], sessions["s-agent"]["metric_count"]) == (5, 6)
    assert (sessions["s-1"]["segment_count"], sessions["s-1"]["metric_count"]) == (0, 0)
    agent = [s for s in rows(result, "segments", "segment_index") if s["session_id"] == "s-agent"]
    assert [(s["segment_index"], s["segment_type"]) for s in agent] == [
        (0, "alert"),
        (1, "interact"),
        (2, "hold"),
        (3, "wrapup"),
        (4, "wrapup"),
    ]
    # fmt: off
    assert agent[4] == {
        "conversation_id": "c-full", "conversation_date": DAY, "participant_id": "p-agent",
        "session_id": "s-agent", "segment_index": 4, "segment_type": "wrapup",
        "segment_start": at("08:06:00"), "segment_end": at("08:06:10"), "duration_ms": 10000,
        "queue_id": None, "disconnect_type": "client", "wrap_up_code": "w-early",
        "wrap_up_note": None, "export_id": "job-1",
    }
    # fmt: on
    assert (agent[2]["duration_ms"], agent[2]["queue_id"], agent[3]["wrap_up_note"]) == (
        30000,
        "q-later",
        "sorted",
    )
    metrics = rows(result, "metrics", "session_id, name, value")
    talk = [m for m in metrics if m["name"] == "tTalk"]
    # fmt: off
    assert talk[0] == {
        "conversation_id": "c-full", "conversation_date": DAY, "participant_id": "p-agent",
        "session_id": "s-agent", "name": "tTalk", "value": 60000, "emit_time": at("08:07:00"),
        "export_id": "job-1",
    }
    # fmt: on
    assert [m["value"] for m in talk] == [60000, 120000]  # repeated names stay in long form
    assert {m["name"] for m in metrics if m["conversation_id"] == "c-full"} == {
        "tIvr", "nConnected", "tTalk", "tHeld", "tAcw", "tHandle", "tFancy", "tAcd", "nOffered"
    }  # fmt: skip
    assert (result.rows["metrics"], result.rows["segments"], result.rows["sessions"]) == (12, 10, 7)


def test_schemas_equal_the_declared_columns_even_when_empty(tmp_path: Path) -> None:
    full, empty = run(tmp_path / "full", PAGE, "not json"), run(tmp_path / "empty", [])
    for result in (full, empty):
        for table, columns in {**TABLES, "quarantine": QUARANTINE_COLUMNS}.items():
            assert parquet_columns(result.outputs[table]) == [(c.name, c.type) for c in columns]
    assert sorted(p.name for p in (tmp_path / "full" / "out").iterdir()) == sorted(
        f"{t}.parquet" for t in [*TABLES, "quarantine"]
    )  # no temp or part files left behind


def test_unknown_fields_of_any_type_are_ignored(tmp_path: Path) -> None:
    unknown = {"totalHits", "cursor", "externalTag", "attributes", "edgeId", "extra", "unit"}
    plain = run(tmp_path / "plain", json.dumps(drop_keys(json.loads(PAGE), unknown)))
    noisy = run(tmp_path / "noisy", PAGE)
    for table in TABLES:
        assert rows(plain, table) == rows(noisy, table), table
    assert noisy.quarantined == 0


def test_each_quarantine_reason(tmp_path: Path) -> None:
    no_zone = "2024-01-01T08:00:00"
    bad_segment = [{"sessions": [{"segments": [{"segmentStart": no_zone}]}]}]
    fast = [  # DuckDB reads the page; the SQL rules reject these
        ({"conversationStart": "2024-01-01T08:00:00Z"}, "missing conversationId"),
        (record("  "), "missing conversationId"),
        ({"conversationId": "c-3"}, "missing conversationStart"),
        (record("c-4", "yesterday"), "unparseable conversationStart"),
        (record("c-5", no_zone), "unparseable conversationStart"),
        (record("c-6", "2024-01-02T00:00:00Z"), "wrong partition: starts on 2024-01-02"),
        (record("c-7", "2024-01-01T01:00:00+02:00"), "wrong partition: starts on 2023-12-31"),
        (record("c-0"), "duplicate conversationId: first kept from page-00001.json position 0"),
        (with_metric("c-9", "abc"), "wrong type: metric tTalk value abc is not an integer"),
        (with_metric("c-10", 1.5, "tHeld"), "wrong type: metric tHeld value 1.5"),
        (with_metric("c-11", True, "nX"), "wrong type: metric nX value true"),
        (record("c-12", conversationEnd="soon"), 'wrong type: conversationEnd "soon"'),
        (record("c-13", participants=bad_segment), "wrong type: segmentStart"),
    ]
    slow = [  # shapes DuckDB would read as NULL, so the Python fallback reads this page
        (record("c-s1", participants="all"), "wrong type: participants is a string, expected"),
        (
            record("c-s2", participants=[{"sessions": [5]}]),
            "wrong type: participants[0].sessions[0] is a number, expected an object",
        ),
        ("just text", "not a JSON object (a string)"),
        (None, "not a JSON object (null)"),
        (record("c-4", "yesterday"), "unparseable conversationStart"),
        (record("c-0"), "duplicate conversationId: first kept from page-00001.json position 0"),
    ]
    result = run(
        tmp_path, [record("c-0")] + [r for r, _ in fast], [record("c-ok")] + [r for r, _ in slow]
    )
    expected = [("page-00001.json", n, rec, why) for n, (rec, why) in enumerate(fast, 1)]
    expected += [("page-00002.json", n, rec, why) for n, (rec, why) in enumerate(slow, 1)]
    got = quarantine(result)
    assert [(q["source_file"], q["position"]) for q in got] == [(f, n) for f, n, _, _ in expected]
    for q, (_, _, rec, why) in zip(got, expected, strict=True):
        assert q["reason"].startswith(why), (q["position"], q["reason"])
        assert json.loads(q["raw"]) == rec  # the record's JSON text
    assert ids(result, "conversations") == {"c-0", "c-ok"}
    for table in ("participants", "sessions", "segments", "metrics"):
        assert ids(result, table) <= {"c-0", "c-ok"}, table  # nothing rejected leaks in
    assert result.conversations_read == 2 + len(fast) + len(slow) == 2 + result.quarantined
    assert result.per_page == {"page-00001.json": 14, "page-00002.json": 7}


def test_unreadable_pages_are_quarantined_whole_and_empty_pages_are_fine(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        [record("c-1")],
        "not json {",
        "",
        json.dumps([record("c-2")]),
        json.dumps({"conversations": "none"}),
        b'{"conversations": [{"x": "\xff"}]}',
        json.dumps({"cursor": None}),
        json.dumps({"conversations": []}),
    )
    got = {q["source_file"]: (q["position"], q["reason"]) for q in quarantine(result)}
    assert got == {
        "page-00002.json": (None, "invalid JSON: Expecting value at line 1 column 1"),
        "page-00003.json": (None, "invalid JSON: Expecting value at line 1 column 1"),
        "page-00004.json": (None, "page is not a JSON object (an array)"),
        "page-00005.json": (None, "conversations is not a list (a string)"),
        "page-00006.json": (None, "invalid JSON: not UTF-8 at byte 26"),
    }
    assert quarantine(result)[0]["raw"] == "not json {"  # the page's text
    assert ids(result, "conversations") == {"c-1"} and result.conversations_read == 1
    assert result.per_page["page-00007.json"] == result.per_page["page-00008.json"] == 0


def test_a_record_duckdb_cannot_read_costs_only_that_record(tmp_path: Path) -> None:
    lone_surrogate = '{"conversationId": "c-\\ud800", "conversationStart": "2024-01-01T08:00:00Z"}'
    page = '{"conversations": [' + json.dumps(record("c-1")) + ", " + lone_surrogate + "]}"
    result = run(tmp_path, page)
    assert [(q["position"], q["reason"]) for q in quarantine(result)] == [
        (1, "not readable with the declared column types")
    ]
    assert ids(result, "conversations") == {"c-1"}


def test_timestamps_with_offset_or_z_with_or_without_fraction(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        [
            record("a", "2024-01-01T08:00:00+00:00", conversationEnd="2024-01-01T08:00:01.5+00:00"),
            record("b", "2024-01-01T08:00:00Z", conversationEnd="2024-01-01T10:00:00.000+02:00"),
            record("c", "2024-01-01T23:59:59.999999Z"),
        ],
    )
    got = {
        r["conversation_id"]: (r["start_time"], r["duration_ms"])
        for r in rows(result, "conversations")
    }
    last = dt.datetime(2024, 1, 1, 23, 59, 59, 999999, tzinfo=UTC)
    assert got == {"a": (at("08:00:00"), 1500), "b": (at("08:00:00"), 0), "c": (last, None)}


def test_duplicates_across_pages_and_batches_keep_the_first_in_page_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(details, "BATCH_BYTES", 1)  # a page per batch, two batches at once
    folder = write_pages(tmp_path / "raw", [record("c-1"), record("c-2")], [record("c-3")])
    (folder / "page-99999.json").write_text(json.dumps({"conversations": [record("c-dup")]}))
    late = record("c-dup", participants=[{"participantId": "p-late"}])
    (folder / "page-100000.json").write_text(json.dumps({"conversations": [record("c-2"), late]}))
    result = normalise_day(folder, DAY, "job-1", tmp_path / "out", threads=2)
    first = "duplicate conversationId: first kept from"
    assert [(q["source_file"], q["position"], q["reason"]) for q in quarantine(result)] == [
        ("page-100000.json", 0, f"{first} page-00001.json position 1"),
        ("page-100000.json", 1, f"{first} page-99999.json position 0"),
    ]
    assert ids(result, "conversations") == {"c-1", "c-2", "c-3", "c-dup"}
    assert rows(result, "participants") == []  # the duplicate's participant is not kept
    assert (result.rows["conversations"], result.conversations_read) == (4, 6)
    assert result.bytes_read == sum(p.stat().st_size for p in folder.iterdir())
