"""React to `data.action.updated` events at once instead of waiting for the hourly drift check.

The shared webhook receiver stores verified events in `EventInbox`; this sensor turns each new
event for an action the repo manages into a run of `data_action_drift_job` limited to that
action's drift check. The run key is the event's id, so a redelivered event (re-signed, same
update) or a second tick never runs the check twice. The tick itself (audit, decide, mark done)
is `flows.rules_events.process_inbox`; this module answers its one question that needs the
Dagster instance (does the run of this key exist yet?) and turns its decisions into run requests.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg

from cx_assets.defs.policies import OWNERS
from cx_assets.defs.resources import CatalogResource
from cx_assets.defs.rules.checks import LIVE_MATCHES_REPO
from cx_assets.defs.rules.rule_files import asset_key_for, rule_files
from cx_assets.defs.rules.schedules import drift_job
from cx_assets.flows.rules_events import DriftRequest, process_inbox

#: Dagster's own tag for a sensor run's key (dagster._core.storage.tags.RUN_KEY_TAG).
RUN_KEY_TAG = "dagster/run_key"


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


def _run_request(request: DriftRequest) -> dg.RunRequest:
    return dg.RunRequest(
        run_key=request.run_key,
        job_name=drift_job.name,
        asset_selection=[],
        asset_check_keys=[drift_check_key(request.rule_file)],
        tags={"cx/data_action": request.action_id, "cx/version": str(request.version)},
    )


def process_events(
    instance: dg.DagsterInstance,
    data_root: Path,
    catalog_path: Path,
    rules: Mapping[str, Path] | None = None,
) -> EventTick:
    """One tick: the runs to request now; events whose run exists (or that no rule file
    manages) are audited and moved to done. No Dagster context needed, so it is tested as is."""
    rules = {p.stem: p for p in rule_files()} if rules is None else rules
    tick = process_inbox(
        data_root, catalog_path, rules, lambda run_key: _existing_run_id(instance, run_key)
    )
    return EventTick(
        run_requests=[_run_request(r) for r in tick.requests],
        done=tick.done,
        not_in_repo=tick.not_in_repo,
        rejected=tick.rejected,
    )


@dg.sensor(
    name="data_action_events_sensor",
    job=drift_job,
    minimum_interval_seconds=15,
    metadata={"owners": ", ".join(OWNERS)},
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="On by default, every 15 s: runs the drift check of a data action as soon as the "
    "webhook receiver records a data.action.updated event for it (one run of "
    "data_action_drift_job per event; the run fails if the action drifted). With no events it "
    "starts nothing, so it is safe with the emulator.",
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
