"""The seeded tables of the independent tutorial data tables server, deterministic from `seed`.

Four tables, as the contract's listing example counts them (`"total": 4`, line 244):

- `Customer Tiers` (1234 rows, so a full read at pageSize 1000 takes two pages): `customer_id`*
  string, `tier` string, `credit_limit` number (integers and halves), `vip` boolean,
  `last_interaction` date; some non-key values are null.
- `Queue Routing` (37 rows): `queue_id`* string, `skill` string, `priority` number, `active`
  boolean.
- `Regional Holidays` (60 rows): composite key `region`* string + `day`* date, `label` string,
  `open` boolean.
- `Escalation Contacts` (no rows): `contact_id`* string, `email` string, `on_call` boolean.

`Quirks.key_columns_spread`, `awkward_names` and the timestamp quirks shape the seed.
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from cx_assets_tests.independent.tutorial_datatables_store import Column, Table

CUSTOMERS, QUEUES, HOLIDAYS, CONTACTS = 1234, 37, 60, 0
TIERS = ("gold", "silver", "bronze", "platinum")
SKILLS = ("billing", "tech support", "sales", "retention", "onboarding")
REGIONS = ("EU", "UK", "US-East", "US-West", "APAC")


def table_id(seed: int, slug: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"cx-assets-independent-datatables/{seed}/{slug}"))


def seeded_tables(seed: int, quirks: Any) -> list[Table]:
    rng = random.Random(seed)
    return [
        _customers(seed, rng, quirks),
        _queues(seed, rng, quirks),
        _holidays(seed, rng, quirks),
        _contacts(seed, quirks),
    ]


def _customers(seed: int, rng: random.Random, quirks: Any) -> Table:
    columns = [
        Column("customer_id", "string", True),
        Column("tier", "string"),
        Column("credit_limit", "number"),
        Column("vip", "boolean"),
        Column("last_interaction", "date"),
    ]
    table = Table(table_id(seed, "customer-tiers"), "Customer Tiers", columns, version=3)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    for n in range(1, CUSTOMERS + 1):
        stamp = start + timedelta(days=rng.randrange(365), seconds=rng.randrange(86400))
        seen: Any = stamp.replace(microsecond=0) if quirks.timestamps else stamp.date()
        limit = rng.randrange(1, 200) * 250 if rng.random() < 0.7 else rng.randrange(1, 999) + 0.5
        values = {
            "customer_id": f"C-{n:06d}",
            "tier": rng.choice(TIERS) if rng.random() > 0.05 else None,
            "credit_limit": limit if rng.random() > 0.05 else None,
            "vip": rng.random() < 0.2 if rng.random() > 0.05 else None,
            "last_interaction": seen if rng.random() > 0.05 else None,
        }
        table.rows[table.key_of(values)] = values
    return table


def _queues(seed: int, rng: random.Random, quirks: Any) -> Table:
    skill = "Skill Name" if quirks.awkward_names else "skill"
    name = "Queue Routing / EU (v2)" if quirks.awkward_names else "Queue Routing"
    columns = [
        Column("queue_id", "string", True),
        Column(skill, "string"),
        Column("priority", "number"),
        Column("active", "boolean"),
    ]
    table = Table(table_id(seed, "queue-routing"), name, columns, version=1)
    for n in range(1, QUEUES + 1):
        values = {
            "queue_id": f"Q-{n:03d}",
            skill: rng.choice(SKILLS),
            "priority": rng.randrange(1, 10),
            "active": rng.random() < 0.8,
        }
        table.rows[table.key_of(values)] = values
    return table


def _holidays(seed: int, rng: random.Random, quirks: Any) -> Table:
    region, day = Column("region", "string", True), Column("day", "date", True)
    label, is_open = Column("label", "string"), Column("open", "boolean")
    columns = [label, region, is_open, day] if quirks.key_columns_spread else [region, day, label]
    if not quirks.key_columns_spread:
        columns.append(is_open)
    table = Table(table_id(seed, "regional-holidays"), "Regional Holidays", columns, version=7)
    for n in range(HOLIDAYS):
        values = {
            "region": REGIONS[n % len(REGIONS)],
            "day": date(2025, 1, 1) + timedelta(days=7 * (n // len(REGIONS)) + rng.randrange(7)),
            "label": f"Holiday {n + 1}",
            "open": rng.random() < 0.3,
        }
        table.rows[table.key_of(values)] = values
    return table


def _contacts(seed: int, quirks: Any) -> Table:
    name = "Contacts d'\u00e9quipe" if quirks.awkward_names else "Escalation Contacts"
    columns = [
        Column("contact_id", "string", True),
        Column("email", "string"),
        Column("on_call", "boolean"),
    ]
    return Table(table_id(seed, "escalation-contacts"), name, columns, version=1)
