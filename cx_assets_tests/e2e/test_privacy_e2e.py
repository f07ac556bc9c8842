"""Privacy requests through Dagster against the emulator: a request file becomes a partition and
is filed exactly once even when the submit run is retried; completion is found by the tracking
sensor's polling, or by a signed webhook alone, or by both together with one download; the export
lands verified in the owner-only privacy area (never in the lake) with a complete audit trail and
no personal data in the catalog; FAILED requests, a revoked token and 504s while tracking are
handled, and so are 429s with Retry-After while filing and tracking; a callback that never
arrives is made up for by polling; a request that breaks a rule is rejected and audited; the
retention job deletes a delivered export and audits it."""

from __future__ import annotations

import datetime as dt
import json
import socket
import stat
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
import uvicorn

from cx_assets.catalog import privacy as cat
from cx_assets.defs.privacy import JOBS, privacy_export
from cx_assets.defs.privacy.partitions import privacy_requests
from cx_assets.flows.privacy import PollPolicy, TickOutcome
from cx_assets.genesys.privacy.models import derive_request_id
from cx_assets.lake.privacy import PrivacyArea
from cx_assets.lake.verified_download import sha256_file
from cx_assets.receiver.privacy import CALLBACK_PATH, EMULATOR_WEBHOOK_SECRET, PrivacyInbox
from cx_assets.receiver.server import create_webhook_app
from cx_assets_tests.e2e.pipeline_testkit import Pipeline
from cx_assets_tests.e2e.privacy_testkit import (
    NOW_POLL,
    SUBMIT_JOB,
    execute,
    launch_downloads,
    requests_tick,
    tick_until_download,
    tracking_tick,
)

SUBJECT = "subject-user-7731"
PRIVACY_PATH = "/api/v2/data/privacy/requests"


def _request_file(key: str, area: PrivacyArea, **changes: Any) -> Path:
    body: dict[str, Any] = {
        "entityType": "user",
        "entityId": SUBJECT,
        "dataTypes": ["profile", "interactions"],
        "format": "json",
        "timeRange": {"start": "2024-03-01T00:00:00Z", "end": "2024-03-20T00:00:00Z"},
        **changes,
    }
    area.requests_dir.mkdir(parents=True, exist_ok=True)
    path = area.requests_dir / f"{key}.json"
    path.write_text(json.dumps(body))
    return path


def _area(pipeline: Pipeline) -> PrivacyArea:
    return PrivacyArea(pipeline.data_dir)


def _declare(pipeline: Pipeline, key: str, **changes: Any) -> dg.SensorResult | dg.SkipReason:
    """Drop a request file and run the requests sensor the way the daemon would."""
    _request_file(key, _area(pipeline), **changes)
    return requests_tick(pipeline)


def _submit(pipeline: Pipeline, key: str) -> dg.ExecuteInProcessResult:
    """The submit run the requests sensor asks for (again, under its claim, until it exists)."""
    result = requests_tick(pipeline)
    assert isinstance(result, dg.SensorResult), result
    [request] = [r for r in result.run_requests or [] if r.partition_key == key]
    return execute(pipeline, SUBMIT_JOB, request)


def _tick(
    pipeline: Pipeline, policy: PollPolicy = NOW_POLL, now: dt.datetime | None = None
) -> TickOutcome:
    return tracking_tick(pipeline, policy, now)


def _tick_until_download(pipeline: Pipeline, key: str, **kwargs: Any) -> list[TickOutcome]:
    return tick_until_download(pipeline, key, **kwargs)


def _download(pipeline: Pipeline, outcome: TickOutcome) -> dg.ExecuteInProcessResult:
    [result] = launch_downloads(pipeline, outcome)
    return result


def _actions(pipeline: Pipeline, key: str) -> list[str]:
    return [e["action"] for e in cat.trail(pipeline.catalog_path, derive_request_id(key))]


def _statuses(pipeline: Pipeline) -> dict[str, int]:
    return {str(k): int(v) for k, v in pipeline.emulator.stats().get("by_status", {}).items()}


def _wait_for(predicate: Any, what: str) -> None:
    deadline = time.monotonic() + 15
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


