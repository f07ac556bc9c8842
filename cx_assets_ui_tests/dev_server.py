"""`cx-assets dev` as a user starts it, on free ports, with its own instance and data root.

The tests drive the UI of the real command (emulator + `dagster dev`: webserver, daemon, code
server), so what they see is what `make dev` shows. The process gets a session of its own so
stopping it stops every child (webserver, daemon, code server, emulator) and nothing else.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cx_assets import settings

#: How long the UI may take to answer with the project's assets loaded (two busy cores).
READY_TIMEOUT_S = 240.0
#: Days of partitions before today: the launch dialog opens on "Last 90 days", so every day the
#: tests launch lies inside it, and each is old enough to be final in the emulator.
START_DAYS_AGO = 14


@dataclass(frozen=True)
class DevServer:
    """A running `cx-assets dev` and where it keeps things."""

    process: subprocess.Popen[bytes]
    url: str
    data_dir: Path
    dagster_home: Path
    log_path: Path
    start_date: dt.date

    def graphql(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """The webserver's GraphQL answer's `data` (errors raise, naming them)."""
        body = json.dumps({"query": query, "variables": variables or {}}).encode()
        request = urllib.request.Request(
            f"{self.url}/graphql", body, {"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            answer = json.load(response)
        if answer.get("errors"):
            raise RuntimeError(f"GraphQL errors: {answer['errors']}")
        return answer["data"]

    def check_names(self, asset: str) -> list[str]:
        """The asset checks the code location defines on `asset`."""
        data = self.graphql(
            """query Checks($key: AssetKeyInput!) {
              assetNodes(assetKeys: [$key]) {
                assetChecksOrError { ... on AssetChecks { checks { name } } }
              }
            }""",
            {"key": {"path": [asset]}},
        )
        (node,) = data["assetNodes"]
        return sorted(check["name"] for check in node["assetChecksOrError"]["checks"])

    def log_tail(self, lines: int = 40) -> str:
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])


def free_ports(count: int) -> list[int]:
    """Ports nothing listens on now (held together so they differ)."""
    sockets = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind((settings.EMULATOR_HOST, 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def dev_environment(root: Path, emulator_port: int, start: dt.date) -> dict[str, str]:
    """The shell a new user has, pointed at fresh folders; no vendor credentials (emulator)."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("GENESYS_", "CXONE_", "DAGSTER_"))
    }
    env.update(
        DAGSTER_HOME=str(root / "dagster_home"),
        CX_DATA_DIR=str(root / "cx_data"),
        CX_EMULATOR_PORT=str(emulator_port),
        CX_START_DATE=start.isoformat(),
        PYTHONUNBUFFERED="1",
    )
    return env


def start_dev(root: Path, log_path: Path) -> DevServer:
    """Start `cx-assets dev` and return once its UI serves the project's assets."""
    emulator_port, ui_port = free_ports(2)
    start = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=START_DAYS_AGO)
    env = dev_environment(root, emulator_port, start)
    cli = Path(sys.executable).with_name("cx-assets")
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(cli), "dev", "--port", str(ui_port)],
            env=env,
            cwd=settings.project_root(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = DevServer(
        process=process,
        url=f"http://127.0.0.1:{ui_port}",
        data_dir=Path(env["CX_DATA_DIR"]),
        dagster_home=Path(env["DAGSTER_HOME"]),
        log_path=log_path,
        start_date=start,
    )
    try:
        _wait_until_ready(server)
    except BaseException:
        stop_dev(server)
        raise
    return server


def _wait_until_ready(server: DevServer) -> None:
    """Until /server_info answers and the code location's assets are loaded."""
    deadline = time.monotonic() + READY_TIMEOUT_S
    last_error = "no answer yet"
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(
                f"cx-assets dev exited with {server.process.returncode} before its UI answered:\n"
                f"{server.log_tail()}"
            )
        try:
            with urllib.request.urlopen(f"{server.url}/server_info", timeout=5):
                pass
            nodes = server.graphql("{ assetNodes { id } }")["assetNodes"]
            if nodes:
                return
            last_error = "the code location has no assets loaded yet"
        except (OSError, urllib.error.URLError, RuntimeError) as exc:
            last_error = str(exc)
        time.sleep(1)
    raise TimeoutError(
        f"the Dagster UI at {server.url} was not ready after {READY_TIMEOUT_S:.0f}s "
        f"({last_error}):\n{server.log_tail()}"
    )


def stop_dev(server: DevServer, grace_s: float = 60.0) -> None:
    """SIGTERM the dev session's process group (what Ctrl-C does), SIGKILL what outlives it."""
    try:
        os.killpg(server.process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    with contextlib.suppress(subprocess.TimeoutExpired):
        server.process.wait(timeout=grace_s)
    # Children (webserver, daemon, code server, emulator) may still be finishing.
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            os.killpg(server.process.pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.5)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.process.pid, signal.SIGKILL)
    server.process.wait(timeout=10)
