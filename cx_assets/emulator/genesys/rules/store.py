"""Data actions, their audit trail and the registered webhooks: one persisted, locked state.

State lives in `state_dir/data_actions/state.json` (rewritten atomically after each change), so a
restart keeps every action's conditions and version, the audit records and the webhooks (with
their signing secrets: server-side state, like the URL signing key). Datasets are fixed by the
seed and not persisted. A fresh state directory starts from `SEED_ACTIONS` at version 1.

The order of a PUT's checks: 404 unknown action, 400 unreadable body, 428 no `If-Match`, then
(the `concurrent_edit` switch's foreign edit), 409 stale `If-Match`, 422 invalid tree; 409 and
422 are audited FAILURE. A PUT that changes nothing answers 200 with the version kept and is
neither audited nor announced (nothing was updated).
"""

from __future__ import annotations

import copy
import json
import os
import secrets
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from cx_assets.emulator.config import EmulatorConfig
from cx_assets.emulator.errors import ApiError
from cx_assets.emulator.genesys.datatables.store import is_iso_date
from cx_assets.emulator.genesys.rules.seed import DATASETS_BY_ID, SEED_ACTIONS
from cx_assets.emulator.genesys.rules.validation import ConditionError, validate_conditions
from cx_assets.emulator.genesys.rules.webhooks import WebhookSender
from cx_assets.emulator.stats import Stats

EVENT_UPDATED = "data.action.updated"
EVENT_TYPES = (EVENT_UPDATED,)
OTHER_ADMIN = "other-admin"
MAX_NAME = 256
DEFAULT_AUDIT_SIZE = 25
MAX_AUDIT_SIZE = 100


def iso_now() -> str:
    now = datetime.now(UTC)
    return now.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def etag(version: int) -> str:
    return f'"{version}"'


def _if_match_versions(header: str) -> list[str]:
    """The versions an `If-Match` names (quotes and a weak `W/` prefix dropped)."""
    return [part.strip().removeprefix("W/").strip('"') for part in header.split(",")]


def _nudge(literal: Any) -> Any:
    """A different literal of the same type: what "someone else" changes in a concurrent edit."""
    if isinstance(literal, bool):
        return not literal
    if isinstance(literal, int | float):
        return literal + 1
    if isinstance(literal, list):
        return [_nudge(literal[0]), *literal[1:]]
    if is_iso_date(literal):
        return (date.fromisoformat(literal) + timedelta(days=1)).isoformat()
    return f"{literal}-edited"


def _first_comparison(node: dict[str, Any]) -> dict[str, Any]:
    while "children" in node:
        node = node["children"][0]
    return node


