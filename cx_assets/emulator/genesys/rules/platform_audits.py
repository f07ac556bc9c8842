"""Audit records of rule sets and filters, and the asynchronous audit query over them.

Pure functions: the store keeps the records and the queries (persisted) and calls these. A
query sees the records that existed when it was created (`auditCount`), its state follows its
age (Queued for the first half of `audit_query_s`, Running for the second, then Succeeded or,
under `audit_query_failed`, Failed), so nothing runs in the background.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from cx_assets.emulator.genesys.rules.platform_checks import (
    at,
    enum,
    items,
    members,
    refuse,
    string,
    text,
)

SERVICE = "Outbound"
FILTER_PROPERTIES = (
    "UserId",
    "TrusteeOrganizationId",
    "ClientId",
    "Action",
    "EntityType",
    "EntityId",
)
SORT_ORDERS = ("ascending", "descending")
#: A query's id lives this long; after it GET and results answer 404.
QUERY_LIFETIME_S = 24 * 3600.0


def iso_ms(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _show(value: Any) -> list[str]:
    """`oldValues` / `newValues` hold strings: a string as is, anything else as JSON."""
    if value is None:
        return []
    return [value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)]


def property_changes(old: dict[str, Any], new: dict[str, Any], skip: tuple[str, ...]) -> list[Any]:
    """One entry per top-level member (not in `skip`) whose value differs, in the new order."""
    names = [*new, *(k for k in old if k not in new)]
    return [
        {"property": name, "oldValues": _show(old.get(name)), "newValues": _show(new.get(name))}
        for name in names
        if name not in skip and old.get(name) != new.get(name)
    ]


def record(
    entity_type: str,
    entity: dict[str, Any],
    action: str,
    status: str,
    who: dict[str, Any],
    changes: list[Any] | None = None,
    message: str | None = None,
) -> dict[str, Any]:
    """An `AuditLogMessage` as stored (`user.name` kept; views drop it without expand=user)."""
    body: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "eventDate": iso_ms(time.time()),
        "serviceName": SERVICE,
        "level": "USER",
        "entityType": entity_type,
        "action": action,
        "status": status,
        "entity": {"id": entity["id"], "name": entity["name"]},
        **who,
        "message": {"message": message or f"{entity_type} {entity['name']}: {action} {status}"},
        "propertyChanges": changes or [],
        "context": {},
    }
    return body


def view(message: dict[str, Any], expand_user: bool) -> dict[str, Any]:
    shown = dict(message)
    if "user" in shown and not expand_user:
        shown["user"] = {"id": shown["user"]["id"]}
    return shown


def _instant(raw: str, field: str) -> datetime:
    try:
        when = datetime.fromisoformat(raw.strip())
    except ValueError:
        raise refuse(field, f"{raw!r} is not an ISO-8601 date-time") from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def parse_query(body: Any) -> dict[str, Any]:
    """The platform audit query body, read strictly; the 400 names the member."""
    found = members(body, "", ("interval", "serviceName", "filters", "sort"), ("interval",))
    interval = text(found["interval"], "interval")
    start, sep, end = interval.partition("/")
    if not sep:
        raise refuse("interval", "must be <start>/<end> (ISO-8601)")
    if _instant(start, "interval") >= _instant(end, "interval"):
        raise refuse("interval", "its start must be before its end")
    query: dict[str, Any] = {"interval": interval, "filters": [], "sort": []}
    if "serviceName" in found:
        query["serviceName"] = text(found["serviceName"], "serviceName")
    for i, raw in enumerate(items(found.get("filters", []), "filters")):
        where = at("filters", i)
        item = members(raw, where, ("property", "value"), ("property", "value"))
        enum(item["property"], at(where, "property"), FILTER_PROPERTIES)
        string(item["value"], at(where, "value"))
        query["filters"].append(item)
    for i, raw in enumerate(items(found.get("sort", []), "sort")):
        where = at("sort", i)
        item = members(raw, where, ("name", "sortOrder"), ("name",))
        enum(item["name"], at(where, "name"), ("Timestamp",))
        if "sortOrder" in item:
            enum(item["sortOrder"], at(where, "sortOrder"), SORT_ORDERS)
        query["sort"].append(item)
    return query


def state(query: dict[str, Any], now: float) -> str:
    age = now - query["createdAt"]
    delay = query["delayS"]
    if age < delay / 2:
        return "Queued"
    if age < delay:
        return "Running"
    return "Failed" if query["failed"] else "Succeeded"


def answer(query: dict[str, Any], shown_state: str) -> dict[str, Any]:
    """The `AuditQueryExecutionStatusResponse` of `query` in `shown_state`."""
    body = {"id": query["id"], "state": shown_state, "startDate": iso_ms(query["createdAt"])}
    body["interval"] = query["interval"]
    if "serviceName" in query:
        body["serviceName"] = query["serviceName"]
    return {**body, "filters": query["filters"], "sort": query["sort"]}


def _value(message: dict[str, Any], prop: str) -> str | None:
    if prop == "UserId":
        return (message.get("user") or {}).get("id")
    if prop == "ClientId":
        return (message.get("client") or {}).get("id")
    if prop == "EntityId":
        return message["entity"]["id"]
    if prop in ("Action", "EntityType"):
        return message["action" if prop == "Action" else "entityType"]
    return None  # TrusteeOrganizationId: no trustee ever acts here


def matching(query: dict[str, Any], audits: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The records the query selects, oldest first (newest first when sorted descending)."""
    start, _, end = query["interval"].partition("/")
    low, high = _instant(start, "interval"), _instant(end, "interval")
    found = [
        m
        for m in audits[: query["auditCount"]]
        if low <= _instant(m["eventDate"], "eventDate") < high
        and query.get("serviceName", SERVICE) == m["serviceName"]
        and all(_value(m, f["property"]) == f["value"] for f in query["filters"])
    ]
    found.sort(key=lambda m: m["eventDate"])
    if query["sort"] and query["sort"][0].get("sortOrder") == "descending":
        found.reverse()
    return found


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        offset = int(raw.removeprefix("offset:")) if raw.startswith("offset:") else -1
    except (binascii.Error, UnicodeDecodeError, ValueError):
        offset = -1
    if offset < 0:
        raise refuse("cursor", "is not a cursor this query gave out")
    return offset
