"""The lines of a synthetic conversations day: one JSONL line and one CSV line per record.

Why hand-built lines: the benchmark needs days of over 1 GB, so lines are assembled with
f-strings from pools of ids and names drawn once, instead of `json.dumps` of nested dicts (about
5x slower). Every value that goes into a line is either a number, a generated id or a pool entry
that was JSON-escaped when the pool was built, so the output is valid JSON by construction (the
tests parse every line). Records are a pure function of (day, seed, records_per_day);
`malform` breaks one the way real exports break.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Iterator
from datetime import date, timedelta

CSV_HEADER = "interactionId,type,startTimestamp,endTimestamp,channelType\n"
DAY_MS = 86_400_000
EDGE_ID = "5f1c9a3e-7b2d-4e8f-9a6c-0d4b3e2f1a70"
DIVISION_ID = "0b7d2c4e-9f1a-4c3b-8e5d-6a7f8b9c0d1e"

QUEUE_NAMES = (
    "Billing", "Sales", "Support", "Retention", "Technical Support", "Claims", "Onboarding",
    "Collections", "VIP Care", "Soporte en Español", "Callbacks", "Escalations",
)  # fmt: skip
WRAPUP_NAMES = (
    "Resolved", "Escalated", "Callback Scheduled", "Information Provided", "Sale Completed",
    "Complaint Logged", "Transferred", "No Answer", "Follow-up Required", "Cancelled",
)  # fmt: skip
FIRST_NAMES = (
    "Maria", "James", "Aisha", "Chen", "Olivia", "Mateo", "Sofía", "Liam", "Noah", "Emma",
    "Zoë", "Lukas", "Amara", "Hiroshi", "Fatima", "Jonas", "Élodie", "Rahul", "Ingrid", "Kwame",
)  # fmt: skip
LAST_NAMES = (
    "Garcia", "Smith", "Okafor", "Wang", "Johnson", "Müller", "Rossi", "Nguyen", "Dubois",
    "Kowalski", "Núñez", "O'Brien", "Tanaka", "Haddad", "Larsen", "Silva", "Patel", "Brown",
)  # fmt: skip

# (type, share out of 256)
_TYPES = (("inbound", 166), ("outbound", 64), ("internal", 26))
_CHANNELS = (("voice", 128), ("chat", 38), ("email", 38), ("message", 31), ("callback", 21))


def _weighted(table: tuple[tuple[str, int], ...]) -> list[str]:
    """A 256-entry lookup so one random byte picks a weighted value."""
    out: list[str] = []
    for value, share in table:
        out.extend([value] * share)
    assert len(out) == 256
    return out


def _uuid(rng: random.Random) -> str:
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"


def _js(text: str) -> str:
    """A JSON string literal (quotes included), escaped once when the pools are built."""
    return json.dumps(text, ensure_ascii=False)


class _Pools:
    """Ids and names shared by all days of one seed, JSON-escaped up front."""

    def __init__(self, seed: int) -> None:
        rng = random.Random(f"cx-emulator-pools:{seed}")
        self.queues = [(_uuid(rng), _js(n)) for n in QUEUE_NAMES]
        self.wrapups = [(_uuid(rng), _js(n)) for n in WRAPUP_NAMES]
        people = [f"{f} {last}" for f in FIRST_NAMES for last in LAST_NAMES]
        rng.shuffle(people)
        self.agents = [(_uuid(rng), _js(n)) for n in people[:240]]
        self.customers = [_js(n) for n in people]
        self.phones = [f"tel:+1555{rng.randrange(10**7):07d}" for _ in range(997)]
        self.types = _weighted(_TYPES)
        self.channels = _weighted(_CHANNELS)


def _clock(ms: int, day_str: str, next_str: str) -> str:
    """`YYYY-MM-DDTHH:MM:SS.mmmZ` for `ms` since the day's midnight (may spill into the next)."""
    if ms >= DAY_MS:
        ms -= DAY_MS
        day_str = next_str
    s, milli = divmod(ms, 1000)
    m, s = divmod(s, 60)
    h, m = divmod(m, 60)
    return f"{day_str}T{h:02d}:{m:02d}:{s:02d}.{milli:03d}Z"


