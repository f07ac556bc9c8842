"""`cx-assets demo`, part two: data action rules and a privacy request, each end to end.

Both run through the Dagster instance in `env["DAGSTER_HOME"]` the way the daemon and the UI
would: jobs executed in-process against that instance, sensors evaluated with a real sensor
context and their RunRequests executed. What is printed is what a user should look at: the diff
and versions of each apply, the drift (and who caused it), the privacy request moving to a
verified export, and the audit trail read back from the catalog.

Only `cli.py` starts the emulator; this module talks to it over HTTP like any client (the admin
API's `concurrent_edit` switch stands in for a colleague editing in the admin UI).
"""

from __future__ import annotations

import datetime as dt
import socket
import stat
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import dagster as dg
import httpx
import uvicorn
import yaml

from cx_assets import settings
from cx_assets.catalog import privacy as privacy_catalog
from cx_assets.catalog.queries import query
from cx_assets.catalog.sql_output import render_table
from cx_assets.defs import privacy, rules
from cx_assets.defs.privacy.assets import TRAIL_COMPLETE
from cx_assets.defs.privacy.partitions import privacy_requests
from cx_assets.defs.privacy.sensors import privacy_requests_sensor, privacy_tracking_sensor
from cx_assets.defs.resources import CatalogResource, GenesysCloudResource
from cx_assets.defs.rules.checks import LIVE_MATCHES_REPO
from cx_assets.genesys.rules.tutorial import APPLY_SCOPES, DataActionsClient
from cx_assets.http.errors import ApiError, ConflictError
from cx_assets.lake.privacy import PrivacyArea
from cx_assets.receiver.privacy import CALLBACK_PATH, EMULATOR_WEBHOOK_SECRET
from cx_assets.receiver.server import create_webhook_app

#: The rule the emulator's seed differs from, and the one the colleague edits afterwards.
DRIFT_ACTION = "route-vip"
#: Who the emulator says made a `concurrent_edit` ("someone else").
EMULATOR_OTHER_EDITOR = "other-admin"
DEMO_SUBJECT = "demo-subject-0001"  # synthetic: the emulator makes up the export's content
COMPLETION_TIMEOUT_S = 15.0
TICK_PAUSE_S = 0.2
#: Quiet the in-process runs' console logs: the demo prints its own summary.
QUIET_RUN = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}

DATA_ACTION_AUDIT_SQL = """
    SELECT * FROM (
        SELECT seq, strftime(ts, '%Y-%m-%d %H:%M:%S') AS time, action, entity, actor,
               json_extract(details, '$.version_before') AS version_before,
               json_extract(details, '$.version_after') AS version_after,
               json_extract(details, '$.conflicts') AS conflicts
        FROM audit_log WHERE flow = 'data_actions' ORDER BY seq DESC LIMIT 8
    ) ORDER BY seq"""
PRIVACY_TRAIL_SQL = """
    SELECT seq, strftime(ts, '%H:%M:%S.%g') AS time, action, actor,
           json_extract_string(details, '$.outcome') AS outcome,
           CASE WHEN action = 'status_changed'
                THEN json_extract_string(details, '$.from') || ' -> '
                     || json_extract_string(details, '$.to')
                ELSE coalesce(json_extract_string(details, '$.server_status'),
                              json_extract_string(details, '$.status')) END AS status,
           json_extract_string(details, '$.source') AS via,
           round(TRY_CAST(json_extract(details, '$.latency_ms') AS DOUBLE), 1) AS latency_ms
    FROM audit_log WHERE flow = 'privacy' AND entity = ? ORDER BY seq"""


def demo_resources(env: dict[str, str], emulator_url: str) -> dict[str, Any]:
    """The Genesys resource on the emulator and the catalog on the demo's data root."""
    return {
        "genesys": GenesysCloudResource(
            api_url=emulator_url,
            login_url=emulator_url,
            client_id=settings.EMULATOR_CLIENT_ID,
            client_secret=settings.EMULATOR_CLIENT_SECRET,
            max_retry_seconds=30.0,
        ),
        "catalog": CatalogResource(data_dir=env["CX_DATA_DIR"]),
    }


def _instance(env: dict[str, str]) -> dg.DagsterInstance:
    return dg.DagsterInstance.from_config(env["DAGSTER_HOME"])


def _indent(text: str, prefix: str = "      ") -> str:
    return "\n".join(prefix + line for line in text.splitlines())


