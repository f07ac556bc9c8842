"""Seeded interaction records of the independent tutorial CXone server, and how a page shows them.

The contract's records: `id`, `direction`, `medium`, `startTime`, `endTime`, `agentId`,
`queueId`, `holdTime`, `wrapTime`, `talkTime`; the same day always yields the same records;
a share of them lacks one or more fields (never `id`). A `Contact` keeps every true value (so a
record whose `startTime` is withheld still belongs to its day) and the set it withholds.

Fixed readings: `endTime` = `startTime` + hold + talk (so late contacts end the next day);
the range is inclusive at both ends; a filter value matches a served value equal to it or
whose text is equal to its text (`1007` matches `"1007"`).
"""

from __future__ import annotations

import csv
import hashlib
import io
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from cx_assets_tests.independent.tutorial_cxone_wire import ms_z

FIELDS = (
    "id",
    "direction",
    "medium",
    "startTime",
    "endTime",
    "agentId",
    "queueId",
    "holdTime",
    "wrapTime",
    "talkTime",
)
MAY_LACK = FIELDS[1:]
DIRECTIONS = ("inbound", "outbound")
MEDIA = ("voice", "chat", "email", "sms")
Json = dict[str, Any]


@dataclass(frozen=True)
class Contact:
    """One interaction with every true value; `lacks` names the fields the server withholds."""

    day: date
    number: int
    direction: str
    medium: str
    start: datetime
    agent: int
    queue: int
    hold_ms: int
    talk_ms: int
    wrap_ms: int
    lacks: frozenset[str]

    @property
    def end(self) -> datetime:
        return self.start + timedelta(milliseconds=self.hold_ms + self.talk_ms)

    def text_id(self) -> str:
        return f"c-{self.day:%Y%m%d}-{self.number:05d}"

    def render(self, quirks: Any) -> Json:
        """Every field it does not lack, typed as the quirks say."""

        def seconds(ms: int) -> int | float:
            return ms / 1000 if quirks.fractional_seconds else ms // 1000

        full: Json = {
            "id": int(f"{self.day:%Y%m%d}{self.number:05d}")
            if quirks.numeric_ids
            else self.text_id(),
            "direction": self.direction,
            "medium": self.medium,
            "startTime": ms_z(self.start),
            "endTime": ms_z(self.end),
            "agentId": 1000 + self.agent if quirks.numeric_refs else f"agent-{self.agent:03d}",
            "queueId": 500 + self.queue if quirks.numeric_refs else f"queue-{self.queue:02d}",
            "holdTime": seconds(self.hold_ms),
            "wrapTime": seconds(self.wrap_ms),
            "talkTime": seconds(self.talk_ms),
        }
        return {k: v for k, v in full.items() if k not in self.lacks}


def day_contacts(seed: int, day: date, count: int, missing_share: float) -> list[Contact]:
    """The day's contacts: a function of (seed, day, count, missing_share) only."""
    rng = random.Random(f"{seed}:{day.isoformat()}")
    midnight = datetime.combine(day, time(), tzinfo=UTC)
    contacts = []
    for number in range(1, count + 1):
        start = midnight + timedelta(milliseconds=rng.randrange(86_400_000))
        direction, medium = rng.choice(DIRECTIONS), rng.choice(MEDIA)
        agent, queue = rng.randrange(1, 21), rng.randrange(1, 7)
        hold, talk = rng.randrange(0, 300_000), rng.randrange(5_000, 1_800_000)
        wrap = rng.randrange(0, 120_000)
        lacks: frozenset[str] = frozenset()
        if rng.random() < missing_share:
            lacks = frozenset(rng.sample(MAY_LACK, rng.randrange(1, 4)))
        contacts.append(
            Contact(day, number, direction, medium, start, agent, queue, hold, talk, wrap, lacks)
        )
    return contacts


def in_range(contacts: Iterable[Contact], start: datetime, end: datetime) -> list[Contact]:
    """Contacts whose true `startTime` is in [start, end]."""
    return [c for c in contacts if start <= c.start <= end]


def keep(record: Json, filters: Mapping[str, Sequence[Any]]) -> bool:
    """A filter keeps records whose field equals one of the values; lacking the field fails."""
    for name, values in filters.items():
        if name not in record:
            return False
        served = record[name]
        if not any(served == v or str(served) == str(v) for v in values):
            return False
    return True


def ordered(contacts: list[Contact], unsorted: bool) -> list[Contact]:
    """By true start time then number; `records_unsorted` orders by a hash of the id instead."""
    if unsorted:
        return sorted(contacts, key=lambda c: hashlib.sha256(c.text_id().encode()).digest())
    return sorted(contacts, key=lambda c: (c.start, c.day, c.number))


def project(record: Json, columns: Sequence[str]) -> Json:
    """The requested columns, in that order; a field the record lacks stays absent."""
    return {name: record[name] for name in columns if name in record}


def csv_page(records: Sequence[Json], columns: Sequence[str], quirks: Any) -> bytes:
    """A header row then one row per record; a missing field is an empty cell."""
    out = io.StringIO()
    writer = csv.writer(
        out,
        lineterminator="\r\n" if quirks.csv_crlf else "\n",
        quoting=csv.QUOTE_ALL if quirks.csv_quote_all else csv.QUOTE_MINIMAL,
    )
    writer.writerow(columns)
    for record in records:
        writer.writerow(["" if record.get(c) is None else record[c] for c in columns])
    text = out.getvalue()
    return ("\ufeff" + text if quirks.csv_bom else text).encode()
