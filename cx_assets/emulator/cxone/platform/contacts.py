"""Synthetic completed contacts: contact `i` of a day is a pure function of (seed, day, i).

Nothing is held per day: a contact's draws come from one BLAKE2b digest of (seed, day, i), so any
page of any day is built from its position alone. `Shape` is the cheap part (start, kind,
durations, lastUpdateTime) that queries filter on; `record` renders the full Reporting API
object. Starts rise with `i` (one slot of `DAY_MS / per_day` each, jittered inside the slot), so
index order is the stable `contactStart, contactId` order and a start instant maps to an index
by bisection. Which required fields a record lacks is drawn from bytes no other value uses, so
the values are the same whatever `missing_rate`.
"""

from __future__ import annotations

import hashlib
import random
import time
from datetime import date
from typing import Any, Final, NamedTuple

from cx_assets.emulator.cxone.platform import catalog

DAY_MS: Final = 86_400_000
#: contactId = day ordinal * ID_BASE + index: unique across days (config keeps per_day below).
ID_BASE: Final = 10**7
#: A bound on contactStart -> lastUpdateTime (the longest is ~1 h 40 min): queries filtering on
#: lastUpdateTime only look at contacts that started this close to the instant.
MAX_SPAN_MS: Final = 2 * 3_600_000
#: The fields a record may lack (absent or null), per the contract.
REQUIRED: Final = (
    "contactStart",
    "mediaTypeName",
    "isOutbound",
    "skillId",
    "lastUpdateTime",
    "totalDurationSeconds",
)
_KINDS: Final = tuple(i for i, (_, _, share) in enumerate(catalog.MEDIA) for _ in range(share))
assert len(_KINDS) == 256
#: Outbound share among the media that can be outbound, so ~25% of all contacts are.
_OUTBOUND_SHARE: Final = 0.29
#: Abandon share among inbound contacts, so ~5% of all contacts are abandoned.
_ABANDON_SHARE: Final = 0.067
#: (lo, hi) seconds per media: queue wait and agent (handle) time.
_QUEUE = {"Call": (0, 300), "Chat": (0, 240), "Email": (60, 3600), "SMS": (0, 600)}
_AGENT = {"Call": (30, 1200), "Chat": (120, 1800), "Email": (60, 600), "SMS": (60, 900)}
_WORK_ITEM = ((0, 1800), (60, 900))


def day_start_ms(day: date) -> int:
    return (day.toordinal() - date(1970, 1, 1).toordinal()) * DAY_MS