class DataActionStore:
    """Thread-safe: routes run in the thread pool, and webhook workers run beside them."""

    def __init__(self, config: EmulatorConfig, stats: Stats) -> None:
        self.root = config.state_dir / "data_actions"
        self.root.mkdir(parents=True, exist_ok=True)
        self.state_path = self.root / "state.json"
        self.sender = WebhookSender(config.callback_attempts, config.callback_backoff_s, stats)
        self._lock = threading.RLock()
        self._closed = False
        state = self._load()
        self._actions: dict[str, dict[str, Any]] = state["actions"]
        self._audits: list[dict[str, Any]] = state["audits"]
        self._webhooks: dict[str, dict[str, Any]] = state["webhooks"]

    # ---- persistence -------------------------------------------------------------------------

    def _load(self) -> dict[str, Any]:
        if self.state_path.exists():
            return json.loads(self.state_path.read_text())
        actions = {
            action_id: {"id": action_id, "name": name, "conditions": tree, "version": 1}
            for action_id, name, tree in copy.deepcopy(SEED_ACTIONS)
        }
        return {"actions": actions, "audits": [], "webhooks": {}}

    def _save(self) -> None:
        if self._closed:  # a late request after shutdown must not clobber a restart's state
            return
        state = {"actions": self._actions, "audits": self._audits, "webhooks": self._webhooks}
        tmp = self.state_path.with_name(f".state.{os.getpid()}.{threading.get_ident()}.tmp")
        tmp.write_text(json.dumps(state, indent=1))
        os.replace(tmp, self.state_path)

    # ---- datasets ----------------------------------------------------------------------------

    @staticmethod
    def datasets() -> list[dict[str, str]]:
        return [{"id": d.id, "name": d.name} for d in DATASETS_BY_ID.values()]

    @staticmethod
    def dataset(dataset_id: str) -> dict[str, Any]:
        found = DATASETS_BY_ID.get(dataset_id)
        if found is None:
            raise ApiError(404, f"dataset {dataset_id} not found")
        return found.public()

    # ---- actions -----------------------------------------------------------------------------

    def actions(self) -> list[dict[str, Any]]:
        with self._lock:
            return [
                {"id": a["id"], "name": a["name"], "version": a["version"]}
                for a in self._actions.values()
            ]

    def action(self, action_id: str) -> dict[str, Any]:
        with self._lock:
            found = self._actions.get(action_id)
            if found is None:
                raise ApiError(404, f"data action {action_id} not found")
            return copy.deepcopy(found)

    def put(
        self,
        action_id: str,
        body: Any,
        if_match: str | None,
        actor: str,
        edit_first: Callable[[], bool] = lambda: False,
    ) -> dict[str, Any]:
        """Apply a PUT (see the module docstring for the order of checks); the action after it.

        `edit_first` is asked once the PUT is well-formed: True (the `concurrent_edit` switch
        fired) makes `other-admin` edit the action just before the PUT is checked against it.
        """
        with self._lock:
            current = self._actions.get(action_id)
            if current is None:
                raise ApiError(404, f"data action {action_id} not found")
            name, tree = _parse_body(body, current)
            if not if_match or if_match.strip() == "*":
                raise ApiError(
                    428,
                    "a PUT needs If-Match with the ETag read, e.g. If-Match: "
                    + etag(current["version"]),
                    code="precondition.required",
                )
            if edit_first():
                edited = copy.deepcopy(current["conditions"])
                leaf = _first_comparison(edited)
                leaf["expression"] = _nudge(leaf["expression"])
                self._update(current, current["name"], edited, OTHER_ADMIN)
            version = current["version"]
            if str(version) not in _if_match_versions(if_match):
                self._audit(action_id, actor, "FAILURE", version)
                raise ApiError(
                    409,
                    f"If-Match {if_match.strip()} is stale: data action {action_id} is at version "
                    f"{version} (ETag {etag(version)}); GET it again and re-apply",
                    headers={"ETag": etag(version)},
                )
            try:
                canonical = validate_conditions(tree, DATASETS_BY_ID)
            except ConditionError as exc:
                self._audit(action_id, actor, "FAILURE", version)
                raise ApiError(422, str(exc), code="invalid.conditions") from exc
            if canonical != current["conditions"] or name != current["name"]:
                self._update(current, name, canonical, actor)
            return copy.deepcopy(current)

    def _update(self, action: dict[str, Any], name: str, tree: dict[str, Any], actor: str) -> None:
        action.update(name=name, conditions=tree, version=action["version"] + 1)
        record = self._audit(action["id"], actor, "SUCCESS", action["version"])
        event = {
            "eventType": EVENT_UPDATED,
            "actionId": action["id"],
            "version": action["version"],
            "actorId": actor,
            "timestamp": record["timestamp"],
        }
        for webhook in self._webhooks.values():
            wanted = {e["eventType"] for e in webhook["events"]}
            if webhook["enabled"] and EVENT_UPDATED in wanted:
                self.sender.submit(webhook, event)

    # ---- audits ------------------------------------------------------------------------------

    def _audit(self, action_id: str, actor: str, status: str, version: int) -> dict[str, Any]:
        record = {
            "timestamp": iso_now(),
            "actorId": actor,
            "operation": "UPDATE",
            "status": status,
            "entityId": action_id,
            "eventType": EVENT_UPDATED,
            "version": version,
        }
        self._audits.append(record)
        self._save()
        return record

    def query_audits(self, body: Any) -> list[dict[str, Any]]:
        """Newest first, filtered on the query's `entityId` / `eventType`, at most `size`."""
        entity_id, event_type, size = _parse_audit_query(body)
        with self._lock:
            found = [
                dict(r)
                for r in reversed(self._audits)
                if (entity_id is None or r["entityId"] == entity_id)
                and (event_type is None or r["eventType"] == event_type)
            ]
        return found[:size]

    # ---- webhooks ----------------------------------------------------------------------------

    def register_webhook(self, body: Any) -> dict[str, Any]:
        webhook = _parse_webhook(body)
        webhook["id"] = str(uuid.uuid4())
        webhook["createdAt"] = iso_now()
        with self._lock:
            self._webhooks[webhook["id"]] = webhook
            self._save()
        return dict(webhook)

    def webhooks(self) -> list[dict[str, Any]]:
        """Every webhook without its secret, target header values masked (they may be keys)."""
        with self._lock:
            return [_public_webhook(w) for w in self._webhooks.values()]

    def delete_webhook(self, webhook_id: str) -> None:
        with self._lock:
            if self._webhooks.pop(webhook_id, None) is None:
                raise ApiError(404, f"webhook {webhook_id} not found")
            self._save()

    def close(self) -> None:
        with self._lock:
            self._closed = True
        self.sender.close()


def _parse_body(body: Any, current: dict[str, Any]) -> tuple[str, Any]:
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


def _parse_audit_query(body: Any) -> tuple[str | None, str | None, int]:
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


def _parse_webhook(body: Any) -> dict[str, Any]:
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


def _public_webhook(webhook: dict[str, Any]) -> dict[str, Any]:
    target = webhook["target"]
    masked = {name: "********" for name in target["headers"]}
    shown = {k: v for k, v in webhook.items() if k != "secret"}
    return {**shown, "target": {"url": target["url"], "headers": masked}}
