"""The seeded demo data tables of the contract: fixed ids, columns, keys and row counts.

Rows are a pure function of (table id, seed): each table draws from its own `random.Random`
seeded with both, so building one table never shifts another's values. Generators pick from
small pools built once (names, dates) so the 200,000-row Account Directory builds in well under
a second; the store builds it lazily, on first access.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

Row = tuple[object, ...]


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # string | number | boolean | date
    is_primary_key: bool = False

    def to_json(self) -> dict[str, object]:
        return {"name": self.name, "type": self.type, "isPrimaryKey": self.is_primary_key}


@dataclass(frozen=True)
class SeedTable:
    id: str
    name: str
    columns: tuple[Column, ...]
    rows: Callable[[random.Random], list[Row]]


FIRST_NAMES = (
    "Maria", "James", "Aisha", "Chen", "Olivia", "Mateo", "Sofía", "Liam", "Noah", "Emma",
    "Zoë", "Lukas", "Amara", "Hiroshi", "Fatima", "Jonas", "Élodie", "Rahul", "Ingrid", "Kwame",
)  # fmt: skip
LAST_NAMES = (
    "Garcia", "Smith", "Okafor", "Wang", "Müller", "Rossi", "Novak", "Kim", "Silva", "Dubois",
    "Johansson", "Patel", "O'Brien", "Nakamura", "Haddad", "Kowalski", "Mensah", "Larsen",
)  # fmt: skip
COMPANY_WORDS = (
    "Acme", "Northwind", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Contoso", "Fabrikam",
    "Tailspin", "Litware", "Vandelay", "Hooli", "Soylent", "Cyberdyne", "Wonka", "Oscorp", "Tyrell",
)  # fmt: skip
COMPANY_KINDS = ("Ltd", "GmbH", "Inc", "LLC", "SA", "BV", "Holdings", "Group", "& Co", "AB")
SEGMENTS = (("SMB", 55), ("Mid-Market", 25), ("Enterprise", 12), ("Public Sector", 8))
TIERS = (
    ("bronze", 50, 1_000),
    ("silver", 30, 5_000),
    ("gold", 15, 20_000),
    ("platinum", 5, 50_000),
)
HOLIDAYS: dict[str, tuple[tuple[str, str], ...]] = {
    "US": (
        ("01-01", "New Year's Day"), ("01-20", "Martin Luther King Jr. Day"),
        ("02-17", "Presidents' Day"), ("05-26", "Memorial Day"), ("07-04", "Independence Day"),
        ("09-01", "Labor Day"), ("10-13", "Columbus Day"), ("11-11", "Veterans Day"),
        ("11-27", "Thanksgiving Day"), ("12-25", "Christmas Day"),
    ),
    "UK": (
        ("01-01", "New Year's Day"), ("04-18", "Good Friday"), ("04-21", "Easter Monday"),
        ("05-05", "Early May Bank Holiday"), ("05-26", "Spring Bank Holiday"),
        ("08-25", "Summer Bank Holiday"), ("12-24", "Christmas Eve"), ("12-25", "Christmas Day"),
        ("12-26", "Boxing Day"), ("12-31", "New Year's Eve"),
    ),
    "DE": (
        ("01-01", "Neujahr"), ("04-18", "Karfreitag"), ("04-21", "Ostermontag"),
        ("05-01", "Tag der Arbeit"), ("05-29", "Christi Himmelfahrt"), ("06-09", "Pfingstmontag"),
        ("10-03", "Tag der Deutschen Einheit"), ("12-24", "Heiligabend"),
        ("12-25", "1. Weihnachtstag"), ("12-26", "2. Weihnachtstag"),
    ),
    "FR": (
        ("01-01", "Jour de l'An"), ("04-21", "Lundi de Pâques"), ("05-01", "Fête du Travail"),
        ("05-08", "Victoire 1945"), ("05-29", "Ascension"), ("06-09", "Lundi de Pentecôte"),
        ("07-14", "Fête nationale"), ("08-15", "Assomption"), ("11-01", "Toussaint"),
        ("12-25", "Noël"),
    ),
    "AU": (
        ("01-01", "New Year's Day"), ("01-27", "Australia Day"), ("04-18", "Good Friday"),
        ("04-19", "Easter Saturday"), ("04-21", "Easter Monday"), ("04-25", "Anzac Day"),
        ("06-09", "King's Birthday"), ("10-06", "Labour Day"), ("12-25", "Christmas Day"),
        ("12-26", "Boxing Day"),
    ),
    "JP": (
        ("01-01", "Ganjitsu"), ("01-13", "Seijin no Hi"), ("02-11", "Kenkoku Kinen no Hi"),
        ("04-29", "Showa no Hi"), ("05-03", "Kenpo Kinenbi"), ("05-05", "Kodomo no Hi"),
        ("07-21", "Umi no Hi"), ("09-15", "Keiro no Hi"), ("11-03", "Bunka no Hi"),
        ("11-23", "Kinro Kansha no Hi"),
    ),
}  # fmt: skip
HOLIDAY_YEAR = 2025


def _dates(first: date, last: date) -> list[str]:
    return [(first + timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]


def _weighted(pairs: tuple[tuple[str, int], ...], rng: random.Random, k: int) -> list[str]:
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs], k=k)


def customer_tiers(rng: random.Random) -> list[Row]:
    days = _dates(date(2012, 1, 1), date(2024, 12, 31))
    limits = {name: base for name, _, base in TIERS}
    tiers = rng.choices([t[0] for t in TIERS], weights=[t[1] for t in TIERS], k=2_500)
    rows: list[Row] = []
    for n, tier in enumerate(tiers, start=1):
        credit = limits[tier] * rng.randint(1, 4)
        vip = tier == "platinum" or (tier == "gold" and rng.random() < 0.3)
        rows.append((f"C-{n:06d}", tier, credit, vip, rng.choice(days)))
    return rows


def vip_list(rng: random.Random) -> list[Row]:
    phones = sorted(rng.sample(range(2_000_000, 9_999_999), 300))
    return [
        (f"+1555{p:07d}", f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}", rng.randint(1, 5))
        for p in phones
    ]


def holiday_calendar(rng: random.Random) -> list[Row]:
    rows: list[Row] = []
    for region, days in HOLIDAYS.items():
        for month_day, name in days:
            # most centres close; a few keep a skeleton crew on minor holidays
            rows.append((region, f"{HOLIDAY_YEAR}-{month_day}", name, rng.random() < 0.2))
    return rows


def account_directory(rng: random.Random) -> list[Row]:
    count = 200_000
    days = _dates(date(2005, 1, 1), date(2024, 12, 31))
    names = [f"{w} {v} {k}" for w in COMPANY_WORDS for v in COMPANY_WORDS for k in COMPANY_KINDS]
    segments = _weighted(SEGMENTS, rng, count)
    rand, choice = rng.random, rng.choice
    return [
        (
            f"A-{n:07d}",
            choice(names),
            segment,
            round(rand() * 250_000 - 10_000, 2),
            rand() < 0.9,
            choice(days),
        )
        for n, segment in enumerate(segments, start=1)
    ]


def _cols(key: tuple[str, ...], *spec: tuple[str, str]) -> tuple[Column, ...]:
    return tuple(Column(name, kind, name in key) for name, kind in spec)


SEED_TABLES: tuple[SeedTable, ...] = (
    SeedTable(
        "6b1f6a0e-1c2d-4e5f-8a9b-000000000001",
        "Customer Tiers",
        _cols(
            ("customer_id",),
            ("customer_id", "string"),
            ("tier", "string"),
            ("credit_limit", "number"),
            ("vip", "boolean"),
            ("since", "date"),
        ),
        customer_tiers,
    ),
    SeedTable(
        "6b1f6a0e-1c2d-4e5f-8a9b-000000000002",
        "VIP List",
        _cols(("phone",), ("phone", "string"), ("name", "string"), ("priority", "number")),
        vip_list,
    ),
    SeedTable(
        "6b1f6a0e-1c2d-4e5f-8a9b-000000000003",
        "Holiday Calendar",
        _cols(
            ("region", "date"),
            ("region", "string"),
            ("date", "date"),
            ("name", "string"),
            ("open", "boolean"),
        ),
        holiday_calendar,
    ),
    SeedTable(
        "6b1f6a0e-1c2d-4e5f-8a9b-000000000004",
        "Account Directory",
        _cols(
            ("account_id",),
            ("account_id", "string"),
            ("name", "string"),
            ("segment", "string"),
            ("balance", "number"),
            ("active", "boolean"),
            ("opened", "date"),
        ),
        account_directory,
    ),
)


def seed_rows(table: SeedTable, seed: int) -> list[Row]:
    """The table's seeded rows, the same for the same seed on every run and machine."""
    return table.rows(random.Random(f"{seed}:{table.id}"))
