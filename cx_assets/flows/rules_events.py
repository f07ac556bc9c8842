"""One tick over the webhook receiver's `data.action.updated` inbox: audit, decide, mark done.

The step `data_action_events_sensor` runs, kept here (no Dagster) so it is tested as is. Each
new event for an action a rule file manages becomes a request for a drift check, keyed by the
event's id, so a redelivered event (re-signed, same update) or a second tick never asks twice.
An event is marked done, and audited in the catalog with the run that checked it, only once that
run exists: the caller says so through `existing_run_id` (it knows the orchestrator's runs), so a
tick whose requests were lost (a crash before they were submitted) simply asks again. Events for
actions no rule file manages are audited and set aside without a run; refused deliveries are
audited as one summary entry per tick, only when there were any (`flows.webhook_refusals`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cx_assets.catalog.audit import append_audit
from cx_assets.catalog.connection import write_transaction
from cx_assets.flows.rules_audit import FLOW
from cx_assets.flows.webhook_refusals import summarise_refusals
from cx_assets.receiver.events import EVENTS_PATH, EventInbox, InboxEvent

RUN_KEY_PREFIX = "data-action-event"
ACTOR = "genesys-webhook"


def run_key_for(event_id: str) -> str:
    return f"{RUN_KEY_PREFIX}:{event_id}"


@dataclass(frozen=True)
class DriftRequest:
    """A drift check to run now for one event: `rule_file` is the rule of `action_id`."""

    run_key: str
    action_id: str
    version: int
    rule_file: Path


@dataclass
class EventsTick:
    """What one tick decided: checks to request, events moved to done, actions no rule file
    manages, and how many refused deliveries its summary entry audited."""

    requests: list[DriftRequest] = field(default_factory=list)
    done: int = 0
    not_in_repo: list[str] = field(default_factory=list)
    rejected: int = 0


def audit_entry(entry: InboxEvent, outcome: str, run_id: str | None) -> dict[str, Any]:
    """The `event_received` audit entry (entity, actor, details) of one inbox event."""
    event = entry.event
    return {
        "entity": event.action_id,
        "actor": event.actor_id or "unknown",
        "details": {
            "event_type": event.event_type,
            "version": event.version,
            "updated_at": event.timestamp,
            "t": entry.signed_at,
            "received_at": entry.received_at,
            "run_key": run_key_for(event.event_id),
            "run_id": run_id,
            "outcome": outcome,
        },
    }


def process_inbox(
    data_root: Path,
    catalog_path: Path,
    rules: Mapping[str, Path],
    existing_run_id: Callable[[str], str | None],
) -> EventsTick:
    """One tick: the drift checks to request now (`rules` maps action id -> rule file); events
    whose run exists (`existing_run_id(run_key)`) or that no rule file manages are audited and
    moved to done, refusals since the last summary audited as one entry."""
    inbox = EventInbox(data_root)
    tick = EventsTick()
    audits: list[dict[str, Any]] = []
    summary = summarise_refusals(
        catalog_path,
        inbox.refusals_path,
        flow=FLOW,
        route=EVENTS_PATH,
        actor=ACTOR,
        legacy_notes=inbox.legacy_rejections(),
        drop_legacy=inbox.drop_legacy_rejections,
    )
    tick.rejected = summary.total if summary else 0
    requested: set[str] = set()
    finished: list[InboxEvent] = []
    for entry in inbox.pending():
        event = entry.event
        rule = rules.get(event.action_id)
        run_key = run_key_for(event.event_id)
        if rule is None:
            audits.append(audit_entry(entry, "not managed by a rule file", None))
            tick.not_in_repo.append(event.action_id)
            finished.append(entry)
            continue
        run_id = existing_run_id(run_key)
        if run_id is not None:
            audits.append(audit_entry(entry, "drift check launched", run_id))
            finished.append(entry)
        elif run_key not in requested:  # a redelivery in the same tick: one request
            requested.add(run_key)
            tick.requests.append(DriftRequest(run_key, event.action_id, event.version, rule))
    if audits:
        with write_transaction(catalog_path) as con:
            for audit in audits:
                append_audit(con, flow=FLOW, action="event_received", **audit)
    for entry in finished:  # after the audit commit: a crash before it re-audits, never loses
        inbox.mark_done(entry)
    inbox.prune_done(time.time())
    tick.done = len(finished)
    return tick
