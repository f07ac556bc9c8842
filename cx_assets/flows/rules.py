"""The data action rule steps a user runs: apply one rule file, check one rule file for drift.

Each `data_action_rules/<action_id>` asset and its `live_matches_repo` check call these
functions, so the orchestration (rule file -> validation -> vendor -> catalog audit) is plain
Python, tested without Dagster. They raise the errors of the layers below untouched
(`RulesInvalid`: a broken rule file, no retry can fix it; `ApplyConflict`: every write met a
concurrent edit; `ApiError`: the server refused): the caller decides which a retry could fix.
Progress lines go to any logger with `info` (Dagster's `context.log` or a `logging.Logger`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cx_assets.flows.context import ProgressLog
from cx_assets.flows.rules_audit import record_apply
from cx_assets.flows.rules_webhook import ensure_webhook
from cx_assets.genesys.rules import (
    ApplyOutcome,
    DriftReport,
    Rule,
    RuleProblem,
    RulesInvalid,
    apply_rule,
    check_drift,
    ensure_valid,
    load_rule,
)
from cx_assets.genesys.rules.tutorial import (
    APPLY_SCOPES,
    DRIFT_SCOPES,
    WEBHOOK_SCOPES,
    DataActionsClient,
)
from cx_assets.http.client import ApiClient

#: The API-mode seam's name for this flow: tutorial only (genesys/modes.py TUTORIAL_ONLY).
DATA_ACTION_FLOW = "data action rules"
#: Opens one authenticated API client asking for just these scopes (and closes it after).
ApiClientFactory = Callable[[Sequence[str]], AbstractContextManager[ApiClient]]


def load_checked_rule(path: Path) -> Rule:
    """The rule in `path`; its `action_id` must match the file name (the asset's key)."""
    rule = load_rule(path)
    if rule.action_id != path.stem:
        raise RulesInvalid(
            [
                RuleProblem(
                    str(path),
                    "action_id",
                    "file_name",
                    f"action_id {rule.action_id!r} must match the file name {path.stem!r}",
                )
            ]
        )
    return rule


# -- apply ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WebhookRegistration:
    """The `data.action.updated` webhook the run made sure of, and whether it registered it."""

    webhook_id: str
    registered_now: bool


@dataclass(frozen=True)
class AppliedRule:
    """One apply of one rule file: what it did, the HTTP counters, and the audit entry
    (`audit_seq`, None when nothing was written) and webhook (None when none was asked for)."""

    rule: Rule
    outcome: ApplyOutcome
    stats: dict[str, Any]
    audit_seq: int | None
    webhook: WebhookRegistration | None


def apply_rule_file(
    api_client: ApiClientFactory,
    path: Path,
    catalog_path: Path,
    *,
    dry_run: bool,
    max_attempts: int,
    webhook_url: str | None,
    run_id: str,
    target: str,
    log: ProgressLog,
) -> AppliedRule:
    """Validate the rule in `path` against the live datasets, apply it with If-Match (or with
    `dry_run` only diff it), register the webhook when `webhook_url` is given (not on a dry
    run), and audit an applied change in the catalog. `target` names the API in the log."""
    webhook: WebhookRegistration | None = None
    scopes = (*APPLY_SCOPES, *WEBHOOK_SCOPES) if webhook_url else APPLY_SCOPES
    rule = load_checked_rule(path)
    with api_client(scopes) as api:
        client = DataActionsClient(api)
        ensure_valid([rule], client.datasets())
        outcome = apply_rule(client, rule, dry_run=dry_run, max_attempts=max_attempts)
        if webhook_url and not dry_run:
            webhook_id, now = ensure_webhook(client, catalog_path, webhook_url, run_id=run_id)
            webhook = WebhookRegistration(webhook_id, now)
        stats = api.stats.as_dict()
    log.info(
        f"Data action {rule.action_id}: {outcome.status} (version {outcome.version_before} -> "
        f"{outcome.version_after}, {outcome.conflicts} conflict(s)) on {target}"
    )
    if outcome.diff.differs:
        log.info(f"Diff for {rule.action_id}:\n{outcome.diff.text}")
    audit_seq = None
    if outcome.changed:
        audit_seq = record_apply(catalog_path, rule, outcome, run_id=run_id)
    return AppliedRule(rule, outcome, stats, audit_seq, webhook)


# -- drift ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleDrift:
    """A drift check of one rule file: `invalid` when the file does not parse (nothing was
    asked of the API), else the rule and how live compares with it."""

    path: Path
    rule: Rule | None = None
    report: DriftReport | None = None
    invalid: RulesInvalid | None = None


def drift_of_rule_file(api_client: ApiClientFactory, path: Path) -> RuleDrift:
    """Compare the live data action with the rule in `path`, naming who changed it on drift."""
    try:
        rule = load_checked_rule(path)
    except RulesInvalid as exc:
        return RuleDrift(path, invalid=exc)
    with api_client(DRIFT_SCOPES) as api:
        report = check_drift(DataActionsClient(api), rule)
    return RuleDrift(path, rule=rule, report=report)
