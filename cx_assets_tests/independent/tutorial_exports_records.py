"""Seeded conversations and the export files they are written into (docs/api-contract.md
"### Records", "### `GET /api/v2/dataexports/{id}/files`").

A conversation is deterministic per (seed, day, index), so growing a day's count keeps the ones
before it. Rendering applies the record quirks; files are split by bytes when a limit applies,
and each CSV file carries its own header row.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import random
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from cx_assets_tests.independent.tutorial_exports_quirks import Quirks

Json = dict[str, Any]
CSV_HEADER = ("interactionId", "type", "startTimestamp", "endTimestamp", "channelType")
CHANNELS = ("voice", "chat", "email", "message", "callback")
QUEUES = ("Billing", "Support", "Sales", "Retention")
WRAPUPS = ("Resolved", "Escalated", "Callback scheduled", "Sale")
AGENTS = ("Alex Morgan", "Sam Patel", "Jordan Lee", "Riley Chen", "Casey Brooks", "Taylor Reed")
AGENTS_UTF8 = (
    "Zo\u00eb Ren\u00e9e",
    "Jos\u00e9 N\u00fa\u00f1ez",
    "Bj\u00f6rn \u00c5str\u00f6m",
    "Fran\u00e7oise L\u00e9a",
    "\u0141ukasz Wr\u00f3bel",
    "Ay\u015fe Y\u0131lmaz",
)
INTERNAL_QUEUE, ABANDONED = "Internal", "Abandoned"


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _fixed_uuid(label: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"independent-exports:{label}"))


@dataclass(frozen=True)
class Participant:
    participant_id: str
    purpose: str
    user_id: str | None
    name_index: int
    session_id: str
    metrics: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class Conversation:
    """One interaction as the server knows it; `render_*` spell it under the quirks."""

    interaction_id: str
    kind: str
    start: datetime
    end: datetime
    channel: str
    queue: int | None
    wrapup: int | None
    talk_ms: int
    hold_ms: int
    acw_ms: int
    total_ms: int
    participants: tuple[Participant, ...]


def conversation(seed: int, day: date, index: int) -> Conversation:
    """The `index`-th conversation of `day` (its start lies within that UTC day)."""
    rng = random.Random(f"{seed}:{day.isoformat()}:{index}")
    kind = rng.choices(("inbound", "outbound", "internal"), weights=(6, 3, 1))[0]
    channel = rng.choice(CHANNELS) if kind == "inbound" else "voice"
    abandoned = kind == "inbound" and rng.random() < 0.15
    millis = 0 if rng.random() < 0.25 else rng.randrange(1, 1000)
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    start += timedelta(seconds=rng.randrange(0, 86_400 - 7_200), milliseconds=millis)
    talk = 0 if abandoned else rng.randrange(20_000, 900_000)
    hold = 0 if abandoned else rng.choice((0, 0, rng.randrange(5_000, 120_000)))
    acw = 0 if abandoned else rng.randrange(0, 90_000)
    wait = rng.randrange(1_000, 240_000)
    total = talk + hold + acw + wait
    people = [Participant(_uuid(rng), "customer", None, rng.randrange(6), _uuid(rng), ())]
    if kind == "inbound" and channel == "voice":
        people.append(Participant(_uuid(rng), "ivr", None, 0, _uuid(rng), (("tIvr", wait // 2),)))
    if kind != "internal":
        people.append(Participant(_uuid(rng), "acd", None, 0, _uuid(rng), (("tAcd", wait),)))
    if not abandoned:
        metrics = (("tTalk", talk), ("tHeld", hold), ("tAcw", acw))
        people.append(
            Participant(_uuid(rng), "agent", _uuid(rng), rng.randrange(6), _uuid(rng), metrics)
        )
    return Conversation(
        interaction_id=_uuid(rng),
        kind=kind,
        start=start,
        end=start + timedelta(milliseconds=total),
        channel=channel,
        queue=None if kind == "internal" else rng.randrange(len(QUEUES)),
        wrapup=None if abandoned else rng.randrange(len(WRAPUPS)),
        talk_ms=talk,
        hold_ms=hold,
        acw_ms=acw,
        total_ms=total,
        participants=tuple(people),
    )


def day_conversations(seed: int, day: date, count: int) -> list[Conversation]:
    """A day's conversations, by start time."""
    return sorted((conversation(seed, day, i) for i in range(count)), key=lambda c: c.start)


def record_time(moment: datetime, quirks: Quirks, turn: int) -> str:
    """A record timestamp; with `record_timestamp_spellings` the spelling rotates by `turn`."""
    base = moment.strftime("%Y-%m-%dT%H:%M:%S")
    millis = f".{moment.microsecond // 1000:03d}"
    if not quirks.record_timestamp_spellings:
        return base + millis + "Z"
    if moment.microsecond == 0:
        return base + ("Z" if turn % 2 else "+00:00")
    return base + (millis + "Z", millis + "+00:00", millis + "000Z")[turn % 3]


