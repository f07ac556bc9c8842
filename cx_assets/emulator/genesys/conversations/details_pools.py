"""Ids and names shared by every day of one seed, JSON-escaped once, for details.py.

A real org has a fixed set of queues, wrap-up codes, agents, teams, divisions and IVR flows;
conversations draw from these pools, so ids repeat across days the way a warehouse join expects.
Every entry is a ready JSON fragment (quoted and escaped here), so the hot loop in details.py
only concatenates strings.
"""

from __future__ import annotations

import functools
import json
import random

from cx_assets.emulator.genesys.conversations.lines import (
    FIRST_NAMES,
    LAST_NAMES,
    QUEUE_NAMES,
    WRAPUP_NAMES,
)

TEAM_NAMES = ("Tier 1", "Tier 2", "Sales Floor", "Night Shift", "Specialists")
FLOW_NAMES = ("Main IVR", "After Hours", "Billing Menu")
DIVISION_NAMES = ("Home", "Europe", "Americas")
MESSAGE_TYPES = ("webmessaging", "sms", "whatsapp", "facebook")
NOTES = ("customer asked for a callback", "refund approved", "escalated to tier 2", "resolved")
LANGUAGES = ("en-us", "es", "de", "fr")


def js(text: str) -> str:
    """A JSON string literal, quotes included."""
    return json.dumps(text, ensure_ascii=False)


def uuid_from(rng: random.Random) -> str:
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"


class Pools:
    """Everything a conversation refers to by id; build through `pools(seed)` (cached)."""

    def __init__(self, seed: int) -> None:
        rng = random.Random(f"cx-emulator-platform-pools:{seed}")
        self.queues = [(uuid_from(rng), js(name)) for name in QUEUE_NAMES]
        self.wrapups = [uuid_from(rng) for _ in WRAPUP_NAMES]
        self.teams = [uuid_from(rng) for _ in TEAM_NAMES]
        self.divisions = [uuid_from(rng) for _ in DIVISION_NAMES]
        people = [f"{first} {last}" for first in FIRST_NAMES for last in LAST_NAMES]
        rng.shuffle(people)
        #: (userId, participantName JSON, teamId)
        self.agents = [
            (uuid_from(rng), js(name), self.teams[n % len(self.teams)])
            for n, name in enumerate(people[:240])
        ]
        self.customers = [js(name) for name in people]
        self.contacts = [uuid_from(rng) for _ in range(257)]
        self.phones = [f"tel:+1555{rng.randrange(10**7):07d}" for _ in range(997)]
        self.emails = [
            js(f"{name.split()[0].lower()}.{n}@example.com") for n, name in enumerate(people[:509])
        ]
        self.dids = [f"tel:+1800555{n:04d}" for n in (100, 200, 300)]
        #: ready `"flow":{…}` fragments (one per IVR flow), the transfer target appended later
        self.flows = [
            f'"flowId":"{uuid_from(rng)}","flowName":{js(name)},"flowType":"INBOUNDCALL",'
            f'"flowVersion":"{3 + n}.0","entryType":"dnis","exitReason":"TRANSFER",'
            f'"transferType":"ACD"'
            for n, name in enumerate(FLOW_NAMES)
        ]
        self.flow_names = [js(name) for name in FLOW_NAMES]
        self.edge = uuid_from(rng)
        self.notes = [js(note) for note in NOTES]


@functools.lru_cache(maxsize=8)
def pools(seed: int) -> Pools:
    return Pools(seed)
