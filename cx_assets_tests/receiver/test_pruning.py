"""No folder the receiver or its sensors write grows without bound: replay markers older than
twice the signature tolerance go when a delivery is accepted (older signatures are refused as
stale anyway), and each tick keeps `done/` to the newest `DONE_KEEP` files, none older than 30
days."""

from __future__ import annotations

import os
import time
from pathlib import Path

import dagster as dg
import httpx

from cx_assets.defs.rules.sensors import process_events
from cx_assets.lake.privacy import PrivacyArea
from cx_assets.receiver import events, privacy
from cx_assets.receiver.events import EVENTS_PATH, EventInbox
from cx_assets.receiver.privacy import CALLBACK_PATH, PrivacyInbox
from cx_assets.receiver.server import create_webhook_app
from cx_assets_tests.receiver.loopback import serve, signed
from cx_assets_tests.receiver.test_refusals import _privacy_tick

PRIVACY_SECRET = "privacy-secret-1"
EVENTS_SECRET = "events-secret-1"
NOW = 1_710_000_000
EVENT = (
    b'{"eventType": "data.action.updated", "actionId": "route-vip", "version": 1, '
    b'"timestamp": "2024-03-09T16:00:00Z"}'
)
CALLBACK = b'{"requestId": "5b3a0f4e-0000-4000-8000-000000000001", "status": "COMPLETED"}'


def _touch(path: Path, mtime: float | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("{}")
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


def test_old_replay_markers_go_when_a_delivery_is_accepted(tmp_path: Path) -> None:
    privacy_seen = PrivacyInbox(PrivacyArea(tmp_path)).area.seen_dir
    events_seen = EventInbox(tmp_path).seen_dir
    old = [
        _touch(privacy_seen / f"{NOW - 601}-aa"),
        _touch(privacy_seen / ("b" * 40), mtime=NOW - 3600),  # an earlier version's name
        _touch(events_seen / f"{NOW - 601}-cc"),
    ]
    recent = [_touch(privacy_seen / f"{NOW - 599}-dd"), _touch(events_seen / f"{NOW - 599}-ee")]
    app = create_webhook_app(
        tmp_path, PRIVACY_SECRET, events_secret=EVENTS_SECRET, clock=lambda: NOW
    )
    with serve(app) as base:
        for path, secret, body in (
            (CALLBACK_PATH, PRIVACY_SECRET, CALLBACK),
            (EVENTS_PATH, EVENTS_SECRET, EVENT),
        ):
            response = httpx.post(f"{base}{path}", content=body, headers=signed(secret, NOW, body))
            assert response.status_code == 202
    assert not any(p.exists() for p in old)
    assert all(p.exists() for p in recent)
    assert len(list(privacy_seen.iterdir())) == len(list(events_seen.iterdir())) == 2


def test_each_tick_keeps_done_to_the_newest_files(tmp_path: Path) -> None:
    month_ago = int(time.time()) - 31 * 86400
    now = int(time.time())
    event_done = EventInbox(tmp_path).done_dir
    privacy_done = PrivacyInbox(PrivacyArea(tmp_path)).area.done_dir
    for done, keep in ((event_done, events.DONE_KEEP), (privacy_done, privacy.DONE_KEEP)):
        _touch(done / f"{month_ago}-old.json")
        for i in range(keep + 5):
            _touch(done / f"{now - 10_000 + i}-{i:05d}.json")
    with dg.DagsterInstance.ephemeral() as instance:
        process_events(instance, tmp_path, tmp_path / "catalog.duckdb")
        _privacy_tick(tmp_path, instance)
    for done, keep in ((event_done, events.DONE_KEEP), (privacy_done, privacy.DONE_KEEP)):
        names = sorted(p.name for p in done.iterdir())
        assert len(names) == keep
        assert names[0] == f"{now - 10_000 + 5}-00005.json"  # the five oldest and the stale one
