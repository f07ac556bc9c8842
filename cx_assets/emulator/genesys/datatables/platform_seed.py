"""The seeded platform data tables: real Genesys shape (one string `key`, JSON Schema draft-04).

Separate tables from the tutorial's (their own fixed ids, see docs/api-contract.md "Data tables:
/api/v2/flows/datatables"). Rows are a pure function of (table id, seed, row count): each table
draws from its own `random.Random`, so building one never shifts another's values. A row is a
flat dict `{"key": ..., "<property>": value}`; a property without a value is absent.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cx_assets.emulator.genesys.datatables.seed import FIRST_NAMES, HOLIDAYS, LAST_NAMES, TIERS

PlatformRow = dict[str, Any]
SCHEMA_URI = "http://json-schema.org/draft-04/schema#"
HOME_DIVISION = {
    "id": "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f0",
    "name": "Home",
    "selfUri": "/api/v2/authorization/divisions/0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f0",
}


@dataclass(frozen=True)
class Prop:
    """One schema property: its API name (the CSV header), what a person sees, its type."""

    name: str
    title: str
    type: str  # boolean | string | integer | number
    default: Any = None


@dataclass(frozen=True)
class PlatformSeedTable:
    id: str
    name: str
    description: str
    props: tuple[Prop, ...]  # props[0] is `key`
    default_rows: int
    rows: Callable[[random.Random, int], list[PlatformRow]]

    def schema(self) -> dict[str, Any]:
        return json_schema(self.props)


def json_schema(props: tuple[Prop, ...]) -> dict[str, Any]:
    """The table's JSON Schema as Genesys shows it (`key` first, then by displayOrder)."""
    properties: dict[str, Any] = {}
    for order, prop in enumerate(props):
        entry: dict[str, Any] = {
            "title": prop.title,
            "type": prop.type,
            "$id": f"/properties/{prop.name}",
            "displayOrder": order,
        }
        if prop.default is not None:
            entry["default"] = prop.default
        properties[prop.name] = entry
    return {
        "$schema": SCHEMA_URI,
        "type": "object",
        "required": ["key"],
        "additionalProperties": False,
        "properties": properties,
    }


def customer_tiers(rng: random.Random, count: int) -> list[PlatformRow]:
    limits = {name: base for name, _, base in TIERS}
    tiers = rng.choices([t[0] for t in TIERS], weights=[t[1] for t in TIERS], k=count)
    rows: list[PlatformRow] = []
    for n, tier in enumerate(tiers, start=1):
        vip = tier == "platinum" or (tier == "gold" and rng.random() < 0.3)
        row: PlatformRow = {
            "key": f"C-{n:06d}",
            "tier": tier,
            "credit_limit": limits[tier] * rng.randint(1, 4),
            "discount": round(rng.choice((0.0, 0.05, 0.1, 0.125, 0.2)) + rng.random() / 100, 4),
            "vip": vip,
        }
        if rng.random() < 0.02:
            del row["discount"]  # a few rows without a value: empty CSV cell, absent in JSON
        rows.append(row)
    return rows


def vip_list(rng: random.Random, count: int) -> list[PlatformRow]:
    phones = sorted(rng.sample(range(2_000_000, 9_999_999), count))
    return [
        {
            "key": f"+1555{p:07d}",
            "name": f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
            "priority": rng.randint(1, 5),
            "notify": rng.random() < 0.5,
        }
        for p in phones
    ]


def holiday_calendar(rng: random.Random, count: int) -> list[PlatformRow]:
    """Region x holiday rows from 2024 on: 60 per year (`US-2024-12-25`)."""
    rows: list[PlatformRow] = []
    year = 2024
    while len(rows) < count:
        for region, days in HOLIDAYS.items():
            for month_day, name in days:
                day = f"{year}-{month_day}"
                rows.append(
                    {
                        "key": f"{region}-{day}",
                        "region": region,
                        "date": day,
                        "name": name,
                        "open": rng.random() < 0.2,
                    }
                )
        year += 1
    return rows[:count]


SKILLS = ("billing", "sales", "support", "retention", "claims", "onboarding")
LANGUAGES = ("en", "es", "de", "fr")


def routing_skills(rng: random.Random, count: int) -> list[PlatformRow]:
    names = [f"{skill}-{lang}" for skill in SKILLS for lang in LANGUAGES]
    names += [f"{name}-{n}" for n in range(2, count // len(names) + 2) for name in names]
    return [
        {
            "key": name,
            "queue": f"Q {name.split('-')[0].title()}",
            "proficiency": rng.randint(1, 5),
            "weight": round(rng.uniform(0.5, 2.0), 2),
            "active": rng.random() < 0.85,
        }
        for name in names[:count]
    ]


def _table_id(n: int) -> str:
    return f"7c2a9f10-2d3e-4f60-9b1c-{n:012d}"


PLATFORM_SEED_TABLES: tuple[PlatformSeedTable, ...] = (
    PlatformSeedTable(
        _table_id(101),
        "Customer Tiers",
        "Credit tier and discount per customer id (seeded by the emulator)",
        (
            Prop("key", "Customer ID", "string"),
            Prop("tier", "Tier", "string", "bronze"),
            Prop("credit_limit", "Credit Limit", "integer"),
            Prop("discount", "Discount", "number"),
            Prop("vip", "VIP", "boolean", False),
        ),
        2_500,
        customer_tiers,
    ),
    PlatformSeedTable(
        _table_id(102),
        "VIP List",
        "Callers routed to the priority queue",
        (
            Prop("key", "Phone Number", "string"),
            Prop("name", "Name", "string"),
            Prop("priority", "Priority", "integer"),
            Prop("notify", "Notify Supervisor", "boolean"),
        ),
        300,
        vip_list,
    ),
    PlatformSeedTable(
        _table_id(103),
        "Holiday Calendar",
        "Public holidays per region; open = a skeleton crew works",
        (
            Prop("key", "Region Date", "string"),
            Prop("region", "Region", "string"),
            Prop("date", "Date", "string"),
            Prop("name", "Holiday", "string"),
            Prop("open", "Open", "boolean", False),
        ),
        60,
        holiday_calendar,
    ),
    PlatformSeedTable(
        _table_id(104),
        "Routing Skills",
        "Skill to queue mapping used by the inbound flow",
        (
            Prop("key", "Skill", "string"),
            Prop("queue", "Queue", "string"),
            Prop("proficiency", "Proficiency", "integer"),
            Prop("weight", "Weight", "number"),
            Prop("active", "Active", "boolean", True),
        ),
        12,
        routing_skills,
    ),
)


def seed_platform_rows(table: PlatformSeedTable, seed: int, count: int) -> list[PlatformRow]:
    """The table's seeded rows, the same for the same (seed, count) on every run and machine."""
    return table.rows(random.Random(f"{seed}:{table.id}:platform"), count)
