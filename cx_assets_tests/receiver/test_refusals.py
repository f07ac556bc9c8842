"""A flood of refused deliveries costs a counter, not files or audit entries: 1,000 forged
calls leave no file of their own and no audit entry each; the route's sensor tick audits one
summary (counts per reason since the last summary, a bounded sample without bodies or
signatures), and a quiet tick audits nothing. Over real loopback HTTP, with each route's own
sensor step (privacy tracking, data action events)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import httpx
import pytest

from cx_assets.catalog.queries import query
from cx_assets.defs.privacy.ledger import DagsterRunLedger
from cx_assets.defs.rules.sensors import process_events
from cx_assets.flows.privacy import track
from cx_assets.lake.privacy import PrivacyArea
from cx_assets.receiver.events import EVENTS_PATH, EventInbox
from cx_assets.receiver.privacy import CALLBACK_PATH, PrivacyInbox
from cx_assets.receiver.refusals import SAMPLE_SIZE, read_ledger
from cx_assets.receiver.server import create_webhook_app
from cx_assets.receiver.signing import SIGNATURE_HEADER
from cx_assets_tests.receiver.loopback import serve, signed, wait_for

PRIVACY_SECRET = "privacy-secret-1"
EVENTS_SECRET = "events-secret-1"
NOW = 1_710_000_000
FORGED = 1000
CALLBACK = b'{"requestId":"5b3a0f4e-0000-4000-8000-000000000001","status":"COMPLETED"}'


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def base(root: Path) -> Iterator[str]:
    app = create_webhook_app(root, PRIVACY_SECRET, events_secret=EVENTS_SECRET, clock=lambda: NOW)
    with serve(app) as url:
        yield url


def _flood(base: str, path: str, count: int) -> set[int]:
    statuses = set()
    with httpx.Client(base_url=base) as http:
        for i in range(count):
            header = f"t={NOW},v1={i:064x}"  # forged: no secret behind it
            response = http.post(path, content=CALLBACK, headers={SIGNATURE_HEADER: header})
            statuses.add(response.status_code)
    return statuses


def _wait_for_total(ledger: Path, total: int) -> None:
    def flushed() -> bool:
        state = read_ledger(ledger)
        return state is not None and state.total >= total

    wait_for(flushed, f"{total} refusals in {ledger.name}")


def _audit(catalog: Path) -> list[tuple[str, str, dict]]:
    if not catalog.exists():
        return []
    rows = query(catalog, "SELECT flow, action, details FROM audit_log ORDER BY seq").rows
    return [(flow, action, json.loads(details)) for flow, action, details in rows]


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def _privacy_tick(root: Path, instance: dg.DagsterInstance) -> int:
    """The tracking sensor's step over the data root's inbox (no request is due a poll)."""

    def no_api() -> None:
        raise AssertionError("a tick with only refusals must not call the API")

    outcome = track(
        root / "catalog.duckdb",
        PrivacyInbox(PrivacyArea(root)),
        no_api,  # type: ignore[arg-type]
        lambda row: no_api(),  # type: ignore[arg-type,return-value]
        DagsterRunLedger(instance),
        actor="test-client",
    )
    return outcome.rejected_callbacks


def test_a_thousand_forged_events_cost_one_summary_entry(base: str, root: Path) -> None:
    assert _flood(base, EVENTS_PATH, FORGED) == {401}
    inbox = EventInbox(root)
    _wait_for_total(inbox.refusals_path, FORGED)
    assert _files(root) == ["webhooks/events/refusals.json"]  # no file per refusal
    catalog = root / "catalog.duckdb"
    assert _audit(catalog) == []  # the receiver never writes the catalog
    with dg.DagsterInstance.ephemeral() as instance:
        tick = process_events(instance, root, catalog)
        quiet = process_events(instance, root, catalog)
    assert (tick.rejected, quiet.rejected) == (FORGED, 0)
    [(flow, action, details)] = _audit(catalog)
    assert (flow, action, details["path"]) == ("data_actions", "webhook_refusals", EVENTS_PATH)
    assert details["counts"] == {"bad_signature": FORGED} and details["total"] == FORGED
    assert len(details["sample"]) == SAMPLE_SIZE
    assert {tuple(sorted(s)) for s in details["sample"]} == {("at", "n", "path", "reason", "size")}
    assert "v1=" not in json.dumps(details)  # no signature in the audit log


def test_only_refusals_since_the_last_summary_are_audited(base: str, root: Path) -> None:
    inbox = PrivacyInbox(PrivacyArea(root))
    with dg.DagsterInstance.ephemeral() as instance:
        assert _flood(base, CALLBACK_PATH, FORGED) == {401}
        _wait_for_total(inbox.refusals_path, FORGED)
        assert _privacy_tick(root, instance) == FORGED
        assert _privacy_tick(root, instance) == 0  # quiet tick: no entry
        with httpx.Client(base_url=base) as http:
            stale = http.post(
                CALLBACK_PATH, content=CALLBACK, headers=signed(PRIVACY_SECRET, NOW - 900, CALLBACK)
            )
        assert stale.status_code == 401
        _wait_for_total(inbox.refusals_path, FORGED + 1)
        assert _privacy_tick(root, instance) == 1
    entries = _audit(root / "catalog.duckdb")
    assert [(flow, action) for flow, action, _ in entries] == [("privacy", "webhook_refusals")] * 2
    assert [d["counts"] for _, _, d in entries] == [{"bad_signature": FORGED}, {"stale": 1}]
    assert [s["reason"] for s in entries[1][2]["sample"]] == ["stale"]  # only the new example
    files = _files(root / "privacy")
    assert files == ["webhooks/refusals.json", "webhooks/refusals.json.audited"]


def test_refusal_notes_of_earlier_versions_are_folded_into_one_summary(root: Path) -> None:
    inbox = EventInbox(root)
    inbox.legacy_rejections_dir.mkdir(parents=True)
    for i in range(3):
        note = {"reason": "signature does not match the body", "t": NOW, "receivedAt": "x"}
        (inbox.legacy_rejections_dir / f"{i}.json").write_text(json.dumps(note))
    (inbox.legacy_rejections_dir / "audited").mkdir()
    (inbox.legacy_rejections_dir / "audited" / "old.json").write_text("{}")
    catalog = root / "catalog.duckdb"
    with dg.DagsterInstance.ephemeral() as instance:
        assert process_events(instance, root, catalog).rejected == 3
        assert process_events(instance, root, catalog).rejected == 0
    [(_, action, details)] = _audit(catalog)
    assert (action, details["counts"]) == ("webhook_refusals", {"noted_before_counting": 3})
    assert not inbox.legacy_rejections_dir.exists()


def test_a_ledger_that_cannot_be_written_still_refuses_with_401(
    root: Path, caplog: pytest.LogCaptureFixture
) -> None:
    ledger = EventInbox(root).refusals_path
    ledger.mkdir(parents=True)  # a folder where the file should be: every write fails
    app = create_webhook_app(root, PRIVACY_SECRET, events_secret=EVENTS_SECRET, clock=lambda: NOW)
    with serve(app) as url:
        assert _flood(url, EVENTS_PATH, 3) == {401}
    assert "could not write the refusal ledger" in caplog.text
