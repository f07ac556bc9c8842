"""Outbound rule sets and contact list filters, their audit trail and audit queries: one
persisted, locked state in `<state dir>/outbound/state.json` (rewritten atomically on each
change), so a restart keeps every edit, audit and query. Contact lists and actions are the
seed's (read-only). A fresh state directory starts from the seed at version 1, each seeded
entity with one `Create` audit by `system`.

The order of a PUT's checks: 404 unknown id, 400 body not an object / no integer `version` /
an `id` not the path's, 400 validation (platform_validation), then the `concurrent_edit`
switch's admin-UI edit, then the version lock (409, or 400 under `version_conflict_400`;
audited FAILURE). A PUT that lands raises the version by one even when nothing changed.
"""

from __future__ import annotations

import copy
import json
import os
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cx_assets.emulator.errors import ApiError
from cx_assets.emulator.genesys.rules import platform_audits as audits
from cx_assets.emulator.genesys.rules.platform_checks import refuse
from cx_assets.emulator.genesys.rules.platform_enums import SERVER_MEMBERS
from cx_assets.emulator.genesys.rules.platform_filter_validation import contact_list_filter
from cx_assets.emulator.genesys.rules.platform_pointer import set_existing
from cx_assets.emulator.genesys.rules.platform_seed import (
    ADMIN_APPLICATION,
    ADMIN_USER,
    SYSTEM_USER,
    seed_filter,
    seed_rule_set,
)
from cx_assets.emulator.genesys.rules.platform_validation import rule_set

OUTBOUND = "/api/v2/outbound"


@dataclass(frozen=True)
class Kind:
    """One editable entity type: its admin name, state key, audit type, path and validator."""

    key: str
    state_key: str
    entity_type: str
    base: str
    label: str
    validate: Callable[[Any], dict[str, Any]]


RULE_SETS = Kind("ruleset", "ruleSets", "RuleSet", f"{OUTBOUND}/rulesets", "rule set", rule_set)
FILTERS = Kind(
    "contactlistfilter",
    "filters",
    "ContactListFilter",
    f"{OUTBOUND}/contactlistfilters",
    "contact list filter",
    contact_list_filter,
)
KINDS = {kind.key: kind for kind in (RULE_SETS, FILTERS)}
#: Who made a change: `{"client": {...}}` (API) or `{"user": {...}, "application": ...}` (admin UI).
Who = dict[str, Any]


def stale_message(sent: int, current: int) -> str:
    return f"The version supplied ({sent}) does not match the current version ({current})"


