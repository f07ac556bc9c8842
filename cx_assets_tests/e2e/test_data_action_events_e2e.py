"""Data action events end to end: the apply asset registers the webhook once with the client's
signing secret; an out-of-band edit makes the emulator deliver a signed `data.action.updated`
event to the shared receiver, which records it; the events sensor requests exactly one drift
check run, for that action only, and once that run exists marks the event done and audits it;
a changed secret re-registers the webhook and deletes the old one."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import dagster as dg
import httpx
import pytest
import uvicorn

from cx_assets.defs.rules import ASSET_CHECKS, ASSETS, JOBS, SENSORS
from cx_assets.defs.rules.rule_files import RULES_DIR, asset_key_for
from cx_assets.defs.rules.sensors import data_action_events_sensor, drift_check_key
from cx_assets.receiver.events import EVENTS_PATH, SECRET_ENV, EventInbox
from cx_assets.receiver.privacy import EMULATOR_WEBHOOK_SECRET
from cx_assets.receiver.server import create_webhook_app
from cx_assets_tests.e2e.pipeline_testkit import Pipeline

ACTION = "route-vip"
OTHER = "priority-orders"
SECRET = "events-secret-for-tests"


def _wait_for(predicate: Any, what: str) -> None:
    deadline = time.monotonic() + 15
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


@pytest.fixture
def receiver(pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The shared receiver on a free loopback port; the client registers with the same secret."""
    monkeypatch.setenv(SECRET_ENV, SECRET)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    app = create_webhook_app(pipeline.data_dir, EMULATOR_WEBHOOK_SECRET)  # events: SECRET (env)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    _wait_for(lambda: server.started, "the webhook receiver")
    yield f"http://127.0.0.1:{sock.getsockname()[1]}{EVENTS_PATH}"
    server.should_exit = True
    thread.join(10)


def _defs(pipeline: Pipeline) -> dg.Definitions:
    return dg.Definitions(
        assets=ASSETS,
        asset_checks=ASSET_CHECKS,
        jobs=JOBS,
        sensors=SENSORS,
        resources=pipeline.resources(),
    )


def _apply(pipeline: Pipeline, action_id: str, **config: Any) -> dg.ExecuteInProcessResult:
    [asset] = [a for a in ASSETS if a.key == asset_key_for(RULES_DIR / f"{action_id}.yaml")]
    return dg.materialize(
        [asset],
        instance=pipeline.instance,
        resources=pipeline.resources(),
        run_config={"ops": {asset.op.name: {"config": config}}},
    )


def _api(pipeline: Pipeline) -> httpx.Client:
    token = httpx.post(
        f"{pipeline.emulator.url}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(pipeline.emulator.client_id, pipeline.emulator.client_secret),
    ).json()["access_token"]
    return httpx.Client(
        base_url=pipeline.emulator.url, headers={"Authorization": f"Bearer {token}"}
    )


def _edit_out_of_band(pipeline: Pipeline, action_id: str) -> int:
    """Someone edits the action in the admin UI: wrap its conditions in NOT. The new version."""
    with _api(pipeline) as api:
        live = api.get(f"/api/v2/dataactions/{action_id}")
        edited = {"type": "NOT", "children": [live.json()["conditions"]]}
        response = api.put(
            f"/api/v2/dataactions/{action_id}",
            headers={"If-Match": live.headers["ETag"]},
            json={"conditions": edited},
        )
        response.raise_for_status()
        return int(response.json()["version"])


def _tick(pipeline: Pipeline) -> dg.SensorResult | dg.SkipReason:
    context = dg.build_sensor_context(
        instance=pipeline.instance, resources=pipeline.resources(), definitions=_defs(pipeline)
    )
    return data_action_events_sensor(context)


def _launch(pipeline: Pipeline, request: dg.RunRequest) -> dg.ExecuteInProcessResult:
    """Run what the request asks for, as the daemon would (its subset, its tags, its run key)."""
    job = _defs(pipeline).resolve_job_def(request.job_name or "")
    subset = job.get_subset(
        asset_selection=set(request.asset_selection or []),
        asset_check_selection=set(request.asset_check_keys or []),
    )
    tags = {**request.tags, "dagster/run_key": request.run_key or ""}
    return subset.execute_in_process(instance=pipeline.instance, tags=tags, raise_on_error=False)


