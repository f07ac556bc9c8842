"""An independent server's app under real uvicorn on a free loopback port, in a thread.

Shared by every independent server: how a test server listens is not part of any contract."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator

import uvicorn
from starlette.types import ASGIApp

START_TIMEOUT_S = 10.0


@contextlib.contextmanager
def serve_app(app: ASGIApp, name: str) -> Iterator[str]:
    """Serve `app` until the block ends; yields its base URL (`http://127.0.0.1:<port>`)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False)
    runner = uvicorn.Server(config)
    thread = threading.Thread(target=runner.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT_S
    while not runner.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.01)
    try:
        if not runner.started:
            raise RuntimeError(f"{name} did not start")
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        runner.should_exit = True
        thread.join(timeout=10)
        sock.close()
