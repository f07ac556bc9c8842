"""Claims: which run owns a privacy request's next step, so no request is stranded or run twice.

A claim (`<key>.<submit|download>.<n>`) is opened in the same transaction that moves the request
(a download claim moves COMPLETED → DOWNLOADING), and its run carries the claim as a tag. The
run takes the claim when it starts (`take_claim`: a stale run is refused), and the step's last
write closes it. A sensor reconciles every open claim with its run each tick (see
`flows/privacy_claims.py`): a failed, cancelled or never-started run hands the claim back with an
audited reason, and after `max_launches` the request stops in SUBMIT_FAILED / DOWNLOAD_FAILED for
a person to look at. Each function is one short transaction.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Literal

from cx_assets.catalog.connection import write_transaction
from cx_assets.catalog.privacy_rows import COLUMNS, PrivacyRow, audit, to_row, utc_now
from cx_assets.catalog.queries import query

Kind = Literal["submit", "download"]
#: The states a kind's claim is opened from (a download claim moves COMPLETED → DOWNLOADING).
OPEN_FROM: dict[str, tuple[str, ...]] = {
    "submit": ("DECLARED", "SUBMITTING"),
    "download": ("COMPLETED",),
}
GAVE_UP: dict[str, str] = {"submit": "SUBMIT_FAILED", "download": "DOWNLOAD_FAILED"}
GAVE_UP_STATES = tuple(GAVE_UP.values())


def claim_name(partition_key: str, kind: str, launch: int) -> str:
    return f"{partition_key}.{kind}.{launch}"


def claim_kind(claim: str) -> str:
    return claim.rsplit(".", 2)[-2]


def open_claim(
    catalog_path: Path | str, partition_key: str, kind: Kind, actor: str, *, only_export: bool
) -> str | None:
    """Open a claim on a request waiting for `kind` (none open yet); its name, or None.

    `only_export`: a download is claimed only for exports (not GDPR_DELETE/UPDATE)."""
    now = utc_now()
    states = OPEN_FROM[kind]
    marks = ", ".join("?" for _ in states)
    export_only = (
        " AND coalesce(request_type, 'GDPR_EXPORT') = 'GDPR_EXPORT'" if only_export else ""
    )
    with write_transaction(catalog_path) as con:
        row = con.execute(
            f"SELECT request_id, coalesce(launches, 0) FROM privacy_requests "
            f"WHERE partition_key = ? AND claim IS NULL AND status IN ({marks}){export_only}",
            [partition_key, *states],
        ).fetchone()
        if row is None:
            return None
        request_id, launches = row[0], int(row[1]) + 1
        claim = claim_name(partition_key, kind, launches)
        con.execute(
            "UPDATE privacy_requests SET claim = ?, claim_run_id = NULL, claimed_at = ?, "
            "launches = ?, status = CASE WHEN ? = 'download' THEN 'DOWNLOADING' ELSE status END, "
            "download_requested_at = CASE WHEN ? = 'download' THEN ? ELSE download_requested_at "
            "END, updated_at = ? WHERE partition_key = ?",
            [claim, now, launches, kind, kind, now, now, partition_key],
        )
        action = "download_requested" if kind == "download" else "submit_requested"
        audit(
            con,
            action,
            request_id,
            actor,
            {
                "partition_key": partition_key,
                "claim": claim,
                "launch": launches,
                "outcome": "run requested",
            },
        )
        return claim


def take_claim(
    catalog_path: Path | str, partition_key: str, kind: Kind, claim: str | None, run_id: str
) -> str:
    """The run `run_id` starts work on `kind`: its claim (from its tag) must be the open one.
    A run launched by hand (no claim tag) opens a claim of its own if none is open. Returns the
    claim; raises `StaleClaim` when another claim owns the request now."""
    now = utc_now()
    with write_transaction(catalog_path) as con:
        row = con.execute(
            "SELECT claim, coalesce(launches, 0), status, request_id, claim_run_id "
            "FROM privacy_requests WHERE partition_key = ?",
            [partition_key],
        ).fetchone()
        if row is None:
            raise StaleClaim(f"privacy request {partition_key} is not in the catalog")
        current, launches, status, request_id, owner = row
        if claim is None and current is None:  # a launch from the UI or the CLI
            claim = claim_name(partition_key, kind, int(launches) + 1)
            con.execute(
                "UPDATE privacy_requests SET claim = ?, claimed_at = ?, launches = ?, "
                "status = CASE WHEN ? = 'download' AND status IN ('COMPLETED', "
                "'DOWNLOAD_FAILED') THEN 'DOWNLOADING' WHEN ? = 'submit' AND status = "
                "'SUBMIT_FAILED' THEN 'SUBMITTING' ELSE status END, updated_at = ? "
                "WHERE partition_key = ?",
                [claim, now, int(launches) + 1, kind, kind, now, partition_key],
            )
            audit(
                con,
                f"{kind}_requested",
                request_id,
                "manual launch",
                {
                    "partition_key": partition_key,
                    "claim": claim,
                    "outcome": "launched by hand",
                    "run_id": run_id,
                    "status": status,
                },
            )
            current, owner = claim, None
        elif claim is None and owner == run_id:
            claim = current  # the claim this run took when it declared the request
        elif claim is None:
            holder = f"run {owner}" if owner else "a run the sensor requested"
            raise StaleClaim(
                f"privacy request {partition_key}: {holder} holds it (claim {current}); wait "
                "for that run to end (a failed one is handed back within a sensor tick)"
            )
        if current != claim:  # a re-execution of its run may take over a claim, nothing else
            raise StaleClaim(
                f"privacy request {partition_key}: this run's claim {claim} was handed back; "
                f"{current or 'no claim'} holds the request now"
            )
        con.execute(
            "UPDATE privacy_requests SET claim_run_id = ?, updated_at = ? WHERE partition_key = ?",
            [run_id, now, partition_key],
        )
        return claim


class StaleClaim(Exception):
    """A run whose claim is no longer the open one: it must not act on the request."""


def release_claim(
    catalog_path: Path | str,
    partition_key: str,
    claim: str,
    *,
    reason: str,
    actor: str,
    max_launches: int,
) -> str | None:
    """Hand back `claim` (still the open one) because its run will not finish it; the state the
    request is left in (its waiting state, or SUBMIT_FAILED / DOWNLOAD_FAILED once
    `max_launches` runs were requested). None if the claim was no longer open."""
    now = utc_now()
    kind = claim_kind(claim)
    with write_transaction(catalog_path) as con:
        row = con.execute(
            "SELECT request_id, coalesce(launches, 0), status FROM privacy_requests "
            "WHERE partition_key = ? AND claim = ?",
            [partition_key, claim],
        ).fetchone()
        if row is None:
            return None
        request_id, launches, status = row[0], int(row[1]), row[2]
        gave_up = launches >= max_launches
        if gave_up:
            after = GAVE_UP[kind]
        elif kind == "download":
            after = "COMPLETED"
        else:
            after = status  # DECLARED or SUBMITTING: the next run looks for a lost filing
        con.execute(
            "UPDATE privacy_requests SET claim = NULL, claim_run_id = NULL, status = ?, "
            "failure_reason = CASE WHEN ? THEN ? ELSE failure_reason END, updated_at = ? "
            "WHERE partition_key = ?",
            [after, gave_up, reason, now, partition_key],
        )
        audit(
            con,
            "gave_up" if gave_up else "claim_released",
            request_id,
            actor,
            {
                "partition_key": partition_key,
                "claim": claim,
                "reason": reason,
                "launches": launches,
                "status": after,
                "outcome": f"stopped after {launches} runs" if gave_up else "will run again",
            },
        )
        return after


def open_claims(catalog_path: Path | str, kind: Kind) -> list[PrivacyRow]:
    """Requests with an open claim of `kind`."""
    result = query(
        catalog_path,
        f"SELECT {', '.join(COLUMNS)} FROM privacy_requests WHERE claim LIKE ? "
        "ORDER BY partition_key",
        [f"%.{kind}.%"],
    )
    return [to_row(values) for values in result.as_dicts()]


def waiting_for(catalog_path: Path | str, kind: Kind) -> list[PrivacyRow]:
    """Requests waiting for a `kind` run with no claim open."""
    states = OPEN_FROM[kind]
    marks = ", ".join("?" for _ in states)
    result = query(
        catalog_path,
        f"SELECT {', '.join(COLUMNS)} FROM privacy_requests WHERE claim IS NULL "
        f"AND status IN ({marks}) ORDER BY partition_key",
        list(states),
    )
    return [to_row(values) for values in result.as_dicts()]


def claim_age(row: PrivacyRow, now: dt.datetime) -> dt.timedelta:
    claimed = row["claimed_at"]
    return now - claimed if claimed is not None else dt.timedelta(0)