def _name(person: Participant, quirks: Quirks) -> str:
    if person.purpose == "customer":
        prefix = "Kunde " if quirks.non_ascii_names else "Customer "
        return prefix + (AGENTS_UTF8 if quirks.non_ascii_names else AGENTS)[person.name_index]
    if person.purpose == "agent":
        return (AGENTS_UTF8 if quirks.non_ascii_names else AGENTS)[person.name_index]
    return {"ivr": "Main IVR", "acd": "ACD"}[person.purpose]


def render_json(conv: Conversation, quirks: Quirks, turn: int) -> Json:
    """The JSONL object of "### Records"."""
    queue: Json | None = None
    if conv.queue is not None:
        queue = {"id": _fixed_uuid(f"queue:{conv.queue}"), "name": QUEUES[conv.queue]}
    elif not quirks.record_nulls:
        queue = {"id": _fixed_uuid("queue:internal"), "name": INTERNAL_QUEUE}
    wrapup: Json | None = None
    if conv.wrapup is not None:
        wrapup = {"code": _fixed_uuid(f"wrapup:{conv.wrapup}"), "name": WRAPUPS[conv.wrapup]}
    elif not quirks.record_nulls:
        wrapup = {"code": _fixed_uuid("wrapup:abandoned"), "name": ABANDONED}
    participants = [
        {
            "participantId": p.participant_id,
            "purpose": p.purpose,
            "userId": p.user_id,
            "name": _name(p, quirks),
            "sessions": [
                {
                    "sessionId": p.session_id,
                    "mediaType": conv.channel,
                    "metrics": [{"name": n, "value": v} for n, v in p.metrics],
                }
            ],
        }
        for p in conv.participants
    ]
    body: Json = {
        "interactionId": conv.interaction_id,
        "type": conv.kind,
        "startTimestamp": record_time(conv.start, quirks, turn),
        "endTimestamp": record_time(conv.end, quirks, turn + 1),
        "channel": {"type": conv.channel},
        "queue": queue,
        "wrapUp": wrapup,
        "durations": {
            "talkMs": conv.talk_ms,
            "holdMs": conv.hold_ms,
            "acwMs": conv.acw_ms,
            "totalMs": conv.total_ms,
        },
        "participants": participants,
    }
    if quirks.extra_members:
        body |= {"divisionId": _fixed_uuid("division"), "externalTag": None}
    if quirks.key_order:
        body = dict(reversed(body.items()))
    return body


def render_csv(conv: Conversation, quirks: Quirks, turn: int) -> list[str]:
    return [
        conv.interaction_id,
        conv.kind,
        record_time(conv.start, quirks, turn),
        record_time(conv.end, quirks, turn + 1),
        conv.channel,
    ]


def _csv_line(fields: list[str] | tuple[str, ...], quirks: Quirks) -> bytes:
    out = io.StringIO()
    quoting = csv.QUOTE_ALL if quirks.csv_quote_all else csv.QUOTE_MINIMAL
    terminator = "\r\n" if quirks.csv_crlf else "\n"
    csv.writer(out, quoting=quoting, lineterminator=terminator).writerow(fields)
    return out.getvalue().encode()


def lines(convs: list[Conversation], fmt: str, quirks: Quirks, malformed: set[int]) -> list[bytes]:
    """One terminated line per conversation; those in `malformed` are broken (JSONL: half a line
    or no `interactionId` in turn, CSV: a column short or an empty `interactionId`)."""
    out: list[bytes] = []
    for turn, conv in enumerate(convs):
        bad = turn in malformed
        if fmt == "csv":
            row = render_csv(conv, quirks, turn)
            if bad:
                row = row[:-1] if turn % 2 else ["", *row[1:]]
            out.append(_csv_line(row, quirks))
            continue
        body = render_json(conv, quirks, turn)
        if bad and turn % 2 == 0:
            body.pop("interactionId")
        text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
        if bad and turn % 2:
            text = text[: len(text) // 2]
        out.append(text.encode() + b"\n")
    return out


@dataclass(frozen=True)
class ExportFile:
    """One file of an export as served (its bytes are fixed once rendered)."""

    name: str
    partition: int
    day: date
    fmt: str
    data: bytes
    record_count: int

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def day_files(
    day: date,
    day_lines: list[bytes],
    fmt: str,
    quirks: Quirks,
    limit: int | None,
    first_partition: int,
) -> list[ExportFile]:
    """A day's lines cut into files of at most `limit` bytes (a line is never cut; a file holds
    at least one line); an empty day gives one empty file with `empty_day_file`, else none."""
    if not day_lines and not quirks.empty_day_file:
        return []
    header = _csv_line(CSV_HEADER, quirks) if fmt == "csv" else b""
    chunks: list[list[bytes]] = [[]]
    size = len(header)
    for line in day_lines:
        if limit is not None and chunks[-1] and size + len(line) > limit:
            chunks.append([])
            size = len(header)
        chunks[-1].append(line)
        size += len(line)
    files = []
    for k, chunk in enumerate(chunks):
        data = header + b"".join(chunk)
        if quirks.no_final_newline:
            data = data.removesuffix(b"\n").removesuffix(b"\r")
        name = f"conversations-{day.isoformat()}-{k:04d}.{fmt}"
        files.append(ExportFile(name, first_partition + k, day, fmt, data, len(chunk)))
    return files
