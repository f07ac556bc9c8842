"""The independent data tables server's own tables: model, seed and `DataTable` JSON.

Chosen to hurt a careless reader: every property type, a key holding `/`, `,` and `"`, a
string with a newline and a comma, numbers that `repr` would write with an exponent, a
property with a `default` that rows leave empty (defaults are shown, never filled in), a
title with a comma, and a table with no rows at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cx_assets_tests.independent.datatables_platform_server import Quirks

DT = "/api/v2/flows/datatables"
DIVISION = {"id": "9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a", "name": "Independent Home"}
Json = dict[str, Any]


@dataclass(frozen=True)
class Prop:
    """One schema property; `name` is the API id, `title` what a person sees."""

    name: str
    title: str
    type: str
    default: Any = None


@dataclass
class Table:
    """A table; `rows` keeps insertion order (an edited row keeps its place)."""

    id: str
    name: str
    props: list[Prop]
    rows: dict[str, Json] = field(default_factory=dict)
    description: str | None = None

    def prop(self, name: str) -> Prop | None:
        return next((p for p in self.props if p.name == name), None)


TRICKY_KEY = 'acme/eu, "north"'
TRICKY_NOTE = 'line one\nline two, with "quotes" and a comma'


def seed_tables() -> dict[str, Table]:
    """Five tables, fresh each call (tests change them)."""
    accounts = Table(
        "5e1f0c3a-0000-4000-8000-00000000a001",
        "Account Flags",
        [
            Prop("key", "Account", "string"),
            Prop("open_balance", "Open Balance", "number"),
            Prop("seats", "Seats", "integer"),
            Prop("active", "Active", "boolean", default=True),
            Prop("notes", "Notes, free text", "string"),
        ],
        description="Per-account switches (independent seed)",
    )
    for row in (
        {"key": TRICKY_KEY, "open_balance": 1234.5, "seats": 20000, "active": True},
        {"key": "A-0002", "open_balance": 0.00001, "seats": 0, "active": False},
        {"key": "A-0003", "open_balance": 12345678.25, "seats": -3, "notes": "Ünïcode ☎ text"},
        {"key": "A-0004"},
        {"key": "A-0005", "open_balance": -0.5, "seats": 7, "active": True, "notes": "  padded  "},
    ):
        accounts.rows[row["key"]] = row
    accounts.rows[TRICKY_KEY]["notes"] = TRICKY_NOTE
    routing = Table(
        "5e1f0c3a-0000-4000-8000-00000000a002",
        "Queue Routing",
        [
            Prop("key", "Queue", "string"),
            Prop("weight", "Weight", "number"),
            Prop("priority", "Priority", "integer", default=3),
            Prop("enabled", "Enabled", "boolean"),
        ],
        description="Weights per queue",
    )
    for i in range(1, 8):
        row: Json = {"key": f"Q-{i:02d}", "weight": round(i * 0.25, 2), "priority": i % 5 + 1}
        row |= {"enabled": i % 2 == 0} if i != 4 else {}
        routing.rows[row["key"]] = row
    contacts = Table(
        "5e1f0c3a-0000-4000-8000-00000000a003",
        "Escalation Contacts",
        [
            Prop("key", "Phone", "string"),
            Prop("contact", "Contact Name", "string"),
            Prop("level", "Level", "integer", default=1),
        ],
        description="On-call phone numbers",
    )
    for key, contact, level in (("+15550001", "Ada", 1), ("+15550002", "Grace", 2)):
        contacts.rows[key] = {"key": key, "contact": contact, "level": level}
    contacts.rows["+15550003"] = {"key": "+15550003", "level": 3}
    empty = Table(
        "5e1f0c3a-0000-4000-8000-00000000a004",
        "Empty Table",
        [Prop("key", "Code", "string"), Prop("flag", "Flag", "boolean")],
        description="",
    )
    switches = Table(
        "5e1f0c3a-0000-4000-8000-00000000a005",
        "Feature Switches",
        [
            Prop("key", "Feature", "string"),
            Prop("on", "On", "boolean"),
            Prop("ratio", "Ratio", "number"),
        ],
        description="Rollout switches",
    )
    for key, on, ratio in (("dark-mode", True, 1.0), ("beta/api", False, 0.125)):
        switches.rows[key] = {"key": key, "on": on, "ratio": ratio}
    return {t.id: t for t in (accounts, routing, contacts, empty, switches)}


def display_order(table: Table, quirks: Quirks) -> dict[str, int | None]:
    """Each property's `displayOrder` (None = not given; such a property comes last)."""
    if not quirks.loose_schema:
        return {p.name: i for i, p in enumerate(table.props)}
    orders: dict[str, int | None] = {p.name: i * 10 + 3 for i, p in enumerate(table.props)}
    orders["key"], orders[table.props[-1].name] = 0, None
    return orders


def schema_json(table: Table, quirks: Quirks) -> Json:
    """The draft-04 schema; `loose_schema` reverses the map, leaves gaps and drops `$id`."""
    orders, props = display_order(table, quirks), {}
    for prop in reversed(table.props) if quirks.loose_schema else table.props:
        body: Json = {"title": prop.title, "type": prop.type}
        if not quirks.loose_schema:
            body["$id"] = f"/properties/{prop.name}"
        if orders[prop.name] is not None:
            body["displayOrder"] = orders[prop.name]
        if prop.default is not None:
            body["default"] = prop.default
        if quirks.extra_fields:
            body["xIndependentProperty"] = {"note": f"{prop.title} from the independent seed"}
        props[prop.name] = body
    schema: Json = {"$schema": "http://json-schema.org/draft-04/schema#", "type": "object"}
    schema |= {"required": ["key"], "additionalProperties": False, "properties": props}
    if quirks.extra_fields:
        schema |= {"description": table.name, "xIndependentSchema": [1, 2]}
    return schema


def table_json(table: Table, quirks: Quirks, expand_schema: bool) -> Json:
    """A `DataTable`; `sparse_tables` leaves description and division off the third table."""
    body: Json = {"id": table.id, "name": table.name}
    sparse = quirks.sparse_tables and table.id.endswith("a003")
    if not sparse:
        body |= {} if table.description is None else {"description": table.description}
        body["division"] = {
            **DIVISION,
            "selfUri": f"/api/v2/authorization/divisions/{DIVISION['id']}",
        }
    if expand_schema:
        body["schema"] = schema_json(table, quirks)
    if quirks.extra_fields:
        body |= {"version": 3, "xIndependentTable": {"rows": len(table.rows)}}
    return body | {"selfUri": f"{DT}/{table.id}"}
