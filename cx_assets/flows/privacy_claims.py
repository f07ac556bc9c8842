"""Reconcile every open privacy claim with its run, and open the claims that are due.

A sensor tick calls `reconcile` for one kind of step (submit or download). For each open claim
it asks the `RunLedger` (Dagster's runs in `defs/`, tagged with the claim) what became of the
run: still queued or running → leave it; never created (the tick that opened the claim died
before its run request was made) → request the same run again (the run key dedupes); failed or
cancelled, or finished without closing the claim → hand the claim back with the reason, audited,
and open the next one, up to `max_launches` runs; then the request stops in SUBMIT_FAILED /
DOWNLOAD_FAILED. Requests waiting for a step get their first claim. No Dagster here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Protocol

from cx_assets.catalog import privacy as cat
from cx_assets.catalog.privacy_claims import Kind
from cx_assets.flows.crashpoints import crashpoint

#: The run tag that carries a claim (`<key>.<kind>.<n>`).
CLAIM_TAG = "cx-assets/privacy-claim"
MAX_LAUNCHES = 3
#: A claim whose run is still missing after this long gets a new claim (and run key).
MISSING_GRACE = dt.timedelta(minutes=2)


class RunState(StrEnum):
    MISSING = "missing"
    ACTIVE = "active"
    SUCCESS = "success"
    FAILED = "failed"
    CANCELED = "canceled"


class RunLedger(Protocol):
    """What the orchestrator knows of the run that carries `claim` (or has id `run_id`)."""

    def state(self, claim: str, run_id: str | None) -> RunState: ...


@dataclass(frozen=True)
class Launch:
    """A run to request: the partition, the claim it carries, and its run key."""

    partition_key: str
    claim: str

    @property
    def run_key(self) -> str:
        return f"privacy-{self.claim}"


@dataclass
class Reconciled:
    launches: list[Launch] = field(default_factory=list)
    released: list[str] = field(default_factory=list)  # "<key>: <reason>"
    gave_up: list[str] = field(default_factory=list)


def _reason(state: RunState, age: dt.timedelta) -> str | None:
    if state is RunState.FAILED:
        return "its run failed"
    if state is RunState.CANCELED:
        return "its run was cancelled"
    if state is RunState.SUCCESS:
        return "its run ended without finishing the step"
    if state is RunState.MISSING and age > MISSING_GRACE:
        return f"its run was never created ({int(age.total_seconds())} s after the claim)"
    return None


def reconcile(
    catalog_path: Path,
    ledger: RunLedger,
    kind: Kind,
    *,
    actor: str,
    max_launches: int = MAX_LAUNCHES,
    now: dt.datetime | None = None,
) -> Reconciled:
    """One pass over `kind`'s claims; the runs to request now."""
    now = now or dt.datetime.now(dt.UTC)
    out = Reconciled()
    for row in cat.open_claims(catalog_path, kind):
        claim = row["claim"]
        state = ledger.state(claim, row["claim_run_id"])
        if state is RunState.ACTIVE:
            continue
        reason = _reason(state, cat.claim_age(row, now))
        if reason is None:  # not created yet: ask again under the same run key
            out.launches.append(Launch(row.partition_key, claim))
            continue
        after = cat.release_claim(
            catalog_path,
            row.partition_key,
            claim,
            reason=reason,
            actor=actor,
            max_launches=max_launches,
        )
        if after in cat.GAVE_UP_STATES:
            out.gave_up.append(f"{row.partition_key}: {reason}; stopped in {after}")
        elif after is not None:
            out.released.append(f"{row.partition_key}: {reason}")
    for row in cat.waiting_for(catalog_path, kind):
        claim = cat.open_claim(
            catalog_path, row.partition_key, kind, actor, only_export=kind == "download"
        )
        crashpoint(f"privacy.{kind}.after_claim")
        if claim is not None:
            out.launches.append(Launch(row.partition_key, claim))
    return out
