"""Privacy completion callbacks: a compact JSON POST of {requestId, status, downloadUrl,
entityType} with `X-Genesys-Signature: t=<unix>,v1=HMAC-SHA256(secret, "<t>." + raw body)`,
retried after a non-2xx answer, never sent under `drop_callback`, sent with FAILED (and no
downloadUrl) when the request fails; every attempt shows in `/admin/stats`."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from .support import api_client
from .test_privacy_requests import BASE, privacy_body, wait_until_done

SECRET = "test-webhook-secret"
FAST_CALLBACKS = {"webhook_secret": SECRET, "callback_backoff_s": 0.05}


class Receiver:
    """A tiny local webhook receiver: records every POST, answers the scripted statuses first."""

    def __init__(self, statuses: list[int] | None = None) -> None:
        self.statuses = list(statuses or [])
        self.calls: list[tuple[dict[str, str], bytes]] = []
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
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/privacy"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, count: int) -> list[tuple[dict[str, str], bytes]]:
        deadline = time.monotonic() + 15
        while len(self.calls) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return list(self.calls)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    rec = Receiver()
    yield rec
    rec.server.shutdown()
    rec.server.server_close()


def verify(headers: dict[str, str], body: bytes) -> int:
    """The contract's check, written from its formula; returns the signed timestamp."""
    fields = dict(part.split("=", 1) for part in headers["X-Genesys-Signature"].split(","))
    expected = hmac.new(SECRET.encode(), f"{fields['t']}.".encode() + body, hashlib.sha256)
    assert hmac.compare_digest(fields["v1"], expected.hexdigest())
    return int(fields["t"])


def test_completed_callback_is_signed_and_its_url_downloads(emulator_factory, receiver):
    emu = emulator_factory(**FAST_CALLBACKS)
    client = api_client(emu)
    body = privacy_body(callbackUrl=receiver.url, entityType="interaction", dataTypes=["chat"])
    client.post(BASE, json=body)
    [(headers, raw)] = receiver.wait_for(1)
    signed_at = verify(headers, raw)
    assert abs(signed_at - time.time()) < 300
    assert headers["Content-Type"] == "application/json"
    payload = json.loads(raw)
    assert raw == json.dumps(payload, separators=(",", ":")).encode()  # compact
    assert set(payload) == {"requestId", "status", "downloadUrl", "entityType"}
    assert payload["requestId"] == body["requestId"] and payload["status"] == "COMPLETED"
    assert payload["entityType"] == "interaction"
    done = wait_until_done(client, body["requestId"])
    content = httpx.get(payload["downloadUrl"]).content
    assert hashlib.sha256(content).hexdigest() == done["checksum"]["value"]
    [attempt] = emu.stats()["privacy_callbacks"]
    assert attempt == {
        "requestId": body["requestId"],
        "attempt": 1,
        "status": 200,
        "delivered": True,
    }


def test_callback_is_retried_after_a_500(emulator_factory, receiver):
    receiver.statuses = [500]
    emu = emulator_factory(**FAST_CALLBACKS)
    body = privacy_body(callbackUrl=receiver.url)
    api_client(emu).post(BASE, json=body)
    (first_headers, first), (second_headers, second) = receiver.wait_for(2)
    assert first == second
    assert verify(second_headers, second) > verify(first_headers, first)  # never a replayed t
    time.sleep(0.2)  # a delivered callback is not sent again
    assert len(receiver.calls) == 2
    attempts = emu.stats()["privacy_callbacks"]
    assert [(a["attempt"], a["status"], a["delivered"]) for a in attempts] == [
        (1, 500, False),
        (2, 200, True),
    ]


def test_drop_callback_means_it_is_never_sent(emulator_factory, receiver):
    emu = emulator_factory(**FAST_CALLBACKS)
    emu.add_faults("drop_callback:path_prefix=/api/v2/data/privacy")
    client = api_client(emu)
    dropped, delivered = (
        privacy_body(callbackUrl=receiver.url),
        privacy_body(callbackUrl=receiver.url),
    )
    client.post(BASE, json=dropped)
    assert wait_until_done(client, dropped["requestId"])["status"] == "COMPLETED"
    client.post(BASE, json=delivered)
    [(_, raw)] = receiver.wait_for(1)
    assert json.loads(raw)["requestId"] == delivered["requestId"]
    logged = {a["requestId"]: a["status"] for a in emu.stats()["privacy_callbacks"]}
    assert logged == {dropped["requestId"]: "dropped", delivered["requestId"]: 200}


def test_failed_request_still_calls_back_with_failed(emulator_factory, receiver):
    emu = emulator_factory(**FAST_CALLBACKS)
    emu.add_faults("export_failed:path_prefix=/api/v2/data/privacy")
    body = privacy_body(callbackUrl=receiver.url)
    api_client(emu).post(BASE, json=body)
    [(headers, raw)] = receiver.wait_for(1)
    verify(headers, raw)
    assert json.loads(raw) == {
        "requestId": body["requestId"],
        "status": "FAILED",
        "downloadUrl": None,
        "entityType": "user",
    }


def test_unreachable_receiver_gives_up_after_the_configured_attempts(emulator_factory):
    emu = emulator_factory(webhook_secret=SECRET, callback_attempts=3, callback_backoff_s=0.01)
    dead = Receiver()
    url = dead.url
    dead.server.shutdown()
    dead.server.server_close()
    body = privacy_body(callbackUrl=url)
    api_client(emu).post(BASE, json=body)
    deadline = time.monotonic() + 15
    while len(emu.stats().get("privacy_callbacks", [])) < 3 and time.monotonic() < deadline:
        time.sleep(0.02)
    attempts = emu.stats()["privacy_callbacks"]
    assert [a["attempt"] for a in attempts] == [1, 2, 3]
    assert all(a["status"].startswith("error: ") and not a["delivered"] for a in attempts)
