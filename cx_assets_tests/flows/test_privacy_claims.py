"""Claims cannot strand a request: a download claim whose run failed, was cancelled or never
started is handed back (audited, with the reason) and requested again, at most MAX_LAUNCHES
times, then the request stops in DOWNLOAD_FAILED; a run whose claim was handed back may not act;
a run launched by hand takes a claim of its own only when none is open."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from cx_assets.catalog import privacy as cat
from cx_assets.flows.privacy_claims import MAX_LAUNCHES, MISSING_GRACE, RunState, reconcile


class Ledger:
    """The orchestrator's answer per claim (what Dagster's runs would say)."""

    def __init__(self) -> None:
        self.states: dict[str, RunState] = {}
        self.running: set[str] = set()  # run ids known to be running

    def state(self, claim: str, run_id: str | None) -> RunState:
        if run_id in self.running:
            return RunState.ACTIVE
        return self.states.get(claim, RunState.MISSING)


def _completed(catalog: Path, key: str = "dsar-1") -> None:
    summary = {"api_mode": "platform", "request_type": "GDPR_EXPORT", "subject_ref": "hmac:x"}
    cat.declare(
        catalog, partition_key=key, request_id=f"id-{key}", summary=summary, actor="t", origin="t"
    )
    now = dt.datetime.now(dt.UTC)
    cat.record_submitted(
        catalog,
        partition_key=key,
        request_id=f"id-{key}",
        status="INITIATED",
        actor="t",
        api_base_url="http://x",
        is_emulator=True,
        latency_ms=1,
        next_poll_at=now,
        server_request_id="srv-1",
    )
    cat.record_poll(
        catalog,
        partition_key=key,
        status="COMPLETED",
        failure_reason=None,
        actor="t",
        source="poll",
        latency_ms=1,
        next_poll_at=None,
        attempts=1,
    )


def _actions(catalog: Path) -> list[str]:
    return [e["action"] for e in cat.trail(catalog, "id-dsar-1")]


def test_a_failed_or_cancelled_run_is_handed_back_and_requested_again_a_few_times(
    tmp_path: Path,
) -> None:
    catalog, ledger = tmp_path / "catalog.duckdb", Ledger()
    _completed(catalog)
    [first] = reconcile(catalog, ledger, "download", actor="t").launches
    assert first.claim == "dsar-1.download.1"
    assert cat.request_row(catalog, "dsar-1").status == "DOWNLOADING"
    ledger.states[first.claim] = RunState.FAILED
    [second] = reconcile(catalog, ledger, "download", actor="t").launches
    assert second.claim == "dsar-1.download.2" and second.run_key != first.run_key
    ledger.states[second.claim] = RunState.CANCELED
    [third] = reconcile(catalog, ledger, "download", actor="t").launches
    ledger.states[third.claim] = RunState.SUCCESS  # ended without delivering
    done = reconcile(catalog, ledger, "download", actor="t")
    assert done.launches == [] and len(done.gave_up) == 1
    row = cat.request_row(catalog, "dsar-1")
    assert row.status == "DOWNLOAD_FAILED" and row["claim"] is None
    assert "ended without finishing" in row["failure_reason"]
    actions = _actions(catalog)
    assert actions.count("download_requested") == MAX_LAUNCHES
    assert actions.count("claim_released") == MAX_LAUNCHES - 1 and actions[-1] == "gave_up"
    reasons = [
        e["details"]["reason"]
        for e in cat.trail(catalog, "id-dsar-1")
        if e["action"] == "claim_released"
    ]
    assert reasons == ["its run failed", "its run was cancelled"]


def test_a_run_never_created_is_asked_for_again_then_replaced(tmp_path: Path) -> None:
    catalog, ledger = tmp_path / "catalog.duckdb", Ledger()
    _completed(catalog)
    [first] = reconcile(catalog, ledger, "download", actor="t").launches
    [again] = reconcile(catalog, ledger, "download", actor="t").launches
    assert again == first  # same run key: the daemon launches it once
    later = dt.datetime.now(dt.UTC) + MISSING_GRACE + dt.timedelta(seconds=1)
    [replaced] = reconcile(catalog, ledger, "download", actor="t", now=later).launches
    assert replaced.claim == "dsar-1.download.2"
    released = [e for e in cat.trail(catalog, "id-dsar-1") if e["action"] == "claim_released"]
    assert "never created" in released[0]["details"]["reason"]


def test_a_run_whose_claim_was_handed_back_may_not_act(tmp_path: Path) -> None:
    catalog, ledger = tmp_path / "catalog.duckdb", Ledger()
    _completed(catalog)
    [first] = reconcile(catalog, ledger, "download", actor="t").launches
    assert cat.take_claim(catalog, "dsar-1", "download", first.claim, "run-a") == first.claim
    ledger.states[first.claim] = RunState.FAILED
    reconcile(catalog, ledger, "download", actor="t")
    with pytest.raises(cat.StaleClaim, match="was handed back"):
        cat.take_claim(catalog, "dsar-1", "download", first.claim, "run-a")
    with pytest.raises(cat.StaleClaim, match="holds it"):  # by hand while a claim is open
        cat.take_claim(catalog, "dsar-1", "download", None, "run-manual")


def test_a_run_launched_by_hand_takes_its_own_claim_when_none_is_open(tmp_path: Path) -> None:
    catalog = tmp_path / "catalog.duckdb"
    _completed(catalog)
    claim = cat.take_claim(catalog, "dsar-1", "download", None, "run-manual")
    row = cat.request_row(catalog, "dsar-1")
    assert claim == "dsar-1.download.1" and row["claim_run_id"] == "run-manual"
    assert row.status == "DOWNLOADING"
    ledger = Ledger()
    ledger.running.add("run-manual")
    assert reconcile(catalog, ledger, "download", actor="t").launches == []  # its run is known
