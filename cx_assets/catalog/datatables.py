"""Data table snapshots in the catalog: the `datatable_snapshots` record, its writes and reads.

Every write is one short transaction with an audit entry (flow `datatables`), so a re-run of a
snapshot day replaces its row instead of duplicating it. The import runs are in
`datatable_imports.py` and the per-table views over the snapshot files in `datatable_views.py`;
this module also holds what the flow's writes share (flow name, actor, column lists). Table ids
come from the vendor and are validated before they reach a path; every value is passed to SQL
as a parameter.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from cx_assets.catalog.audit import append_audit
from cx_assets.catalog.connection import LOCK_TIMEOUT_S, write_transaction
from cx_assets.catalog.datatable_tables import SNAPSHOT_COLUMNS
from cx_assets.catalog.queries import query
from cx_assets.catalog.record_checks import check_aware, strip_query
from cx_assets.lake.paths import validate_partition_key, validate_token

FLOW = "datatables"
ACTION_SNAPSHOT = "snapshot"
DEFAULT_ACTOR = "cx-assets"

_SNAPSHOT_TIMESTAMPS = ("started_at", "finished_at", "registered_at")


def _as_day(value: dt.date | str) -> dt.date:
    if isinstance(value, dt.datetime):
        raise ValueError(f"a snapshot day is a date, got the datetime {value!r}")
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(validate_partition_key(value))


def _relative_path(path: str) -> str:
    parts = PurePosixPath(path).parts
    if not parts or path.startswith("/") or "\\" in path or ".." in parts:
        raise ValueError(f"snapshot path {path!r} must be relative to the data root, without '..'")
    return path


@dataclass(frozen=True, kw_only=True)
class SnapshotRecord:
    """One table's snapshot on one day, as `datatable_snapshots` stores it.

    `columns` is the vendor schema, `[{"name", "type", "isPrimaryKey"}]`; `path` is relative to
    the data root. `day` accepts `YYYY-MM-DD` and is held as a date.
    """

    table_id: str
    table_name: str
    day: dt.date
    etag: str | None
    version: int | None
    row_count: int
    pages: int
    restarts: int
    columns: Sequence[Mapping[str, Any]] = field(hash=False)
    path: str
    bytes: int
    sha256: str
    requests: int = 0
    retries: int = 0
    throttled: int = 0
    is_emulator: bool = False
    api_base_url: str | None = None
    run_id: str | None = None
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    registered_at: dt.datetime | None = None  # set by register_snapshot
    api_mode: str | None = None
    export_job_id: str | None = None
    records_processed: int | None = None
    quarantined: int | None = None

    def __post_init__(self) -> None:
        validate_token(self.table_id, "table id")
        object.__setattr__(self, "day", _as_day(self.day))
        object.__setattr__(self, "path", _relative_path(self.path))
        object.__setattr__(self, "api_base_url", strip_query(self.api_base_url))
        object.__setattr__(self, "columns", [dict(c) for c in self.columns])
        check_aware(self, _SNAPSHOT_TIMESTAMPS)


def names_marks(columns: Sequence[tuple[str, str]]) -> tuple[str, str]:
    """`a, b, c` and `?, ?, ?` for an INSERT of `columns` (names from the table module)."""
    return ", ".join(c for c, _ in columns), ", ".join("?" for _ in columns)


_SNAPSHOT_NAMES, _SNAPSHOT_MARKS = names_marks(SNAPSHOT_COLUMNS)


def audit_actor(actor: str | None, run_id: str | None) -> str:
    """Who an audit entry names: the caller's actor, else the run, else `cx-assets`."""
    return actor or (f"run {run_id}" if run_id else DEFAULT_ACTOR)


def register_snapshot(
    catalog_path: Path | str,
    record: SnapshotRecord,
    *,
    actor: str | None = None,
    timeout_s: float = LOCK_TIMEOUT_S,
) -> int:
    """Make `record` the table's snapshot for its day (a re-run replaces it); returns audit seq."""
    registered_at = record.registered_at or dt.datetime.now(dt.UTC)
    values = {name: getattr(record, name) for name, _ in SNAPSHOT_COLUMNS}
    values["columns"] = json.dumps(record.columns, sort_keys=True, default=str)
    values["registered_at"] = registered_at
    key = [record.table_id, record.day]
    with write_transaction(catalog_path, timeout_s=timeout_s) as con:
        previous = con.execute(
            "SELECT sha256 FROM datatable_snapshots WHERE table_id = ? AND day = ?", key
        ).fetchone()
        con.execute("DELETE FROM datatable_snapshots WHERE table_id = ? AND day = ?", key)
        con.execute(
            f"INSERT INTO datatable_snapshots ({_SNAPSHOT_NAMES}) VALUES ({_SNAPSHOT_MARKS})",
            [values[name] for name, _ in SNAPSHOT_COLUMNS],
        )
        return append_audit(
            con,
            flow=FLOW,
            action=ACTION_SNAPSHOT,
            entity=f"{record.table_id}/{record.day.isoformat()}",
            actor=audit_actor(actor, record.run_id),
            details={
                "table_name": record.table_name,
                "day": record.day.isoformat(),
                "etag": record.etag,
                "version": record.version,
                "rows": record.row_count,
                "restarts": record.restarts,
                "path": record.path,
                "bytes": record.bytes,
                "sha256": record.sha256,
                "replaced_sha256": previous[0] if previous else None,
            },
        )


def _snapshot_from_row(row: dict[str, Any]) -> SnapshotRecord:
    row["columns"] = json.loads(row["columns"])
    return SnapshotRecord(**row)


def _snapshots(catalog_path: Path | str, where: str, params: list[Any]) -> SnapshotRecord | None:
    result = query(
        catalog_path,
        f"SELECT {_SNAPSHOT_NAMES} FROM datatable_snapshots WHERE {where} "
        "ORDER BY day DESC LIMIT 1",
        params,
    )
    return _snapshot_from_row(result.as_dicts()[0]) if result.rows else None


def snapshot_for(
    catalog_path: Path | str, table_id: str, day: dt.date | str
) -> SnapshotRecord | None:
    """The table's snapshot of `day`, or None."""
    return _snapshots(catalog_path, "table_id = ? AND day = ?", [table_id, _as_day(day)])


def previous_snapshot(
    catalog_path: Path | str, table_id: str, before_day: dt.date | str
) -> SnapshotRecord | None:
    """The table's latest snapshot strictly before `before_day` (to compare schemas), or None."""
    return _snapshots(catalog_path, "table_id = ? AND day < ?", [table_id, _as_day(before_day)])
