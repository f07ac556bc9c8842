"""Contract: `cx-assets dev` (what `make dev` runs) starts the emulator and the Dagster UI
without printing a single warning, and the UI serves one code location, `cx_assets`, that loads:
its schedules launch named jobs (never the UI's ad-hoc `__ASSET_JOB`) and the automation sensor
is running. Stopping `cx-assets dev` (SIGTERM, as Ctrl-C does) stops everything it started."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

WORKSPACE = """
{ workspaceOrError { __typename ... on Workspace { locationEntries {
    name loadStatus
    locationOrLoadError { __typename
      ... on PythonError { message }
      ... on RepositoryLocation { repositories {
        schedules { name pipelineName scheduleState { status } }
        sensors { name sensorState { status } }
      } } }
} } } }
"""
#: What Python's warnings module prints (`BetaWarning: ...`) and Dagster's logger at WARNING level.
WARNING_LINE = re.compile(r"\w+Warning: |- WARNING -")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _workspace(ui_port: int, deadline_s: float = 180) -> dict:
    """The workspace once the location finished loading (or the deadline passed)."""
    deadline = time.monotonic() + deadline_s
    last: object = None
    while time.monotonic() < deadline:
        try:
            answer = httpx.post(
                f"http://127.0.0.1:{ui_port}/graphql", json={"query": WORKSPACE}, timeout=10
            ).json()
            entries = answer["data"]["workspaceOrError"]["locationEntries"]
            if entries and all(e["loadStatus"] == "LOADED" for e in entries):
                return answer["data"]["workspaceOrError"]
            last = entries
        except (httpx.HTTPError, KeyError, TypeError, ValueError) as exc:
            last = exc
        time.sleep(1)
    raise AssertionError(f"the UI did not load its code location in {deadline_s} s: {last}")


def test_dev_serves_the_cx_assets_location_without_a_warning(tmp_path: Path) -> None:
    ui_port, emulator_port = _free_port(), _free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("GENESYS_", "CXONE_"))},
        "CX_DATA_DIR": str(tmp_path / "data"),
        "DAGSTER_HOME": str(tmp_path / "home"),
        "CX_EMULATOR_PORT": str(emulator_port),
    }
    log = tmp_path / "dev.log"
    with log.open("w") as out:
        dev = subprocess.Popen(
            [sys.executable, "-m", "cx_assets.cli", "dev", "--port", str(ui_port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        workspace = _workspace(ui_port)
        time.sleep(5)  # the daemon's first sensor ticks, which would print a warning too
    finally:
        dev.send_signal(signal.SIGTERM)
        code = dev.wait(timeout=90)
    output = log.read_text()

    [location] = workspace["locationEntries"]
    assert location["name"] == "cx_assets"
    assert location["locationOrLoadError"]["__typename"] == "RepositoryLocation", location
    [repo] = location["locationOrLoadError"]["repositories"]
    assert repo["schedules"], "no schedule loaded"
    assert all(not s["pipelineName"].startswith("__") for s in repo["schedules"])
    sensors = {s["name"]: s["sensorState"]["status"] for s in repo["sensors"]}
    assert sensors["default_automation_condition_sensor"] == "RUNNING"

    warnings = [line for line in output.splitlines() if WARNING_LINE.search(line)]
    assert warnings == [], output
    assert f"Dagster UI at http://127.0.0.1:{ui_port}" in output
    assert code == 0, output