def _meta(metadata: dict[str, Any], name: str, default: Any = None) -> Any:
    value = metadata.get(name)
    return default if value is None else getattr(value, "value", value)


def _diff_text(metadata: dict[str, Any]) -> str:
    """The diff as plain text (metadata holds it as a fenced markdown block)."""
    text = str(_meta(metadata, "diff", ""))
    return text.removeprefix("```diff\n").removesuffix("\n```")


def _run_line(result: dg.ExecuteInProcessResult) -> str:
    return f"run {result.run_id[:8]}: {'SUCCESS' if result.success else 'FAILURE'}"


def _print_table(title: str, catalog_path: Path, sql: str, params: list[Any]) -> None:
    print(f"\n{title}  (duckdb {catalog_path})")
    print(render_table(query(catalog_path, sql, params)))


# -- data action rules ---------------------------------------------------------------------------


def _data_action_defs(resources: dict[str, Any]) -> dg.Definitions:
    return dg.Definitions(
        assets=rules.ASSETS,
        asset_checks=rules.ASSET_CHECKS,
        jobs=rules.JOBS,
        resources=resources,
    )


def _print_apply(result: dg.ExecuteInProcessResult) -> None:
    for event in result.get_asset_materialization_events():
        metadata = event.materialization.metadata
        action = event.asset_key.path[-1]
        before, after = _meta(metadata, "version_before"), _meta(metadata, "version")
        status = _meta(metadata, "status")
        if status != "applied":
            print(f"  {action:<22} {status:<10} version {after}")
            continue
        print(
            f"  {action:<22} {status:<10} version {before} -> {after}  "
            f"({_meta(metadata, 'put_attempts', 0)} PUT with If-Match, "
            f"{_meta(metadata, 'conflicts_409', 0)} conflict(s); vendor audit confirms "
            f"{_meta(metadata, 'confirmed_by')})"
        )
        print(_indent(_diff_text(metadata)))


def _colleague_edits(emulator_url: str, genesys: GenesysCloudResource, action_id: str) -> int:
    """Someone else changes `action_id` out of band; the version now live.

    The emulator's `concurrent_edit` switch makes `other-admin` edit the action when the next
    PUT arrives. That PUT (ours, re-sending the live tree unchanged) is then refused 409 and
    changes nothing: the only write is the colleague's, as it would be from the admin UI.
    """
    faults = {
        "kind": "concurrent_edit",
        "count": 1,
        "path_prefix": f"/api/v2/dataactions/{action_id}",
    }
    httpx.post(
        f"{emulator_url}/admin/faults", json={"faults": [faults]}, timeout=10
    ).raise_for_status()
    with genesys.api_client(APPLY_SCOPES) as api:
        client = DataActionsClient(api)
        live = client.get_action(action_id)
        with suppress(ConflictError):  # expected: the colleague's edit landed first
            client.put_action(action_id, live.action.conditions or {}, etag=live.etag)
        return client.get_action(action_id).action.version


def _drift_outcome(result: dg.ExecuteInProcessResult) -> tuple[list[str], list[str]]:
    """(drifted actions, actions that match the repo), each drift printed with its diff."""
    drifted, clean = [], []
    for evaluation in result.get_asset_check_evaluations():
        if evaluation.check_name != LIVE_MATCHES_REPO:
            continue
        action = evaluation.asset_key.path[-1]
        metadata = dict(evaluation.metadata)
        if evaluation.passed:
            clean.append(action)
            continue
        drifted.append(action)
        print(
            f"  drift detected on {action}, changed by {_meta(metadata, 'changed_by')} "
            f"at {_meta(metadata, 'changed_at')} (live version {_meta(metadata, 'live_version')})"
        )
        print(_indent(_diff_text(metadata)))
    print(f"  matching the repo: {', '.join(sorted(clean)) or 'none'}")
    return drifted, clean


