"""The 400 rules of a `ContactListFilter` body (PUT and POST), written from the contract.

`contact_list_filter(body)` answers the stored form like platform_validation.rule_set: members
as sent (nulls dropped), server members left out, the contact list written as a full reference.
Only `ContactList` filters can be stored: the emulator has no contact list templates.
"""

from __future__ import annotations

from typing import Any

from cx_assets.emulator.genesys.rules.platform_checks import (
    at,
    boolean,
    check_range,
    enum,
    items,
    members,
    ref,
    refuse,
    string,
    text,
)
from cx_assets.emulator.genesys.rules.platform_enums import OPERATORS, SERVER_MEMBERS
from cx_assets.emulator.genesys.rules.platform_seed import CONTACT_LISTS

SOURCE_TYPES = ("ContactList", "ContactListTemplate")
FILTER_TYPES = ("AND", "OR")
COLUMN_TYPES = ("numeric", "alphabetic")
PREDICATE_MEMBERS = ("column", "columnType", "operator", "value", "range", "inverted")
RANGE_MEMBERS = ("min", "max", "minInclusive", "maxInclusive", "inSet")


def _predicate(raw: Any, field: str, columns: list[str]) -> dict[str, Any]:
    found = members(raw, field, PREDICATE_MEMBERS, ("column", "columnType", "operator"))
    column = text(found["column"], at(field, "column"))
    if column not in columns:
        raise refuse(at(field, "column"), f"{column!r} is not a column of the contact list")
    enum(found["columnType"], at(field, "columnType"), COLUMN_TYPES)
    operator = enum(found["operator"], at(field, "operator"), OPERATORS)
    if "inverted" in found:
        boolean(found["inverted"], at(field, "inverted"))
    kept = check_range(operator, found, field, RANGE_MEMBERS)
    if kept is not None:
        found["range"] = kept
    if operator not in ("BETWEEN", "IN") and "value" not in found:
        raise refuse(at(field, "value"), f"is required for {operator}")
    if "value" in found:
        string(found["value"], at(field, "value"))
    return found


def _clause(raw: Any, field: str, columns: list[str]) -> dict[str, Any]:
    found = members(raw, field, ("filterType", "predicates"))
    if "filterType" in found:
        enum(found["filterType"], at(field, "filterType"), FILTER_TYPES)
    where = at(field, "predicates")
    if "predicates" in found:
        found["predicates"] = [
            _predicate(p, at(where, i), columns)
            for i, p in enumerate(items(found["predicates"], where))
        ]
    return found


def contact_list_filter(body: Any) -> dict[str, Any]:
    """The stored form of a filter body (server members left out), or the 400."""
    allowed = (
        *SERVER_MEMBERS,
        "name",
        "sourceType",
        "contactList",
        "contactListTemplate",
        "filterType",
        "clauses",
    )
    found = members(body, "", allowed, ("name",))
    text(found["name"], "name")
    source = found.get("sourceType", "ContactList")
    enum(source, "sourceType", SOURCE_TYPES)
    if source == "ContactListTemplate" or "contactListTemplate" in found:
        raise refuse("contactListTemplate", "no contact list templates exist: use a contactList")
    if "contactList" not in found:
        raise refuse("contactList", "is required")
    found["contactList"] = ref(found["contactList"], "contactList", CONTACT_LISTS, "contact list")
    columns = CONTACT_LISTS[found["contactList"]["id"]]["columnNames"]
    if "filterType" in found:
        enum(found["filterType"], "filterType", FILTER_TYPES)
    if "clauses" in found:
        found["clauses"] = [
            _clause(c, at("clauses", i), columns)
            for i, c in enumerate(items(found["clauses"], "clauses"))
        ]
    return {k: v for k, v in found.items() if k not in SERVER_MEMBERS}
