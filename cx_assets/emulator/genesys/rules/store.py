"""Data actions, their audit trail and the registered webhooks: one persisted, locked state.

State lives in `state_dir/data_actions/state.json` (rewritten atomically after each change), so a
restart keeps every action's conditions and version, the audit records and the webhooks (with
their signing secrets: server-side state, like the URL signing key). Datasets are fixed by the
seed and not persisted. A fresh state directory starts from `SEED_ACTIONS` at version 1.

The order of a PUT's checks: 404 unknown action, 400 unreadable body, 428 no `If-Match`, then
(the `concurrent_edit` switch's foreign edit), 409 stale `If-Match`, 422 invalid tree; 409 and
422 are audited FAILURE. A PUT that changes nothing answers 200 with the version kept and is
neither audited nor announced (nothing was updated). Request bodies are read by bodies.py, the
tree's 422 rules are validation.py's, and events go out through webhooks.py.
"""

from __future__ import annotations

import copy
import json
import os
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from cx_assets.emulator.config import EmulatorConfig
from cx_assets.emulator.errors import ApiError
from cx_assets.emulator.genesys.rules.bodies import (
    parse_audit_query,
    parse_body,
    parse_webhook,
    public_webhook,
)
from cx_assets.emulator.genesys.rules.seed import DATASETS_BY_ID, SEED_ACTIONS
from cx_assets.emulator.genesys.rules.validation import ConditionError, validate_conditions
from cx_assets.emulator.genesys.rules.webhooks import EVENT_UPDATED, WebhookSender
from cx_assets.emulator.stats import Stats
from cx_assets.emulator.values import is_iso_date

OTHER_ADMIN = "other-admin"


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
        edit_first: Callable[[], str | None] = lambda: None,
    ) -> dict[str, Any]:
        """Apply a PUT (see the module docstring for the order of checks); the action after it.

        `edit_first` is asked once the PUT is well-formed: not None (the `concurrent_edit`
        switch fired, answering its `match`) makes `other-admin` edit the action just before the
        PUT is checked against it: `name` renames it (` (edited)` appended), else the literal
        of its first comparison changes.
        """
        with self._lock:
            current = self._actions.get(action_id)
            if current is None:
                raise ApiError(404, f"data action {action_id} not found")
            name, tree = parse_body(body, current)
            if not if_match or if_match.strip() == "*":
                raise ApiError(
                    428,
                    "a PUT needs If-Match with the ETag read, e.g. If-Match: "
                    + etag(current["version"]),
                    code="precondition.required",
                )
            edit = edit_first()
            if edit == "name":
                renamed = current["name"] + " (edited)"
                self._update(current, renamed, current["conditions"], OTHER_ADMIN)
            elif edit is not None:
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
        entity_id, event_type, size = parse_audit_query(body)
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
        webhook = parse_webhook(body)
        webhook["id"] = str(uuid.uuid4())
        webhook["createdAt"] = iso_now()
        with self._lock:
            self._webhooks[webhook["id"]] = webhook
            self._save()
        return dict(webhook)

    def webhooks(self) -> list[dict[str, Any]]:
        """Every webhook without its secret, target header values masked (they may be keys)."""
        with self._lock:
            return [public_webhook(w) for w in self._webhooks.values()]

    def delete_webhook(self, webhook_id: str) -> None:
        with self._lock:
            if self._webhooks.pop(webhook_id, None) is None:
                raise ApiError(404, f"webhook {webhook_id} not found")
            self._save()

    def close(self) -> None:
        with self._lock:
            self._closed = True
        self.sender.close()
