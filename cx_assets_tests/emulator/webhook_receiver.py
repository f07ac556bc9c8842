"""A tiny local receiver for the emulator's signed webhooks, and the contract's signature check.

The check is written from the contract's formula (`X-Genesys-Signature: t=<unix>,v1=HMAC-SHA256(
secret, "<t>." + raw body)`), not imported from cx_assets, so a shared bug cannot cancel out.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

Call = tuple[dict[str, str], bytes]


class Receiver:
    """Records every POST (headers, raw body) and answers the scripted `statuses` first, then 200.

    A context manager: the server stops on exit.
    """

    def __init__(self, path: str = "/hooks") -> None:
        self.statuses: list[int] = []
        self.calls: list[Call] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.calls.append((dict(self.headers), body))
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}{path}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, count: int) -> list[Call]:
        """Wait for `count` calls (a generous deadline, not a timing assertion)."""
        deadline = time.monotonic() + 15
        while len(self.calls) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return list(self.calls)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> Receiver:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def signed_at(secret: str, headers: dict[str, str], body: bytes) -> int | None:
    """The signed unix time `t` when the signature matches `secret` and `body`, else None."""
    fields = dict(part.split("=", 1) for part in headers["X-Genesys-Signature"].split(","))
    expected = hmac.new(secret.encode(), f"{fields['t']}.".encode() + body, hashlib.sha256)
    return int(fields["t"]) if hmac.compare_digest(fields["v1"], expected.hexdigest()) else None
