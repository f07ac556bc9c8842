"""The independent rules server's audit trail and its asynchronous query.

`AuditLog.record` keeps one `AuditLogMessage` per landed change (and per stale PUT, FAILURE);
`AuditLog.create` takes a `POST /api/v2/audits/query` body (refusing what the contract does not
list), snapshots the matching entries, and the query then moves one step a poll. Results are
paged by opaque cursors that stay valid.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from cx_assets_tests.independent.genesys_rules_check import EXTRA_PREFIX
from cx_assets_tests.independent.genesys_rules_quirks import Quirks
from cx_assets_tests.independent.genesys_rules_render import BadParam, iso

Json = dict[str, Any]
FILTER_PROPERTIES = ("UserId", "TrusteeOrganizationId", "ClientId", "Action", "EntityType")
FILTER_PROPERTIES += ("EntityId",)
QUERY_MEMBERS = {"interval", "serviceName", "filters", "sort"}
SHORT_PAGE, MAX_PAGE = 2, 500
QUIET = {"id", "version", "dateCreated", "dateModified"}


@dataclass
class AuditEntry:
    """One stored `AuditLogMessage` (`number`: its place in the trail, from 1)."""

    number: int
    id: str
    event_date: datetime
    entity_type: str
    action: str
    status: str
    entity: Json
    user: Json | None = None
    client: Json | None = None
    application: str | None = None
    property_changes: list[Json] = field(default_factory=list)
    message: str | None = None


@dataclass
class AuditQuery:
    """One asynchronous query: the body as sent, its snapshot, and where it is."""

    id: str
    body: Json
    created: datetime
    entries: list[AuditEntry]
    fails: bool
    state: str = "Queued"
    polls: int = 0


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def _leaves(value: Any, path: str, out: dict[str, Any]) -> dict[str, Any]:
    if isinstance(value, dict) and value:
        for key, item in value.items():
            _leaves(item, f"{path}.{key}" if path else key, out)
    elif isinstance(value, list) and value:
        for i, item in enumerate(value):
            _leaves(item, f"{path}[{i}]", out)
    else:
        out[path] = value
    return out


def property_changes(old: Json, new: Json, deep: bool) -> list[Json]:
    """What changed between two stored entities (server-filled members left out)."""
    old = {k: v for k, v in old.items() if k not in QUIET}
    new = {k: v for k, v in new.items() if k not in QUIET}
    if deep:
        old, new = _leaves(old, "", {}), _leaves(new, "", {})
    changes = []
    for key in sorted(set(old) | set(new)):
        if old.get(key, ...) != new.get(key, ...):
            before = [_text(old[key])] if key in old else []
            after = [_text(new[key])] if key in new else []
            changes.append({"property": key, "oldValues": before, "newValues": after})
    return changes


def parse_interval(value: Any, quirks: Quirks) -> tuple[datetime, datetime]:
    if not isinstance(value, str) or value.count("/") != 1:
        raise BadParam("interval", "interval is required as 'start/end' (ISO-8601)")
    try:
        start, end = (datetime.fromisoformat(part) for part in value.split("/"))
    except ValueError:
        raise BadParam("interval", f"interval {value!r} is not ISO-8601 start/end") from None
    if start.tzinfo is None or end.tzinfo is None:
        raise BadParam("interval", "interval start and end need a UTC offset")
    if not start < end:
        raise BadParam("interval", "interval start must be before its end")
    if quirks.interval_max_31_days and end - start > timedelta(days=31):
        raise BadParam("interval", "interval must not span more than 31 days")
    return start, end


class AuditLog:
    def __init__(self, quirks_of: Any) -> None:
        self._quirks_of = quirks_of  # the server: its `quirks` may be swapped between calls
        self.entries: list[AuditEntry] = []
        self.queries: dict[str, AuditQuery] = {}
        self.fail_next = 0
        self._cursors: dict[str, tuple[str, int]] = {}

    @property
    def q(self) -> Quirks:
        quirks: Quirks = self._quirks_of.quirks
        return quirks

    def record(self, entity_type: str, action: str, status: str, entity: Json, **more: Any):
        when = more.pop("when", None)
        if when is None:  # every entry of the trail at least a millisecond after the one before
            when = datetime.now(UTC)
            if self.entries and when < self.entries[-1].event_date + timedelta(milliseconds=1):
                when = self.entries[-1].event_date + timedelta(milliseconds=1)
        entry = AuditEntry(
            len(self.entries) + 1,
            str(uuid.uuid4()),
            when,
            entity_type,
            action,
            status,
            {"id": entity["id"], "name": entity["name"]},
            **more,
        )
        self.entries.append(entry)
        return entry

    # ---- queries ------------------------------------------------------------------------------
    def create(self, body: Any) -> AuditQuery:
        if not isinstance(body, dict):
            raise BadParam("body", "the audit query must be a JSON object")
        if unknown := sorted(set(body) - QUERY_MEMBERS):
            raise BadParam(unknown[0], f"{unknown[0]} is not a member of an audit query")
        start, end = parse_interval(body.get("interval"), self.q)
        service = body.get("serviceName")
        if service is not None and not isinstance(service, str):
            raise BadParam("serviceName", "serviceName must be a string")
        found = [e for e in self.entries if start <= e.event_date <= end]
        found = [e for e in found if service in (None, "Outbound")]
        for i, rule in enumerate(body.get("filters") or []):
            if not isinstance(rule, dict) or set(rule) - {"property", "value"}:
                raise BadParam(f"filters[{i}]", 'a filter is {"property", "value"}')
            prop, value = rule.get("property"), rule.get("value")
            if prop not in FILTER_PROPERTIES or not isinstance(value, str):
                allowed = ", ".join(FILTER_PROPERTIES)
                raise BadParam(f"filters[{i}].property", f"property must be one of {allowed}")
            found = [e for e in found if _matches(e, prop, value)]
        descending = False
        for i, order in enumerate(body.get("sort") or []):
            ok = isinstance(order, dict) and order.get("name") == "Timestamp"
            if not ok or order.get("sortOrder") not in ("ascending", "descending"):
                raise BadParam(f"sort[{i}]", 'sort is [{"name": "Timestamp", "sortOrder"}]')
            descending = order["sortOrder"] == "descending"
        found.sort(key=lambda e: (e.event_date, e.number), reverse=descending)
        if self.q.audit_unsorted and len(found) > 1:
            asked = list(found)
            found.sort(key=lambda e: hashlib.sha256(e.id.encode()).hexdigest())
            if found == asked:
                found[0], found[1] = found[1], found[0]
        query = AuditQuery(str(uuid.uuid4()), body, datetime.now(UTC), found, self.fail_next > 0)
        self.fail_next = max(0, self.fail_next - 1)
        self.queries[query.id] = query
        return query

    def poll(self, query: AuditQuery) -> None:
        if query.state in ("Succeeded", "Failed", "Cancelled"):
            return
        query.polls += 1
        steps = ("Queued", "Running", "Running") if self.q.audit_slow else ()
        if query.polls > len(steps):
            query.state = "Failed" if query.fails else "Succeeded"
        else:
            query.state = steps[query.polls - 1]

    def query_json(self, query: AuditQuery) -> Json:
        body = {"id": query.id, "state": query.state, "startDate": iso(query.created)}
        body |= {
            k: query.body[k]
            for k in ("interval", "serviceName", "filters", "sort")
            if k in query.body
        }
        if self.q.extra_members:
            body[EXTRA_PREFIX + "Query"] = {"polls": query.polls}
        return body

    def page(self, query: AuditQuery, size: int, cursor: str | None, expand_user: bool) -> Json:
        if not 1 <= size <= MAX_PAGE:
            raise BadParam("pageSize", f"pageSize must be 1 to {MAX_PAGE}, got {size}")
        offset = 0
        if cursor is not None:
            owner, offset = self._cursors.get(cursor, ("", 0))
            if owner != query.id:
                raise BadParam("cursor", "cursor is not a cursor of this query")
        take = min(size, SHORT_PAGE) if self.q.audit_short_pages else size
        total = len(query.entries)
        batch = query.entries[offset : offset + take]
        after = offset + len(batch)
        body: Json = {"id": query.id, "pageSize": size}
        if after < total or (self.q.audit_trailing_empty_page and offset < total <= after):
            token = secrets.token_urlsafe(30)
            self._cursors[token] = (query.id, after)
            body["cursor"] = token
        elif self.q.cursor_null:
            body["cursor"] = None
        body["entities"] = [self.message(e, expand_user) for e in batch]
        if self.q.extra_members:
            body[EXTRA_PREFIX + "Results"] = {"offset": offset}
        return body

    def message(self, entry: AuditEntry, expand_user: bool) -> Json:
        q = self.q
        whole = entry.event_date.microsecond // 1000 == 0
        fraction = not (q.dates_mixed_precision and whole)

        def case(value: str) -> str:
            return value.lower() if q.audit_enum_case else value

        body: Json = {"id": entry.id, "eventDate": iso(entry.event_date, fraction)}
        body |= {"serviceName": "Outbound", "entityType": entry.entity_type, "level": "USER"}
        body |= {"action": case(entry.action), "status": case(entry.status)}
        body["entity"] = {"id": entry.entity["id"]}
        if not q.audit_entity_id_only:
            body["entity"]["name"] = entry.entity["name"]
        if entry.user is not None:
            body["user"] = {"id": entry.user["id"]}
            if expand_user or not q.user_name_needs_expand:
                body["user"]["name"] = entry.user["name"]
        if entry.client is not None:
            body["client"] = dict(entry.client)
        if entry.application is not None:
            body["application"] = entry.application
        body["remoteIp"] = ["127.0.0.1"]
        if entry.message is not None:
            body["message"] = {"message": entry.message, "messageParams": {}}
        body["propertyChanges"] = [dict(c) for c in entry.property_changes]
        if q.extra_members:
            body[EXTRA_PREFIX + "Audit"] = {"number": entry.number}
            body["context"] = {"source": "independent"}
        return body


def _matches(entry: AuditEntry, prop: str, value: str) -> bool:
    if prop == "EntityId":
        return entry.entity["id"] == value
    if prop == "EntityType":
        return entry.entity_type == value
    if prop == "Action":
        return entry.action.lower() == value.lower()
    if prop == "UserId":
        return entry.user is not None and entry.user["id"] == value
    if prop == "ClientId":
        return entry.client is not None and entry.client["id"] == value
    return False
