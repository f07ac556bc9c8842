"""Deterministic completed contacts per UTC day, so a test can assert exact counts.

Contact `i` of a day (0-based, in `contactStart` order) lacks a required field when
`i % missing_every == missing_every - 1`; which one rotates through `REQUIRED`. Every 7th contact
(`i % 7 == 3`) is abandoned. Ids are unique across days and as large as real CXone ones.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from cx_assets_tests.independent.cxone_platform_quirks import Quirks

Json = dict[str, Any]
REQUIRED = (
    "contactStart",
    "mediaTypeName",
    "isOutbound",
    "skillId",
    "lastUpdateTime",
    "totalDurationSeconds",
)
MEDIA = (("Call", 4), ("Chat", 3), ("Email", 1), ("SMS", 7), ("Work Item", 6))
OTHER_MEDIA = (("Voice Mail", 5), ("Social", 8))
OPTIONAL = ("campaignId", "campaignName", "secondaryDispositionId", "dispositionNotes")
SECONDS = (
    "abandonSeconds",
    "ACWSeconds",
    "agentSeconds",
    "holdSeconds",
    "inQueueSeconds",
    "preQueueSeconds",
    "postQueueSeconds",
    "confSeconds",
    "releaseSeconds",
    "totalDurationSeconds",
)
EPOCH = date(2000, 1, 1)


@dataclass
class Contact:
    """One generated contact: the served record plus the times the server filters on."""

    contact_id: int
    day: date
    index: int
    start: datetime
    end: datetime
    updated: datetime
    record: Json

    @property
    def missing(self) -> str | None:
        """The required field this record lacks (absent or null), if any."""
        return next((name for name in REQUIRED if self.record.get(name) is None), None)


def iso(moment: datetime, millis: bool = True) -> str:
    """`2024-03-05T10:01:02.345Z`, or without the fraction."""
    text = moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{text}.{moment.microsecond // 1000:03d}Z" if millis else f"{text}Z"


def day_contacts(
    day: date, per_day: int, seed: int, missing_every: int, quirks: Quirks
) -> list[Contact]:
    """All contacts that start on `day` (UTC), whatever "now" is, in `contactStart` order."""
    rng = random.Random(f"cxone:{seed}:{day.isoformat()}")
    midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
    spacing = 86_400 // max(per_day, 1)
    out = []
    for i in range(per_day):
        offset = timedelta(seconds=i * spacing + rng.randrange(max(spacing - 1, 1)))
        whole = quirks.whole_second_times and i % 2 == 1
        start = midnight + offset + timedelta(milliseconds=0 if whole else rng.randrange(1000))
        out.append(_contact(rng, day, i, start, whole, missing_every, quirks))
    return out


def _contact(
    rng: random.Random,
    day: date,
    i: int,
    start: datetime,
    whole: bool,
    missing_every: int,
    quirks: Quirks,
) -> Contact:
    contact_id = 700_000_000_000 + (day - EPOCH).days * 100_000 + i
    abandoned = i % 7 == 3
    media = OTHER_MEDIA[i % 2] if quirks.other_media_names and i % 11 == 5 else MEDIA[i % 5]
    queue = rng.randrange(5, 120)
    talk = 0 if abandoned else rng.randrange(30, 1500)
    hold = 0 if abandoned else rng.choice((0, 0, 15, 40))
    acw = 0 if abandoned else rng.randrange(0, 90)
    millis = 0 if whole or not quirks.float_seconds else rng.randrange(1000)
    total = queue + talk + hold + acw + millis / 1000
    end = start + timedelta(seconds=total)
    updated = end + timedelta(seconds=rng.randrange(60, 600))
    updated = updated.replace(microsecond=0) if whole else updated
    seconds: dict[str, float] = dict.fromkeys(SECONDS, 0)
    seconds |= {"inQueueSeconds": queue, "agentSeconds": talk, "holdSeconds": hold}
    seconds |= {"ACWSeconds": acw, "totalDurationSeconds": total, "preQueueSeconds": 2}
    seconds |= {"abandonSeconds": queue} if abandoned else {}
    skill = 4_100_000 + i % 4
    record: Json = {
        "contactId": contact_id,
        "masterContactId": contact_id - 1 if i % 9 == 4 else contact_id,
        "contactStart": iso(start, not whole),
        "lastUpdateTime": iso(updated, not whole),
        "mediaTypeName": media[0],
        "mediaType": media[1],
        "isOutbound": i % 4 == 1,
        "agentId": (0 if quirks.agent_zero_for_abandoned else None) if abandoned else 900 + i % 6,
        "teamId": 51_000 + i % 3,
        "teamName": f"Team {i % 3}",
        "skillId": skill,
        "skillName": f"Skill {skill}",
        "campaignId": 300 + i % 2,
        "campaignName": f"Campaign {i % 2}",
        "pointOfContactId": 62_000 + i % 5,
        "pointOfContactName": f"POC {i % 5}",
        "primaryDispositionId": 0 if abandoned else 10 + i % 5,
        "secondaryDispositionId": 20 + i % 3,
        "fromAddr": f"+3531{contact_id % 10_000_000:07d}",
        "toAddr": "+35312000000",
        "firstName": f"First{i}",
        "lastName": f"Last{i}",
        "dispositionNotes": f"note {i}",
        "abandoned": abandoned,
        "isShortAbandon": abandoned and queue < 10,
        "isRefused": False,
        "isLogged": not abandoned,
        "isTakeover": False,
        "holdCount": 1 if hold else 0,
    }
    record |= {k: float(v) if quirks.float_seconds else round(v) for k, v in seconds.items()}
    if quirks.null_fields:
        for name in OPTIONAL:
            if i % 3 == 0:
                record[name] = None
            elif i % 3 == 1:
                del record[name]
    if quirks.extra_fields:
        record |= {"serviceLevelFlag": i % 2, "state": "EndContact", "targetAgentId": None}
        record |= {"xIndependentRecord": {"nested": [i, {"deep": True}]}}
    if missing_every > 0 and i % missing_every == missing_every - 1:
        name = REQUIRED[(i // missing_every) % len(REQUIRED)]
        if quirks.null_fields and (i // missing_every) % 2 == 1:
            record[name] = None
        else:
            del record[name]
    return Contact(contact_id, day, i, start, end, updated, record)
