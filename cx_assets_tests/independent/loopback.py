"""An independent server's app under real uvicorn on a free loopback port, in a thread, and a
way to cut one of its connections.

Shared by every independent server: how a test server listens (or drops a connection) is not
part of any contract."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Iterator

import uvicorn
from starlette.types import ASGIApp, Send

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


async def abort_connection(send: Send) -> None:
    """Abort uvicorn's transport behind `send` and wait until uvicorn marks it disconnected (a
    dropped connection, as a client meets it)."""
    cycle = getattr(send, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is None:
        raise RuntimeError("cannot cut the connection: not served by uvicorn's HTTP protocol")
    transport.abort()
    for _ in range(200):
        if getattr(cycle, "disconnected", True):
            return
        await asyncio.sleep(0.005)
