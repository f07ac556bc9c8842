"""A tiny scripted HTTP server for transport tests: real sockets, real uvicorn, no mocks.

Each test scripts the answers a path gives (429 then 200, 503 x2, a dropped connection, …);
unscripted API paths answer 200 with JSON. `/oauth/token` issues bearer tokens for one client,
and every other path except `/files/…` (presigned downloads) demands a live bearer token.
"""

from __future__ import annotations

import asyncio
import base64
import secrets
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

CLIENT_ID = "test-client"
CLIENT_SECRET = "s3cr3t-Very-Private-Value"
METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH"]


@dataclass
class Step:
    """One scripted answer. `drop` promises more bytes than it sends, so the connection is cut
    mid-body; `delay_s` holds the answer back (for client timeouts)."""

    status: int = 200
    json: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    delay_s: float = 0.0
    drop: bool = False


@dataclass
class Seen:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes


class ScriptedServer:
    """State shared between the test thread and the server's event loop (guarded by a lock)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.base_url = ""
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._scripts: dict[str, list[Step]] = {}
            self._always: dict[str, Step] = {}
            self.seen: list[Seen] = []
            self.valid_tokens: set[str] = set()
            self.issued: list[str] = []
            self.expires_in = 3600
            self.token_delay_s = 0.0

    def script(self, method: str, path: str, *steps: Step) -> None:
        """The next answers of `method path`, in order; afterwards the default applies."""
        with self._lock:
            self._scripts.setdefault(f"{method} {path}", []).extend(steps)

    def always(self, method: str, path: str, step: Step) -> None:
        with self._lock:
            self._always[f"{method} {path}"] = step

    def revoke_tokens(self) -> None:
        with self._lock:
            self.valid_tokens.clear()

    def calls(self, path: str, method: str | None = None) -> list[Seen]:
        with self._lock:
            return [s for s in self.seen if s.path == path and method in (None, s.method)]

    def _next_step(self, method: str, path: str) -> Step | None:
        with self._lock:
            queue = self._scripts.get(f"{method} {path}")
            if queue:
                return queue.pop(0)
            return self._always.get(f"{method} {path}")

    async def handle(self, request: Request) -> Response:
        body = await request.body()
        path = request.url.path
        with self._lock:
            self.seen.append(
                Seen(request.method, path, request.url.query, dict(request.headers), body)
            )
        step = self._next_step(request.method, path)
        if step is None and path == "/oauth/token":
            return await self._token(request, body)
        if step is None and not path.startswith("/files/"):
            bearer = request.headers.get("authorization", "").removeprefix("Bearer ")
            with self._lock:
                live = bearer in self.valid_tokens
            if not live:
                return JSONResponse({"status": 401, "message": "token rejected"}, 401)
        if step is None:
            step = Step(json={"path": path, "method": request.method})
        if step.delay_s:
            await asyncio.sleep(step.delay_s)
        if step.body is not None:
            content = step.body
        elif step.json is not None:
            content = JSONResponse(step.json).body
        else:
            content = b""
        headers = dict(step.headers)
        if step.json is not None:
            headers.setdefault("content-type", "application/json")
        if step.drop:
            headers["content-length"] = str(len(content) * 2 + 100)
        return Response(content, step.status, headers=headers)

    async def _token(self, request: Request, body: bytes) -> Response:
        expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if request.headers.get("authorization") != f"Basic {expected}":
            return JSONResponse(
                {"error": "invalid_client", "error_description": "unknown client or secret"}, 401
            )
        form = parse_qs(body.decode())
        if form.get("grant_type") != ["client_credentials"]:
            return JSONResponse({"error": "unsupported_grant_type"}, 400)
        scope = form.get("scope", [""])[0]
        if "forbidden:scope" in scope.split():
            return JSONResponse(
                {"error": "invalid_scope", "error_description": "scope forbidden:scope"}, 400
            )
        if self.token_delay_s:
            await asyncio.sleep(self.token_delay_s)
        token = f"tok-{secrets.token_hex(12)}"
        with self._lock:
            self.valid_tokens.add(token)
            self.issued.append(token)
            expires_in = self.expires_in
        return JSONResponse(
            {
                "access_token": token,
                "token_type": "bearer",
                "expires_in": expires_in,
                "scope": scope,
            }
        )


def start(server: ScriptedServer) -> tuple[uvicorn.Server, threading.Thread]:
    """Serve on a free loopback port in a daemon thread; returns once it accepts connections."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    app = Starlette(routes=[Route("/{path:path}", server.handle, methods=METHODS)])
    config = uvicorn.Config(app, log_level="critical", lifespan="off", access_log=False)
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not uv.started:
        if time.monotonic() > deadline:
            raise RuntimeError("scripted server did not start")
        time.sleep(0.01)
    server.base_url = f"http://127.0.0.1:{port}"
    return uv, thread
