"""Synthetic CXone interaction records: a pure function of (seed, day, records per day, rate).

A record is a tuple in `FIELDS` order with `MISSING` for an absent key, not a dict: a 90-day
export holds 18,000 of them in memory, and tuples cost a third of the memory and none of the
per-key hashing. Values come from seeded `random.Random` instances (cheap draws, no JSON work),
so a 90-day range generates in well under a second. Which fields a record lacks is drawn from a
second generator, so the same day has the same ids and values whatever the missing-field rate.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Final

FIELDS: Final = (
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
FIELD_INDEX: Final = {name: index for index, name in enumerate(FIELDS)}
#: Fields a record may lack; `id` is always present so a record stays identifiable.
DROPPABLE: Final = FIELDS[1:]
DAY_MS: Final = 86_400_000
AGENTS: Final = 40
QUEUES: Final = 12


class _Missing:
    """The marker for an absent key (a record that lacks the field, not a null value)."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Final = _Missing()

Row = tuple[object, ...]


@dataclass(frozen=True)
class RecordSettings:
    """What decides a day's records; kept with each export so a restart regenerates the same."""

    seed: int
    records_per_day: int
    missing_rate: float


def iso_ms(epoch_ms: int) -> str:
    """`2024-01-01T08:30:00.123Z` (the contract's timestamp shape)."""
    moment = datetime.fromtimestamp(epoch_ms / 1000, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _pool(rng: random.Random, size: int) -> tuple[str, ...]:
    return tuple(str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(size))


def _pools(seed: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The tenant's agents and queues: fixed per seed, shared by every day."""
    rng = random.Random(f"cxone-tenant:{seed}")
    return _pool(rng, AGENTS), _pool(rng, QUEUES)


def day_start_ms(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp() * 1000)


def generate_day(day: date, settings: RecordSettings) -> list[tuple[int, Row]]:
    """The day's records as (startTime in epoch ms, row), sorted by startTime."""
    agents, queues = _pools(settings.seed)
    values = random.Random(f"cxone-day:{settings.seed}:{day.isoformat()}")
    gaps = random.Random(f"cxone-missing:{settings.seed}:{day.isoformat()}")
    base = day_start_ms(day)
    out: list[tuple[int, Row]] = []
    for _ in range(settings.records_per_day):
        record_id = str(uuid.UUID(int=values.getrandbits(128), version=4))
        start = base + values.randrange(DAY_MS)
        medium = values.choices(("voice", "chat", "email", "sms"), (60, 20, 12, 8))[0]
        direction = "inbound" if values.random() < 0.75 else "outbound"
        # seconds with one decimal: up to 6 min of talk on voice, 10 min of handling otherwise
        talk = values.randrange(20, 3600 if medium == "voice" else 6000) / 10
        hold = values.randrange(1800) / 10 if values.random() < 0.3 else 0
        wrap = values.randrange(5, 1200) / 10
        end = start + int((talk + hold) * 1000) + values.randrange(1, 1000)
        row: list[object] = [
            record_id,
            direction,
            medium,
            iso_ms(start),
            iso_ms(end),
            values.choice(agents),
            values.choice(queues),
            hold,
            wrap,
            talk,
        ]
        if gaps.random() < settings.missing_rate:
            for name in gaps.sample(DROPPABLE, 1 + int(gaps.random() < 0.3)):
                row[FIELD_INDEX[name]] = MISSING
        out.append((start, tuple(row)))
    out.sort(key=lambda item: item[0])
    return out


def days_touched(start_ms: int, end_ms: int) -> list[date]:
    """Every UTC day with an instant in [start, end)."""
    first = datetime.fromtimestamp(start_ms / 1000, UTC).date()
    last = datetime.fromtimestamp((end_ms - 1) / 1000, UTC).date()
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def generate_range(
    start_ms: int,
    end_ms: int,
    settings: RecordSettings,
    filters: dict[str, frozenset[object]] | None = None,
) -> list[Row]:
    """Records whose startTime is in [start, end) and that pass every filter, in time order."""
    checks = [(FIELD_INDEX[name], allowed) for name, allowed in (filters or {}).items()]
    rows: list[Row] = []
    for day in days_touched(start_ms, end_ms):
        whole_day = start_ms <= day_start_ms(day) and day_start_ms(day) + DAY_MS <= end_ms
        for start, row in generate_day(day, settings):
            if not whole_day and not start_ms <= start < end_ms:
                continue
            if all(row[index] in allowed for index, allowed in checks):
                rows.append(row)
    return rows
