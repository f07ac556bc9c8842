"""Contract: what the UI shows as a privacy request's `server_status` is its current status. The
submit run records the status at filing; each tick of `privacy_tracking_sensor` (evaluated with
a real context and its asset events stored as the daemon stores them) records every later change
as an observation of the request's partition under the same key, so the newest `server_status`
(the value the UI's metadata table shows) reads COMPLETED once the request completed, with the
previous status and how the change was seen."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from cx_assets.defs.privacy import ASSETS
from cx_assets.defs.privacy.assets import SUBMIT
from cx_assets.defs.privacy.sensors import privacy_tracking_sensor
from cx_assets.lake.privacy import PrivacyArea
from cx_assets_tests.e2e.pipeline_testkit import Pipeline, running_pipeline
from cx_assets_tests.e2e.privacy_testkit import SUBMIT_JOB, execute, requests_tick

KEY = "dsar-status"


@pytest.fixture
def pipeline(tmp_path: Path) -> Iterator[Pipeline]:
    with running_pipeline(tmp_path) as pipeline:
        yield pipeline


def _file_request(pipeline: Pipeline) -> dg.ExecuteInProcessResult:
    area = PrivacyArea(pipeline.data_dir)
    area.requests_dir.mkdir(parents=True, exist_ok=True)
    (area.requests_dir / f"{KEY}.json").write_text(
        json.dumps(
            {
                "entityType": "user",
                "entityId": "subject-user-4410",
                "dataTypes": ["profile"],
                "format": "json",
                "timeRange": {"start": "2024-03-01T00:00:00Z", "end": "2024-03-05T00:00:00Z"},
            }
        )
    )
    result = requests_tick(pipeline)
    assert isinstance(result, dg.SensorResult), result
    [request] = result.run_requests or []
    return execute(pipeline, SUBMIT_JOB, request)


def _tracking_ticks_until_download(pipeline: Pipeline) -> None:
    """Sensor ticks, their observations stored as the daemon stores a sensor's asset events."""
    for _ in range(300):
        context = dg.build_sensor_context(
            instance=pipeline.instance, resources=pipeline.resources()
        )
        result = privacy_tracking_sensor(context)
        if isinstance(result, dg.SensorResult):
            for event in result.asset_events or []:
                pipeline.instance.report_runless_asset_event(event)
            if result.run_requests:
                return
        time.sleep(0.05)
    raise AssertionError(f"{KEY} never completed")


def _metadata(event: dg.EventLogRecord) -> dict[str, object]:
    asset_event = event.asset_materialization or event.asset_observation
    assert asset_event is not None
    return {k: getattr(v, "value", v) for k, v in asset_event.metadata.items()}


def test_the_newest_server_status_is_the_current_one(pipeline: Pipeline) -> None:
    submitted = _file_request(pipeline)
    assert submitted.success
    [materialization] = pipeline.instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=dg.AssetKey(SUBMIT), asset_partitions=[KEY]), limit=1
    ).records
    at_filing = _metadata(materialization)["server_status"]
    assert at_filing != "COMPLETED"

    _tracking_ticks_until_download(pipeline)
    observations = pipeline.instance.fetch_observations(
        dg.AssetRecordsFilter(asset_key=dg.AssetKey(SUBMIT), asset_partitions=[KEY]), limit=10
    ).records
    assert observations, "the tracking sensor recorded no status change"
    newest = _metadata(observations[0])  # newest first, as the UI shows it
    assert newest["server_status"] == "COMPLETED"
    assert newest["status_via"] == "poll"
    assert observations[0].timestamp > materialization.timestamp
    oldest = _metadata(observations[-1])
    assert oldest["previous_status"] == at_filing  # the chain starts where filing left it


def test_the_description_says_where_the_current_status_is() -> None:
    [request_asset] = [a for a in ASSETS if a.key == dg.AssetKey(SUBMIT)]
    description = request_asset.descriptions_by_key[dg.AssetKey(SUBMIT)]
    assert "server_status" in description and "privacy_tracking_sensor" in description
