"""Privacy completion callbacks: a compact JSON POST of {requestId, status, downloadUrl,
entityType} with `X-Genesys-Signature: t=<unix>,v1=HMAC-SHA256(secret, "<t>." + raw body)`,
retried after a non-2xx answer, never sent under `drop_callback`, sent with FAILED (and no
downloadUrl) when the request fails; every attempt shows in `/admin/stats`."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator

import httpx
import pytest

from cx_assets_tests.emulator.genesys.privacy.test_requests import (
    BASE,
    privacy_body,
    wait_until_done,
)
from cx_assets_tests.emulator.support import api_client
from cx_assets_tests.emulator.webhook_receiver import Receiver, signed_at

SECRET = "test-webhook-secret"
FAST_CALLBACKS = {"webhook_secret": SECRET, "callback_backoff_s": 0.05}


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver("/hooks/privacy") as rec:
        yield rec


def verify(headers: dict[str, str], body: bytes) -> int:
    """Asserts the signature is valid for SECRET; returns the signed timestamp."""
    t = signed_at(SECRET, headers, body)
    assert t is not None, "signature does not match"
    return t


def test_completed_callback_is_signed_and_its_url_downloads(emulator_factory, receiver):
    emu = emulator_factory(**FAST_CALLBACKS)
    client = api_client(emu)
    body = privacy_body(callbackUrl=receiver.url, entityType="interaction", dataTypes=["chat"])
    client.post(BASE, json=body)
    [(headers, raw)] = receiver.wait_for(1)
    signed_t = verify(headers, raw)
    assert abs(signed_t - time.time()) < 300
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
    with Receiver("/hooks/privacy") as dead:
        url = dead.url
    body = privacy_body(callbackUrl=url)
    api_client(emu).post(BASE, json=body)
    deadline = time.monotonic() + 15
    while len(emu.stats().get("privacy_callbacks", [])) < 3 and time.monotonic() < deadline:
        time.sleep(0.02)
    attempts = emu.stats()["privacy_callbacks"]
    assert [a["attempt"] for a in attempts] == [1, 2, 3]
    assert all(a["status"].startswith("error: ") and not a["delivered"] for a in attempts)
