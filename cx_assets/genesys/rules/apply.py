"""Apply a repo rule to its live data action with optimistic locking, and detect drift.

Apply: read the action (and its ETag), diff; nothing to do if equal; otherwise PUT with
`If-Match`. A 409 means someone changed the action between our read and our write: read it
again and merge by unit (`merge.py`: the action's name, its conditions). An edit of what we do
not change is kept and ours re-applied on top (at most `max_attempts` writes); an edit of what
we change stops with `ApplyConflict` and both versions, never overwritten (docs/decisions.md:
overwriting a colleague's edit is a decision for a person). The server's audit log is then asked
who made the new version, to confirm the change landed as ours.

Drift: the same diff without writing; when live differs, the newest successful update in the
vendor's audit log says who changed it and when.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Literal

import yaml

from cx_assets.genesys.rules.diff import RuleDiff, desired_payload, diff_rule
from cx_assets.genesys.rules.merge import UnitConflict, plan_merge
from cx_assets.genesys.rules.model import Rule, from_api, to_api
from cx_assets.genesys.rules.tutorial import AuditRecord, DataAction, DataActionsClient, LiveAction
from cx_assets.http.errors import ApiError, ConflictError

log = logging.getLogger(__name__)

DEFAULT_MAX_ATTEMPTS = 3


class ApplyConflict(RuntimeError):
    """Nothing of ours was written. `overlap`: a colleague changed what the rule changes (a
    person decides; no retry); else every write met yet another concurrent edit."""

    def __init__(self, message: str, *, overlap: bool, conflicts: tuple[UnitConflict, ...] = ()):
        super().__init__(message)
        self.overlap = overlap
        self.conflicts = conflicts


@dataclass(frozen=True)
class ApplyOutcome:
    """What one apply did. `status`: `unchanged` (live already matched), `dry_run` (differs,
    not written) or `applied`. `diff` is the diff that was (or would be) applied; `kept` the
    units of a concurrent edit that were kept under ours."""

    action_id: str
    status: Literal["unchanged", "dry_run", "applied"]
    diff: RuleDiff
    version_before: int
    version_after: int
    attempts: int
    conflicts: int
    confirmation: AuditRecord | None = None
    kept: tuple[str, ...] = ()

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


def _units(rule: Rule, action: DataAction) -> dict[str, Any]:
    """The live action in merge units; a tree we cannot read is its raw self (it differs)."""
    try:
        conditions: Any = to_api(from_api(action.conditions)) if action.conditions else None
    except ValueError:
        conditions = {"unreadable": action.conditions}
    units: dict[str, Any] = {"conditions": conditions}
    if rule.name is not None:
        units["name"] = action.name
    return units


def _repo_units(rule: Rule) -> dict[str, Any]:
    units: dict[str, Any] = {"conditions": to_api(rule.conditions)}
    if rule.name is not None:
        units["name"] = rule.name
    return units


def _conflict(
    rule: Rule, read: int, latest: int, conflicts: tuple[UnitConflict, ...]
) -> ApplyConflict:
    both = yaml.safe_dump(
        {c.unit: {"live (theirs)": c.theirs, "repo (ours)": c.ours} for c in conflicts},
        sort_keys=False,
        allow_unicode=True,
    )
    return ApplyConflict(
        f"data action {rule.action_id}: changed between our read (version {read}) and our write "
        f"(now version {latest}) in what the repo also changes: "
        f"{', '.join(c.unit for c in conflicts)}. Nothing was written; decide which to keep "
        f"(edit {rule.source}, or re-run to apply the repo over their edit).\n{both}",
        overlap=True,
        conflicts=conflicts,
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

    Raises `ApplyConflict` when a concurrent edit touched what we change, or after
    `max_attempts` PUTs that each met a 409; `ApiError` for anything else the server refuses
    (a 422 names the node path and the rule).
    """
    if max_attempts < 1:
        raise ValueError(f"max_attempts must be at least 1, got {max_attempts}")
    live = client.get_action(rule.action_id)
    version = live.action.version
    diff = diff_rule(rule, live.action)
    if not diff.differs:
        return ApplyOutcome(rule.action_id, "unchanged", diff, version, version, 0, 0)
    if dry_run:
        return ApplyOutcome(rule.action_id, "dry_run", diff, version, version, 0, 0)
    base, ours = _units(rule, live.action), _repo_units(rule)
    wanted = desired_payload(rule)
    ours_changed = {k for k in ours if ours[k] != base.get(k)}
    latest, conflicts, kept = live, 0, set()
    for attempt in range(1, max_attempts + 1):
        conditions = (
            wanted["conditions"] if "conditions" in ours_changed else latest.action.conditions
        )
        name = wanted.get("name") if "name" in ours_changed else None
        try:
            written = client.put_action(
                rule.action_id, conditions or {}, etag=latest.etag, name=name
            )
        except ConflictError as exc:
            conflicts += 1
            latest = client.get_action(rule.action_id)
            plan = plan_merge(base, ours, _units(rule, latest.action))
            if not plan.clean:
                raise _conflict(rule, version, latest.action.version, plan.conflicts) from None
            log.warning(
                "data action %s changed while we applied it (attempt %d of %d: %s); their edit "
                "touched %s, not what we change: re-applying on top",
                rule.action_id,
                attempt,
                max_attempts,
                exc.message,
                ", ".join(sorted(plan.theirs_changed)),
            )
            kept |= plan.theirs_changed
            ours_changed = set(plan.ours_changed)
            if not ours_changed:
                now = latest.action.version
                return ApplyOutcome(
                    rule.action_id,
                    "unchanged",
                    diff,
                    version,
                    now,
                    attempt,
                    conflicts,
                    None,
                    tuple(sorted(kept)),
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
            tuple(sorted(kept)),
        )
    raise ApplyConflict(
        f"data action {rule.action_id}: every one of {max_attempts} write(s) met a concurrent "
        f"edit (409 on If-Match); nothing was written. Re-run when the other editor is done.",
        overlap=False,
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
