"""Outbound rules in the catalog: every apply and conflict in the audit log, and the id each
file's entity had when last written.

A rule file names its rule set or filter by name; when someone renames it in the admin UI the
name no longer finds it, and creating a second one would be worse than failing. So each entry
carries the file's key (`rule_set/spring-renewals`, the asset key's parts: stable across
checkouts), and `last_known_id` finds the id that file last wrote.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cx_assets.catalog.audit import append_audit
from cx_assets.catalog.connection import write_transaction
from cx_assets.catalog.queries import query

FLOW = "rules"
ACTOR = "cx-assets"


def record_rules_event(
    catalog_path: Path,
    *,
    action: str,
    kind: str,
    entity_id: str | None,
    file_key: str,
    details: Mapping[str, Any],
) -> int:
    """Append one `apply` / `apply_conflict` entry for `kind:entity_id`; its `seq`."""
    with write_transaction(catalog_path) as con:
        return append_audit(
            con,
            flow=FLOW,
            action=action,
            entity=f"{kind}:{entity_id or 'new'}",
            actor=ACTOR,
            details={"file_key": file_key, **details},
        )


def last_known_id(catalog_path: Path, kind: str, file_key: str) -> str | None:
    """The entity id the file last applied (created or updated), or None."""
    rows = query(
        catalog_path,
        "SELECT entity FROM audit_log WHERE flow = ? AND action = 'apply' "
        "AND json_extract_string(details, '$.file_key') = ? ORDER BY seq DESC LIMIT 1",
        [FLOW, file_key],
    ).rows
    prefix = f"{kind}:"
    if not rows or not str(rows[0][0]).startswith(prefix):
        return None
    return str(rows[0][0])[len(prefix) :] or None
