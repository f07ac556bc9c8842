"""The privacy callback receiver accepts only callbacks signed with the shared secret over
`<t>.<body>`, at most 5 minutes old and not seen before: a valid one lands in the privacy area's
inbox (0600, without the presigned URL); a bad, stale or replayed one gets 401 and changes no
request state (only a refusal note, for the audit log)."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from cx_assets.lake.privacy import PrivacyArea
from cx_assets.receiver.privacy import CALLBACK_PATH, PrivacyInbox
from cx_assets.receiver.server import create_webhook_app
from cx_assets.receiver.signing import SIGNATURE_HEADER, sign

SECRET = "test-webhook-secret"
NOW = 1_710_000_000
REQUEST_ID = "5b3a0f4e-0000-4000-8000-000000000001"


def _body(status: str = "COMPLETED") -> bytes:
    payload = {
        "requestId": REQUEST_ID,
        "status": status,
        "downloadUrl": "http://127.0.0.1:1/files/x?sig=SECRETSIGNATURE",
        "entityType": "user",
    }
    return json.dumps(payload, separators=(",", ":")).encode()


@pytest.fixture
def area(tmp_path: Path) -> PrivacyArea:
    return PrivacyArea(tmp_path / "data")


@pytest.fixture
def client(area: PrivacyArea) -> TestClient:
    return TestClient(create_webhook_app(area.data_root, SECRET, clock=lambda: NOW))


def _post(client: TestClient, body: bytes, header: str | None) -> int:
    headers = {"Content-Type": "application/json"}
    if header is not None:
        headers[SIGNATURE_HEADER] = header
    return client.post(CALLBACK_PATH, content=body, headers=headers).status_code


def _inbox(area: PrivacyArea) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted(area.inbox_dir.glob("*.json"))]


def _refusals(area: PrivacyArea) -> list[str]:
    return [reason for _, note in PrivacyInbox(area).rejections() for reason in [note["reason"]]]


def test_a_valid_callback_is_stored_privately_without_the_url(
    client: TestClient, area: PrivacyArea
) -> None:
    body = _body()
    assert _post(client, body, sign(SECRET, NOW - 10, body)) == 202
    [entry] = _inbox(area)
    assert (entry["requestId"], entry["status"], entry["t"]) == (REQUEST_ID, "COMPLETED", NOW - 10)
    [path] = area.inbox_dir.glob("*.json")
    assert "SECRETSIGNATURE" not in path.read_text() and "downloadUrl" not in entry
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(area.root.stat().st_mode) == 0o700
    assert stat.S_IMODE(area.inbox_dir.stat().st_mode) == 0o700
    assert _refusals(area) == []


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        (None, "missing X-Genesys-Signature"),
        (sign("wrong-secret", NOW, _body()), "does not match"),
        (sign(SECRET, NOW, _body("FAILED")), "does not match"),  # body swapped after signing
        ("t=abc,v1=00", "no single integer"),
        (sign(SECRET, NOW - 301, _body()), "at most 300 s"),  # stale
        (sign(SECRET, NOW + 301, _body()), "at most 300 s"),  # from the future
    ],
)
def test_bad_and_stale_callbacks_get_401_and_change_nothing(
    client: TestClient, area: PrivacyArea, header: str | None, reason: str
) -> None:
    assert _post(client, _body(), header) == 401
    assert _inbox(area) == []
    assert list(area.seen_dir.iterdir()) == []
    [refusal] = _refusals(area)
    assert reason in refusal


def test_a_replayed_callback_gets_401(client: TestClient, area: PrivacyArea) -> None:
    body = _body()
    header = sign(SECRET, NOW - 5, body)
    assert _post(client, body, header) == 202
    PrivacyInbox(area).mark_done(PrivacyInbox(area).pending()[0])  # the sensor acted on it
    assert _post(client, body, header) == 401
    assert _inbox(area) == []
    assert len(list(area.done_dir.glob("*.json"))) == 1
    [refusal] = _refusals(area)
    assert "replayed" in refusal
    # A new delivery (new t) of the same request is a different callback, not a replay.
    assert _post(client, body, sign(SECRET, NOW - 1, body)) == 202


def test_a_signed_body_that_is_not_a_callback_is_refused(
    client: TestClient, area: PrivacyArea
) -> None:
    body = b'{"hello": "world"}'
    assert _post(client, body, sign(SECRET, NOW, body)) == 400
    assert _inbox(area) == []