class OutboundStore:
    """Thread-safe: every route runs its store call in the thread pool."""

    def __init__(self, state_dir: Path) -> None:
        self.root = state_dir / "outbound"
        self.root.mkdir(parents=True, exist_ok=True)
        self.state_path = self.root / "state.json"
        self._lock = threading.RLock()
        self._closed = False
        if self.state_path.exists():
            self._state: dict[str, Any] = json.loads(self.state_path.read_text())
        else:
            self._state = {"ruleSets": {}, "filters": {}, "audits": [], "queries": {}}
            for kind, seeded in ((RULE_SETS, seed_rule_set()), (FILTERS, seed_filter())):
                system = {"user": dict(SYSTEM_USER)}
                self._create(kind, kind.validate(seeded), system, seeded["id"])
            self._save()

    def _save(self) -> None:
        if self._closed:  # a late request after shutdown must not clobber a restart's state
            return
        tmp = self.state_path.with_name(f".state.{os.getpid()}.{threading.get_ident()}.tmp")
        tmp.write_text(json.dumps(self._state, indent=1, ensure_ascii=False))
        os.replace(tmp, self.state_path)

    def _table(self, kind: Kind) -> dict[str, dict[str, Any]]:
        return self._state[kind.state_key]

    # ---- reads -------------------------------------------------------------------------------

    def entities(self, kind: Kind) -> list[dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(list(self._table(kind).values()))

    def get(self, kind: Kind, entity_id: str) -> dict[str, Any]:
        with self._lock:
            found = self._table(kind).get(entity_id)
            if found is None:
                raise ApiError(404, f"{kind.label} {entity_id} not found", code="not.found")
            return copy.deepcopy(found)

    # ---- writes ------------------------------------------------------------------------------

    def _checked(self, kind: Kind, body: Any, entity_id: str | None) -> dict[str, Any]:
        """The stored form of `body` (rule ids kept or given), its name free; else the 400."""
        kept = kind.validate(body)
        taken = {e["name"].casefold() for e in self._table(kind).values() if e["id"] != entity_id}
        if kept["name"].casefold() in taken:
            raise refuse("name", f"another {kind.label} is already named {kept['name']!r}")
        current = self._table(kind).get(entity_id or "", {})
        known = {r.get("id") for r in current.get("rules", [])}
        for rule in kept.get("rules", []):
            if rule.get("id") not in known:
                rule["id"] = str(uuid.uuid4())
        return kept

    def _store(
        self, kind: Kind, entity_id: str, kept: dict[str, Any], version: int, created: str
    ) -> dict[str, Any]:
        now = audits.iso_ms(time.time())
        entity = {"id": entity_id, "name": kept["name"], "version": version, **kept}
        entity.update(dateCreated=created, dateModified=now, selfUri=f"{kind.base}/{entity_id}")
        self._table(kind)[entity_id] = entity
        return entity

    def _create(self, kind: Kind, kept: dict[str, Any], who: Who, entity_id: str) -> dict[str, Any]:
        now = audits.iso_ms(time.time())
        entity = self._store(kind, entity_id, kept, 1, now)
        changes = audits.property_changes({}, entity, SERVER_MEMBERS)
        self._audit(kind, entity, "Create", "SUCCESS", who, changes)
        return copy.deepcopy(entity)

    def _update(self, kind: Kind, current: dict[str, Any], kept: dict[str, Any], who: Who) -> Any:
        entity = self._store(
            kind, current["id"], kept, current["version"] + 1, current["dateCreated"]
        )
        changes = audits.property_changes(current, entity, SERVER_MEMBERS)
        self._audit(kind, entity, "Update", "SUCCESS", who, changes)
        return copy.deepcopy(entity)

    def _audit(
        self, kind: Kind, entity: Any, action: str, status: str, who: Who, *rest: Any
    ) -> None:
        self._state["audits"].append(
            audits.record(kind.entity_type, entity, action, status, who, *rest)
        )
        self._save()

    def create(self, kind: Kind, body: Any, who: Who) -> dict[str, Any]:
        """`POST`: a new entity at version 1 (no `id` or `version` in the body)."""
        for member in ("id", "version"):
            if isinstance(body, dict) and body.get(member) is not None:
                raise refuse(member, f"must not be sent when creating a {kind.label}")
        with self._lock:
            return self._create(kind, self._checked(kind, body, None), who, str(uuid.uuid4()))

    def put(
        self,
        kind: Kind,
        entity_id: str,
        body: Any,
        who: Who,
        edit_first: Callable[[], dict[str, Any] | None],
        conflict_400: Callable[[], bool],
    ) -> dict[str, Any]:
        """A PUT, checked in the module docstring's order. `edit_first` answers the pointer sets
        of the admin-UI edit `concurrent_edit` makes first ({}: the default edit; None: none);
        `conflict_400` the `version_conflict_400` switch, asked only for a stale version."""
        with self._lock:
            current = self.get(kind, entity_id)
            if not isinstance(body, dict):
                raise refuse("body", f"must be a JSON object ({kind.entity_type})")
            sent = body.get("version")
            if sent is None:
                raise refuse("version", "is required: send the version last read")
            if isinstance(sent, bool) or not isinstance(sent, int):
                raise refuse("version", "must be an integer")
            if body.get("id") is not None and body["id"] != entity_id:
                raise refuse("id", f"{body['id']!r} is not the path's id {entity_id}")
            kept = self._checked(kind, body, entity_id)
            edit = edit_first()
            if edit is not None:  # {}: the default edit, the name gets " (edited)" appended
                sets = edit or {"/name": current["name"] + " (edited)"}
                self.admin_edit(kind, entity_id, sets, dict(ADMIN_USER))
                current = self.get(kind, entity_id)
            if sent != current["version"]:
                message = stale_message(sent, current["version"])
                self._audit(kind, current, "Update", "FAILURE", who, [], message)
                if conflict_400():
                    raise ApiError(400, message, code="bad.request", field="version")
                raise ApiError(409, message, code="conflict", field="version")
            return self._update(kind, current, kept, who)

    def admin_edit(
        self, kind: Kind, entity_id: str, sets: dict[str, Any], user: dict[str, Any]
    ) -> dict[str, Any]:
        """An edit "in the admin UI" by `user`: each pointer replaces an existing member."""
        with self._lock:
            current = self.get(kind, entity_id)
            edited = copy.deepcopy(current)
            for pointer, value in sets.items():
                if pointer.lstrip("/").split("/")[0] in SERVER_MEMBERS:
                    raise ApiError(400, f"{pointer} is a server-filled member: it cannot be set")
                set_existing(edited, pointer, value)
            kept = self._checked(kind, edited, entity_id)
            who = {"user": dict(user), "application": ADMIN_APPLICATION}
            return self._update(kind, current, kept, who)

    # ---- audit queries -----------------------------------------------------------------------

    def create_query(self, query: dict[str, Any], delay_s: float, failed: bool) -> dict[str, Any]:
        now = time.time()
        with self._lock:
            stored = {**query, "id": str(uuid.uuid4()), "createdAt": now, "delayS": delay_s}
            stored.update(failed=failed, auditCount=len(self._state["audits"]))
            self._state["queries"][stored["id"]] = stored
            self._save()
        return audits.answer(stored, "Queued")

    def query(self, transaction_id: str) -> dict[str, Any]:
        with self._lock:
            found = self._state["queries"].get(transaction_id)
        if found is None or time.time() - found["createdAt"] > audits.QUERY_LIFETIME_S:
            raise ApiError(404, f"audit query {transaction_id} not found", code="not.found")
        return found

    def results(self, query: dict[str, Any]) -> list[dict[str, Any]]:
        with self._lock:
            return audits.matching(query, self._state["audits"])

    def close(self) -> None:
        with self._lock:
            self._closed = True
