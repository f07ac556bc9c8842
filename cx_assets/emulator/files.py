"""`GET /files/{owner_id}/{name}`: presigned downloads streamed from disk, with file faults.

1 MiB reads: with 8 KiB chunks the server itself becomes the bottleneck (MEASURED.md: 78 MB/s
against 3000 MB/s).
"""

from __future__ import annotations

from pathlib import Path

import anyio
from starlette.requests import Request
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from cx_assets.emulator.context import EmulatorContext
from cx_assets.emulator.errors import ApiError

CHUNK = 1024 * 1024


class FileBody:
    """Streams a file; `fault` may drop the connection half-way, flip a byte or cut it short."""

    def __init__(self, path: Path, size: int, media_type: str, fault: str | None) -> None:
        self.path = path
        self.size = size
        self.media_type = media_type
        self.fault = fault

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        length = self.size // 2 if self.fault == "truncate_file" else self.size
        stop_at = length // 2 if self.fault == "drop_connection" else length
        flip_at = self.size // 2 if self.fault == "corrupt_file" else -1
        headers = [
            (b"content-type", self.media_type.encode()),
            (b"content-length", str(length).encode()),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        sent = 0
        async with await anyio.open_file(self.path, "rb") as fh:
            while sent < stop_at:
                chunk = await fh.read(min(CHUNK, stop_at - sent))
                if not chunk:
                    break
                if sent <= flip_at < sent + len(chunk):
                    data = bytearray(chunk)
                    data[flip_at - sent] ^= 0xFF
                    chunk = bytes(data)
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
                sent += len(chunk)
        if self.fault == "drop_connection":
            # Returning with the body unfinished makes uvicorn close the socket: the client
            # sees fewer bytes than Content-Length promised.
            return
        await send({"type": "http.response.body", "body": b"", "more_body": False})


async def download(request: Request) -> FileBody:
    ctx: EmulatorContext = request.app.state.ctx
    path = request.url.path
    ctx.signer.verify(path, dict(request.query_params))
    found = ctx.resolve_file(request.path_params["owner_id"], request.path_params["name"])
    if found is None or not found[0].exists():
        raise ApiError(404, f"no such file: {request.path_params['name']}")
    file_path, media_type = found
    fault = None
    for kind in ("drop_connection", "corrupt_file", "truncate_file"):
        if ctx.faults.take(kind, path) is not None:
            fault = kind
            break
    return FileBody(file_path, file_path.stat().st_size, media_type, fault)


ROUTES = (Route("/files/{owner_id}/{name}", download, methods=["GET"]),)
