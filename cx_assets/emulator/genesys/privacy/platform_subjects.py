"""The people the emulator's org knows, for `GET /api/v2/gdpr/subjects`.

All made up: example.com / example.org addresses, Swedish numbers from the range PTS keeps for
fiction (+46 70-174 06 xx) and UK ones from Ofcom's drama range (+44 7700 900xxx). Two of them
share a street address and two share a first name, so a search can find several people.
"""

from __future__ import annotations

import re
from typing import Any

from cx_assets.emulator.errors import ApiError

HOME = "Storgatan 12, 111 22 Stockholm"

#: `GDPRSubject`s as the search answers them (lists always present, other members when known).
SUBJECTS: tuple[dict[str, Any], ...] = (
    {
        "name": "Anna Lindqvist",
        "externalContactId": "6a1e4c52-8f3d-4b7a-9c10-5d2e8f6a0001",
        "socialHandle": {"type": "TWITTER", "value": "anna_lindqvist_ex"},
        "addresses": [HOME],
        "phoneNumbers": ["+46701740605"],
        "emailAddresses": ["anna.lindqvist@example.com"],
    },
    {
        "name": "Erik Lindqvist",
        "externalContactId": "6a1e4c52-8f3d-4b7a-9c10-5d2e8f6a0002",
        "addresses": [HOME],
        "phoneNumbers": ["+46701740612", "+46701740613"],
        "emailAddresses": ["erik.lindqvist@example.com"],
    },
    {
        "name": "Oliver Bennett",
        "externalContactId": "6a1e4c52-8f3d-4b7a-9c10-5d2e8f6a0003",
        "socialHandle": {"type": "INSTAGRAM", "value": "oliver.bennett.example"},
        "addresses": ["221 Example Road, London NW1 6XE"],
        "phoneNumbers": ["+447700900123"],
        "emailAddresses": ["oliver.bennett@example.org"],
    },
    {
        "name": "Johanna Berg",
        "userId": "3f9b7d20-1c4e-4a8f-b6d2-7e5a9c3b0004",
        "addresses": ["Kungsgatan 5, 411 19 Göteborg"],
        "phoneNumbers": ["+46701740620"],
        "emailAddresses": ["johanna.berg@example.com", "jberg@example.org"],
    },
    {
        "name": "Amelia Hughes",
        "externalContactId": "6a1e4c52-8f3d-4b7a-9c10-5d2e8f6a0005",
        "socialHandle": {"type": "FACEBOOK", "value": "amelia.hughes.example"},
        "externalId": "CRM-100245",
        "addresses": ["14 Sample Street, Manchester M1 2AB"],
        "phoneNumbers": ["+447700900456"],
        "emailAddresses": ["amelia.hughes@example.org"],
    },
    {
        "name": "James Carter",
        "dialerContactId": {"id": "dc-000417", "contactListId": "cl-7700-uk-renewals"},
        "socialHandle": {"type": "APPLE_MESSAGES", "value": "james.carter@example.org"},
        "addresses": [],
        "phoneNumbers": ["+447700900789"],
        "emailAddresses": ["james.carter@example.org"],
    },
    {
        "name": "Maja Svensson",
        "journeyCustomer": {"type": "cookie", "id": "jc-5b8e2a71"},
        "externalId": "CRM-100318",
        "addresses": ["Drottninggatan 40, 252 21 Helsingborg"],
        "phoneNumbers": ["+46701740644"],
        "emailAddresses": ["maja.svensson@example.com"],
    },
    {
        "name": "Grace Thompson",
        "externalContactId": "6a1e4c52-8f3d-4b7a-9c10-5d2e8f6a0008",
        "addresses": ["7 Placeholder Lane, Bristol BS1 4DJ"],
        "phoneNumbers": ["+447700900321"],
        "emailAddresses": ["grace.thompson@example.org"],
    },
)

SOCIAL_TYPES = ("TWITTER", "INSTAGRAM", "FACEBOOK", "APPLE_MESSAGES")
SEARCH_TYPES = ("NAME", "ADDRESS", "PHONE", "EMAIL", *SOCIAL_TYPES, "EXTERNAL_ID")


def _phone(value: str) -> str:
    """Without spaces, dashes, dots or parentheses: `+46 70-174 06 05` -> `+46701740605`."""
    return re.sub(r"[\s\-().]", "", value)


def _values(subject: dict[str, Any], search_type: str) -> list[str]:
    """The subject's values the search type looks at."""
    if search_type == "NAME":
        return [subject["name"]]
    if search_type == "ADDRESS":
        return list(subject["addresses"])
    if search_type == "PHONE":
        return [_phone(number) for number in subject["phoneNumbers"]]
    if search_type == "EMAIL":
        return list(subject["emailAddresses"])
    if search_type == "EXTERNAL_ID":
        return [subject["externalId"]] if "externalId" in subject else []
    handle = subject.get("socialHandle")
    return [handle["value"]] if handle and handle["type"] == search_type else []


def _matches(search_type: str, wanted: str, value: str) -> bool:
    """Names and addresses match on a part (case-insensitive); everything else whole."""
    if search_type in ("NAME", "ADDRESS"):
        return wanted in value.casefold()
    return wanted == value.casefold()


def search(search_type: str | None, search_value: str | None) -> list[dict[str, Any]]:
    """The known subjects whose `search_type` field matches `search_value`, or a 400."""
    if search_type not in SEARCH_TYPES:
        raise ApiError(
            400,
            f"searchType must be one of {', '.join(SEARCH_TYPES)}, got {search_type!r}",
            field="searchType",
        )
    if not search_value or not search_value.strip():
        raise ApiError(400, "searchValue must be a non-empty string", field="searchValue")
    wanted = search_value.strip()
    if search_type == "PHONE":
        wanted = _phone(wanted)
    if search_type in SOCIAL_TYPES:
        wanted = wanted.removeprefix("@")
    wanted = wanted.casefold()
    return [
        dict(subject)
        for subject in SUBJECTS
        if any(_matches(search_type, wanted, value) for value in _values(subject, search_type))
    ]