def _event_audits(pipeline: Pipeline) -> list[tuple[str, str, dict[str, Any]]]:
    rows = pipeline.sql(
        "SELECT entity, actor, details FROM audit_log WHERE action = 'event_received' ORDER BY seq"
    )
    return [(entity, actor, json.loads(details)) for entity, actor, details in rows]


def test_an_out_of_band_edit_triggers_one_drift_check_for_that_action(
    pipeline: Pipeline, receiver: str
) -> None:
    first = _apply(pipeline, OTHER, webhook_url=receiver)
    [event] = first.get_asset_materialization_events()
    assert event.materialization.metadata["webhook_registered_now"].value is True
    inbox = EventInbox(pipeline.data_dir)
    assert inbox.pending() == []  # the apply changed nothing: no event

    version = _edit_out_of_band(pipeline, ACTION)
    _wait_for(lambda: inbox.pending(), "the data.action.updated event")
    [entry] = inbox.pending()
    assert (entry.event.action_id, entry.event.version) == (ACTION, version)
    assert entry.event.actor_id == pipeline.emulator.client_id
    stored = entry.path.read_text()
    assert SECRET not in stored and EMULATOR_WEBHOOK_SECRET not in stored

    result = _tick(pipeline)
    assert isinstance(result, dg.SensorResult)
    [request] = result.run_requests or []
    assert request.job_name == "data_action_drift_job"
    assert list(request.asset_check_keys or []) == [drift_check_key(RULES_DIR / f"{ACTION}.yaml")]
    assert request.asset_selection == []  # a drift run applies nothing
    assert f"{ACTION}:v{version}" in (request.run_key or "")
    # Before the run exists the event stays pending and is asked for again with the same key.
    again = _tick(pipeline)
    assert isinstance(again, dg.SensorResult)
    assert [r.run_key for r in again.run_requests or []] == [request.run_key]

    run = _launch(pipeline, request)
    assert not run.success  # the drift check is blocking: the event's drift run is red
    [check] = run.get_asset_check_evaluations()
    assert (check.asset_key, check.passed) == (asset_key_for(RULES_DIR / f"{ACTION}.yaml"), False)
    assert not run.get_asset_materialization_events()

    done = _tick(pipeline)
    assert isinstance(done, dg.SkipReason)
    assert inbox.pending() == [] and len(list(inbox.done_dir.glob("*.json"))) == 1
    [(entity, actor, details)] = _event_audits(pipeline)
    assert (entity, actor, details["version"]) == (ACTION, pipeline.emulator.client_id, version)
    assert details["run_id"] == run.run_id
    assert SECRET not in str(pipeline.sql("SELECT * FROM audit_log"))
    deliveries = pipeline.emulator.stats()["webhook_deliveries"]
    assert [d["delivered"] for d in deliveries] == [True]


def test_a_changed_secret_reregisters_and_deletes_the_old_webhook(
    pipeline: Pipeline, receiver: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _apply(pipeline, OTHER, webhook_url=receiver)
    again = _apply(pipeline, OTHER, webhook_url=receiver)
    monkeypatch.setenv(SECRET_ENV, "a-rotated-secret")
    rotated = _apply(pipeline, OTHER, webhook_url=receiver)

    def meta(result: dg.ExecuteInProcessResult) -> tuple[str, bool]:
        [event] = result.get_asset_materialization_events()
        metadata = event.materialization.metadata
        return metadata["webhook_id"].value, metadata["webhook_registered_now"].value

    assert meta(first)[1] is True and meta(again) == (meta(first)[0], False)
    assert meta(rotated)[1] is True and meta(rotated)[0] != meta(first)[0]
    with _api(pipeline) as api:
        live = api.get("/api/v2/platform/webhooks").json()["entities"]
    assert [w["id"] for w in live] == [meta(rotated)[0]]
    dump = str(pipeline.sql("SELECT details FROM audit_log"))
    assert "a-rotated-secret" not in dump and SECRET not in dump
