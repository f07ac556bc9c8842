"""One pipeline for rule sets and contact list filters: resolve, validate, diff, apply, drift.

Resolve the document's names against the org (contact list, data actions, the entity itself),
validate it (nothing is written if any problem is found), diff repo with live by unit, and on
apply PUT the live entity with our units replaced and the `version` we read. A stale version
(409, or 400 saying so) is a concurrent edit: re-read, and re-apply on top only when it touched
none of the units we change; otherwise stop with `OutboundConflict` and both versions, never
overwrite. Drift is the same diff without writing, plus who changed it last (audit query).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any, Literal

from cx_assets.genesys.rules.merge import UnitConflict, plan_merge
from cx_assets.genesys.rules.model import RuleProblem, RulesInvalid
from cx_assets.genesys.rules.outbound_api import Names
from cx_assets.genesys.rules.outbound_diff import (
    changed_lines,
    create_body,
    diff_text,
    differing_units,
    live_units,
    put_body,
    repo_units,
    unit_diff,
)
from cx_assets.genesys.rules.outbound_model import EntityRef, FilterDoc, Ref, RuleSetDoc
from cx_assets.genesys.rules.outbound_validation import Org, filter_problems, rule_set_problems
from cx_assets.genesys.rules.platform import (
    LABELS,
    AuditQueryFailed,
    Kind,
    LiveEntity,
    OutboundRulesClient,
    StaleVersion,
)
from cx_assets.genesys.rules.platform_models import ActionView, AuditMessage
from cx_assets.http.errors import ApiError, NotFoundError

log = logging.getLogger(__name__)

DEFAULT_MAX_ATTEMPTS = 3
Status = Literal["unchanged", "dry_run", "would_create", "created", "applied"]


class OutboundConflict(RuntimeError):
    """A colleague changed what we change between our read and our write: nothing written."""

    def __init__(
        self, message: str, conflicts: tuple[UnitConflict, ...], versions: tuple[int, int]
    ) -> None:
        super().__init__(message)
        self.conflicts = conflicts
        self.versions = versions  # (the version we read, the version now live)


@dataclass(frozen=True)
class Target:
    """The document resolved against the org."""

    kind: Kind
    doc: RuleSetDoc | FilterDoc
    source: str
    org: Org
    entity_id: str | None  # None: the org has no such entity yet

    @property
    def label(self) -> str:
        return f"{LABELS[self.kind]} {self.doc.name!r}"


@dataclass(frozen=True)
class OutboundOutcome:
    kind: Kind
    name: str
    entity_id: str | None
    status: Status
    diff: str
    units: tuple[str, ...]  # the units that differed (and were, or would be, written)
    version_before: int | None
    version_after: int | None
    attempts: int = 0
    merged_over: tuple[str, ...] = ()  # units a concurrent edit changed that we kept

    @property
    def changed(self) -> bool:
        return self.status in ("created", "applied")

    @property
    def changed_lines(self) -> int:
        return changed_lines(self.diff)


@dataclass(frozen=True)
class OutboundDrift:
    kind: Kind
    name: str
    entity_id: str | None
    live_version: int | None
    diff: str
    units: tuple[str, ...]
    last_change: AuditMessage | None = None
    audit_error: str | None = None
    changes: list[AuditMessage] = field(default_factory=list)

    @property
    def drifted(self) -> bool:
        return self.entity_id is None or bool(self.units)

    def summary(self) -> str:
        label = f"{LABELS[self.kind]} {self.name!r}"
        if self.entity_id is None:
            return f"{label} does not exist in the org (apply creates it)"
        if not self.drifted:
            return f"{label}: live version {self.live_version} matches the repo"
        last = self.last_change
        who = (
            f"last changed by {last.who} at {when(last.event_date)} ({last.action or 'change'})"
            if last
            else "who changed it is unknown "
            f"({self.audit_error or 'no successful change in the audit log'})"
        )
        units = ", ".join(self.units)
        return f"{label}: live version {self.live_version} differs from the repo in {units}; {who}"


def when(moment: dt.datetime | None) -> str:
    return moment.isoformat().replace("+00:00", "Z") if moment else "an unknown time"


# -- resolve -----------------------------------------------------------------------------------


def _action_refs(doc: RuleSetDoc | FilterDoc) -> list[tuple[str, Ref]]:
    if not isinstance(doc, RuleSetDoc):
        return []
    refs: list[tuple[str, Ref]] = []
    for i, rule in enumerate(doc.rules):
        for j, condition in enumerate(rule.when):
            if condition.data_action is not None:
                refs.append(
                    (f"rules[{i}].when[{j}].data_action.action", condition.data_action.action)
                )
        for j, action in enumerate(rule.actions):
            if action.body.action is not None:
                refs.append((f"rules[{i}].actions[{j}].action", action.body.action))
    return refs


def resolve(
    client: OutboundRulesClient,
    kind: Kind,
    doc: RuleSetDoc | FilterDoc,
    source: str,
    *,
    known_id: str | None = None,
) -> Target:
    """Look up every name the document uses, once; `RulesInvalid` for what the org lacks.

    `known_id`: the id this file's entity had when last applied; it finds the entity when its
    name no longer does (renamed in the admin UI), so apply never creates a second one."""
    problems: list[RuleProblem] = []

    def problem(path: str, rule: str, message: str) -> None:
        problems.append(RuleProblem(source, path, rule, message))

    contact_lists: dict[str, str] = {}
    contact_list = None
    ref = doc.contact_list
    if isinstance(ref, EntityRef):
        try:
            contact_list = client.contact_list(ref.id)
        except NotFoundError:
            problem(
                "contact_list", "contact_list", f"contact list {ref.id} does not exist in the org"
            )
    else:
        found = client.contact_lists_named(ref)
        if len(found) == 1:
            contact_list = found[0]
            contact_list = client.contact_list(found[0].id)  # the listing may leave columns out
            contact_lists[ref] = contact_list.id
        else:
            problem(
                "contact_list", "contact_list", _by_name("contact list", ref, [c.id for c in found])
            )
    if contact_list is not None and contact_list.name:
        contact_lists.setdefault(contact_list.name, contact_list.id)
    action_names: dict[str, str] = {}
    actions: dict[str, ActionView] = {}
    for path, action_ref in _action_refs(doc):
        if isinstance(action_ref, str) and action_ref not in action_names:
            ids = client.action_ids_named(action_ref)
            if len(ids) != 1:
                problem(path, "data_action", _by_name("data action", action_ref, ids))
                continue
            action_names[action_ref] = ids[0]
        action_id = (
            action_ref.id if isinstance(action_ref, EntityRef) else action_names.get(action_ref)
        )
        if action_id is not None and action_id not in actions:
            try:
                actions[action_id] = client.action(action_id)
            except NotFoundError:
                problem(path, "data_action", f"data action {action_id} does not exist in the org")
    entity_id = _target_id(client, kind, doc, problem, known_id)
    org = Org(Names(contact_lists, action_names), contact_list, actions)
    check = rule_set_problems if isinstance(doc, RuleSetDoc) else filter_problems
    problems.extend(check(doc, org, source))  # type: ignore[arg-type]
    if problems:
        raise RulesInvalid(problems)
    return Target(kind, doc, source, org, entity_id)


def _by_name(what: str, name: str, ids: list[str]) -> str:
    if not ids:
        return f"no {what} is named {name!r} in the org"
    return f"{len(ids)} {what}s are named {name!r} ({', '.join(ids)}); name it by id: {{id: …}}"


def _target_id(
    client: OutboundRulesClient,
    kind: Kind,
    doc: RuleSetDoc | FilterDoc,
    problem: Any,
    known_id: str | None,
) -> str | None:
    if doc.id is not None:
        try:
            return client.get(kind, doc.id).id
        except NotFoundError:
            problem("id", "id", f"{LABELS[kind]} {doc.id} does not exist in the org")
            return None
    ids = client.ids_named(kind, doc.name)
    if len(ids) > 1:
        problem("name", "name", _by_name(LABELS[kind], doc.name, ids))
    if ids or known_id is None:
        return ids[0] if len(ids) == 1 else None
    try:
        renamed = client.get(kind, known_id)
    except NotFoundError:
        return None  # deleted since: apply creates it again
    log.warning(
        "no %s is named %r any more; %s (the one this file last applied) is now named %r",
        LABELS[kind],
        doc.name,
        known_id,
        renamed.head.name,
    )
    return renamed.id


# -- apply -------------------------------------------------------------------------------------


def _labels(target: Target, live: LiveEntity | None) -> tuple[str, str]:
    where = f"live {target.entity_id} (version {live.version})" if live else "live (none)"
    return where, f"repo {target.source}"


def apply_target(
    client: OutboundRulesClient,
    target: Target,
    *,
    dry_run: bool = False,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
) -> OutboundOutcome:
    """Make live equal the repo (or, with `dry_run`, only say how it differs)."""
    if max_attempts < 1:
        raise ValueError(f"max_attempts must be at least 1, got {max_attempts}")
    doc, names = target.doc, target.org.names
    ours = repo_units(doc, names)
    if target.entity_id is None:
        diff = diff_text({}, ours, live_label="live (none)", repo_label=f"repo {target.source}")
        units = tuple(differing_units({}, ours))
        if dry_run:
            return OutboundOutcome(
                target.kind, doc.name, None, "would_create", diff, units, None, None
            )
        created = client.create(target.kind, create_body(doc, names))
        return OutboundOutcome(
            target.kind, doc.name, created.id, "created", diff, units, None, created.version, 1
        )
    live = client.get(target.kind, target.entity_id)
    base = live_units(doc, live.raw, names)
    live_label, repo_label = _labels(target, live)
    diff = diff_text(base, ours, live_label=live_label, repo_label=repo_label)
    units = tuple(differing_units(base, ours))
    if not units:
        return OutboundOutcome(
            target.kind, doc.name, live.id, "unchanged", "", (), live.version, live.version
        )
    if dry_run:
        return OutboundOutcome(
            target.kind, doc.name, live.id, "dry_run", diff, units, live.version, live.version
        )
    first_version, latest, ours_changed = live.version, live, frozenset(units)
    merged_over: set[str] = set()
    for attempt in range(1, max_attempts + 1):
        try:
            written = client.put(
                target.kind, live.id, put_body(doc, latest.raw, ours, ours_changed, names)
            )
        except StaleVersion as exc:
            latest = client.get(target.kind, live.id)
            theirs = live_units(doc, latest.raw, names)
            plan = plan_merge(base, ours, theirs)
            if not plan.clean:
                raise _conflict(client, target, first_version, latest, plan.conflicts) from None
            log.warning(
                "%s changed while we applied it (attempt %d of %d: %s); their edit touched %s, "
                "none of what we change: re-applying on top of version %d",
                target.label,
                attempt,
                max_attempts,
                exc,
                ", ".join(sorted(plan.theirs_changed)) or "nothing we read",
                latest.version,
            )
            merged_over |= plan.theirs_changed - set(units)  # theirs, kept beside ours
            ours_changed = plan.ours_changed
            if not ours_changed:
                # Live now says what the repo says: our earlier write landed although its answer
                # was lost, or someone made the same edit. Either way the repo's state is live.
                return OutboundOutcome(
                    target.kind,
                    doc.name,
                    live.id,
                    "applied",
                    diff,
                    units,
                    first_version,
                    latest.version,
                    attempt,
                    tuple(sorted(merged_over)),
                )
            continue
        return OutboundOutcome(
            target.kind,
            doc.name,
            live.id,
            "applied",
            diff,
            units,
            first_version,
            written.version,
            attempt,
            tuple(sorted(merged_over)),
        )
    raise OutboundConflict(
        f"{target.label}: every one of {max_attempts} write(s) met a newer version (409); "
        "nothing of ours was written. Re-run when the other editor is done.",
        (),
        (first_version, latest.version),
    )


def _conflict(
    client: OutboundRulesClient,
    target: Target,
    read: int,
    latest: LiveEntity,
    conflicts: tuple[UnitConflict, ...],
) -> OutboundConflict:
    editor = ""
    try:
        last = last_change(client.audits(target.kind, latest.id), client.own_client_id)
    except (ApiError, AuditQueryFailed) as exc:  # who it was is a courtesy: the conflict stands
        log.warning("could not ask the audit log who edited %s: %s", target.label, exc)
        last = None
    if last is not None:
        editor = f" by {last.who} at {when(last.event_date)}"
    both = "\n".join(
        part
        for c in conflicts
        for part in (
            unit_diff(
                c.unit,
                c.base,
                c.theirs,
                before_label=f"as we read it (version {read})",
                after_label=f"their edit (version {latest.version})",
            ),
            unit_diff(
                c.unit,
                c.base,
                c.ours,
                before_label=f"as we read it (version {read})",
                after_label=f"our change ({target.source})",
            ),
        )
    )
    return OutboundConflict(
        f"{target.label}: changed{editor} between our read (version {read}) and our write "
        f"(now version {latest.version}), in what the repo also changes: "
        f"{', '.join(c.unit for c in conflicts)}. Nothing was written; decide which to keep "
        f"(edit {target.source}, or re-run to apply the repo over their edit).\n{both}",
        conflicts,
        (read, latest.version),
    )


# -- drift -------------------------------------------------------------------------------------


def last_change(
    messages: list[AuditMessage], own_client_id: str | None = None
) -> AuditMessage | None:
    """The newest successful change (create, update, …) by `eventDate` (order UNVERIFIED).

    With `own_client_id`, changes our own OAuth client made without a user (our applies) are
    passed over when any other exists: after an apply that kept a colleague's edit, the
    difference is theirs, and so is the name the drift check should give."""
    ok = [m for m in messages if m.succeeded and m.event_date is not None]
    others = [m for m in ok if not (m.user is None and m.client and m.client.id == own_client_id)]
    pool = others if own_client_id is not None and others else ok
    return max(pool, key=lambda m: m.event_date, default=None)  # type: ignore[arg-type, return-value]


def drift_of(client: OutboundRulesClient, target: Target) -> OutboundDrift:
    """Live vs repo; on drift, who changed it last (not counting our own applies)."""
    doc, names = target.doc, target.org.names
    ours = repo_units(doc, names)
    if target.entity_id is None:
        return OutboundDrift(
            target.kind,
            doc.name,
            None,
            None,
            diff_text({}, ours, live_label="live (none)", repo_label=f"repo {target.source}"),
            tuple(ours),
        )
    live = client.get(target.kind, target.entity_id)
    theirs = live_units(doc, live.raw, names)
    live_label, repo_label = _labels(target, live)
    units = tuple(differing_units(theirs, ours))
    diff = diff_text(theirs, ours, live_label=live_label, repo_label=repo_label)
    if not units:
        return OutboundDrift(target.kind, doc.name, live.id, live.version, "", ())
    try:
        messages = client.audits(target.kind, live.id)
    except (ApiError, AuditQueryFailed) as exc:  # the drift stands; only who made it is unknown
        return OutboundDrift(
            target.kind, doc.name, live.id, live.version, diff, units, audit_error=str(exc)
        )
    return OutboundDrift(
        target.kind,
        doc.name,
        live.id,
        live.version,
        diff,
        units,
        last_change(messages, client.own_client_id),
        changes=messages,
    )
