"""Run the emulator for tests (uvicorn in a background thread) or as a subprocess (benchmarks).

with EmulatorServer(state_dir=tmp_path, records_per_day=50) as emu:
    emu.add_faults("http_429:count=2")
    httpx.post(f"{emu.url}/oauth/token", ...)
"""

from __future__ import annotations

import dataclasses
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import uvicorn

from cx_assets.emulator.admin_client import EmulatorAdmin, FaultLike
from cx_assets.emulator.app import create_app
from cx_assets.emulator.config import EmulatorConfig


def _bind(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    return sock


def free_port(host: str = "127.0.0.1") -> int:
    """A port that was free a moment ago (for a subprocess, which must bind it itself)."""
    with _bind(host, 0) as sock:
        return sock.getsockname()[1]


class _AdminMixin:
    url: str

    @property
    def admin(self) -> EmulatorAdmin:
        return EmulatorAdmin(self.url)

    def add_faults(self, *faults: FaultLike) -> dict[str, Any]:
        return self.admin.add_faults(*faults)

    def clear_faults(self) -> dict[str, Any]:
        return self.admin.clear_faults()

    def stats(self) -> dict[str, Any]:
        return self.admin.stats()


class EmulatorServer(_AdminMixin):
    """uvicorn on 127.0.0.1 in a daemon thread. Port 0 (the default here) picks a free port."""

    def __init__(self, config: EmulatorConfig | None = None, **overrides: Any) -> None:
        overrides.setdefault("port", 0)
        self.config = dataclasses.replace(config or EmulatorConfig(), **overrides)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return self.config.url

    @property
    def client_id(self) -> str:
        return next(iter(self.config.clients))

    @property
    def client_secret(self) -> str:
        return self.config.clients[self.client_id]

    def start(self, timeout_s: float = 10.0) -> EmulatorServer:
        sock = _bind(self.config.host, self.config.port)
        self.config = dataclasses.replace(self.config, port=sock.getsockname()[1])
        uv_config = uvicorn.Config(
            create_app(self.config),
            log_level="warning",
            access_log=False,
            lifespan="on",
            timeout_graceful_shutdown=1,
        )
        self._server = uvicorn.Server(uv_config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, daemon=True, name="cx-emulator"
        )
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                sock.close()
                raise RuntimeError(f"emulator did not start on {self.url}")
            time.sleep(0.01)
        return self

    def stop(self, timeout_s: float = 10.0) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout_s)
        self._server = self._thread = None

    def restart(self) -> EmulatorServer:
        """Stop and start on the same port and state dir (exports must survive this)."""
        self.stop()
        return self.start()

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class EmulatorProcess(_AdminMixin):
    """`python -m cx_assets.emulator` as a child process: its own GIL, as in production use."""

    def __init__(self, config: EmulatorConfig | None = None, **overrides: Any) -> None:
        from cx_assets.emulator.cli import config_to_argv

        config = dataclasses.replace(config or EmulatorConfig(), **overrides)
        if config.port == 0:
            config = dataclasses.replace(config, port=free_port(config.host))
        self.config = config
        self._argv = [sys.executable, "-m", "cx_assets.emulator", *config_to_argv(config)]
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return self.config.url

    def start(self, timeout_s: float = 20.0, log_path: Path | None = None) -> EmulatorProcess:
        if self._proc is not None and self._proc.poll() is None:
            return self  # already running (e.g. `start()` then `with`)
        if self.admin.healthy():
            raise RuntimeError(
                f"another server already answers on {self.url}: stop it or choose another port"
            )
        out = open(log_path, "ab") if log_path else subprocess.DEVNULL  # noqa: SIM115
        self._proc = subprocess.Popen(self._argv, stdout=out, stderr=out, env=dict(os.environ))
        deadline = time.monotonic() + timeout_s
        while not self.admin.healthy():
            if self._proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"emulator process did not start on {self.url}")
            time.sleep(0.05)
        return self

    def stop(self, timeout_s: float = 10.0) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._proc = None

    def __enter__(self) -> EmulatorProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
