"""Register CXone export jobs, per-day metrics and webhook deliveries in the catalog.

`register_range` makes one export job and its days the current state in one short transaction
(a re-run of a day replaces that day's row, other days stay), appends an audit entry with a
SHA-256 of the metrics, and refreshes the dataset views; `record_sync` stores a day's webhook
delivery. The records are the catalog's own plain dataclasses, so the catalog does not depend on
the CXone client: `flows/cxone_records.py` builds them from the client's and the lake's results.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cx_assets.catalog.audit import append_audit, canonical_json
from cx_assets.catalog.connection import LOCK_TIMEOUT_S, default_lake_root, write_transaction
from cx_assets.catalog.cxone_tables import DAY_COLUMNS, EXPORT_ADDED, EXPORT_COLUMNS, SYNC_COLUMNS
from cx_assets.catalog.queries import query
from cx_assets.catalog.record_checks import check_aware
from cx_assets.catalog.views import refresh_views

FLOW = "cxone"
EXPORT_ACTION = "export"
SYNC_ACTION = "sync"


@dataclass(frozen=True, kw_only=True)
class CxoneExportRecord:
    """One export job as `cxone_exports` stores it; `range_end` is the last day included."""

    export_id: str
    range_start: dt.date
    range_end: dt.date
    days: int
    records: int
    pages: int
    status: str = "completed"
    total_reported: int | None = None
    latency_s: float | None = None
    requests: int = 0
    throttled: int = 0
    retries: int = 0
    run_id: str | None = None
    created_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    api_mode: str = "tutorial"
    kind: str = "export"
    updated_since: dt.datetime | None = None
    replaced: int = 0
    duplicates: int = 0

    def __post_init__(self) -> None:
        check_aware(self, ("created_at", "finished_at", "updated_since"))
        if self.range_end < self.range_start:
            raise ValueError(f"range_end {self.range_end} is before range_start {self.range_start}")


@dataclass(frozen=True, kw_only=True)
class CxoneDayRecord:
    """One day's alignment metrics and its Parquet file, as `cxone_day_metrics` stores it."""

    day: dt.date
    export_id: str
    total: int
    valid: int
    integrity_rate: float
    missing_by_field: Mapping[str, int] = field(default_factory=dict, hash=False)
    path: str
    bytes: int
    sha256: str
    registered_at: dt.datetime | None = None  # set by register_range

    def metrics(self) -> dict[str, Any]:
        """The day's metrics as plain JSON values (what the audit hash covers)."""
        return {
            "day": self.day.isoformat(),
            "total": self.total,
            "valid": self.valid,
            "integrity_rate": self.integrity_rate,
            "missing_by_field": dict(sorted(self.missing_by_field.items())),
            "sha256": self.sha256,
        }


@dataclass(frozen=True, kw_only=True)
class CxoneSyncChunk:
    """One chunk delivered to the data-lake webhook, as a `cxone_syncs` row stores it."""

    chunk: int
    records: int
    idempotency_key: str
    status: str
    sent_at: dt.datetime


@dataclass(frozen=True, kw_only=True)
class CxoneSyncRecord:
    """A day's delivery to the data-lake webhook: every chunk sent, in order."""

    dataset: str
    day: dt.date
    chunks: Sequence[CxoneSyncChunk] = field(default=(), hash=False)

    @property
    def records(self) -> int:
        return sum(c.records for c in self.chunks)


def _names_marks(columns: Sequence[tuple[str, str]]) -> tuple[str, str]:
    return ", ".join(c for c, _ in columns), ", ".join("?" for _ in columns)


_EXPORT_NAMES, _EXPORT_MARKS = _names_marks((*EXPORT_COLUMNS, *EXPORT_ADDED))
_DAY_NAMES, _DAY_MARKS = _names_marks(DAY_COLUMNS)
_SYNC_NAMES, _SYNC_MARKS = _names_marks(SYNC_COLUMNS)


