"""Sensors: pick up dropped request files, and track filed requests to completion.

`privacy_requests_sensor` validates each dropped file, records it (or its rejection) in the audit
log, adds the partition and launches the submit run. `privacy_tracking_sensor` applies verified
webhook callbacks, polls due requests with per-request exponential backoff (state in the
catalog, not in a sleeping run) and launches each completed request's download exactly once.
"""

import contextlib
from collections.abc import Iterator

import dagster as dg

from cx_assets.catalog import privacy as cat
from cx_assets.defs.privacy.assets import download_job, submit_job
from cx_assets.defs.privacy.partitions import privacy_requests
from cx_assets.defs.resources import CatalogResource, GenesysCloudResource
from cx_assets.flows import privacy_requests as requests_folder
from cx_assets.flows.privacy import DEFAULT_POLL, PollPolicy, TickOutcome, track
from cx_assets.genesys.privacy.models import derive_request_id
from cx_assets.genesys.privacy.tutorial import PRIVACY_SCOPES, PrivacyClient
from cx_assets.lake.privacy import PrivacyArea
from cx_assets.receiver.server import PrivacyInbox


def pick_up_requests(
    instance: dg.DagsterInstance, genesys: GenesysCloudResource, catalog: CatalogResource
) -> tuple[list[str], list[str]]:
    """(accepted keys, rejected file names) for the files dropped since the last tick."""
    area = PrivacyArea(catalog.layout.root).ensure()
    known = set(instance.get_dynamic_partitions(privacy_requests.name or ""))
    accepted: list[str] = []
    rejected: list[str] = []
    for path in requests_folder.dropped_files(area):
        dropped = requests_folder.read_dropped(path)
        if dropped.request is not None and (dropped.key in known or dropped.key in accepted):
            dropped = requests_folder.DroppedRequest(
                path,
                dropped.key,
                None,
                [("file name", f"request {dropped.key!r} already exists: choose a new name")],
            )
        request_id = derive_request_id(dropped.key)
        if dropped.request is None:
            cat.reject(
                catalog.layout.catalog_path,
                partition_key=dropped.key,
                request_id=request_id,
                problems=dropped.problems,
                actor=genesys.client_id,
                origin="requests folder",
                record_state=dropped.key not in known,  # a duplicate name leaves the original
            )
            requests_folder.move_to_rejected(area, dropped)
            rejected.append(path.name)
            continue
        requests_folder.store_declared(area, dropped.key, dropped.request)
        cat.declare(
            catalog.layout.catalog_path,
            partition_key=dropped.key,
            request_id=request_id,
            summary=dropped.request.summary(),
            actor=genesys.client_id,
            origin="requests folder",
        )
        requests_folder.consume(path)
        accepted.append(dropped.key)
    return accepted, rejected


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
    accepted, rejected = pick_up_requests(context.instance, genesys, catalog)
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


class _LazyClient:
    """Opens the authenticated client only if a tick needs the API, and closes it after."""

    def __init__(self, genesys: GenesysCloudResource, stack: contextlib.ExitStack) -> None:
        self._genesys, self._stack, self._client = genesys, stack, None

    def __call__(self) -> PrivacyClient:
        if self._client is None:
            api = self._stack.enter_context(self._genesys.api_client(PRIVACY_SCOPES))
            self._client = PrivacyClient(api)
        return self._client


@contextlib.contextmanager
def _client_factory(genesys: GenesysCloudResource) -> Iterator[_LazyClient]:
    with contextlib.ExitStack() as stack:
        yield _LazyClient(genesys, stack)


def run_tracking_tick(
    genesys: GenesysCloudResource, catalog: CatalogResource, policy: PollPolicy = DEFAULT_POLL
) -> TickOutcome:
    area = PrivacyArea(catalog.layout.root)
    with _client_factory(genesys) as factory:
        return track(
            catalog.layout.catalog_path,
            PrivacyInbox(area),
            factory,
            actor=genesys.client_id,
            policy=policy,
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
    outcome = run_tracking_tick(genesys, catalog)
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