def _sess(sid: str, media: str, direction: str, phones: str, metrics: str) -> str:
    return (
        f'{{"sessionId":"{sid}","mediaType":"{media}","direction":"{direction}",'
        f'"provider":"Edge","edgeId":"{EDGE_ID}"{phones},"metrics":[{metrics}]}}'
    )


def _part(pid: str, purpose: str, user: str, name: str, sessions: str) -> str:
    return (
        f'{{"participantId":"{pid}","purpose":"{purpose}","userId":{user},'
        f'"name":{name},"sessions":[{sessions}]}}'
    )


def _metric(name: str, value: int) -> str:
    return f'{{"name":"{name}","value":{value}}}'


def generate_lines(day: date, seed: int, count: int) -> Iterator[tuple[str, str]]:
    """Yield (jsonl_line, csv_line) per record, start times ascending within the UTC day.

    One flat hot loop on purpose: both lines share every random draw.
    """
    pools = _Pools(seed)
    rng = random.Random(f"cx-emulator-day:{seed}:{day.isoformat()}")
    bits64 = rng.getrandbits
    tag = hashlib.sha256(f"{seed}:{day.isoformat()}".encode()).hexdigest()
    # uuid-shaped ids: a per-day prefix plus a 12-hex-digit counter, unique within the day
    iid_prefix = f"{tag[:8]}-{tag[8:12]}-4{tag[12:15]}-8{tag[15:18]}-"
    pid_prefix = f"{tag[18:26]}-{tag[26:30]}-4{tag[30:33]}-9{tag[33:36]}-"
    sid_prefix = f"{tag[36:44]}-{tag[44:48]}-4{tag[48:51]}-a{tag[51:54]}-"
    day_str = day.isoformat()
    next_str = (day + timedelta(days=1)).isoformat()
    slot = max(1, DAY_MS // max(count, 1))
    queues, wrapups, agents = pools.queues, pools.wrapups, pools.agents
    customers, phones = pools.customers, pools.phones
    types, channels = pools.types, pools.channels
    nq, nw, na, nc, nph = len(queues), len(wrapups), len(agents), len(customers), len(phones)

    for i in range(count):
        b = bits64(64)
        d = bits64(64)
        kind = types[b & 0xFF]
        channel = channels[(b >> 8) & 0xFF]
        queue_id, queue_name = queues[(b >> 16) % nq]
        wrap_id, wrap_name = wrapups[(b >> 20) % nw]
        agent_id, agent_name = agents[(b >> 24) % na]
        customer = customers[(b >> 32) % nc]
        ani = phones[(b >> 40) % nph]
        abandoned = kind == "inbound" and ((b >> 52) & 0xF) == 0
        transferred = ((b >> 56) & 0x7) == 0

        talk = 0 if abandoned else 20_000 + (d & 0xFFFFF) % 900_000
        hold = 0 if (d >> 20) & 0x3 else (d >> 22) % 180_000
        acw = 0 if abandoned else 3_000 + (d >> 30) % 120_000
        wait = 1_000 + (d >> 40) % 240_000
        ivr = 15_000 + (d >> 50) % 90_000 if kind == "inbound" and channel == "voice" else 0
        total = ivr + wait + talk + hold + acw
        start_ms = i * slot + (d % slot)
        start = _clock(start_ms, day_str, next_str)
        end = _clock(start_ms + total, day_str, next_str)
        media = "voice" if channel == "callback" else channel
        phone_json = f',"ani":"{ani}","dnis":"tel:+18005550100"' if media == "voice" else ""
        direction = "outbound" if kind == "outbound" else "inbound"
        n = i << 4

        parts: list[str] = []
        if kind == "internal":
            other_id, other_name = agents[(b >> 44) % na]
            for k, (uid, uname) in enumerate(((agent_id, agent_name), (other_id, other_name))):
                metrics = ",".join((_metric("tTalk", talk), _metric("tHeld", hold)))
                sess = _sess(f"{sid_prefix}{n + k:012x}", media, direction, phone_json, metrics)
                parts.append(_part(f"{pid_prefix}{n + k:012x}", "agent", f'"{uid}"', uname, sess))
            queue_json = wrap_json = "null"
        else:
            cust_metrics = ",".join((_metric("tTalk", talk), _metric("tHeld", hold)))
            sess = _sess(f"{sid_prefix}{n:012x}", media, direction, phone_json, cust_metrics)
            parts.append(_part(f"{pid_prefix}{n:012x}", "customer", "null", customer, sess))
            if ivr:
                sess = _sess(
                    f"{sid_prefix}{n + 1:012x}", media, direction, phone_json, _metric("tIvr", ivr)
                )
                parts.append(_part(f"{pid_prefix}{n + 1:012x}", "ivr", "null", '"Main IVR"', sess))
            if kind == "inbound" or channel == "callback":
                acd = [_metric("tAcd", wait), _metric("tWait", wait)]
                if abandoned:
                    acd.append(_metric("tAbandon", wait))
                sess = _sess(f"{sid_prefix}{n + 2:012x}", media, direction, "", ",".join(acd))
                parts.append(_part(f"{pid_prefix}{n + 2:012x}", "acd", "null", queue_name, sess))
            if not abandoned:
                agent_metrics = ",".join(
                    (
                        _metric("tAlert", 2_000 + wait % 9_000),
                        _metric("tAnswered", 2_000 + wait % 9_000),
                        _metric("tTalk", talk),
                        _metric("tHeld", hold),
                        _metric("tAcw", acw),
                        _metric("tHandle", talk + hold + acw),
                        _metric("nTransferred", 1 if transferred else 0),
                    )
                )
                sessions = [_sess(f"{sid_prefix}{n + 3:012x}", media, direction, "", agent_metrics)]
                if transferred:
                    sessions.append(
                        _sess(f"{sid_prefix}{n + 4:012x}", media, direction, "", agent_metrics)
                    )
                parts.append(
                    _part(
                        f"{pid_prefix}{n + 3:012x}",
                        "agent",
                        f'"{agent_id}"',
                        agent_name,
                        ",".join(sessions),
                    )
                )
            queue_json = f'{{"id":"{queue_id}","name":{queue_name}}}'
            wrap_json = "null" if abandoned else f'{{"code":"{wrap_id}","name":{wrap_name}}}'

        iid = f"{iid_prefix}{i:012x}"
        mos = f"{3 + (d >> 56) / 128:.2f}"  # 3.00-4.99
        rfactor = f"{70 + (b >> 59) * 0.8:.1f}"
        line = (
            f'{{"interactionId":"{iid}","type":"{kind}","originatingDirection":"{direction}",'
            f'"divisionIds":["{DIVISION_ID}"],"mediaStatsMinConversationMos":{mos},'
            f'"mediaStatsMinConversationRFactor":{rfactor},"startTimestamp":"{start}",'
            f'"endTimestamp":"{end}","channel":{{"type":"{channel}"}},"queue":{queue_json},'
            f'"wrapUp":{wrap_json},"durations":{{"talkMs":{talk},"holdMs":{hold},'
            f'"acwMs":{acw},"totalMs":{total}}},"participants":[{",".join(parts)}]}}\n'
        )
        yield line, f"{iid},{kind},{start},{end},{channel}\n"


def malform(line: str, fmt: str, variant: int) -> str:
    """Break a line the way real exports break: cut short, or without its id."""
    if fmt == "csv":
        if variant:
            return "," + line.split(",", 1)[1]  # empty interactionId
        return line.rsplit(",", 1)[0] + "\n"  # a column short
    if variant:
        return "{" + line.split(",", 1)[1]  # valid JSON without interactionId
    return line[: len(line) // 2] + "\n"  # not JSON