def metrics_sha256(days: Sequence[CxoneDayRecord]) -> str:
    """SHA-256 of the canonical JSON of the days' metrics, in day order."""
    payload = canonical_json([d.metrics() for d in sorted(days, key=lambda d: d.day)])
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def register_range(
    catalog_path: Path | str,
    export: CxoneExportRecord,
    days: Sequence[CxoneDayRecord],
    *,
    actor: str,
    lake_root: Path | None = None,
    timeout_s: float = LOCK_TIMEOUT_S,
) -> int:
    """Record `export` and make `days` those days' current state; returns the audit seq.

    One transaction: replace the export's row, replace each given day's row (other days are
    untouched), append a `cxone`/`export` audit entry, refresh the dataset views.
    """
    strays = [
        d.day.isoformat()
        for d in days
        if d.export_id != export.export_id or not export.range_start <= d.day <= export.range_end
    ]
    if strays:
        raise ValueError(
            f"days {strays} do not belong to export {export.export_id} "
            f"({export.range_start}..{export.range_end})"
        )
    registered_at = dt.datetime.now(dt.UTC)
    export_row = [getattr(export, name) for name, _ in (*EXPORT_COLUMNS, *EXPORT_ADDED)]
    day_rows = [_day_row(d, registered_at) for d in days]
    total = sum(d.total for d in days)
    valid = sum(d.valid for d in days)
    with write_transaction(catalog_path, timeout_s=timeout_s) as con:
        con.execute("DELETE FROM cxone_exports WHERE export_id = ?", [export.export_id])
        con.execute(
            f"INSERT INTO cxone_exports ({_EXPORT_NAMES}) VALUES ({_EXPORT_MARKS})", export_row
        )
        if day_rows:
            con.executemany("DELETE FROM cxone_day_metrics WHERE day = ?", [[d.day] for d in days])
            con.executemany(
                f"INSERT INTO cxone_day_metrics ({_DAY_NAMES}) VALUES ({_DAY_MARKS})", day_rows
            )
        seq = append_audit(
            con,
            flow=FLOW,
            action=EXPORT_ACTION,
            entity=f"cxone/interactions/{export.range_start}..{export.range_end}",
            actor=actor,
            details={
                "export_id": export.export_id,
                "api_mode": export.api_mode,
                "kind": export.kind,
                "range": {"start": export.range_start, "end": export.range_end},
                "days": len(days),
                "records": export.records,
                "total_reported": export.total_reported,
                "pages": export.pages,
                "status": export.status,
                "valid": valid,
                "integrity_rate": valid / total if total else 1.0,
                "min_day_integrity": min((d.integrity_rate for d in days), default=1.0),
                "latency_s": export.latency_s,
                "requests": export.requests,
                "throttled": export.throttled,
                "metrics_sha256": metrics_sha256(days),
            },
        )
        refresh_views(con, lake_root or default_lake_root(catalog_path))
    return seq


def _day_row(day: CxoneDayRecord, registered_at: dt.datetime) -> list[Any]:
    values = {name: getattr(day, name) for name, _ in DAY_COLUMNS}
    values["missing_by_field"] = json.dumps(dict(day.missing_by_field), sort_keys=True)
    values["registered_at"] = day.registered_at or registered_at
    return [values[name] for name, _ in DAY_COLUMNS]


def record_sync(
    catalog_path: Path | str,
    result: CxoneSyncRecord,
    *,
    actor: str,
    timeout_s: float = LOCK_TIMEOUT_S,
) -> int:
    """Make `result`'s chunks the day's delivery record (replacing an earlier sync of that day)
    and append a `cxone`/`sync` audit entry; returns its seq."""
    rows = [
        [result.dataset, result.day, c.chunk, c.records, c.idempotency_key, c.status, c.sent_at]
        for c in result.chunks
    ]
    with write_transaction(catalog_path, timeout_s=timeout_s) as con:
        con.execute(
            "DELETE FROM cxone_syncs WHERE dataset = ? AND day = ?", [result.dataset, result.day]
        )
        if rows:
            con.executemany(f"INSERT INTO cxone_syncs ({_SYNC_NAMES}) VALUES ({_SYNC_MARKS})", rows)
        return append_audit(
            con,
            flow=FLOW,
            action=SYNC_ACTION,
            entity=f"cxone/{result.dataset}/{result.day}",
            actor=actor,
            details={
                "dataset": result.dataset,
                "day": result.day,
                "chunks": len(result.chunks),
                "records": result.records,
                "keys": [c.idempotency_key for c in result.chunks],
            },
        )


def day_metrics(
    catalog_path: Path | str, first: dt.date, last: dt.date, *, timeout_s: float = LOCK_TIMEOUT_S
) -> list[CxoneDayRecord]:
    """The current metrics of the registered days in `first..last`, by day."""
    names = ", ".join(c for c, _ in DAY_COLUMNS)
    result = query(
        catalog_path,
        f"SELECT {names} FROM cxone_day_metrics WHERE day BETWEEN ? AND ? ORDER BY day",
        [first, last],
        timeout_s=timeout_s,
    )
    records = []
    for row in result.as_dicts():
        row["missing_by_field"] = json.loads(row["missing_by_field"] or "{}")
        records.append(CxoneDayRecord(**row))
    return records


@dataclass(frozen=True)
class DayPull:
    """The read behind a day's current file: when it began, in which mode, and the file."""

    day: dt.date
    export_id: str
    api_mode: str | None
    started_at: dt.datetime | None
    path: str
    sha256: str


def current_pull(
    catalog_path: Path | str, day: dt.date, *, timeout_s: float = LOCK_TIMEOUT_S
) -> DayPull | None:
    """The export or pull whose file is `day`'s current state; None for a day never landed.

    A late-updates pull starts from here: it asks for what changed since this one began.
    """
    result = query(
        catalog_path,
        "SELECT m.day, m.export_id, e.api_mode, e.created_at AS started_at, m.path, m.sha256 "
        "FROM cxone_day_metrics m JOIN cxone_exports e USING (export_id) WHERE m.day = ?",
        [day],
        timeout_s=timeout_s,
    )
    rows = result.as_dicts()
    return DayPull(**rows[0]) if rows else None
