"""The outbound rules steps a user runs: apply one rule set or filter file, check it for drift.

Each `outbound_rule_sets/<file>` and `contact_list_filters/<file>` asset and its
`live_matches_repo` check call these, so file -> resolve and validate against the org -> diff ->
apply with the live `version` -> catalog audit is plain Python, tested without Dagster. Every
apply that wrote, and every conflict that stopped one, goes to the catalog's audit log. Errors
of the layers below pass through untouched (`RulesInvalid`, `OutboundConflict`, `ApiError`):
the caller decides which a retry could fix.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cx_assets.catalog.rules import last_known_id, record_rules_event
from cx_assets.flows.context import ProgressLog
from cx_assets.genesys.rules.model import RulesInvalid
from cx_assets.genesys.rules.outbound_apply import (
    OutboundConflict,
    OutboundDrift,
    OutboundOutcome,
    apply_target,
    drift_of,
    resolve,
)
from cx_assets.genesys.rules.outbound_model import load_doc
from cx_assets.genesys.rules.platform import LABELS, Kind, OutboundRulesClient, RulesSettings
from cx_assets.http.client import ApiClient

#: The API-mode seam's name for this flow (genesys/modes.py PLATFORM_FLOWS).
FLOW = "rules"
ApiClientFactory = Callable[[Sequence[str]], AbstractContextManager[ApiClient]]


@dataclass(frozen=True)
class AppliedOutbound:
    outcome: OutboundOutcome
    stats: dict[str, Any]
    audit_seq: int | None


def file_key(kind: Kind, path: Path) -> str:
    """`rule_set/spring-renewals`: the file's identity in the catalog, whatever the checkout."""
    return f"{kind}/{path.stem}"


def apply_outbound_file(
    api_client: ApiClientFactory,
    kind: Kind,
    path: Path,
    catalog_path: Path,
    *,
    dry_run: bool,
    max_attempts: int,
    run_id: str,
    target: str,
    log: ProgressLog,
    settings: RulesSettings | None = None,
) -> AppliedOutbound:
    """Validate the file against the org and apply it (or with `dry_run` only diff it)."""
    doc = load_doc(kind, path)
    key = file_key(kind, path)
    known = last_known_id(catalog_path, kind, key)
    with api_client(()) as api:
        client = OutboundRulesClient(api, settings)
        resolved = resolve(client, kind, doc, str(path), known_id=known)
        try:
            outcome = apply_target(client, resolved, dry_run=dry_run, max_attempts=max_attempts)
        except OutboundConflict as exc:
            record_rules_event(
                catalog_path,
                action="apply_conflict",
                kind=kind,
                entity_id=resolved.entity_id,
                file_key=key,
                details={
                    "name": doc.name,
                    "run_id": run_id,
                    "rule_file": str(path),
                    "version_read": exc.versions[0],
                    "version_live": exc.versions[1],
                    "units": [c.unit for c in exc.conflicts],
                },
            )
            raise
        stats = api.stats.as_dict()
    log.info(
        f"{LABELS[kind].capitalize()} {doc.name!r}: {outcome.status} (version "
        f"{outcome.version_before} -> {outcome.version_after}"
        + (
            f", re-applied over a concurrent edit of {', '.join(outcome.merged_over)}"
            if outcome.merged_over
            else ""
        )
        + f") on {target}"
    )
    if outcome.diff:
        log.info(f"Diff for {doc.name!r}:\n{outcome.diff}")
    audit_seq = None
    if outcome.changed:
        audit_seq = record_rules_event(
            catalog_path,
            action="apply",
            kind=kind,
            entity_id=outcome.entity_id,
            file_key=key,
            details={
                "name": doc.name,
                "run_id": run_id,
                "rule_file": str(path),
                "status": outcome.status,
                "version_before": outcome.version_before,
                "version_after": outcome.version_after,
                "attempts": outcome.attempts,
                "units": list(outcome.units),
                "merged_over_concurrent_edit": list(outcome.merged_over),
                "diff": outcome.diff,
            },
        )
    return AppliedOutbound(outcome, stats, audit_seq)


@dataclass(frozen=True)
class OutboundDriftResult:
    """`invalid` when the file does not parse or does not fit the org; else the drift."""

    path: Path
    drift: OutboundDrift | None = None
    invalid: RulesInvalid | None = None


def drift_of_outbound_file(
    api_client: ApiClientFactory,
    kind: Kind,
    path: Path,
    catalog_path: Path,
    settings: RulesSettings | None = None,
) -> OutboundDriftResult:
    """Compare the live entity with the file, naming who changed it last when they differ."""
    try:
        doc = load_doc(kind, path)
    except RulesInvalid as exc:
        return OutboundDriftResult(path, invalid=exc)
    known = last_known_id(catalog_path, kind, file_key(kind, path))
    with api_client(()) as api:
        client = OutboundRulesClient(api, settings)
        try:
            resolved = resolve(client, kind, doc, str(path), known_id=known)
        except RulesInvalid as exc:
            return OutboundDriftResult(path, invalid=exc)
        return OutboundDriftResult(path, drift=drift_of(client, resolved))
