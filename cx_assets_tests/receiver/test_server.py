"""The privacy callback receiver, over real loopback HTTP: it accepts only callbacks signed with
the shared secret over `<t>.<body>`, at most 5 minutes old and not seen before. A valid one
lands in the privacy area's inbox (0600, without the presigned URL); a bad, stale or replayed
one gets 401, changes no request state and writes no file of its own: it is only counted, by
reason, in the route's refusal ledger."""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from cx_assets.lake.privacy import PrivacyArea
from cx_assets.receiver.privacy import CALLBACK_PATH, PrivacyInbox
from cx_assets.receiver.refusals import read_ledger
from cx_assets.receiver.server import create_webhook_app
from cx_assets.receiver.signing import SIGNATURE_HEADER, sign
from cx_assets_tests.receiver.loopback import serve, wait_for

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
def client(area: PrivacyArea) -> Iterator[httpx.Client]:
    app = create_webhook_app(area.data_root, SECRET, events_secret="events-1", clock=lambda: NOW)
    with serve(app) as base, httpx.Client(base_url=base) as http:
        yield http


def _post(client: httpx.Client, body: bytes, header: str | bytes | None) -> httpx.Response:
    headers: dict[str, str | bytes] = {"Content-Type": "application/json"}
    if header is not None:
        headers[SIGNATURE_HEADER] = header
    return client.post(CALLBACK_PATH, content=body, headers=headers)


def _inbox(area: PrivacyArea) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted(area.inbox_dir.glob("*.json"))]


def _refusals(area: PrivacyArea, total: int) -> dict[str, int]:
    """The ledger's counts once it holds `total` refusals (it is flushed within a second)."""
    path = PrivacyInbox(area).refusals_path

    def flushed() -> bool:
        state = read_ledger(path)
        return state is not None and state.total >= total

    wait_for(flushed, f"{total} refusal(s) in the ledger")
    state = read_ledger(path)
    assert state is not None
    return state.counts


def test_a_valid_callback_is_stored_privately_without_the_url(
    client: httpx.Client, area: PrivacyArea
) -> None:
    body = _body()
    assert _post(client, body, sign(SECRET, NOW - 10, body)).status_code == 202
    [entry] = _inbox(area)
    assert (entry["requestId"], entry["status"], entry["t"]) == (REQUEST_ID, "COMPLETED", NOW - 10)
    [path] = area.inbox_dir.glob("*.json")
    assert "SECRETSIGNATURE" not in path.read_text() and "downloadUrl" not in entry
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(area.root.stat().st_mode) == 0o700
    assert stat.S_IMODE(area.inbox_dir.stat().st_mode) == 0o700
    assert read_ledger(PrivacyInbox(area).refusals_path) is None


@pytest.mark.parametrize(
    ("header", "reason", "message"),
    [
        (None, "missing_signature", "missing X-Genesys-Signature"),
        (sign("wrong-secret", NOW, _body()), "bad_signature", "does not match"),
        (sign(SECRET, NOW, _body("FAILED")), "bad_signature", "does not match"),  # body swapped
        ("t=abc,v1=00", "malformed_signature", "no single integer"),
        ("t=1" + "0" * 400 + ",v1=00", "malformed_signature", "no single integer"),
        (b"t=1710000000,v1=\xe9\xe9", "bad_signature", "does not match"),  # not ASCII
        (sign(SECRET, NOW - 301, _body()), "stale", "at most 300 s"),
        (sign(SECRET, NOW + 301, _body()), "stale", "at most 300 s"),  # from the future
    ],
)
def test_bad_and_stale_callbacks_get_401_and_leave_only_a_count(
    client: httpx.Client, area: PrivacyArea, header: str | bytes | None, reason: str, message: str
) -> None:
    response = _post(client, _body(), header)
    assert response.status_code == 401 and message in response.json()["message"]
    assert _inbox(area) == []
    assert list(area.seen_dir.iterdir()) == []
    assert _refusals(area, 1) == {reason: 1}
    ledger = PrivacyInbox(area).refusals_path
    assert [p for p in area.root.rglob("*") if p.is_file()] == [ledger]
    assert stat.S_IMODE(ledger.stat().st_mode) == 0o600


def test_a_replayed_callback_gets_401(client: httpx.Client, area: PrivacyArea) -> None:
    body = _body()
    header = sign(SECRET, NOW - 5, body)
    assert _post(client, body, header).status_code == 202
    PrivacyInbox(area).mark_done(PrivacyInbox(area).pending()[0])  # the sensor acted on it
    response = _post(client, body, header)
    assert response.status_code == 401 and "replayed" in response.json()["message"]
    assert _inbox(area) == []
    assert len(list(area.done_dir.glob("*.json"))) == 1
    assert _refusals(area, 1) == {"replay": 1}
    # A new delivery (new t) of the same request is a different callback, not a replay.
    assert _post(client, body, sign(SECRET, NOW - 1, body)).status_code == 202


def test_a_signed_body_that_is_not_a_callback_is_refused(
    client: httpx.Client, area: PrivacyArea
) -> None:
    body = b'{"hello": "world"}'
    response = _post(client, body, sign(SECRET, NOW, body))
    assert response.status_code == 400 and "requestId" in response.json()["message"]
    assert _inbox(area) == []
    assert _refusals(area, 1) == {"malformed": 1}