@pytest.fixture
def receiver(pipeline: Pipeline) -> Iterator[str]:
    """The webhook receiver on a free loopback port, writing into the pipeline's data root."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    app = create_webhook_app(pipeline.data_dir, EMULATOR_WEBHOOK_SECRET)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    _wait_for(lambda: server.started, "the webhook receiver")
    yield f"http://127.0.0.1:{sock.getsockname()[1]}{CALLBACK_PATH}"
    server.should_exit = True
    thread.join(10)


def test_request_file_to_verified_export_by_polling(pipeline: Pipeline) -> None:
    result = _declare(pipeline, "dsar-poll")
    assert isinstance(result, dg.SensorResult)
    [request] = result.run_requests or []
    assert request.partition_key == "dsar-poll"
    dropped = _area(pipeline).requests_dir.joinpath("dsar-poll.json")
    assert dropped.exists()  # consumed only once its submit run exists
    first = execute(pipeline, SUBMIT_JOB, request)
    execute(pipeline, SUBMIT_JOB, request)  # a re-executed submit run
    assert first.success
    requests_tick(pipeline)
    assert not dropped.exists()
    request_id = derive_request_id("dsar-poll")
    assert pipeline.emulator.stats()["privacy_requests"] == [request_id]

    ticks = _tick_until_download(pipeline, "dsar-poll")
    assert sum(t.downloads.count("dsar-poll") for t in ticks) == 1
    # Until its run exists the same run is asked for again, under the same run key (the daemon
    # launches a run key once): never a second download.
    again = _tick(pipeline)
    assert [x.run_key for x in again.launches] == [x.run_key for x in ticks[-1].launches]
    export = _download(pipeline, ticks[-1])
    [check] = export.get_asset_check_evaluations()
    assert check.passed, check.metadata

    row = cat.request_row(pipeline.catalog_path, "dsar-poll")
    assert row is not None and row.status == "DELIVERED"
    assert row["completion_source"] == "poll"
    path = pipeline.data_dir / row["export_path"]
    assert path == pipeline.data_dir / "privacy" / "exports" / "dsar-poll" / "export.json"
    assert sha256_file(path) == row["sha256"] and path.stat().st_size == row["bytes"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    for folder in (path.parent, path.parent.parent, pipeline.data_dir / "privacy"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    document = json.loads(path.read_text())
    assert document["requestId"] == request_id
    assert row["record_count"] == sum(len(v) for v in document["data"].values())
    assert not (pipeline.data_dir / "lake").exists() or not any(
        "privacy" in str(p) for p in (pipeline.data_dir / "lake").rglob("*")
    )
    actions = _actions(pipeline, "dsar-poll")
    assert actions[:3] == ["validated", "submit_requested", "submitted"]
    assert actions.count("submitted") == 1  # the re-executed run found it filed
    assert actions[-3:] == ["download_requested", "downloaded", "verified"]
    assert "status_changed" in actions
    # The catalog (state and audit) never holds the subject's id or the presigned URL.
    dump = str(pipeline.sql("SELECT * FROM privacy_requests")) + str(
        pipeline.sql("SELECT details FROM audit_log")
    )
    assert SUBJECT not in dump and "sig" not in dump.lower().replace("signature", "")
    # Nor do the runs' logs and metadata: neither the subject nor any exported value.
    exported = {
        str(value)
        for records in document["data"].values()
        for record in records
        for value in record.values()
        if isinstance(value, str) and len(value) > 6
    }
    logs = " ".join(
        f"{entry.user_message} {entry.dagster_event}"
        for run in pipeline.instance.get_runs()
        for entry in pipeline.instance.all_logs(run.run_id)
    )
    assert exported and SUBJECT not in logs
    assert not [value for value in exported if value in logs]


def test_webhook_alone_completes_a_request(pipeline: Pipeline, receiver: str) -> None:
    _declare(pipeline, "dsar-hook", callbackUrl=receiver)
    _submit(pipeline, "dsar-hook")
    inbox = PrivacyInbox(_area(pipeline))
    _wait_for(lambda: inbox.pending(), "the completion callback")
    # The polling path is not due for an hour: only the callback can complete the request.
    quiet = PollPolicy(initial_s=3600)
    outcome = _tick(pipeline, quiet, now=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1))
    assert outcome.polled == [] and outcome.downloads == ["dsar-hook"]
    _download(pipeline, outcome)
    row = cat.request_row(pipeline.catalog_path, "dsar-hook")
    assert row is not None and (row.status, row["completion_source"]) == ("DELIVERED", "webhook")
    assert "callback_received" in _actions(pipeline, "dsar-hook")
    callbacks = pipeline.emulator.stats()["privacy_callbacks"]
    assert callbacks, "the emulator reported no callback deliveries"


def test_webhook_and_polling_together_download_once(pipeline: Pipeline, receiver: str) -> None:
    _declare(pipeline, "dsar-both", callbackUrl=receiver)
    _submit(pipeline, "dsar-both")
    _wait_for(lambda: PrivacyInbox(_area(pipeline)).pending(), "the completion callback")
    ticks = [_tick(pipeline) for _ in range(3)]  # callback applied and poll due in one tick
    assert {x.run_key for t in ticks for x in t.launches} == {"privacy-dsar-both.download.1"}
    actions = _actions(pipeline, "dsar-both")
    assert actions.count("download_requested") == 1
    assert actions.count("callback_received") == 1


def test_a_failed_request_records_the_reason(pipeline: Pipeline) -> None:
    pipeline.emulator.add_faults(
        {"kind": "export_failed", "count": 1, "path_prefix": "/api/v2/data/privacy"}
    )
    _declare(pipeline, "dsar-fail")
    _submit(pipeline, "dsar-fail")
    for _ in range(100):
        assert _tick(pipeline).downloads == []
        row = cat.request_row(pipeline.catalog_path, "dsar-fail")
        if row is not None and row.status == "FAILED":
            break
        time.sleep(0.05)
    assert row is not None and row.status == "FAILED" and row["failure_reason"]
    [failed] = [
        e
        for e in cat.trail(pipeline.catalog_path, row.request_id)
        if e["action"] == "status_changed" and e["details"]["to"] == "FAILED"
    ]
    assert failed["details"]["failure_reason"] == row["failure_reason"]
    export = pipeline.materialize_assets(
        [privacy_export], partition_key="dsar-fail", raise_on_error=False
    )
    assert not export.success


def test_revoked_token_and_504s_while_tracking_are_recovered(pipeline: Pipeline) -> None:
    _declare(pipeline, "dsar-faults")
    _submit(pipeline, "dsar-faults")
    pipeline.emulator.add_faults(
        {"kind": "revoke_tokens"},
        {
            "kind": "http_5xx",
            "status": 504,
            "count": 2,
            "path_prefix": "/api/v2/data/privacy/requests/",
        },
    )
    ticks = _tick_until_download(pipeline, "dsar-faults")
    assert all(not t.errors for t in ticks)
    _download(pipeline, ticks[-1])
    row = cat.request_row(pipeline.catalog_path, "dsar-faults")
    assert row is not None and row.status == "DELIVERED"


def test_an_unreadable_status_is_kept_against_its_request_and_audited_once(
    pipeline: Pipeline,
) -> None:
    """The server answers one request's polls with a shape the client cannot read: that
    request keeps its backoff and the error (audited once, not every tick), the other request
    is tracked to delivery meanwhile, and the first completes once the answers read again."""
    for key in ("dsar-odd", "dsar-fine"):
        _declare(pipeline, key)
        _submit(pipeline, key)
    odd = f"{PRIVACY_PATH}/{derive_request_id('dsar-odd')}"
    pipeline.emulator.add_faults({"kind": "unreadable_body", "count": 1000, "path_prefix": odd})

    ticks = _tick_until_download(pipeline, "dsar-fine")

    errors = [e for t in ticks for e in t.errors]
    assert errors and all(e.startswith("dsar-odd: GET ") for e in errors)
    row = cat.request_row(pipeline.catalog_path, "dsar-odd")
    assert row is not None and row.status in cat.PENDING
    assert "200" in row["poll_error"] and "status" in row["poll_error"]  # names the field
    assert row["next_poll_at"] is not None
    assert _actions(pipeline, "dsar-odd").count("poll_failed") == 1
    [failed] = [
        e
        for e in cat.trail(pipeline.catalog_path, derive_request_id("dsar-odd"))
        if e["action"] == "poll_failed"
    ]
    assert failed["details"]["reason"] == row["poll_error"]

    _download(pipeline, ticks[-1])
    pipeline.emulator.clear_faults()  # the server reads again
    ticks = _tick_until_download(pipeline, "dsar-odd")
    _download(pipeline, ticks[-1])
    for key in ("dsar-odd", "dsar-fine"):
        done = cat.request_row(pipeline.catalog_path, key)
        assert done is not None and done.status == "DELIVERED"
    assert _actions(pipeline, "dsar-odd").count("poll_failed") == 1
    assert cat.request_row(pipeline.catalog_path, "dsar-odd")["poll_error"] is None


def test_a_request_breaking_a_rule_is_rejected_and_audited(pipeline: Pipeline) -> None:
    bad_range = {"start": "2024-01-01T00:00:00Z", "end": "2024-03-01T00:00:00Z"}
    result = _declare(pipeline, "dsar-bad", dataTypes=["voice"], timeRange=bad_range)
    assert isinstance(result, dg.SkipReason)
    assert "dsar-bad" not in pipeline.instance.get_dynamic_partitions(privacy_requests.name or "")
    area = _area(pipeline)
    reason = (area.rejected_requests_dir / "dsar-bad.json.reason.txt").read_text()
    assert "timeRange: spans 60.00 days, at most 30 days" in reason
    assert "dataTypes: 'voice' not allowed for entityType 'user'" in reason
    [entry] = cat.trail(pipeline.catalog_path, derive_request_id("dsar-bad"))
    assert entry["action"] == "rejected"
    assert any("at most 30 days" in p for p in entry["details"]["problems"])
    assert pipeline.emulator.stats().get("privacy_requests", []) == []


def test_429_with_retry_after_is_honoured_when_filing_and_tracking(pipeline: Pipeline) -> None:
    _declare(pipeline, "dsar-429")
    pipeline.emulator.add_faults(
        {"kind": "http_429", "count": 1, "retry_after": 1, "path_prefix": PRIVACY_PATH}
    )
    submitted = _submit(pipeline, "dsar-429")
    [event] = submitted.get_asset_materialization_events()
    assert event.materialization.metadata["retries"].value == 1
    assert pipeline.emulator.stats()["privacy_requests"] == [derive_request_id("dsar-429")]
    pipeline.emulator.add_faults(
        {"kind": "http_429", "count": 1, "retry_after": 1, "path_prefix": f"{PRIVACY_PATH}/"}
    )
    ticks = _tick_until_download(pipeline, "dsar-429")
    assert all(not t.errors for t in ticks)
    assert _statuses(pipeline)["429"] == 2
    _download(pipeline, ticks[-1])
    row = cat.request_row(pipeline.catalog_path, "dsar-429")
    assert row is not None and row.status == "DELIVERED"


def test_a_dropped_callback_is_completed_by_polling(pipeline: Pipeline, receiver: str) -> None:
    pipeline.emulator.add_faults({"kind": "drop_callback", "count": 1, "path_prefix": PRIVACY_PATH})
    _declare(pipeline, "dsar-drop", callbackUrl=receiver)
    _submit(pipeline, "dsar-drop")
    ticks = _tick_until_download(pipeline, "dsar-drop")
    assert sum(t.callbacks for t in ticks) == 0
    _download(pipeline, ticks[-1])
    row = cat.request_row(pipeline.catalog_path, "dsar-drop")
    assert row is not None and (row.status, row["completion_source"]) == ("DELIVERED", "poll")
    assert PrivacyInbox(_area(pipeline)).pending() == []
    callbacks = pipeline.emulator.stats()["privacy_callbacks"]
    assert [(c["status"], c["delivered"]) for c in callbacks] == [("dropped", False)]
    assert "callback_received" not in _actions(pipeline, "dsar-drop")


def test_retention_deletes_a_delivered_export_through_the_job(pipeline: Pipeline) -> None:
    _declare(pipeline, "dsar-retain")
    _submit(pipeline, "dsar-retain")
    ticks = _tick_until_download(pipeline, "dsar-retain")
    _download(pipeline, ticks[-1])
    row = cat.request_row(pipeline.catalog_path, "dsar-retain")
    assert row is not None and (pipeline.data_dir / row["export_path"]).exists()
    defs = dg.Definitions(jobs=JOBS, resources=pipeline.resources())
    config = {"ops": {"delete_expired_privacy_exports": {"config": {"retention_days": 0}}}}
    job = defs.resolve_job_def("privacy_retention_job")
    job.execute_in_process(run_config=config, instance=pipeline.instance)
    assert not (pipeline.data_dir / row["export_path"]).exists()
    assert _actions(pipeline, "dsar-retain")[-1] == "deleted"
    deleted = cat.request_row(pipeline.catalog_path, "dsar-retain")
    assert deleted is not None and deleted["deleted_at"] is not None
