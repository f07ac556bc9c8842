"""Audit trail, audit query and platform webhooks (with signed deliveries) of the independent
tutorial data actions server: docs/api-contract.md "### `POST /api/v2/platform/webhooks`" and
"### `POST /api/v2/audits/query`".

Fixed readings: `query` is required in an audit query (it may be `{}`); `size` must be an integer
(not a boolean); audit records are at least a microsecond apart and "newest first" is the order
they were recorded in, reversed; a webhook body with an unknown member is a 400 naming it;
`target.url` must be absolute `http(s)`; header values are masked as `****` in the listing;
deliveries go out on a small thread pool, 5 attempts, back-off 0.5 s doubling, each attempt
signed afresh; a delivery's `actorId` is the OAuth client id (or the admin edit's actor).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx

Json = dict[str, Any]
EVENT = "data.action.updated"
WEBHOOK_KEYS = {"name", "enabled", "events", "target", "secret"}
ATTEMPTS, BACKOFF_S = 5, 0.5


class BadRequest(Exception):
    """A 400: `str(exc)` is the message, naming the field."""


def stamp(when: datetime, offset: bool) -> str:
    if offset:
        return when.astimezone(UTC).isoformat()
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


@dataclass
class Delivery:
    webhook_id: str
    action_id: str
    version: int
    attempt: int
    status: int | None
    delivered: bool


class Audits:
    def __init__(self, quirks: Any) -> None:
        self.quirks = quirks
        self.records: list[Json] = []
        self._last = datetime.now(UTC) - timedelta(seconds=1)

    def record(self, entity_id: str, actor: str, status: str, version: int, **more: Any) -> Json:
        now = max(datetime.now(UTC), self._last + timedelta(microseconds=1))
        self._last = now
        entry = {
            "at": now,
            "actorId": actor,
            "operation": more.pop("operation", "UPDATE"),
            "status": status,
            "entityId": entity_id,
            "eventType": more.pop("event_type", EVENT),
            "version": version,
            "id": str(uuid.uuid4()),
        } | more
        self.records.append(entry)
        return entry

    def query(self, body: Any) -> Json:
        if not isinstance(body, dict):
            raise BadRequest("the body must be a JSON object")
        if unknown := sorted(set(body) - {"query", "size"}):
            raise BadRequest(f"unknown field {unknown[0]}")
        query = body.get("query")
        if not isinstance(query, dict):
            raise BadRequest("query is required and must be an object")
        if unknown := sorted(set(query) - {"entityId", "eventType"}):
            raise BadRequest(f"unknown field query.{unknown[0]}")
        size = body.get("size", 25)
        if not isinstance(size, int) or isinstance(size, bool) or not 1 <= size <= 100:
            raise BadRequest(f"size must be an integer from 1 to 100, got {size!r}")
        wanted = [
            r
            for r in reversed(self.records)
            if all(r.get(k) == v for k, v in query.items() if v is not None)
        ]
        entities = [self.render(r) for r in wanted[:size]]
        out: Json = {"entities": entities}
        if self.quirks.list_paging:
            pages = max(1, -(-len(wanted) // size))
            out |= {"pageSize": size, "pageNumber": 1, "total": len(wanted), "pageCount": pages}
        return out

    def render(self, entry: Json) -> Json:
        keys = ["actorId", "operation", "status", "entityId", "eventType", "version"]
        out = {"timestamp": stamp(entry["at"], self.quirks.timestamps_offset)}
        out |= {k: entry[k] for k in keys}
        if self.quirks.extra_members:
            out |= {"id": entry["id"], "serviceName": "Architect"}
            out["entityType"] = "Webhook" if "webhook" in entry["eventType"] else "DataAction"
            if "message" in entry:
                out["message"] = entry["message"]
        return out


@dataclass
class Webhooks:
    quirks: Any
    hooks: dict[str, Json] = field(default_factory=dict)
    deliveries: list[Delivery] = field(default_factory=list)
    pool: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(4))

    def seed_decoys(self) -> None:
        for name, enabled in (
            ("cx-assets data actions (old)", False),
            ("CX-Assets Data Actions", True),
        ):
            self.create(
                {
                    "name": name,
                    "enabled": enabled,
                    "events": [{"eventType": EVENT}],
                    "target": {"url": "https://hooks.other-integration.example/in"},
                }
            )

    def create(self, body: Any) -> Json:
        if not isinstance(body, dict):
            raise BadRequest("the body must be a JSON object")
        if unknown := sorted(set(body) - WEBHOOK_KEYS):
            raise BadRequest(f"unknown field {unknown[0]}")
        name = body.get("name")
        if not isinstance(name, str) or not name.strip():
            raise BadRequest("name is required (a non-empty string)")
        if not isinstance(body.get("enabled"), bool):
            raise BadRequest("enabled is required (true or false)")
        events = body.get("events")
        if not isinstance(events, list) or not events:
            raise BadRequest("events must be a non-empty list")
        for i, event in enumerate(events):
            kind = event.get("eventType") if isinstance(event, dict) else None
            if kind != EVENT:
                raise BadRequest(f"events[{i}].eventType {kind!r} is unknown: only {EVENT}")
        target = body.get("target")
        if not isinstance(target, dict) or set(target) - {"url", "headers"}:
            raise BadRequest("target must be {url, headers?}")
        url = target.get("url")
        parts = urlsplit(url) if isinstance(url, str) else None
        if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
            raise BadRequest(f"target.url must be an absolute http(s) URL, got {url!r}")
        headers = target.get("headers") or {}
        if not isinstance(headers, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in headers.items()
        ):
            raise BadRequest("target.headers must map header names to strings")
        secret = body.get("secret")
        if secret is not None and (not isinstance(secret, str) or len(secret) < 8):
            raise BadRequest("secret must be a string of at least 8 characters")
        hook = {
            "id": str(uuid.uuid4()),
            "name": name,
            "enabled": body["enabled"],
            "events": [{"eventType": EVENT} for _ in events],
            "target": {"url": url, "headers": dict(headers)},
            "at": datetime.now(UTC),
            "secret": secret or secrets.token_hex(16),
        }
        self.hooks[hook["id"]] = hook
        return hook

    def render(self, hook: Json, with_secret: bool) -> Json:
        target = dict(hook["target"])
        if not with_secret:
            target["headers"] = {k: "****" for k in target["headers"]}
        out: Json = {
            "id": hook["id"],
            "name": hook["name"],
            "enabled": hook["enabled"],
            "events": [dict(e) for e in hook["events"]],
            "target": target,
            "createdAt": stamp(hook["at"], self.quirks.timestamps_offset),
        }
        if with_secret:
            out["secret"] = hook["secret"]
        if self.quirks.extra_members:
            out |= {"selfUri": f"/api/v2/platform/webhooks/{hook['id']}", "hasSecret": True}
        return out

    def listing(self) -> Json:
        out: Json = {"entities": [self.render(h, False) for h in self.hooks.values()]}
        if self.quirks.list_paging:
            count = len(self.hooks)
            out |= {"pageSize": max(25, count), "pageNumber": 1, "total": count, "pageCount": 1}
        return out

    def announce(self, action_id: str, version: int, actor: str) -> None:
        for hook in list(self.hooks.values()):
            if hook["enabled"] and any(e["eventType"] == EVENT for e in hook["events"]):
                body: Json = {
                    "eventType": EVENT,
                    "actionId": action_id,
                    "version": version,
                    "actorId": actor,
                    "timestamp": stamp(datetime.now(UTC), self.quirks.timestamps_offset),
                }
                if self.quirks.delivery_extras:
                    body |= {"webhookId": hook["id"], "deliveryId": str(uuid.uuid4())}
                self.pool.submit(self._deliver, hook, body)

    def _deliver(self, hook: Json, body: Json) -> None:
        raw = json.dumps(body, separators=(",", ":")).encode()
        for attempt in range(1, ATTEMPTS + 1):
            t = str(int(time.time()))
            mac = hmac.new(hook["secret"].encode(), f"{t}.".encode() + raw, hashlib.sha256)
            headers = dict(hook["target"]["headers"])
            headers |= {
                "Content-Type": "application/json",
                "X-Genesys-Signature": f"t={t},v1={mac.hexdigest()}",
            }
            status: int | None = None
            try:
                status = httpx.post(hook["target"]["url"], content=raw, headers=headers).status_code
            except httpx.HTTPError:
                status = None
            ok = status is not None and 200 <= status < 300
            record = Delivery(hook["id"], body["actionId"], body["version"], attempt, status, ok)
            self.deliveries.append(record)
            if ok:
                return
            time.sleep(BACKOFF_S * 2 ** (attempt - 1))

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)
