"""Synthetic AnalyticsConversations: a pure function of (day, seed, index); valid JSON in the
contract's shape (customer/ivr/acd/agent participants, voice/chat/email/message/callback
sessions, typed segments with queueId and wrapUpCode, real metric names whose values add up);
some abandoned (no agent, tAbandon), a few crossing midnight, none longer than the scan bound,
and a conversation still going at "now" without its end."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date

from cx_assets.emulator.genesys.conversations.details import MAX_LIFETIME_MS, Day, lifetime
from cx_assets.emulator.genesys.conversations.details_render import iso, render

DAY = date(2024, 1, 1)
FOREVER = 10**15


def _day(seed: int = 42, per_day: int = 600) -> list[dict]:
    gen = Day(seed, DAY, per_day)
    return [json.loads(render(gen, gen.shape(i), FOREVER)) for i in range(per_day)]


def _metrics(session: dict) -> Counter[str]:
    totals: Counter[str] = Counter()
    for metric in session["metrics"]:
        totals[metric["name"]] += metric["value"]
    return totals


def test_same_day_and_seed_give_the_same_text_and_others_differ():
    a, b = Day(42, DAY, 50), Day(42, DAY, 50)
    first = [render(a, a.shape(i), FOREVER) for i in range(50)]
    assert first == [render(b, b.shape(i), FOREVER) for i in range(50)]
    other_seed, other_day = Day(7, DAY, 50), Day(42, date(2024, 1, 2), 50)
    assert render(other_seed, other_seed.shape(3), FOREVER) != first[3]
    assert render(other_day, other_day.shape(3), FOREVER) != first[3]


def test_records_have_the_contract_shape():
    records = _day()
    assert len({r["conversationId"] for r in records}) == len(records)
    assert {r["originatingDirection"] for r in records} == {"inbound", "outbound"}
    purposes = {p["purpose"] for r in records for p in r["participants"]}
    assert purposes == {"customer", "ivr", "acd", "agent"}
    sessions = [s for r in records for p in r["participants"] for s in p["sessions"]]
    assert {s["mediaType"] for s in sessions} == {"voice", "chat", "email", "message", "callback"}
    kinds = {seg["segmentType"] for s in sessions for seg in s["segments"]}
    assert {"alert", "ivr", "interact", "hold", "wrapup", "dialing", "contacting"} <= kinds
    assert all(r["divisionIds"] for r in records)
    for r in records:
        starts = [r["conversationStart"]]
        for p in r["participants"]:
            for s in p["sessions"]:
                for seg in s["segments"]:
                    assert seg["segmentStart"] <= seg["segmentEnd"] <= r["conversationEnd"]
                    starts.append(seg["segmentStart"])
                    if seg["segmentType"] == "wrapup":
                        assert seg["wrapUpCode"]
                    if p["purpose"] in ("acd", "agent"):
                        assert seg["queueId"]
        assert min(starts) == r["conversationStart"]


def test_agent_metrics_add_up():
    agents = [
        s
        for r in _day()
        for p in r["participants"]
        if p["purpose"] == "agent"
        for s in p["sessions"]
    ]
    assert agents
    for session in agents:
        m = _metrics(session)
        assert m["tHandle"] == m["tTalkComplete"] + m["tHeldComplete"] + m["tAcw"]
        assert m["tTalk"] == m["tTalkComplete"] > 0
        assert m["tHeld"] == m["tHeldComplete"]
    names = {metric["name"] for s in agents for metric in s["metrics"]}
    assert {"tAlert", "tTalk", "tHeld", "tAcw", "tHandle", "nTransferred"} <= names


def test_abandoned_conversations_have_no_agent_and_a_tabandon():
    records = _day()
    abandoned = [r for r in records if all(p["purpose"] != "agent" for p in r["participants"])]
    assert 0 < len(abandoned) < len(records) // 5
    for r in abandoned:
        [acd] = [p for p in r["participants"] if p["purpose"] == "acd"]
        m = _metrics(acd["sessions"][0])
        assert m["tAbandon"] == m["tAcd"] > 0 and m["nOffered"] == 1
    names = {
        metric["name"]
        for r in records
        for p in r["participants"]
        for s in p["sessions"]
        for metric in s["metrics"]
    }
    assert {"tAcd", "tIvr", "tWait", "tAnswered", "nConnected", "nOffered"} <= names


def test_a_few_cross_midnight_and_lifetimes_stay_under_the_bound():
    gen = Day(42, DAY, 600)
    shapes = [gen.shape(i) for i in range(600)]
    assert [s.start for s in shapes] == sorted(s.start for s in shapes)
    crossing = [s for s in shapes if s.end > gen.day_ms + 86_400_000]
    assert 1 <= len(crossing) <= 12
    assert all(s.end - s.start == lifetime(s) <= MAX_LIFETIME_MS for s in shapes)
    assert all(gen.day_ms <= s.start < gen.day_ms + 86_400_000 for s in shapes)
    big = Day(42, DAY, 100_000)  # crossers are the longest: the bound holds for them too
    tail = [big.shape(i) for i in range(big.cross_from - 100, big.n)]
    assert max(s.end - s.start for s in tail) <= MAX_LIFETIME_MS
    assert sum(s.end > big.day_ms + 86_400_000 for s in tail) >= 800


def test_a_conversation_cut_before_its_end_is_ongoing():
    gen = Day(42, DAY, 600)
    shape = next(s for s in map(gen.shape, range(600)) if s.transferred)
    cut = shape.start + (shape.end - shape.start) // 2
    record = json.loads(render(gen, shape, cut))
    assert "conversationEnd" not in record
    segments = [g for p in record["participants"] for s in p["sessions"] for g in s["segments"]]
    assert all(g["segmentStart"] <= iso(cut) for g in segments)
    open_segments = [g for g in segments if "segmentEnd" not in g]
    assert open_segments and all("disconnectType" not in g for g in open_segments)
    emitted = [
        m["emitDate"] for p in record["participants"] for s in p["sessions"] for m in s["metrics"]
    ]
    assert all(e <= iso(cut) for e in emitted)
    ended = json.loads(render(gen, shape, FOREVER))
    assert ended["conversationEnd"] == iso(shape.end)