def demo_data_actions(env: dict[str, str], emulator_url: str) -> int:
    """Apply the repo's rules, let a colleague edit one out of band, show the drift check fail.

    0 when the apply succeeded with every check passing and the drift run then names exactly
    the edited action; 1 otherwise.
    """
    resources = demo_resources(env, emulator_url)
    defs = _data_action_defs(resources)
    catalog_path = resources["catalog"].layout.catalog_path
    ok = True
    with _instance(env) as instance:
        print(
            f"\nData action rules: apply the repo's {len(rules.ASSETS)} rule files\n"
            "  data_action_apply_job: validate, diff, PUT with If-Match, then check for drift"
        )
        applied = defs.resolve_job_def("data_action_apply_job").execute_in_process(
            instance=instance, run_config=QUIET_RUN, raise_on_error=False
        )
        print(f"  {_run_line(applied)}")
        _print_apply(applied)
        checks = applied.get_asset_check_evaluations()
        passed = sum(1 for c in checks if c.passed)
        print(f"  drift checks right after the apply: {passed} of {len(checks)} pass")
        ok &= applied.success and passed == len(checks) > 0

        print(
            f"\nOut-of-band edit: someone changes {DRIFT_ACTION} in the admin UI "
            "(the emulator's concurrent_edit switch)"
        )
        try:
            version = _colleague_edits(emulator_url, resources["genesys"], DRIFT_ACTION)
            print(f"  {DRIFT_ACTION} is now at version {version}")
        except (ApiError, httpx.HTTPError) as exc:
            print(f"  the out-of-band edit failed: {exc}")
            return 1

        print("\nDrift check (data_action_drift_job: compares live with the repo, writes nothing)")
        drift = defs.resolve_job_def("data_action_drift_job").execute_in_process(
            instance=instance, run_config=QUIET_RUN, raise_on_error=False
        )
        print(f"  {_run_line(drift)}")
        drifted, _ = _drift_outcome(drift)
        ok &= drift.success and drifted == [DRIFT_ACTION]
    _print_table(
        "Data action changes in the catalog's audit log", catalog_path, DATA_ACTION_AUDIT_SQL, []
    )
    return 0 if ok else 1


# -- privacy request -----------------------------------------------------------------------------


@contextmanager
def webhook_receiver(data_root: Path, secret: str) -> Iterator[str]:
    """The signed-callback receiver on a free loopback port (a thread); yields its callback URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    app = create_webhook_app(data_root, secret)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError("the webhook receiver did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}{CALLBACK_PATH}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def _declare_file(area: PrivacyArea, key: str, callback_url: str) -> Path:
    """The request as a user would drop it into the requests folder."""
    today = dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    body = {
        "entityType": "user",
        "entityId": DEMO_SUBJECT,
        "dataTypes": ["profile", "interactions", "notes"],
        "format": "json",
        "timeRange": {
            "start": (today - dt.timedelta(days=14)).isoformat().replace("+00:00", "Z"),
            "end": today.isoformat().replace("+00:00", "Z"),
        },
        "callbackUrl": callback_url,
    }
    area.requests_dir.mkdir(parents=True, exist_ok=True)
    path = area.requests_dir / f"{key}.yaml"
    path.write_text(yaml.safe_dump(body, sort_keys=False))
    return path


def _execute(
    defs: dg.Definitions, job: str, instance: dg.DagsterInstance, request: dg.RunRequest
) -> dg.ExecuteInProcessResult:
    """Execute a sensor's RunRequest in-process, as the daemon would launch it."""
    return defs.resolve_job_def(job).execute_in_process(
        instance=instance,
        partition_key=request.partition_key,
        tags=dict(request.tags),
        run_config=QUIET_RUN,
        raise_on_error=False,
    )


def _submit_dropped(
    defs: dg.Definitions, instance: dg.DagsterInstance, resources: dict[str, Any], key: str
) -> dg.ExecuteInProcessResult | None:
    """One tick of the requests sensor, its partitions added and its runs executed; `key`'s run."""
    context = dg.build_sensor_context(instance=instance, resources=resources)
    picked = privacy_requests_sensor(context)
    if not isinstance(picked, dg.SensorResult):
        print(f"  privacy_requests_sensor accepted nothing: {picked.skip_message}")
        return None
    for added in picked.dynamic_partitions_requests or []:
        instance.add_dynamic_partitions(privacy_requests.name or "", added.partition_keys)
    print("  privacy_requests_sensor: validated, partition added, submit run requested")
    mine = None
    for request in picked.run_requests or []:  # any other dropped file is filed too
        result = _execute(defs, "privacy_submit_job", instance, request)
        if request.partition_key == key:
            mine = result
        else:
            print(f"  (also filed {request.partition_key}: {_run_line(result)})")
    return mine


