"""The shared receiver's `POST /genesys/events` accepts only `data.action.updated` events signed
with the data action webhook secret over `<t>.<body>`, at most 5 minutes old and not seen before;
a verified event lands in the events inbox (never with the secret), anything else gets 401 (bad,
stale, replayed, signed with the privacy secret) or 400 (not an event), stores no event and is
only counted in the route's refusal ledger. The events sensor's tick audits a summary of the
refusals and marks events for actions no rule file manages as done without a run. The default
secret is refused for a real org. All over real loopback HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import httpx
import pytest

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
from cx_assets.receiver.refusals import read_ledger
from cx_assets.receiver.server import create_webhook_app
from cx_assets.receiver.signing import SIGNATURE_HEADER
from cx_assets.receiver.signing import sign as sign_body
from cx_assets_tests.receiver.loopback import serve, wait_for

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
def client(root: Path) -> Iterator[httpx.Client]:
    app = create_webhook_app(root, PRIVACY_SECRET, events_secret=EVENTS_SECRET, clock=lambda: NOW)
    with serve(app) as base, httpx.Client(base_url=base) as http:
        yield http


def _refusals(root: Path, total: int) -> dict[str, int]:
    """The ledger's counts once it holds `total` refusals (it is flushed within a second)."""
    path = EventInbox(root).refusals_path

    def flushed() -> bool:
        state = read_ledger(path)
        return state is not None and state.total >= total

    wait_for(flushed, f"{total} refusal(s) in the ledger")
    state = read_ledger(path)
    assert state is not None
    return state.counts


def _post(client: httpx.Client, body: bytes, header: str | None, path: str = EVENTS_PATH) -> int:
    headers = {"Content-Type": "application/json"}
    if header is not None:
        headers[SIGNATURE_HEADER] = header
    return client.post(path, content=body, headers=headers).status_code


def test_a_verified_event_is_recorded_without_the_secret(client: httpx.Client, root: Path) -> None:
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
        (None, "missing_signature"),
        (sign_body(PRIVACY_SECRET, NOW, _event()), "bad_signature"),  # the other route's secret
        (sign_body(EVENTS_SECRET, NOW, _event(version=5)), "bad_signature"),  # body swapped
        (sign_body(EVENTS_SECRET, NOW - 301, _event()), "stale"),
    ],
)
def test_bad_and_stale_events_get_401_and_store_nothing(
    client: httpx.Client, root: Path, header: str | None, reason: str
) -> None:
    assert _post(client, _event(), header) == 401
    inbox = EventInbox(root)
    assert inbox.pending() == []
    assert not inbox.seen_dir.exists() or list(inbox.seen_dir.iterdir()) == []
    assert _refusals(root, 1) == {reason: 1}
    assert [p for p in inbox.root.rglob("*") if p.is_file()] == [inbox.refusals_path]


def test_a_replayed_event_gets_401_but_a_redelivery_is_accepted(
    client: httpx.Client, root: Path
) -> None:
    header = sign_body(EVENTS_SECRET, NOW - 5, _event())
    assert _post(client, _event(), header) == 202
    assert _post(client, _event(), header) == 401
    inbox = EventInbox(root)
    assert len(inbox.pending()) == 1
    assert _refusals(root, 1) == {"replay": 1}
    # The sender's retry is re-signed with a later t: accepted, and the same event id.
    assert _post(client, _event(), sign_body(EVENTS_SECRET, NOW - 1, _event())) == 202
    ids = {entry.event.event_id for entry in inbox.pending()}
    assert len(inbox.pending()) == 2 and len(ids) == 1


def test_the_events_secret_does_not_sign_privacy_callbacks(client: httpx.Client) -> None:
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
    client: httpx.Client, root: Path, body: bytes, field: str
) -> None:
    response = client.post(
        EVENTS_PATH, content=body, headers={SIGNATURE_HEADER: sign_body(EVENTS_SECRET, NOW, body)}
    )
    assert response.status_code == 400 and field in response.json()["message"]
    assert EventInbox(root).pending() == []
    assert _refusals(root, 1) == {"malformed": 1}


def test_unmanaged_actions_and_refusals_are_audited_without_a_run(
    client: httpx.Client, root: Path
) -> None:
    unmanaged = _event("not-in-repo")
    assert _post(client, unmanaged, sign_body(EVENTS_SECRET, NOW, unmanaged)) == 202
    assert _post(client, _event(), "t=1,v1=00") == 401
    _refusals(root, 1)
    catalog = root / "catalog.duckdb"
    with dg.DagsterInstance.ephemeral() as instance:
        tick = process_events(instance, root, catalog)
        again = process_events(instance, root, catalog)
    assert tick.run_requests == [] and tick.not_in_repo == ["not-in-repo"]
    assert (tick.done, tick.rejected) == (1, 1)
    assert (again.done, again.rejected, again.run_requests) == (0, 0, [])
    rows = query(catalog, "SELECT action, entity, details FROM audit_log ORDER BY seq").rows
    assert [(action, entity) for action, entity, _ in rows] == [
        ("webhook_refusals", "webhook"),
        ("event_received", "not-in-repo"),
    ]
    assert json.loads(rows[0][2])["counts"] == {"bad_signature": 1}
    assert "not managed by a rule file" in rows[1][2]


def test_the_signing_secret_comes_from_the_environment() -> None:
    assert signing_secret("http://127.0.0.1:8765", {}) == EMULATOR_EVENTS_SECRET
    assert signing_secret("https://api.mypurecloud.ie", {SECRET_ENV: "long-enough"}) == (
        "long-enough"
    )
    with pytest.raises(ValueError, match=f"{SECRET_ENV} must be set"):
        signing_secret("https://api.mypurecloud.ie", {})
    with pytest.raises(ValueError, match="at least 8 characters"):
        signing_secret("http://127.0.0.1:8765", {SECRET_ENV: "short"})
