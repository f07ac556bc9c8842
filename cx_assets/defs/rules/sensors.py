"""React to `data.action.updated` events at once instead of waiting for the hourly drift check.

The shared webhook receiver stores verified events in `EventInbox`; this sensor turns each new
event for an action the repo manages into a run of `data_action_drift_job` limited to that
action's drift check. The run key is the event's id, so a redelivered event (re-signed, same
update) or a second tick never runs the check twice. An event is marked done, and audited in the
catalog with the run that checked it, only once that run exists in the instance: a tick whose
run requests are lost (a crash before the daemon submits them) simply asks again.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dagster as dg

from cx_assets.catalog.audit import append_audit
from cx_assets.catalog.connection import write_transaction
from cx_assets.defs.resources import CatalogResource
from cx_assets.defs.rules.checks import LIVE_MATCHES_REPO
from cx_assets.defs.rules.rule_files import asset_key_for, rule_files
from cx_assets.defs.rules.schedules import drift_job
from cx_assets.flows.rules_audit import FLOW
from cx_assets.receiver.events import EventInbox, InboxEvent

RUN_KEY_PREFIX = "data-action-event"
#: Dagster's own tag for a sensor run's key (dagster._core.storage.tags.RUN_KEY_TAG).
RUN_KEY_TAG = "dagster/run_key"
ACTOR = "genesys-webhook"


def run_key_for(event_id: str) -> str:
    return f"{RUN_KEY_PREFIX}:{event_id}"


def drift_check_key(path: Path) -> dg.AssetCheckKey:
    return dg.AssetCheckKey(asset_key_for(path), LIVE_MATCHES_REPO)


@dataclass
class EventTick:
    run_requests: list[dg.RunRequest] = field(default_factory=list)
    done: int = 0
    not_in_repo: list[str] = field(default_factory=list)
    rejected: int = 0


def _existing_run_id(instance: dg.DagsterInstance, run_key: str) -> str | None:
    records = instance.get_run_records(dg.RunsFilter(tags={RUN_KEY_TAG: run_key}), limit=1)
    return records[0].dagster_run.run_id if records else None


def _audit_entry(entry: InboxEvent, outcome: str, run_id: str | None) -> dict[str, Any]:
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


def process_events(
    instance: dg.DagsterInstance,
    data_root: Path,
    catalog_path: Path,
    rules: Mapping[str, Path] | None = None,
) -> EventTick:
    """One tick: the runs to request now; events whose run exists (or that no rule file
    manages) are audited and moved to done. No Dagster context needed, so it is tested as is."""
    rules = {p.stem: p for p in rule_files()} if rules is None else rules
    inbox = EventInbox(data_root)
    tick = EventTick()
    audits: list[dict[str, Any]] = []
    rejections = inbox.rejections()
    for _, note in rejections:
        details = {"outcome": "refused", "reason": note["reason"], "t": note.get("t")}
        audits.append({"entity": "webhook", "actor": ACTOR, "details": details})
    tick.rejected = len(rejections)
    requested: set[str] = set()
    finished: list[InboxEvent] = []
    for entry in inbox.pending():
        event = entry.event
        rule = rules.get(event.action_id)
        run_key = run_key_for(event.event_id)
        if rule is None:
            audits.append(_audit_entry(entry, "not managed by a rule file", None))
            tick.not_in_repo.append(event.action_id)
            finished.append(entry)
            continue
        run_id = _existing_run_id(instance, run_key)
        if run_id is not None:
            audits.append(_audit_entry(entry, "drift check launched", run_id))
            finished.append(entry)
        elif run_key not in requested:  # a redelivery in the same tick: one request
            requested.add(run_key)
            tick.run_requests.append(
                dg.RunRequest(
                    run_key=run_key,
                    job_name=drift_job.name,
                    asset_selection=[],
                    asset_check_keys=[drift_check_key(rule)],
                    tags={"cx/data_action": event.action_id, "cx/version": str(event.version)},
                )
            )
    if audits:
        with write_transaction(catalog_path) as con:
            for audit in audits:
                append_audit(con, flow=FLOW, action="event_received", **audit)
    for path, _ in rejections:
        inbox.mark_rejection_audited(path)
    for entry in finished:  # after the audit commit: a crash before it re-audits, never loses
        inbox.mark_done(entry)
    tick.done = len(finished)
    return tick


@dg.sensor(
    name="data_action_events_sensor",
    job=drift_job,
    minimum_interval_seconds=15,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Runs the drift check of a data action as soon as the webhook receiver records a "
    "data.action.updated event for it (one run per event).",
)
def data_action_events_sensor(
    context: dg.SensorEvaluationContext, catalog: CatalogResource
) -> dg.SensorResult | dg.SkipReason:
    tick = process_events(context.instance, catalog.layout.root, catalog.layout.catalog_path)
    if tick.not_in_repo:
        context.log.info(f"Events for actions no rule file manages: {sorted(tick.not_in_repo)}")
    if tick.rejected:
        context.log.warning(f"{tick.rejected} refused webhook delivery(ies) audited")
    if not tick.run_requests:
        return dg.SkipReason(f"no new data action events ({tick.done} marked done)")
    return dg.SensorResult(run_requests=tick.run_requests)
