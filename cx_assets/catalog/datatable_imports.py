"""Data table import runs in the catalog: `datatable_imports` and their `datatable_quarantine`.

A run of a declared import is one row, and the rows it quarantined are kept beside it, written in
one short transaction with an audit entry (flow `datatables`, action `import`), so a re-run of an
import run replaces both instead of duplicating them. The snapshots it imports next to are in
`datatables.py`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cx_assets.catalog.audit import append_audit
from cx_assets.catalog.connection import LOCK_TIMEOUT_S, write_transaction
from cx_assets.catalog.datatable_tables import IMPORT_COLUMNS, QUARANTINE_COLUMNS
from cx_assets.catalog.datatables import FLOW, audit_actor, names_marks
from cx_assets.catalog.queries import query
from cx_assets.catalog.record_checks import check_aware
from cx_assets.lake.datatables import QuarantineRow
from cx_assets.lake.paths import validate_token

ACTION_IMPORT = "import"


@dataclass(frozen=True, kw_only=True)
class ImportRecord:
    """One run of a declared import, as `datatable_imports` stores it."""

    import_name: str
    run_id: str
    table_id: str
    source: str | None
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    rows_total: int
    valid: int
    inserted: int
    updated: int
    unchanged: int
    quarantined: int
    batches: int
    bisections: int
    chunk_sizes: Sequence[int] = field(hash=False)
    verified: bool
    missing: int
    different: int
    requests: int = 0
    throttled: int = 0
    status: str
    registered_at: dt.datetime | None = None  # set by register_import
    api_mode: str | None = None
    import_job_id: str | None = None
    import_mode: str | None = None
    deleted: int | None = None
    server_failed: int | None = None

    def __post_init__(self) -> None:
        validate_token(self.import_name, "import name")
        validate_token(self.run_id, "run id")
        validate_token(self.table_id, "table id")
        object.__setattr__(self, "chunk_sizes", [int(n) for n in self.chunk_sizes])
        check_aware(self, ("started_at", "finished_at", "registered_at"))


_IMPORT_NAMES, _IMPORT_MARKS = names_marks(IMPORT_COLUMNS)
_QUARANTINE_NAMES, _QUARANTINE_MARKS = names_marks(QUARANTINE_COLUMNS)


def register_import(
    catalog_path: Path | str,
    record: ImportRecord,
    quarantined: Sequence[QuarantineRow],
    *,
    actor: str | None = None,
    timeout_s: float = LOCK_TIMEOUT_S,
) -> int:
    """Record an import run and its quarantined rows (a re-registration replaces both).

    `quarantined` must hold exactly `record.quarantined` rows: the catalog never counts rows it
    does not keep. Returns the audit entry's seq.
    """
    if len(quarantined) != record.quarantined:
        raise ValueError(
            f"import {record.import_name} run {record.run_id}: record says "
            f"{record.quarantined} quarantined row(s) but {len(quarantined)} were given"
        )
    registered_at = record.registered_at or dt.datetime.now(dt.UTC)
    values = {name: getattr(record, name) for name, _ in IMPORT_COLUMNS}
    values["chunk_sizes"] = json.dumps(list(record.chunk_sizes))
    values["registered_at"] = registered_at
    key = [record.import_name, record.run_id]
    with write_transaction(catalog_path, timeout_s=timeout_s) as con:
        for table in ("datatable_imports", "datatable_quarantine"):
            con.execute(f"DELETE FROM {table} WHERE import_name = ? AND run_id = ?", key)
        con.execute(
            f"INSERT INTO datatable_imports ({_IMPORT_NAMES}) VALUES ({_IMPORT_MARKS})",
            [values[name] for name, _ in IMPORT_COLUMNS],
        )
        if quarantined:
            con.executemany(
                f"INSERT INTO datatable_quarantine ({_QUARANTINE_NAMES}) "
                f"VALUES ({_QUARANTINE_MARKS})",
                [
                    [
                        *key,
                        q.row_number,
                        q.field,
                        q.reason,
                        q.row_json,
                        record.source,
                        registered_at,
                    ]
                    for q in quarantined
                ],
            )
        return append_audit(
            con,
            flow=FLOW,
            action=ACTION_IMPORT,
            entity=f"{record.import_name}/{record.run_id}",
            actor=audit_actor(actor, record.run_id),
            details={
                "table_id": record.table_id,
                "status": record.status,
                "rows_total": record.rows_total,
                "inserted": record.inserted,
                "updated": record.updated,
                "unchanged": record.unchanged,
                "quarantined": record.quarantined,
                "verified": record.verified,
            },
        )


def last_import(catalog_path: Path | str, import_name: str) -> ImportRecord | None:
    """The most recently registered run of the import, or None."""
    result = query(
        catalog_path,
        f"SELECT {_IMPORT_NAMES} FROM datatable_imports WHERE import_name = ? "
        "ORDER BY registered_at DESC, started_at DESC NULLS LAST LIMIT 1",
        [import_name],
    )
    if not result.rows:
        return None
    row = result.as_dicts()[0]
    row["chunk_sizes"] = json.loads(row["chunk_sizes"])
    return ImportRecord(**row)


def quarantined_rows(
    catalog_path: Path | str, import_name: str, run_id: str
) -> list[QuarantineRow]:
    """The quarantined rows of one import run, by row number."""
    result = query(
        catalog_path,
        "SELECT row_number, field, reason, row_json FROM datatable_quarantine "
        "WHERE import_name = ? AND run_id = ? ORDER BY row_number",
        [import_name, run_id],
    )
    return [QuarantineRow(*row) for row in result.rows]
