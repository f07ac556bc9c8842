"""Every applied change goes to the catalog's hash-chained audit log (flow `data_actions`)."""

from pathlib import Path

from cx_assets.catalog.audit import append_audit
from cx_assets.catalog.connection import write_transaction
from cx_assets.genesys.rules import ApplyOutcome, Rule

FLOW = "data_actions"


def record_apply(catalog_path: Path, rule: Rule, outcome: ApplyOutcome, *, run_id: str) -> int:
    """Append one `apply` entry; the actor is who the vendor's audit log says wrote the version
    (our OAuth client), or `cx-assets` when the audit log did not show it."""
    confirmation = outcome.confirmation
    with write_transaction(catalog_path) as con:
        return append_audit(
            con,
            flow=FLOW,
            action="apply",
            entity=rule.action_id,
            actor=confirmation.actor_id if confirmation else "cx-assets",
            details={
                "rule_file": rule.source,
                "version_before": outcome.version_before,
                "version_after": outcome.version_after,
                "attempts": outcome.attempts,
                "conflicts": outcome.conflicts,
                "confirmed_by_vendor_audit": confirmation is not None,
                "vendor_audit_timestamp": confirmation.timestamp if confirmation else None,
                "diff": outcome.diff.text,
                "run_id": run_id,
            },
        )
