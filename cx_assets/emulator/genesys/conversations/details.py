"""Deterministic `AnalyticsConversation`s for the platform details jobs, addressable by index.

A day holds `per_day` conversations; conversation `i` of a day is a pure function of (seed, day,
i): its random draws come from one 512-bit BLAKE2b digest of `i`, so any page of any day is
generated on the fly from its position, with nothing held in memory and no files on disk. Start
times rise with `i` (one per slot of `DAY_MS / per_day`), so the first conversation at or after an
instant is found in O(1) and a job's interval maps to index ranges (scan.py).

`Shape` is the cheap part (kind, durations, key instants), enough to test an interval overlap;
details_render.py turns a shape into the JSON text. The last ~1% of a day's conversations run
past midnight into the next UTC day; no lifetime exceeds `MAX_LIFETIME_MS`.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime
from typing import NamedTuple

DAY_MS = 86_400_000
#: Conversations starting this close to midnight, among the last 1% of a day, cross it.
CROSS_WINDOW_MS = 2 * 3_600_000
#: A bound on any conversation's lifetime (scan.py looks back this far for overlaps).
MAX_LIFETIME_MS = 4 * 3_600_000  # the longest possible is ~3.4 h

#: (mediaType, originatingDirection, share out of 256)
_KINDS = (
    ("voice", "inbound", 110),
    ("chat", "inbound", 30),
    ("message", "inbound", 30),
    ("email", "inbound", 24),
    ("callback", "inbound", 16),
    ("voice", "outbound", 36),
    ("email", "outbound", 10),
)
KINDS: tuple[tuple[str, str], ...] = tuple(
    (media, direction) for media, direction, share in _KINDS for _ in range(share)
)
assert len(KINDS) == 256
#: talk time range (min ms, spread ms) and queue wait range per media type
_TALK = {
    "voice": (20_000, 880_000),
    "chat": (60_000, 1_140_000),
    "message": (60_000, 1_740_000),
    "email": (60_000, 540_000),
    "callback": (20_000, 580_000),
}
_WAIT = {
    "voice": (2_000, 240_000),
    "chat": (2_000, 180_000),
    "message": (5_000, 600_000),
    "email": (30_000, 2_400_000),
    "callback": (10_000, 900_000),
}
M24 = 0xFFFFFF


class Shape(NamedTuple):
    """What one conversation is, before it is text. Instants are epoch milliseconds."""

    index: int
    media: str
    direction: str
    start: int
    end: int
    abandoned: bool
    transferred: bool
    ivr: int  # ms in the IVR (0: none)
    wait: int  # ms in queue (inbound)
    alert: int
    talk1: int  # talk before a hold (or all talk)
    hold: int  # 0: never held
    talk2: int  # talk after the hold
    acw: int
    alert2: int  # second agent (transfer)
    talk3: int
    acw2: int
    dial: int  # outbound voice: dialing, then contacting
    contact: int
    rolls: int  # small yes/no draws (external contact id, attributes, note …)
    picks: int  # pool indices


def day_start_ms(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()) * 1000


class Day:
    """The conversations of one UTC day for one seed: starts, shapes and (via render) text."""

    def __init__(self, seed: int, day: date, per_day: int) -> None:
        self.seed = seed
        self.day = day
        self.n = per_day
        self.day_ms = day_start_ms(day)
        self.slot = max(1, DAY_MS // max(per_day, 1))
        #: the last `cross_from` … n-1 conversations may cross midnight
        self.cross_from = per_day - max(1, per_day // 100)
        key = f"cx-emulator-details:{seed}:{day.isoformat()}".encode()
        self._hash = hashlib.blake2b(key, digest_size=64)
        tag = hashlib.sha256(key).hexdigest()
        # uuid-shaped ids: a per-day prefix and a 12-hex-digit counter, unique across days
        self.conversation_prefix = f"{tag[:8]}-{tag[8:12]}-4{tag[12:15]}-8{tag[15:18]}-"
        self.participant_prefix = f"{tag[18:26]}-{tag[26:30]}-4{tag[30:33]}-9{tag[33:36]}-"
        self.session_prefix = f"{tag[36:44]}-{tag[44:48]}-4{tag[48:51]}-a{tag[51:54]}-"

    def bits(self, i: int) -> int:
        h = self._hash.copy()
        h.update(i.to_bytes(8, "little"))
        return int.from_bytes(h.digest(), "little")

    def start_ms(self, i: int) -> int:
        return self.day_ms + i * self.slot + (self.bits(i) & 0xFFFFFFFF) % self.slot

    def first_at_or_after(self, instant_ms: int) -> int:
        """The first index whose conversation starts at or after `instant_ms` (n if none)."""
        rel = instant_ms - self.day_ms
        if rel <= 0:
            return 0
        i = rel // self.slot
        if i >= self.n:
            return self.n
        return i if self.start_ms(i) >= instant_ms else i + 1

    def shape(self, i: int) -> Shape:
        b = self.bits(i)
        offset = i * self.slot + (b & 0xFFFFFFFF) % self.slot
        r = b >> 32
        media, direction = KINDS[r & 0xFF]
        rolls = (r >> 8) & 0xFFFFFF
        r >>= 32
        d = [((r >> (24 * k)) & M24) for k in range(10)]
        picks = r >> 240
        inbound = direction == "inbound"
        abandoned = inbound and media in ("voice", "chat", "message") and (rolls & 0xF) < 2
        transferred = not abandoned and inbound and ((rolls >> 4) & 0x7) == 0
        held = media == "voice" and not abandoned and ((rolls >> 7) & 0x3) == 0
        ivr = 10_000 + d[0] % 80_000 if inbound and media == "voice" and (rolls >> 9) & 7 else 0
        low, spread = _WAIT[media]
        wait = low + d[1] % spread if inbound else 0
        alert = min(2_000 + d[2] % 14_000, max(wait - 500, 500)) if inbound else 0
        low, spread = _TALK[media]
        talk = 0 if abandoned else low + d[3] % spread
        crossing = i >= self.cross_from and offset >= DAY_MS - CROSS_WINDOW_MS
        if crossing and not abandoned:
            talk += DAY_MS - offset  # long enough to end after midnight
        hold = 5_000 + d[4] % 175_000 if held else 0
        talk1 = talk * (1 + d[5] % 3) // 4 if held else talk
        acw = 0 if abandoned else 3_000 + d[6] % 117_000
        alert2 = 2_000 + d[7] % 12_000 if transferred else 0
        talk3 = 20_000 + d[8] % 400_000 if transferred else 0
        acw2 = 3_000 + (d[8] >> 4) % 90_000 if transferred else 0
        outbound_voice = media == "voice" and not inbound
        dial = 500 + d[9] % 2_500 if outbound_voice else 0
        contact = 3_000 + (d[9] >> 12) % 25_000 if outbound_voice else 0
        start = self.day_ms + offset
        lead = ivr + wait + dial + contact
        end = start + _lifetime(abandoned, transferred, lead, talk, hold, acw, alert2 + talk3, acw2)
        return Shape(
            i, media, direction, start, end, abandoned, transferred, ivr, wait, alert,
            talk1, hold, talk - talk1, acw, alert2, talk3, acw2, dial, contact, rolls, picks,
        )  # fmt: skip


def _lifetime(
    abandoned: bool, transferred: bool, lead: int, talk: int, hold: int, acw: int, second: int,
    acw2: int,
) -> int:  # fmt: skip
    """ms from conversationStart to conversationEnd (the end of the last wrap-up)."""
    if abandoned:
        return lead
    talk_end = lead + talk + hold
    if transferred:
        return max(talk_end + acw, talk_end + second + acw2)
    return talk_end + acw


def talk_start(s: Shape) -> int:
    """Offset from the start at which an agent first talks (or the customer abandons)."""
    return s.ivr + s.wait + s.dial + s.contact


def lifetime(s: Shape) -> int:
    """ms from conversationStart to conversationEnd, from a shape's durations."""
    talk = s.talk1 + s.talk2
    second = s.alert2 + s.talk3
    return _lifetime(s.abandoned, s.transferred, talk_start(s), talk, s.hold, s.acw, second, s.acw2)
