"""The request bodies of the rules routes, read strictly: a 400 names the field and the rule.

A data action PUT (`name`, `conditions`), an audit query (`query`, `size`) and a webhook
registration (`name`, `enabled`, `events`, `target`, `secret`). Kept apart from the store so the
store holds only state and the order of a PUT's checks; the condition tree's own rules (the
422s) are in validation.py.
"""

from __future__ import annotations

import json
import secrets
from typing import Any
from urllib.parse import urlsplit

from cx_assets.emulator.errors import ApiError
from cx_assets.emulator.genesys.rules.webhooks import EVENT_TYPES

MAX_NAME = 256
DEFAULT_AUDIT_SIZE = 25
MAX_AUDIT_SIZE = 100


def parse_body(body: Any, current: dict[str, Any]) -> tuple[str, Any]:
    """(name, raw conditions) from a PUT body; 400 naming the field when unreadable.

    `id` and `version` are ignored, so a client may send back what it read; `id` must match.
    """
    if not isinstance(body, dict):
        raise ApiError(400, 'the body must be a JSON object {"name"?, "conditions"}')
    unknown = sorted(set(body) - {"id", "name", "conditions", "version"})
    if unknown:
        raise ApiError(400, f"unknown field(s) {', '.join(unknown)}; allowed: name, conditions")
    if "id" in body and body["id"] != current["id"]:
        raise ApiError(
            400, f"id {json.dumps(body['id'])} does not match the path's {current['id']}"
        )
    if "conditions" not in body:
        raise ApiError(400, "conditions is required")
    name = body.get("name")
    if name is None:
        name = current["name"]
    elif not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME:
        raise ApiError(400, f"name must be a non-empty string of at most {MAX_NAME} characters")
    return name, body["conditions"]


def parse_audit_query(body: Any) -> tuple[str | None, str | None, int]:
    """(entityId, eventType, size) of an audit query; 400 naming the field when unreadable."""
    if not isinstance(body, dict):
        raise ApiError(400, 'the body must be a JSON object {"query": {...}, "size"?}')
    unknown = sorted(set(body) - {"query", "size"})
    if unknown:
        raise ApiError(400, f"unknown field(s) {', '.join(unknown)}; allowed: query, size")
    query = body.get("query") or {}
    if not isinstance(query, dict):
        raise ApiError(400, "query must be an object {entityId?, eventType?}")
    unknown = sorted(set(query) - {"entityId", "eventType"})
    if unknown:
        raise ApiError(
            400, f"unknown query field(s) {', '.join(unknown)}; allowed: entityId, eventType"
        )
    for key in ("entityId", "eventType"):
        if query.get(key) is not None and not isinstance(query[key], str):
            raise ApiError(400, f"query.{key} must be a string")
    size = body.get("size", DEFAULT_AUDIT_SIZE)
    if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= MAX_AUDIT_SIZE:
        raise ApiError(
            400, f"size must be an integer from 1 to {MAX_AUDIT_SIZE} (got {json.dumps(size)})"
        )
    return query.get("entityId"), query.get("eventType"), size


def parse_webhook(body: Any) -> dict[str, Any]:
    """A webhook registration; 400 naming the field and the rule."""
    if not isinstance(body, dict):
        raise ApiError(400, "the body must be a JSON object {name, enabled, events, target}")
    allowed = {"name", "enabled", "events", "target", "secret"}
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise ApiError(
            400, f"unknown field(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}"
        )
    name = body.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME:
        raise ApiError(400, f"name must be a non-empty string of at most {MAX_NAME} characters")
    enabled = body.get("enabled", True)
    if not isinstance(enabled, bool):
        raise ApiError(400, "enabled must be true or false")
    events = body.get("events")
    if not isinstance(events, list) or not events:
        raise ApiError(400, 'events must be a non-empty list of {"eventType"}')
    for n, event in enumerate(events):
        kind = event.get("eventType") if isinstance(event, dict) else None
        if kind not in EVENT_TYPES:
            raise ApiError(400, f"events[{n}].eventType must be one of: {', '.join(EVENT_TYPES)}")
    target = body.get("target")
    url = target.get("url") if isinstance(target, dict) else None
    parts = urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        raise ApiError(400, "target.url must be an absolute http or https URL")
    headers = target.get("headers") or {}
    if not isinstance(headers, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in headers.items()
    ):
        raise ApiError(400, "target.headers must be an object of string header values")
    secret = body.get("secret")
    if secret is None:
        secret = secrets.token_urlsafe(24)
    elif not isinstance(secret, str) or len(secret) < 8:
        raise ApiError(400, "secret, when given, must be a string of at least 8 characters")
    return {
        "name": name,
        "enabled": enabled,
        "events": [{"eventType": e["eventType"]} for e in events],
        "target": {"url": url, "headers": dict(headers)},
        "secret": secret,
    }


def public_webhook(webhook: dict[str, Any]) -> dict[str, Any]:
    """A webhook as a listing shows it: no secret, target header values masked."""
    target = webhook["target"]
    masked = {name: "********" for name in target["headers"]}
    shown = {k: v for k, v in webhook.items() if k != "secret"}
    return {**shown, "target": {"url": target["url"], "headers": masked}}
