"""Apply a repo rule to its live data action with optimistic locking, and detect drift.

Apply: read the action (and its ETag), diff; nothing to do if equal; otherwise PUT with
`If-Match`. A 409 means someone changed the action between our read and our write: read it
again, diff again (their edit may already be ours, or may be something else we must now
overwrite knowingly) and try again, at most `max_attempts` writes. The server's audit log is
then asked who made the new version, to confirm the change landed as ours.

Drift: the same diff without writing; when live differs, the newest successful update in the
vendor's audit log says who changed it and when.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

from cx_assets.genesys.rules.diff import RuleDiff, desired_payload, diff_rule
from cx_assets.genesys.rules.model import Rule
from cx_assets.genesys.rules.tutorial import AuditRecord, DataActionsClient, LiveAction
from cx_assets.http.errors import ApiError, ConflictError

log = logging.getLogger(__name__)

DEFAULT_MAX_ATTEMPTS = 3


class ApplyConflict(RuntimeError):
    """Every attempt met a concurrent edit (409); nothing of ours was written."""


@dataclass(frozen=True)
class ApplyOutcome:
    """What one apply did. `status`: `unchanged` (live already matched), `dry_run` (differs,
    not written) or `applied`. `diff` is the diff that was (or would be) applied."""

    action_id: str
    status: Literal["unchanged", "dry_run", "applied"]
    diff: RuleDiff
    version_before: int
    version_after: int
    attempts: int
    conflicts: int
    confirmation: AuditRecord | None = None

    @property
    def changed(self) -> bool:
        return self.status == "applied"


@dataclass(frozen=True)
class DriftReport:
    action_id: str
    diff: RuleDiff
    live_version: int
    last_change: AuditRecord | None

    @property
    def drifted(self) -> bool:
        return self.diff.differs

    def summary(self) -> str:
        if not self.drifted:
            return f"{self.action_id}: live version {self.live_version} matches the repo"
        who = (
            f"last changed by {self.last_change.actor_id} at {self.last_change.timestamp} "
            f"(version {self.last_change.version})"
            if self.last_change
            else "no successful update found in the audit log"
        )
        return (
            f"{self.action_id}: live version {self.live_version} differs from the repo in "
            f"{self.diff.changed_lines} line(s); {who}"
        )


def apply_rule(
    client: DataActionsClient,
    rule: Rule,
    *,
    dry_run: bool = False,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    confirm: bool = True,
) -> ApplyOutcome:
    """Make the live action equal `rule` (or, with `dry_run`, only say how it differs).

    Raises `ApplyConflict` after `max_attempts` PUTs that each met a 409, and `ApiError` for
    anything else the server refuses (a 422 names the node path and the rule).
    """
    if max_attempts < 1:
        raise ValueError(f"max_attempts must be at least 1, got {max_attempts}")
    body = desired_payload(rule)
    conflicts = 0
    first_version: int | None = None
    for attempt in range(1, max_attempts + 1):
        live = client.get_action(rule.action_id)
        version = live.action.version
        first_version = version if first_version is None else first_version
        diff = diff_rule(rule, live.action)
        if not diff.differs:
            return ApplyOutcome(
                rule.action_id, "unchanged", diff, first_version, version, attempt - 1, conflicts
            )
        if dry_run:
            return ApplyOutcome(rule.action_id, "dry_run", diff, version, version, 0, 0)
        try:
            written = client.put_action(
                rule.action_id, body["conditions"], etag=live.etag, name=body.get("name")
            )
        except ConflictError as exc:
            conflicts += 1
            log.warning(
                "data action %s changed while we applied it (attempt %d of %d): %s; "
                "re-reading and diffing again",
                rule.action_id,
                attempt,
                max_attempts,
                exc.message,
            )
            continue
        confirmation = _confirm(client, written) if confirm else None
        return ApplyOutcome(
            rule.action_id,
            "applied",
            diff,
            version,
            written.action.version,
            attempt,
            conflicts,
            confirmation,
        )
    raise ApplyConflict(
        f"data action {rule.action_id}: every one of {max_attempts} write(s) met a concurrent "
        f"edit (409 on If-Match); nothing was written. Re-run when the other editor is done."
    )


def _confirm(client: DataActionsClient, written: LiveAction) -> AuditRecord | None:
    """The audit record of the version we wrote, or None if the audit log does not show it
    (yet). Never fails the apply: the write itself has already succeeded."""
    try:
        records = client.query_audits(written.action.id, size=25)
    except ApiError as exc:
        log.warning("could not confirm %s through the audit log: %s", written.action.id, exc)
        return None
    return next(
        (
            r
            for r in records
            if r.version == written.action.version and r.status.upper() == "SUCCESS"
        ),
        None,
    )


def check_drift(client: DataActionsClient, rule: Rule) -> DriftReport:
    """Compare live with the repo; on drift, name the last successful updater."""
    live = client.get_action(rule.action_id)
    diff = diff_rule(rule, live.action)
    last: AuditRecord | None = None
    if diff.differs:
        records = client.query_audits(rule.action_id, size=25)
        successes = [r for r in records if r.status.upper() == "SUCCESS"]
        # the writer of the version now live; else the newest successful update
        last = next((r for r in successes if r.version == live.action.version), None)
        last = last or (successes[0] if successes else None)
    return DriftReport(rule.action_id, diff, live.action.version, last)
