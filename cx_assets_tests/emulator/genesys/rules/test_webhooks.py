"""Platform webhooks for `data.action.updated`: registering answers 201 with a signing secret
(generated, or the one the client chose); after a successful PUT each enabled webhook gets the
event `{eventType, actionId, version, actorId, timestamp}` signed `X-Genesys-Signature: t=..,
v1=HMAC-SHA256(secret, "<t>." + body)` with the target's headers, retried after a non-2xx
answer; disabled webhooks get nothing; listing never shows the secret."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from cx_assets.emulator import EmulatorServer
from cx_assets_tests.emulator.genesys.rules.test_writes import NEW_TREE, put
from cx_assets_tests.emulator.support import api_client
from cx_assets_tests.emulator.webhook_receiver import Receiver, signed_at

WEBHOOKS = "/api/v2/platform/webhooks"
FAST = {"callback_backoff_s": 0.05}


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver("/hooks/rules") as rec:
        yield rec


def register(client: httpx.Client, url: str, **changes: Any) -> dict[str, Any]:
    body = {
        "name": "rules-drift",
        "enabled": True,
        "events": [{"eventType": "data.action.updated"}],
        "target": {"url": url, "headers": {"X-Receiver-Key": "k-123"}},
        **changes,
    }
    response = client.post(WEBHOOKS, json=body)
    assert response.status_code == 201, response.text
    return response.json()


def test_an_update_is_delivered_signed_with_target_headers(
    emulator_factory: Any, receiver: Receiver
) -> None:
    emu: EmulatorServer = emulator_factory(**FAST)
    client = api_client(emu)
    webhook = register(client, receiver.url)
    assert webhook["secret"] and webhook["id"]
    assert put(client, "route-vip", {"conditions": NEW_TREE}, '"1"').status_code == 200
    [(headers, raw)] = receiver.wait_for(1)
    assert signed_at(webhook["secret"], headers, raw) is not None
    assert signed_at("some-other-secret", headers, raw) is None
    assert headers["X-Receiver-Key"] == "k-123"
    event = json.loads(raw)
    assert {k: event[k] for k in ("eventType", "actionId", "version", "actorId")} == {
        "eventType": "data.action.updated",
        "actionId": "route-vip",
        "version": 2,
        "actorId": emu.client_id,
    }
    assert event["timestamp"].endswith("Z")
    listed = client.get(WEBHOOKS).json()["entities"]
    assert [w["id"] for w in listed] == [webhook["id"]]
    assert "secret" not in listed[0]
    assert "k-123" not in json.dumps(listed)


def test_a_failed_delivery_is_retried_and_disabled_hooks_get_nothing(
    emulator_factory: Any, receiver: Receiver
) -> None:
    emu: EmulatorServer = emulator_factory(**FAST)
    client = api_client(emu)
    receiver.statuses = [503, 500]
    chosen = register(client, receiver.url, secret="chosen-by-the-client")
    assert chosen["secret"] == "chosen-by-the-client"
    register(client, receiver.url + "/off", enabled=False, name="off")
    assert put(client, "route-vip", {"conditions": NEW_TREE}, '"1"').status_code == 200
    calls = receiver.wait_for(3)
    assert len(calls) == 3
    assert all(signed_at("chosen-by-the-client", h, b) is not None for h, b in calls)
    deliveries = emu.stats()["webhook_deliveries"]
    assert [(d["attempt"], d["status"], d["delivered"]) for d in deliveries] == [
        (1, 503, False),
        (2, 500, False),
        (3, 200, True),
    ]


def test_a_bad_registration_names_the_field(emulator: EmulatorServer) -> None:
    client = api_client(emulator)
    bad_event = client.post(
        WEBHOOKS,
        json={"name": "x", "events": [{"eventType": "nope"}], "target": {"url": "http://h/x"}},
    )
    assert bad_event.status_code == 400
    assert "events[0].eventType" in bad_event.json()["message"]
    bad_url = client.post(
        WEBHOOKS,
        json={"name": "x", "events": [{"eventType": "data.action.updated"}], "target": {}},
    )
    assert "target.url" in bad_url.json()["message"]
