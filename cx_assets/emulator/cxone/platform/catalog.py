"""The tenant's fixed reference data: media types, skills, campaigns, teams, agents, dispositions.

Small fixed sets, so contacts carry ids that repeat and join (a skill always has the same name
and campaign), as a real tenant's ACD configuration does.
"""

from __future__ import annotations

from typing import Final, NamedTuple

#: (mediaTypeName, mediaType code, share out of 256). CXone codes: 1 Email, 3 Chat,
#: 4 Phone Call, 6 Work Item, 7 SMS.
MEDIA: Final = (
    ("Call", 4, 180),
    ("Chat", 3, 30),
    ("Email", 1, 24),
    ("SMS", 7, 16),
    ("Work Item", 6, 6),
)
#: Media that can be outbound; the others are always inbound.
OUTBOUND_MEDIA: Final = frozenset({"Call", "Email", "SMS"})


class Skill(NamedTuple):
    id: int
    name: str
    campaign_id: int
    campaign_name: str
    poc_id: int
    poc_name: str
    #: The point of contact's address: a phone number, chat channel or mailbox.
    poc_addr: str


_CARE = (9001, "Customer Care")
_SALES = (9002, "Sales")
_RETENTION = (9003, "Retention Outreach")
_DIGITAL = (9004, "Digital Support")

#: (mediaTypeName, isOutbound) -> the skills a contact of that kind is routed to.
SKILLS: Final[dict[tuple[str, bool], tuple[Skill, ...]]] = {
    ("Call", False): (
        Skill(4101, "Care Inbound Voice", *_CARE, 7001, "Care Main Line", "+18005550100"),
        Skill(4102, "Sales Inbound Voice", *_SALES, 7002, "Sales Line", "+18005550111"),
        Skill(4103, "Billing Voice", *_CARE, 7003, "Billing Line", "+18005550122"),
    ),
    ("Call", True): (
        Skill(4201, "Retention Outbound", *_RETENTION, 7004, "Outbound Caller ID", "+18005550199"),
        Skill(4202, "Sales Callbacks", *_SALES, 7004, "Outbound Caller ID", "+18005550199"),
    ),
    ("Chat", False): (
        Skill(4301, "Web Chat Support", *_DIGITAL, 7101, "Website Chat", "chat-web"),
        Skill(4302, "App Chat Support", *_DIGITAL, 7102, "Mobile App Chat", "chat-app"),
    ),
    ("Email", False): (
        Skill(4401, "Email Support", *_CARE, 7201, "Support Mailbox", "support@example.com"),
    ),
    ("Email", True): (
        Skill(4402, "Email Outreach", *_RETENTION, 7202, "Outreach Mailbox", "offers@example.com"),
    ),
    ("SMS", False): (Skill(4501, "SMS Support", *_DIGITAL, 7301, "SMS Short Code", "55501"),),
    ("SMS", True): (
        Skill(4502, "SMS Notifications", *_RETENTION, 7301, "SMS Short Code", "55501"),
    ),
    ("Work Item", False): (
        Skill(4601, "Back Office Tasks", *_CARE, 7401, "Work Item Queue", "workitem-backoffice"),
    ),
}

TEAMS: Final = (
    (301, "Care East"),
    (302, "Care West"),
    (303, "Sales Team"),
    (304, "Digital Team"),
    (305, "Retention Team"),
)
#: Agent ids; agent k belongs to TEAMS[k % len(TEAMS)].
AGENT_IDS: Final = tuple(2_310_001 + k for k in range(60))

DISPOSITIONS: Final = (
    (501, "Resolved"),
    (502, "Follow-up Required"),
    (503, "Sale Completed"),
    (504, "Not Interested"),
    (505, "Escalated"),
    (506, "Wrong Number"),
    (507, "Voicemail Left"),
)
DISPOSITION_IDS: Final = tuple(d for d, _ in DISPOSITIONS)

FIRST_NAMES: Final = (
    "Ana", "Ben", "Chloe", "David", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jonas",
    "Kemi", "Liam", "Maya", "Noah", "Olga", "Priya",
)  # fmt: skip
LAST_NAMES: Final = (
    "Garcia", "Smith", "Nguyen", "Müller", "Okafor", "Rossi", "Kowalski", "Tanaka",
    "Dubois", "Silva", "Johansson", "Patel",
)  # fmt: skip
NOTES: Final = (
    "Customer asked for a callback next week",
    "Refund issued",
    "Address updated",
    "Transferred to billing",
    "Promised a follow-up email",
)

TENANT_ID: Final = "11e8ac5a-0000-4000-8000-00000000c1c1"
BUSINESS_UNIT_ID: Final = 4_600_123
AREA: Final = "na1"
DOMAIN: Final = "niceincontact.com"
#: The API host segment the emulator serves under its issuer: `api-{area}.{domain}`.
API_HOST: Final = f"api-{AREA}.{DOMAIN}"
