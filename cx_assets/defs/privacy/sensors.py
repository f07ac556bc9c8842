"""Sensors: pick up dropped request files, and track filed requests to completion.

`privacy_requests_sensor` validates each dropped file, records it (or its rejection) in the audit
log, adds the partition and requests the submit run under a claim; the file is removed on a
later tick, once that run exists. `privacy_tracking_sensor` applies verified webhook callbacks
(tutorial mode), polls due requests with per-request exponential backoff (state in the catalog,
not in a sleeping run) and requests each completed request's download under a claim. Both
reconcile their claims with Dagster's runs every tick: a run that failed, was cancelled or never
started hands its claim back (audited) and is requested again, a few times at most. The steps
live in `cx_assets.flows` (`privacy_requests.pick_up_requests`, `privacy.run_tracking_tick`);
the sensors turn their outcomes into run requests, partitions, skip reasons and observations of
each status change on the `privacy_request` partition. Run requests
carry only the partition key and the claim, never a subject identifier.
"""

from collections.abc import Sequence

import dagster as dg

from cx_assets.defs.policies import OWNERS
from cx_assets.defs.privacy.assets import SUBMIT, download_job, submit_job
from cx_assets.defs.privacy.ledger import DagsterRunLedger, claim_tags
from cx_assets.defs.privacy.partitions import privacy_requests
from cx_assets.defs.resources import CatalogResource, GenesysCloudResource
from cx_assets.flows.privacy import FLOW, StatusChange, run_tracking_tick
from cx_assets.flows.privacy_claims import Launch
from cx_assets.flows.privacy_requests import pick_up_requests


def _run_requests(launches: Sequence[Launch]) -> list[dg.RunRequest]:
    return [
        dg.RunRequest(
            partition_key=launch.partition_key,
            run_key=launch.run_key,
            tags=claim_tags(launch.claim),
        )
        for launch in launches
    ]


@dg.sensor(
    name="privacy_requests_sensor",
    job=submit_job,
    minimum_interval_seconds=15,
    metadata={"owners": ", ".join(OWNERS)},
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="On by default, every 15 s: picks up privacy request files (YAML/JSON) dropped "
    "in <data root>/privacy/requests/, adds a partition per request and requests each one's "
    "submit run (again, a few times at most, if a run dies); a rejected file moves to rejected/ "
    "with its reason audited. Safe with the emulator: it only reads the local folder.",
)
def privacy_requests_sensor(
    context: dg.SensorEvaluationContext, genesys: GenesysCloudResource, catalog: CatalogResource
) -> dg.SensorResult | dg.SkipReason:
    known = set(context.instance.get_dynamic_partitions(privacy_requests.name or ""))
    ledger = DagsterRunLedger(context.instance)
    picked = pick_up_requests(catalog.layout, genesys.mode_for(FLOW), genesys.client_id, ledger)
    if picked.rejected:
        context.log.warning(f"Rejected request file(s): {', '.join(picked.rejected)} (rejected/)")
    for note in picked.released:
        context.log.warning(f"submit claim handed back: {note}")
    if not picked.launches:
        return dg.SkipReason(
            f"no submit to request ({len(picked.declared)} declared, {len(picked.rejected)} "
            f"rejected, {len(picked.consumed)} request file(s) consumed)"
        )
    added = picked.partitions_to_add(known)
    return dg.SensorResult(
        run_requests=_run_requests(picked.launches),
        dynamic_partitions_requests=[privacy_requests.build_add_request(added)] if added else [],
    )


@dg.sensor(
    name="privacy_tracking_sensor",
    job=download_job,
    minimum_interval_seconds=10,
    metadata={"owners": ", ".join(OWNERS)},
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="On by default, every 10 s: follows filed privacy requests (polling with "
    "per-request backoff; signed callbacks in tutorial mode), records each status change as an "
    "observation of the privacy_request partition (server_status) and requests each completed "
    "export's download once. With nothing filed it makes no request.",
)
def privacy_tracking_sensor(
    context: dg.SensorEvaluationContext, genesys: GenesysCloudResource, catalog: CatalogResource
) -> dg.SensorResult | dg.SkipReason:
    outcome = run_tracking_tick(genesys, catalog.layout, DagsterRunLedger(context.instance))
    for error in outcome.errors:
        context.log.warning(f"status poll failed, will retry with backoff: {error}")
    for note in outcome.released:
        context.log.warning(f"download claim handed back: {note}")
    if outcome.rejected_callbacks:
        context.log.warning(f"{outcome.rejected_callbacks} refused callback(s) audited (summary)")
    changes = [_observed(change) for change in outcome.changes]
    if not outcome.launches and not changes:
        return dg.SkipReason(
            f"polled {len(outcome.polled)}, {outcome.callbacks} callback(s), no download to request"
        )
    return dg.SensorResult(run_requests=_run_requests(outcome.launches), asset_events=changes)


def _observed(change: StatusChange) -> dg.AssetObservation:
    """A status change as an observation of the request's partition, under the materialisation's
    own key `server_status`: the UI shows an entry's newest value (an observation after the
    submit run wins), so the partition's metadata reads the current status (INITIATED ->
    SEARCHING -> COMPLETED) instead of the one the submit run saw."""
    return dg.AssetObservation(
        asset_key=SUBMIT,
        partition=change.partition_key,
        metadata={
            "server_status": change.after,
            "previous_status": change.before or "none",
            "status_via": change.source,
        },
    )
