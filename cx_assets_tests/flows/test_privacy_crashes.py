"""A privacy request completes exactly once whatever step the process dies after: the driver
(a stand-in for the daemon and the run workers, `privacy_crash_driver.py`) is killed at each
crash point in turn (`CX_CRASH_AT`: `os._exit`, no cleanup), started again, and the request ends
DELIVERED with one request filed at the server, one export, no staged leftovers, the request
file consumed and a complete audit trail. Both API modes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from cx_assets.catalog import privacy as cat
from cx_assets.emulator import EmulatorServer
from cx_assets.flows.crashpoints import CRASH_ENV, CRASH_EXIT_CODE
from cx_assets.flows.privacy_steps import audit_trail
from cx_assets.genesys.privacy.models import derive_request_id

pytestmark = pytest.mark.integration

#: Every point between two steps that write state (catalog, files, the server).
POINTS = {
    "tutorial": [
        "privacy.pickup.after_declare",
        "privacy.submit.after_claim",
        "privacy.submit.after_record",
        "privacy.track.after_poll",
        "privacy.download.after_claim",
        "privacy.download.before_record",
    ],
    "platform": [
        "privacy.pickup.after_declare",
        "privacy.submit.after_claim",
        "privacy.submit.before_post",
        "privacy.submit.after_post",
        "privacy.submit.after_record",
        "privacy.track.after_poll",
        "privacy.download.after_claim",
        "privacy.download.before_publish",
        "privacy.download.before_record",
    ],
}
REQUESTS = {
    "tutorial": {
        "entityType": "user",
        "entityId": "crash-subject-0001",
        "dataTypes": ["profile"],
        "format": "json",
        "timeRange": {"start": "2024-03-01T00:00:00Z", "end": "2024-03-10T00:00:00Z"},
    },
    "platform": {"subject": {"emailAddresses": ["crash.subject@example.com"]}},
}


def _request(mode: str, key: str) -> dict[str, Any]:
    """The request, its subject unique to the test: a retried submit adopts a request for the
    same subject filed moments earlier, so tests sharing one server must not share subjects."""
    if mode == "platform":
        return {"subject": {"emailAddresses": [f"{key}@example.com"]}}
    return {**REQUESTS[mode], "entityId": key}


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorServer]:
    root = tmp_path_factory.mktemp("crash-emulator")
    server = EmulatorServer(
        state_dir=root,
        privacy_queue_delay_s=0.05,
        privacy_run_delay_s=0.05,
        gdpr_step_s=0.05,
    ).start()
    yield server
    server.stop()


def _drive(data_root: Path, url: str, mode: str, crash_at: str | None) -> int:
    env = {k: v for k, v in os.environ.items() if k != CRASH_ENV}
    if crash_at:
        env[CRASH_ENV] = crash_at
    command = [sys.executable, "-m", "cx_assets_tests.flows.privacy_crash_driver"]
    done = subprocess.run(
        [*command, str(data_root), url, mode], env=env, capture_output=True, timeout=120
    )
    return done.returncode


def _filed(emulator: EmulatorServer, mode: str) -> list[Any]:
    stats = emulator.stats()
    return list(stats.get("gdpr_requests" if mode == "platform" else "privacy_requests", []))


@pytest.mark.parametrize(
    ("mode", "point"), [(m, p) for m, points in POINTS.items() for p in points]
)
def test_a_crash_between_any_two_steps_converges_on_one_delivery(
    tmp_path: Path, emulator: EmulatorServer, mode: str, point: str
) -> None:
    key = f"crash-{point.replace('.', '-').replace('_', '-')}"
    data_root = tmp_path / "data"
    requests = data_root / "privacy" / "requests"
    requests.mkdir(parents=True)
    (requests / f"{key}.yaml").write_text(yaml.safe_dump(_request(mode, key)))
    before = len(_filed(emulator, mode))

    assert _drive(data_root, emulator.url, mode, point) == CRASH_EXIT_CODE, "no crash at " + point
    assert _drive(data_root, emulator.url, mode, None) == 0

    catalog = data_root / "catalog.duckdb"
    row = cat.request_row(catalog, key)
    assert row is not None and row.status == "DELIVERED", row
    assert len(_filed(emulator, mode)) - before == 1  # filed exactly once
    exports = data_root / "privacy" / "exports"
    assert [p.name for p in exports.iterdir()] == [key]  # no staged folder left behind
    assert not (requests / f"{key}.yaml").exists()
    trail = audit_trail(catalog, derive_request_id(key))
    assert trail.missing == [], trail.seen
    assert trail.seen.count("submitted") == 1 and trail.seen.count("verified") == 1
    if mode == "platform":
        manifest = json.loads((exports / key / "manifest.json").read_text())
        assert manifest["files"] and manifest["server_request_id"] == row["server_request_id"]
