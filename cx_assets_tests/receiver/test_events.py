"""The shared receiver's `POST /genesys/events` accepts only `data.action.updated` events signed
with the data action webhook secret over `<t>.<body>`, at most 5 minutes old and not seen before;
a verified event lands in the events inbox (never with the secret), anything else gets 401 (bad,
stale, replayed, signed with the privacy secret) or 400 (not an event) and stores no event. The
events sensor's tick audits refusals and marks events for actions no rule file manages as done
without a run. The default secret is refused for a real org."""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg
import pytest
from starlette.testclient import TestClient

from cx_assets.catalog.queries import query
from cx_assets.defs.rules.sensors import process_events
from cx_assets.receiver.events import (
    EMULATOR_EVENTS_SECRET,
    EVENTS_PATH,
    SECRET_ENV,
    EventInbox,
    signing_secret,
)
from cx_assets.receiver.privacy import CALLBACK_PATH
from cx_assets.receiver.server import create_webhook_app
from cx_assets.receiver.signing import SIGNATURE_HEADER
from cx_assets.receiver.signing import sign as sign_body

PRIVACY_SECRET = "privacy-secret-1"
EVENTS_SECRET = "events-secret-1"
NOW = 1_710_000_000


def _event(action_id: str = "route-vip", version: int = 4) -> bytes:
    payload = {
        "eventType": "data.action.updated",
        "actionId": action_id,
        "version": version,
        "actorId": "other-admin",
        "timestamp": "2024-03-09T16:00:00Z",
    }
    return json.dumps(payload, separators=(",", ":")).encode()


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def client(root: Path) -> TestClient:
    app = create_webhook_app(root, PRIVACY_SECRET, events_secret=EVENTS_SECRET, clock=lambda: NOW)
    return TestClient(app)


def _post(client: TestClient, body: bytes, header: str | None, path: str = EVENTS_PATH) -> int:
    headers = {"Content-Type": "application/json"}
    if header is not None:
        headers[SIGNATURE_HEADER] = header
    return client.post(path, content=body, headers=headers).status_code


def test_a_verified_event_is_recorded_without_the_secret(client: TestClient, root: Path) -> None:
    assert _post(client, _event(), sign_body(EVENTS_SECRET, NOW - 3, _event())) == 202
    inbox = EventInbox(root)
    [entry] = inbox.pending()
    assert (entry.event.action_id, entry.event.version, entry.signed_at) == (
        "route-vip",
        4,
        NOW - 3,
    )
    assert entry.event.actor_id == "other-admin"
    stored = "".join(p.read_text() for p in inbox.root.rglob("*") if p.is_file())
    assert EVENTS_SECRET not in stored and PRIVACY_SECRET not in stored


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        (None, "missing X-Genesys-Signature"),
        (sign_body(PRIVACY_SECRET, NOW, _event()), "does not match"),  # the other route's secret
        (sign_body(EVENTS_SECRET, NOW, _event(version=5)), "does not match"),  # body swapped
        (sign_body(EVENTS_SECRET, NOW - 301, _event()), "at most 300 s"),  # stale
    ],
)
def test_bad_and_stale_events_get_401_and_store_nothing(
    client: TestClient, root: Path, header: str | None, reason: str
) -> None:
    assert _post(client, _event(), header) == 401
    inbox = EventInbox(root)
    assert inbox.pending() == []
    assert not inbox.seen_dir.exists() or list(inbox.seen_dir.iterdir()) == []
    [(_, note)] = inbox.rejections()
    assert reason in note["reason"]


def test_a_replayed_event_gets_401_but_a_redelivery_is_accepted(
    client: TestClient, root: Path
) -> None:
    header = sign_body(EVENTS_SECRET, NOW - 5, _event())
    assert _post(client, _event(), header) == 202
    assert _post(client, _event(), header) == 401
    inbox = EventInbox(root)
    assert len(inbox.pending()) == 1
    assert "replayed" in inbox.rejections()[0][1]["reason"]
    # The sender's retry is re-signed with a later t: accepted, and the same event id.
    assert _post(client, _event(), sign_body(EVENTS_SECRET, NOW - 1, _event())) == 202
    ids = {entry.event.event_id for entry in inbox.pending()}
    assert len(inbox.pending()) == 2 and len(ids) == 1


def test_the_events_secret_does_not_sign_privacy_callbacks(client: TestClient) -> None:
    body = b'{"requestId":"5b3a0f4e-0000-4000-8000-000000000001","status":"COMPLETED"}'
    assert _post(client, body, sign_body(EVENTS_SECRET, NOW, body), CALLBACK_PATH) == 401


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (_event(action_id="../../etc"), "actionId"),
        (_event().replace(b"data.action.updated", b"data.action.deleted"), "eventType"),
        (b'{"hello": "world"}', "eventType"),
    ],
)
def test_a_signed_body_that_is_not_an_event_is_refused(
    client: TestClient, root: Path, body: bytes, field: str
) -> None:
    response = client.post(
        EVENTS_PATH, content=body, headers={SIGNATURE_HEADER: sign_body(EVENTS_SECRET, NOW, body)}
    )
    assert response.status_code == 400 and field in response.json()["message"]
    assert EventInbox(root).pending() == []


def test_unmanaged_actions_and_refusals_are_audited_without_a_run(
    client: TestClient, root: Path
) -> None:
    unmanaged = _event("not-in-repo")
    assert _post(client, unmanaged, sign_body(EVENTS_SECRET, NOW, unmanaged)) == 202
    assert _post(client, _event(), "t=1,v1=00") == 401
    catalog = root / "catalog.duckdb"
    with dg.DagsterInstance.ephemeral() as instance:
        tick = process_events(instance, root, catalog)
        again = process_events(instance, root, catalog)
    assert tick.run_requests == [] and tick.not_in_repo == ["not-in-repo"]
    assert (tick.done, tick.rejected) == (1, 1)
    assert (again.done, again.rejected, again.run_requests) == (0, 0, [])
    rows = query(
        catalog,
        "SELECT entity, details FROM audit_log WHERE action = 'event_received' ORDER BY seq",
    ).rows
    assert [entity for entity, _ in rows] == ["webhook", "not-in-repo"]
    assert "does not match" in rows[0][1]
    assert "not managed by a rule file" in rows[1][1]


def test_the_signing_secret_comes_from_the_environment() -> None:
    assert signing_secret("http://127.0.0.1:8765", {}) == EMULATOR_EVENTS_SECRET
    assert signing_secret("https://api.mypurecloud.ie", {SECRET_ENV: "long-enough"}) == (
        "long-enough"
    )
    with pytest.raises(ValueError, match=f"{SECRET_ENV} must be set"):
        signing_secret("https://api.mypurecloud.ie", {})
    with pytest.raises(ValueError, match="at least 8 characters"):
        signing_secret("http://127.0.0.1:8765", {SECRET_ENV: "short"})