def _track_and_download(
    defs: dg.Definitions, instance: dg.DagsterInstance, resources: dict[str, Any], key: str
) -> tuple[dg.ExecuteInProcessResult | None, int]:
    """Tick the tracking sensor and execute the downloads it launches until `key`'s has run.

    Every launched download is executed (a sensor claims it exactly once), so a request left
    pending by an interrupted earlier demo is delivered too rather than left claimed.
    """
    deadline = time.monotonic() + COMPLETION_TIMEOUT_S
    ticks = 0
    while time.monotonic() < deadline:
        ticks += 1
        context = dg.build_sensor_context(instance=instance, resources=resources)
        result = privacy_tracking_sensor(context)
        mine = None
        if isinstance(result, dg.SensorResult):
            for request in result.run_requests or []:
                fetched = _execute(defs, "privacy_download_job", instance, request)
                if request.partition_key == key:
                    mine = fetched
                else:
                    print(f"  (also downloaded {request.partition_key}: {_run_line(fetched)})")
        if mine is not None:
            return mine, ticks
        time.sleep(TICK_PAUSE_S)
    return None, ticks


def _mode(path: Path) -> str:
    return oct(stat.S_IMODE(path.stat().st_mode))[2:].rjust(4, "0")


def _print_export(data_root: Path, row: privacy_catalog.PrivacyRow) -> None:
    path = data_root / row["export_path"]
    print(f"  path        {path}")
    print(f"  sha256      {row['sha256']}")
    print(f"  size        {row['bytes']} bytes, {row['record_count']} records")
    print(f"  permissions file {_mode(path)}, folder {_mode(path.parent)} (owner only)")


def demo_privacy(env: dict[str, str], emulator_url: str) -> int:
    """Declare one request, submit it, see it complete by signed callback (or polling), download
    it verified and print its audit trail. 0 when it ends DELIVERED with a complete trail."""
    resources = demo_resources(env, emulator_url)
    catalog: CatalogResource = resources["catalog"]
    data_root, catalog_path = catalog.layout.root, catalog.layout.catalog_path
    area = PrivacyArea(data_root).ensure()
    defs = dg.Definitions(assets=privacy.ASSETS, jobs=privacy.JOBS, resources=resources)
    key = "demo-dsar-" + dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%f")
    secret = env.get("CX_EMULATOR_WEBHOOK_SECRET") or EMULATOR_WEBHOOK_SECRET
    print(f"\nPrivacy request {key}: declare, submit, track, verified download, audit trail")
    with webhook_receiver(data_root, secret) as callback_url, _instance(env) as instance:
        print(f"  webhook receiver (signed callbacks) listening at {callback_url}")
        path = _declare_file(area, key, callback_url)
        print(
            f"  declared: dropped {path.relative_to(data_root)} "
            "(user; profile, interactions, notes; json; last 14 days)"
        )
        submitted = _submit_dropped(defs, instance, resources, key)
        row = privacy_catalog.request_row(catalog_path, key)
        if submitted is None or not submitted.success or row is None:
            print(f"  submit failed: {_run_line(submitted) if submitted else 'no run'}")
            return 1
        print(
            f"  submitted: {_run_line(submitted)}; request id {row.request_id}, "
            f"server status {row.status}"
        )
        started = time.monotonic()
        fetched, ticks = _track_and_download(defs, instance, resources, key)
        row = privacy_catalog.request_row(catalog_path, key)
        if fetched is None or row is None:
            status = row.status if row else "unknown"
            print(f"  not completed within {COMPLETION_TIMEOUT_S:.0f} s (status {status})")
            return 1
        source = row["completion_source"]
        how = {"webhook": "signed webhook callback", "poll": "status polling"}.get(source, source)
        print(
            f"  COMPLETED: via {how}, acted on by privacy_tracking_sensor at tick {ticks} "
            f"({time.monotonic() - started:.1f} s after submission)"
        )
        trail_checks = [
            c for c in fetched.get_asset_check_evaluations() if c.check_name == TRAIL_COMPLETE
        ]
        trail_ok = bool(trail_checks) and all(c.passed for c in trail_checks)
        print(
            f"  download {_run_line(fetched)}; {TRAIL_COMPLETE} check "
            f"{'passed' if trail_ok else 'FAILED'}"
        )
        if not fetched.success or row.status != "DELIVERED":
            return 1
        print("  verified export (personal data: owner-only privacy area, never the lake):")
        _print_export(data_root, row)
    _print_table(
        f"Audit trail of request {row.request_id}",
        catalog_path,
        PRIVACY_TRAIL_SQL,
        [row.request_id],
    )
    return 0 if trail_ok else 1