def iso_ms(epoch_ms: int) -> str:
    """`2024-03-05T08:30:00.123Z`: the Reporting API's instants, always with a literal Z."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch_ms // 1000)) + (
        f".{epoch_ms % 1000:03d}Z"
    )


def _spread(u: int, lo: int, hi: int, power: float = 2.0) -> int:
    """A value in [lo, hi] from a 16-bit draw, skewed towards lo (most contacts are short)."""
    return lo + int((hi - lo) * (u / 65536) ** power)


class Shape(NamedTuple):
    """What queries need of a contact, without rendering it. Durations in seconds."""

    index: int
    start_ms: int
    media: str
    outbound: bool
    abandoned: bool
    pre_queue: int
    in_queue: int
    agent: int
    hold: int
    hold_count: int
    acw: int
    post_queue: int
    last_update_ms: int
    digest: bytes

    @property
    def total(self) -> int:
        return self.pre_queue + self.in_queue + self.agent + self.acw + self.post_queue


class DayGenerator:
    """Contacts of any UTC day for one (seed, per_day, missing_rate)."""

    def __init__(self, seed: int, per_day: int, missing_rate: float) -> None:
        self.seed = seed
        self.per_day = per_day
        self.missing_rate = missing_rate
        self._slot = DAY_MS / per_day if per_day else float(DAY_MS)

    def _digest(self, day: date, index: int) -> bytes:
        key = f"{self.seed}:{day.toordinal()}:{index}".encode()
        return hashlib.blake2b(key, digest_size=64).digest()

    def start_ms(self, day: date, index: int) -> int:
        """Contact `index`'s start: cheaper than `shape` (bisection only needs this)."""
        jitter = int.from_bytes(self._digest(day, index)[:2]) / 65536
        return day_start_ms(day) + int((index + jitter) * self._slot)

    def shape(self, day: date, index: int) -> Shape:
        d = self._digest(day, index)
        u = [int.from_bytes(d[k : k + 2]) for k in range(0, 32, 2)]
        start = day_start_ms(day) + int((index + u[0] / 65536) * self._slot)
        media = catalog.MEDIA[_KINDS[u[1] >> 8]][0]
        outbound = media in catalog.OUTBOUND_MEDIA and u[2] < _OUTBOUND_SHARE * 65536
        abandoned = not outbound and u[3] < _ABANDON_SHARE * 65536
        queue, handle = (_QUEUE[media], _AGENT[media]) if media in _QUEUE else _WORK_ITEM
        pre = 0 if outbound else _spread(u[4], 3, 45) if media == "Call" else _spread(u[4], 0, 5)
        in_queue = 0 if outbound else _spread(u[5], *queue)
        agent = 0 if abandoned else _spread(u[6], *handle, power=1.5)
        held = media == "Call" and not abandoned and u[7] < 0.3 * 65536
        hold = min(_spread(u[8], 10, 300), agent // 2) if held else 0
        acw = 0 if abandoned else _spread(u[10], 0, 180, power=1.0)
        post = _spread(u[11], 0, 5, power=1.0)
        total = pre + in_queue + agent + acw + post
        lag_s = _spread(u[12], 5, 300, power=1.0)
        last_update = start + (total + lag_s) * 1000 + u[13] % 1000
        hold_count = 1 + u[9] % 3 if hold else 0
        return Shape(
            index, start, media, outbound, abandoned, pre, in_queue, agent, hold, hold_count,
            acw, post, last_update, d,
        )  # fmt: skip

    def missing(self, shape: Shape) -> tuple[tuple[str, ...], bool]:
        """The required fields this contact lacks, and whether they are null (else absent)."""
        u = [int.from_bytes(shape.digest[k : k + 2]) for k in range(32, 40, 2)]
        if u[0] >= self.missing_rate * 65536:
            return (), False
        first = REQUIRED[u[1] % len(REQUIRED)]
        second = REQUIRED[u[2] % len(REQUIRED)] if u[3] % 4 == 0 else first
        return tuple(dict.fromkeys((first, second))), bool(u[3] & 2)

    def record(
        self, day: date, shape: Shape, update: dict[str, int] | None = None
    ) -> dict[str, Any]:
        """The Reporting API contact; `update` (a late update) replaces ACW, disposition, time."""
        rng = random.Random(shape.digest[40:])
        contact_id = day.toordinal() * ID_BASE + shape.index
        skill = rng.choice(catalog.SKILLS[(shape.media, shape.outbound)])
        agent = None if shape.abandoned else rng.randrange(len(catalog.AGENT_IDS))
        team = catalog.TEAMS[agent % len(catalog.TEAMS)] if agent is not None else (None, None)
        customer = _customer_address(rng, shape.media)
        from_addr, to_addr = (
            (skill.poc_addr, customer) if shape.outbound else (customer, skill.poc_addr)
        )
        disposition = None if shape.abandoned else rng.choice(catalog.DISPOSITION_IDS)
        secondary = rng.choice(catalog.DISPOSITION_IDS) if rng.random() < 0.1 else None
        named = rng.random() < 0.6
        conference = shape.agent >= 60 and shape.media == "Call" and rng.random() < 0.05
        acw, last_update = shape.acw, shape.last_update_ms
        if update is not None:
            acw, disposition = update["ACWSeconds"], update["primaryDispositionId"]
            last_update = update["lastUpdateTime"]
        abandon_s = shape.in_queue if shape.abandoned else 0
        record: dict[str, Any] = {
            "contactId": contact_id,
            "masterContactId": contact_id,
            "contactStart": iso_ms(shape.start_ms),
            "lastUpdateTime": iso_ms(last_update),
            "mediaTypeName": shape.media,
            "mediaType": next(code for name, code, _ in catalog.MEDIA if name == shape.media),
            "isOutbound": shape.outbound,
            "agentId": catalog.AGENT_IDS[agent] if agent is not None else None,
            "teamId": team[0],
            "teamName": team[1],
            "skillId": skill.id,
            "skillName": skill.name,
            "campaignId": skill.campaign_id,
            "campaignName": skill.campaign_name,
            "pointOfContactId": skill.poc_id,
            "pointOfContactName": skill.poc_name,
            "fromAddr": from_addr,
            "toAddr": to_addr,
            "firstName": rng.choice(catalog.FIRST_NAMES) if named else None,
            "lastName": rng.choice(catalog.LAST_NAMES) if named else None,
            "primaryDispositionId": disposition,
            "secondaryDispositionId": secondary,
            "dispositionNotes": rng.choice(catalog.NOTES) if rng.random() < 0.15 else None,
            "abandoned": shape.abandoned,
            "isShortAbandon": shape.abandoned and abandon_s < 15,
            "isRefused": not shape.abandoned and rng.random() < 0.02,
            "isLogged": True,
            "isTakeover": rng.random() < 0.01,
            "abandonSeconds": abandon_s,
            "ACWSeconds": acw,
            "agentSeconds": shape.agent,
            "holdSeconds": shape.hold,
            "holdCount": shape.hold_count,
            "inQueueSeconds": shape.in_queue,
            "preQueueSeconds": shape.pre_queue,
            "postQueueSeconds": shape.post_queue,
            "confSeconds": rng.randint(30, min(300, shape.agent)) if conference else 0,
            "releaseSeconds": rng.randint(0, 3),
            "totalDurationSeconds": shape.total,
        }
        lacking, as_null = self.missing(shape)
        for name in lacking:
            if as_null:
                record[name] = None
            else:
                del record[name]
        return record


def _customer_address(rng: random.Random, media: str) -> str:
    if media == "Email":
        return f"customer{rng.randrange(100_000)}@mail.example.net"
    if media == "Chat":
        return f"visitor-{rng.randrange(16**8):08x}"
    if media == "Work Item":
        return f"case-{rng.randrange(1_000_000):06d}"
    return f"+1{rng.randrange(200, 999)}555{rng.randrange(10_000):04d}"
