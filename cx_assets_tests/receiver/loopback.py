"""The receiver under real uvicorn on a free loopback port: in a thread, or as the CLI process.

Tests talk to it with httpx over real sockets, exactly as a sender would.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import uvicorn
from starlette.applications import Starlette

from cx_assets.receiver.signing import SIGNATURE_HEADER, sign


def wait_for(predicate: Callable[[], object], what: str, timeout_s: float = 15) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


@contextmanager
def serve(app: Starlette) -> Iterator[str]:
    """`app` under uvicorn in a thread (lifespan on, as the CLI runs it); yields its base URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        wait_for(lambda: server.started, "the webhook receiver")
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cli_env(**overrides: str) -> dict[str, str]:
    """The environment of a `cx-assets webhooks serve` process: this one's, minus every
    variable that would point it elsewhere, plus `overrides`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CX_", "GENESYS_"))}
    return env | overrides


def run_cli(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "cx_assets.cli", "webhooks", "serve", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@contextmanager
def serve_cli(data_dir: Path, env: dict[str, str]) -> Iterator[tuple[str, int]]:
    """`cx-assets webhooks serve` as its own process on a free loopback port; yields its base
    URL and pid (for its memory) and stops it after."""
    port = free_port()
    proc = run_cli(["--port", str(port), "--data-dir", str(data_dir)], env)
    base = f"http://127.0.0.1:{port}"

    def up() -> bool:
        assert proc.poll() is None, proc.communicate()[1]
        try:
            return httpx.get(f"{base}/health", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    try:
        wait_for(up, "the receiver process", timeout_s=60)
        yield base, proc.pid
    finally:
        proc.terminate()
        proc.communicate(timeout=20)


def peak_rss_bytes(pid: int) -> int:
    """The process's peak resident set (VmHWM), from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmHWM for process {pid}")


def signed(secret: str, t: int, body: bytes) -> dict[str, str]:
    return {"Content-Type": "application/json", SIGNATURE_HEADER: sign(secret, t, body)}
