"""An export of a partition failed: record it in the audit log, and nothing else.

Used by every flow that exports partitions (Genesys conversations, CXone interactions): a failure
only appends an `export.failed` entry, so no row ever claims success for a run that did not
succeed and the partition's current rows stay as they are. It also holds the partition's identity
that every export audit entry shares: the checked key and the `source/dataset/partition_key`
entity.
"""

from __future__ import annotations

from pathlib import Path

from cx_assets.catalog.audit import append_audit
from cx_assets.catalog.connection import LOCK_TIMEOUT_S, write_transaction
from cx_assets.http.redact import redact
from cx_assets.lake.paths import validate_partition_key, validate_token

FAILED = "export.failed"


def check_partition(source: str, dataset: str, partition_key: str) -> None:
    """Raise ValueError unless source, dataset and partition key are safe tokens."""
    validate_token(source, "source")
    validate_token(dataset, "dataset")
    validate_partition_key(partition_key)


def partition_entity(source: str, dataset: str, partition_key: str) -> str:
    """The audit entity of a partition's export entries: `source/dataset/partition_key`."""
    return f"{source}/{dataset}/{partition_key}"


def record_failure(
    catalog_path: Path | str,
    *,
    source: str,
    dataset: str,
    partition_key: str,
    export_id: str | None,
    reason: str,
    actor: str,
    flow: str | None = None,
    timeout_s: float = LOCK_TIMEOUT_S,
) -> int:
    """Record a failed run in the audit log only; the partition's current rows stay as they are.

    `reason` is redacted (URL queries, bearer tokens) before it is stored. Returns the seq.
    """
    check_partition(source, dataset, partition_key)
    with write_transaction(catalog_path, timeout_s=timeout_s) as con:
        return append_audit(
            con,
            flow=flow or f"{source}_{dataset}",
            action=FAILED,
            entity=partition_entity(source, dataset, partition_key),
            actor=actor,
            details={
                "export_id": export_id,
                "partition_key": partition_key,
                "reason": redact(reason),
            },
        )
