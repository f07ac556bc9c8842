"""Privacy requests in platform mode through Dagster against the emulator's GDPR API
(`/api/v2/gdpr/requests`): a request file with an email address and a phone number is filed
once as a GDPR_EXPORT (even when the submit run runs twice, or the create's answer is lost),
completed by polling (there is no callback), and every results file lands verified in one
owner-only folder with a manifest; ERROR ends FAILED with the reason; GDPR_DELETE is refused
without `confirm` and filed, audited, with it; a missing permission names it; a download run
that fails is handed back and launched again; one that takes days is polled with a backoff
from seconds to hourly. Afterwards no subject identifier is anywhere in
Dagster's storage, the run config, the catalog or the lake."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import stat
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
import yaml

from cx_assets import settings
from cx_assets.catalog import privacy as cat
from cx_assets.defs.privacy.partitions import privacy_requests
from cx_assets.defs.privacy.sensors import privacy_tracking_sensor
from cx_assets.flows.privacy import PLATFORM_POLL
from cx_assets.genesys.privacy.models import derive_request_id
from cx_assets.lake.privacy import PrivacyArea
from cx_assets.lake.verified_download import sha256_file
from cx_assets_tests.e2e.pipeline_testkit import Pipeline, running_pipeline
from cx_assets_tests.e2e.privacy_testkit import (
    SUBMIT_JOB,
    execute,
    launch_downloads,
    requests_tick,
    tick_until_download,
    tracking_tick,
)

pytestmark = pytest.mark.integration
PLATFORM = {"api_mode": "platform"}
EMAIL, PHONE = "jane.doe.7731@example.com", "+46701237731"
RESULTS_FILES = 3


@pytest.fixture
def pipeline(tmp_path: Path) -> Iterator[Pipeline]:
    with running_pipeline(tmp_path, gdpr_step_s=0.02, gdpr_results_files=RESULTS_FILES) as running:
        yield running


def _drop(pipeline: Pipeline, key: str, **body: Any) -> Path:
    request = {"subject": {"emailAddresses": [EMAIL], "phoneNumbers": [PHONE]}, **body}
    area = PrivacyArea(pipeline.data_dir)
    area.requests_dir.mkdir(parents=True, exist_ok=True)
    path = area.requests_dir / f"{key}.yaml"
    path.write_text(yaml.safe_dump(request))
    return path


def _submit_request(pipeline: Pipeline, key: str) -> dg.RunRequest:
    """The submit run the requests sensor asks for `key`."""
    result = requests_tick(pipeline, **PLATFORM)
    assert isinstance(result, dg.SensorResult), result
    [request] = [r for r in result.run_requests or [] if r.partition_key == key]
    return request


def _submit(pipeline: Pipeline, key: str) -> dg.ExecuteInProcessResult:
    return execute(pipeline, SUBMIT_JOB, _submit_request(pipeline, key), **PLATFORM)


def _filed(pipeline: Pipeline) -> list[dict[str, Any]]:
    return list(pipeline.emulator.stats().get("gdpr_requests", []))


def _actions(pipeline: Pipeline, key: str) -> list[str]:
    return [e["action"] for e in cat.trail(pipeline.catalog_path, derive_request_id(key))]


def _files_under(root: Path, skip: tuple[Path, ...] = ()) -> Iterator[Path]:
    for path in root.rglob("*"):
        if path.is_file() and not any(path.is_relative_to(s) for s in skip):
            yield path


def _holding(paths: Iterator[Path], needles: tuple[str, ...]) -> list[str]:
    """Files whose bytes hold any needle (case-blind; UTF-8 as SQLite and JSON store text)."""
    wanted = [n.lower().encode() for n in needles]
    return [str(p) for p in paths if any(w in p.read_bytes().lower() for w in wanted)]


def test_a_gdpr_export_by_polling_lands_verified_and_leaves_no_identifier_behind(
    pipeline: Pipeline,
) -> None:
    dropped = _drop(pipeline, "dsar-platform")
    request = _submit_request(pipeline, "dsar-platform")
    first = execute(pipeline, SUBMIT_JOB, request, **PLATFORM)
    again = execute(pipeline, SUBMIT_JOB, request, **PLATFORM)  # the same run, re-executed
    assert first.success and again.success
    requests_tick(pipeline, **PLATFORM)
    assert not dropped.exists()  # consumed once its run existed
    assert [r["requestType"] for r in _filed(pipeline)] == ["GDPR_EXPORT"]

    ticks = tick_until_download(pipeline, "dsar-platform", **PLATFORM)
    assert all(not t.errors for t in ticks)
    # Found by polling (the GDPR API has no callback); how many polls depends on the clock.
    assert [c.source for t in ticks for c in t.changes][-1] == "poll"
    [download] = launch_downloads(pipeline, ticks[-1], **PLATFORM)
    [check] = download.get_asset_check_evaluations()
    assert download.success and check.passed, check.metadata

    row = cat.request_row(pipeline.catalog_path, "dsar-platform")
    assert row is not None and (row.status, row["completion_source"]) == ("DELIVERED", "poll")
    assert row["server_request_id"] == _filed(pipeline)[0]["id"]
    folder = pipeline.data_dir / row["export_path"]
    assert folder == pipeline.data_dir / "privacy" / "exports" / "dsar-platform"
    manifest = json.loads((folder / "manifest.json").read_text())
    assert sha256_file(folder / "manifest.json") == row["sha256"]
    assert len(manifest["files"]) == RESULTS_FILES
    for entry in manifest["files"]:
        path = folder / entry["name"]
        assert sha256_file(path) == entry["sha256"] and path.stat().st_size == entry["size"]
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert row["record_count"] and row["record_count"] > 0
    actions = _actions(pipeline, "dsar-platform")
    assert actions.count("submitted") == 1 and actions.count("verified") == 1
    assert "status_changed" in actions and "callback_received" not in actions

    # The export mentions the subject (it is their data); nothing else we keep may.
    exported = (folder / manifest["files"][0]["name"]).read_text()
    assert EMAIL in exported or PHONE in exported
    needles = (EMAIL, PHONE, PHONE.lstrip("+"))
    home = pipeline.data_dir.parent / "dagster_home"
    runs = pipeline.instance.get_run_records()
    # the scan reads Dagster's SQLite storage: it finds what the runs did store (their ids)
    assert _holding(_files_under(home), (runs[0].dagster_run.run_id,))
    assert _holding(_files_under(home), needles) == []
    privacy_area = pipeline.data_dir / "privacy"
    assert _holding(_files_under(pipeline.data_dir, skip=(privacy_area,)), needles) == []
    config = json.dumps([r.dagster_run.run_config for r in runs]) + json.dumps(
        [dict(r.dagster_run.tags) for r in runs]
    )
    assert len(runs) >= 3 and not [n for n in needles if n in config]
    logs = " ".join(
        f"{entry.user_message} {entry.dagster_event}"
        for record in runs
        for entry in pipeline.instance.all_logs(record.dagster_run.run_id)
    )
    assert logs and not [n for n in needles if n in logs]


def test_a_lost_create_answer_is_found_not_filed_again(pipeline: Pipeline) -> None:
    pipeline.emulator.add_faults({"kind": "gdpr_drop_after_create", "count": 1})
    _drop(pipeline, "dsar-lost")
    assert _submit(pipeline, "dsar-lost").success  # the answer was lost; the listing has it
    [filed] = _filed(pipeline)
    row = cat.request_row(pipeline.catalog_path, "dsar-lost")
    assert row is not None and row["server_request_id"] == filed["id"]
    [submitted] = [
        e for e in cat.trail(pipeline.catalog_path, row.request_id) if e["action"] == "submitted"
    ]
    assert submitted["details"]["outcome"] == "found after its answer was lost"
    assert pipeline.emulator.admin.faults()["fired"]["gdpr_drop_after_create"] == 1


def test_error_ends_failed_with_the_reason(pipeline: Pipeline) -> None:
    pipeline.emulator.add_faults({"kind": "gdpr_error", "count": 1})
    _drop(pipeline, "dsar-error")
    assert _submit(pipeline, "dsar-error").success
    for _ in range(200):
        assert tracking_tick(pipeline, **PLATFORM).downloads == []
        row = cat.request_row(pipeline.catalog_path, "dsar-error")
        if row is not None and row.status == "FAILED":
            break
        time.sleep(0.02)
    assert row is not None and (row.status, row["server_status"]) == ("FAILED", "ERROR")
    assert "ERROR" in row["failure_reason"]


def test_gdpr_delete_needs_confirm_and_is_audited(pipeline: Pipeline) -> None:
    _drop(pipeline, "dsar-delete-unconfirmed", requestType="GDPR_DELETE")
    assert isinstance(requests_tick(pipeline, **PLATFORM), dg.SkipReason)
    area = PrivacyArea(pipeline.data_dir)
    reason = (area.rejected_requests_dir / "dsar-delete-unconfirmed.yaml.reason.txt").read_text()
    assert "confirm: requestType GDPR_DELETE erases" in reason
    assert "confirm: GDPR_DELETE" in reason
    assert _filed(pipeline) == []
    assert "dsar-delete-unconfirmed" not in pipeline.instance.get_dynamic_partitions(
        privacy_requests.name or ""
    )

    _drop(pipeline, "dsar-delete", requestType="GDPR_DELETE", confirm="GDPR_DELETE")
    assert _submit(pipeline, "dsar-delete").success
    assert [r["requestType"] for r in _filed(pipeline)] == ["GDPR_DELETE"]
    row = cat.request_row(pipeline.catalog_path, "dsar-delete")
    assert row is not None and row["request_type"] == "GDPR_DELETE"
    [validated] = [
        e for e in cat.trail(pipeline.catalog_path, row.request_id) if e["action"] == "validated"
    ]
    assert "GDPR_DELETE" in json.dumps(validated["details"])
    for _ in range(200):  # completed, and nothing to download
        assert tracking_tick(pipeline, **PLATFORM).downloads == []
        row = cat.request_row(pipeline.catalog_path, "dsar-delete")
        if row is not None and row.status == "COMPLETED":
            break
        time.sleep(0.02)
    assert row is not None and row.status == "COMPLETED"


def test_a_missing_permission_is_named(tmp_path: Path) -> None:
    lacking = {settings.EMULATOR_CLIENT_ID: ["gdpr:request:view"]}
    with running_pipeline(tmp_path, client_permissions=lacking) as pipeline:
        _drop(pipeline, "dsar-403")
        result = _submit(pipeline, "dsar-403")
        assert not result.success
        failure = " ".join(
            str(event.step_failure_data.error) for event in result.get_step_failure_events()
        )
        assert "gdpr:request:add" in failure
        assert _filed(pipeline) == []


def test_a_failed_download_run_is_handed_back_and_launched_again(pipeline: Pipeline) -> None:
    _drop(pipeline, "dsar-retry")
    assert _submit(pipeline, "dsar-retry").success
    ticks = tick_until_download(pipeline, "dsar-retry", **PLATFORM)
    # every attempt of the first run is cut short (the client tries each file 3 times)
    pipeline.emulator.add_faults({"kind": "drop_connection", "count": 3})
    [failed] = launch_downloads(pipeline, ticks[-1], **PLATFORM)
    assert not failed.success
    row = cat.request_row(pipeline.catalog_path, "dsar-retry")
    assert row is not None and row.status == "DOWNLOADING"
    assert not (pipeline.data_dir / "privacy" / "exports" / "dsar-retry").exists()

    relaunch = tracking_tick(pipeline, **PLATFORM)  # hands the failed run's claim back
    assert relaunch.released and relaunch.downloads == ["dsar-retry"]
    assert relaunch.launches[0].run_key != ticks[-1].launches[0].run_key
    [done] = launch_downloads(pipeline, relaunch, **PLATFORM)
    assert done.success
    row = cat.request_row(pipeline.catalog_path, "dsar-retry")
    assert row is not None and row.status == "DELIVERED"
    assert _actions(pipeline, "dsar-retry").count("download_failed") >= 1


def test_a_request_that_takes_days_is_polled_with_backoff_up_to_hourly(tmp_path: Path) -> None:
    # one status step a day: the request stays in progress for the whole test
    with running_pipeline(tmp_path, gdpr_step_s=86400.0) as pipeline:
        _drop(pipeline, "dsar-slow")
        assert _submit(pipeline, "dsar-slow").success
        row = cat.request_row(pipeline.catalog_path, "dsar-slow")
        assert row is not None
        submitted_at, due = row["submitted_at"], row["next_poll_at"]
        gaps: list[float] = []
        while due - submitted_at < dt.timedelta(days=2):
            outcome = tracking_tick(pipeline, PLATFORM_POLL, now=due, **PLATFORM)
            assert outcome.polled == ["dsar-slow"] and not outcome.errors
            row = cat.request_row(pipeline.catalog_path, "dsar-slow")
            assert row is not None and row.status in cat.PENDING
            gaps.append((row["next_poll_at"] - due).total_seconds())
            due = row["next_poll_at"]
        # an early tick polls nothing: the request waits for its own next poll
        early = tracking_tick(pipeline, PLATFORM_POLL, now=due - dt.timedelta(seconds=1))
        assert early.polled == []
    assert gaps[0] <= 20 and gaps == sorted(gaps) and max(gaps) == 3600
    assert 45 <= len(gaps) <= 65  # hourly once backed off, for two days


def test_a_file_declared_in_tutorial_mode_is_consumed_by_a_platform_sensor(
    pipeline: Pipeline,
) -> None:
    area = PrivacyArea(pipeline.data_dir)
    area.requests_dir.mkdir(parents=True, exist_ok=True)
    tutorial = {
        "entityType": "user",
        "entityId": "switching-modes-0001",
        "dataTypes": ["profile"],
        "format": "json",
        "timeRange": {"start": "2024-03-01T00:00:00Z", "end": "2024-03-10T00:00:00Z"},
    }
    path = area.requests_dir / "dsar-switch.yaml"
    path.write_text(yaml.safe_dump(tutorial))
    picked = requests_tick(pipeline, api_mode="tutorial")
    assert isinstance(picked, dg.SensorResult)
    [request] = picked.run_requests or []
    assert execute(pipeline, SUBMIT_JOB, request, api_mode="tutorial").success
    assert path.exists()  # its run exists; the next tick (now in platform mode) consumes it

    requests_tick(pipeline, **PLATFORM)
    assert not path.exists() and not area.rejected_requests_dir.joinpath(path.name).exists()
    row = cat.request_row(pipeline.catalog_path, "dsar-switch")
    assert row is not None and row["api_mode"] == "tutorial" and row.status != "REJECTED"
    assert "rejected" not in _actions(pipeline, "dsar-switch")


def test_the_tracking_sensor_shows_each_status_change_in_the_ui(pipeline: Pipeline) -> None:
    _drop(pipeline, "dsar-seen")
    assert _submit(pipeline, "dsar-seen").success
    seen: list[tuple[str, str]] = []
    resources = pipeline.resources(**PLATFORM)
    for _ in range(100):
        context = dg.build_sensor_context(instance=pipeline.instance, resources=resources)
        result = privacy_tracking_sensor(context)
        if isinstance(result, dg.SensorResult):
            for event in result.asset_events:
                assert isinstance(event, dg.AssetObservation) and event.partition == "dsar-seen"
                seen.append(
                    (event.metadata["previous_status"].value, event.metadata["server_status"].value)
                )
            if result.run_requests:
                break
        time.sleep(0.2)
    assert seen and seen[-1][1] == "COMPLETED" and seen[0][0] == "INITIATED"
    assert all(a == b for (_, a), (b, _) in itertools.pairwise(seen))
