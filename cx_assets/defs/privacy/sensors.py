"""Sensors: pick up dropped request files, and track filed requests to completion.

`privacy_requests_sensor` validates each dropped file, records it (or its rejection) in the audit
log, adds the partition and launches the submit run. `privacy_tracking_sensor` applies verified
webhook callbacks, polls due requests with per-request exponential backoff (state in the
catalog, not in a sleeping run) and launches each completed request's download exactly once.
Both steps live in `cx_assets.flows` (`privacy_requests.pick_up_requests`,
`privacy.run_tracking_tick`); the sensors turn their outcomes into run requests, partitions and
skip reasons.
"""

import dagster as dg

from cx_assets.defs.privacy.assets import download_job, submit_job
from cx_assets.defs.privacy.partitions import privacy_requests
from cx_assets.defs.resources import CatalogResource, GenesysCloudResource
from cx_assets.flows.privacy import run_tracking_tick
from cx_assets.flows.privacy_requests import pick_up_requests


@dg.sensor(
    name="privacy_requests_sensor",
    job=submit_job,
    minimum_interval_seconds=15,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Picks up privacy request files (YAML/JSON) dropped in the requests folder.",
)
def privacy_requests_sensor(
    context: dg.SensorEvaluationContext, genesys: GenesysCloudResource, catalog: CatalogResource
) -> dg.SensorResult | dg.SkipReason:
    known = set(context.instance.get_dynamic_partitions(privacy_requests.name or ""))
    picked = pick_up_requests(catalog.layout, known, genesys.client_id)
    accepted, rejected = picked.accepted, picked.rejected
    if rejected:
        context.log.warning(f"Rejected request file(s): {', '.join(rejected)} (see rejected/)")
    if not accepted:
        return dg.SkipReason(f"no new request files ({len(rejected)} rejected)")
    return dg.SensorResult(
        run_requests=[
            dg.RunRequest(partition_key=key, run_key=f"privacy-submit-{key}") for key in accepted
        ],
        dynamic_partitions_requests=[privacy_requests.build_add_request(accepted)],
    )


@dg.sensor(
    name="privacy_tracking_sensor",
    job=download_job,
    minimum_interval_seconds=10,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Follows filed privacy requests (webhook callbacks + polling with backoff) and "
    "launches each completed request's download once.",
)
def privacy_tracking_sensor(
    context: dg.SensorEvaluationContext, genesys: GenesysCloudResource, catalog: CatalogResource
) -> dg.SensorResult | dg.SkipReason:
    outcome = run_tracking_tick(genesys, catalog.layout)
    for error in outcome.errors:
        context.log.warning(f"status poll failed, will retry with backoff: {error}")
    if not outcome.downloads:
        return dg.SkipReason(
            f"polled {len(outcome.polled)}, {outcome.callbacks} callback(s), nothing completed"
        )
    return dg.SensorResult(
        run_requests=[
            dg.RunRequest(partition_key=key, run_key=f"privacy-download-{key}")
            for key in outcome.downloads
        ]
    )
