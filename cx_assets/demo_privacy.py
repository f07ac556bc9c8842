"""`cx-assets demo`: privacy requests, from a dropped file to a verified export and its trail.

Two requests: one in tutorial mode (the first contract, completed by a signed callback) and one
in platform mode (a GDPR_EXPORT at `/api/v2/gdpr/requests`, which has no callback: completed by
polling, its results files downloaded into one folder with a manifest).

Runs through the Dagster instance in `env["DAGSTER_HOME"]` the way the daemon and the UI would:
sensors evaluated with a real sensor context and their RunRequests executed in-process against
that instance. What is printed is what a user should look at: the request moving to a verified
export (completed by signed callback or polling) and the audit trail read back from the catalog.

Only `cli.py` starts the emulator; this module talks to it over HTTP like any client, and runs
our own webhook receiver on a loopback port for the emulator's signed callbacks.
"""

from __future__ import annotations

import datetime as dt
import socket
import stat
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dagster as dg
import uvicorn
import yaml

from cx_assets.catalog import privacy as privacy_catalog
from cx_assets.defs import privacy
from cx_assets.defs.privacy.assets import TRAIL_COMPLETE
from cx_assets.defs.privacy.partitions import privacy_requests
from cx_assets.defs.privacy.sensors import privacy_requests_sensor, privacy_tracking_sensor
from cx_assets.defs.resources import CatalogResource
from cx_assets.demo import QUIET, demo_instance, demo_resources, print_table, run_line
from cx_assets.lake.privacy import PrivacyArea
from cx_assets.receiver.privacy import CALLBACK_PATH, EMULATOR_WEBHOOK_SECRET
from cx_assets.receiver.server import create_webhook_app

DEMO_SUBJECT = "demo-subject-0001"  # synthetic: the emulator makes up the export's content
#: The platform request's subject: synthetic identifiers (example.com, a fictional-range number).
DEMO_EMAIL = "demo.subject@example.com"
DEMO_PHONE = "+442079460000"
#: Platform mode polls first after 5 s (there is no callback), so allow for a few polls.
COMPLETION_TIMEOUT_S = 30.0
TICK_PAUSE_S = 0.2

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


def _request_body(mode: str, callback_url: str | None) -> tuple[dict[str, Any], str]:
    """The request a user would write in `mode`, and how the demo describes it."""
    if mode == "platform":
        body = {
            "requestType": "GDPR_EXPORT",
            "subject": {"emailAddresses": [DEMO_EMAIL], "phoneNumbers": [DEMO_PHONE]},
        }
        return body, "GDPR_EXPORT; subject: 1 email address, 1 phone number"
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
    return body, "user; profile, interactions, notes; json; last 14 days"


def _declare_file(area: PrivacyArea, key: str, body: dict[str, Any]) -> Path:
    """The request as a user would drop it into the requests folder."""
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
        run_config=QUIET,
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
            print(f"  (also filed {request.partition_key}: {run_line(result)})")
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
                    print(f"  (also downloaded {request.partition_key}: {run_line(fetched)})")
        if mine is not None:
            return mine, ticks
        time.sleep(TICK_PAUSE_S)
    return None, ticks


def _mode(path: Path) -> str:
    return oct(stat.S_IMODE(path.stat().st_mode))[2:].rjust(4, "0")


def _print_export(data_root: Path, row: privacy_catalog.PrivacyRow) -> None:
    """The export's place, checksum, size and modes: a file (tutorial) or a folder (platform)."""
    path = data_root / row["export_path"]
    print(f"  path        {path}")
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file())
        print(f"  files       {', '.join(p.name for p in files)}")
        print(f"  sha256      {row['sha256']} (manifest.json: every file's size and SHA-256)")
        file_mode, folder = (_mode(files[0]) if files else "none"), path
    else:
        print(f"  sha256      {row['sha256']}")
        file_mode, folder = _mode(path), path.parent
    print(f"  size        {row['bytes']} bytes, {row['record_count']} records")
    print(f"  permissions file {file_mode}, folder {_mode(folder)} (owner only)")


@contextmanager
def _callbacks(mode: str, data_root: Path, secret: str) -> Iterator[str | None]:
    """Tutorial mode's signed-callback receiver; platform mode has no callback to receive."""
    if mode != "tutorial":
        yield None
        return
    with webhook_receiver(data_root, secret) as url:
        print(f"  webhook receiver (signed callbacks) listening at {url}")
        yield url


def demo_privacy(env: dict[str, str], emulator_url: str) -> int:
    """One request in tutorial mode (completed by signed callback) and one in platform mode
    (completed by polling). 0 when both end DELIVERED with a complete trail."""
    return demo_privacy_request(env, emulator_url, "tutorial") | demo_privacy_request(
        env, emulator_url, "platform"
    )


def demo_privacy_request(env: dict[str, str], emulator_url: str, mode: str) -> int:
    """Declare one request in `mode`, submit it, see it complete, download it verified and print
    its audit trail. 0 when it ends DELIVERED with a complete trail."""
    resources = demo_resources(env, emulator_url, api_mode=mode)
    catalog: CatalogResource = resources["catalog"]
    data_root, catalog_path = catalog.layout.root, catalog.layout.catalog_path
    area = PrivacyArea(data_root).ensure()
    defs = dg.Definitions(assets=privacy.ASSETS, jobs=privacy.JOBS, resources=resources)
    key = f"demo-{mode}-" + dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%f")
    secret = env.get("CX_EMULATOR_WEBHOOK_SECRET") or EMULATOR_WEBHOOK_SECRET
    print(
        f"\nPrivacy request {key} ({mode} mode): declare, submit, track, verified download, trail"
    )
    with _callbacks(mode, data_root, secret) as callback_url, demo_instance(env) as instance:
        body, described = _request_body(mode, callback_url)
        path = _declare_file(area, key, body)
        print(f"  declared: dropped {path.relative_to(data_root)} ({described})")
        submitted = _submit_dropped(defs, instance, resources, key)
        row = privacy_catalog.request_row(catalog_path, key)
        if submitted is None or not submitted.success or row is None:
            print(f"  submit failed: {run_line(submitted) if submitted else 'no run'}")
            return 1
        server_id = row["server_request_id"] or row.request_id
        print(
            f"  submitted: {run_line(submitted)}; request id {row.request_id}, "
            f"server id {server_id}, server status {row['server_status'] or row.status}"
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
            f"  download {run_line(fetched)}; {TRAIL_COMPLETE} check "
            f"{'passed' if trail_ok else 'FAILED'}"
        )
        if not fetched.success or row.status != "DELIVERED":
            return 1
        print("  verified export (personal data: owner-only privacy area, never the lake):")
        _print_export(data_root, row)
    print_table(
        f"Audit trail of request {row.request_id}",
        catalog_path,
        PRIVACY_TRAIL_SQL,
        [row.request_id],
    )
    return 0 if trail_ok else 1
