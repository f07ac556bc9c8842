"""Register a partition's export (and its files) in the catalog.

A registration replaces the partition's previous rows in one short transaction, appends an
audit entry and refreshes the dataset views, so a re-run never duplicates and readers see either
the old state or the new one. A failed run is `failures.record_failure`: an audit entry only.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cx_assets.catalog.audit import append_audit
from cx_assets.catalog.connection import LOCK_TIMEOUT_S, default_lake_root, write_transaction
from cx_assets.catalog.conversation_tables import DAY_COLUMNS
from cx_assets.catalog.failures import check_partition, partition_entity
from cx_assets.catalog.record_checks import check_aware, strip_query
from cx_assets.catalog.schema import EXPORT_COLUMNS, FILE_COLUMNS
from cx_assets.catalog.views import refresh_views

REGISTERED = "export.registered"
# request_stats keys folded into the counters when the caller left a counter at 0.
_COUNTERS = ("requests", "retries", "throttled")
_TIMESTAMPS = ("requested_at", "completed_at", "started_at", "finished_at", "registered_at")


@dataclass(frozen=True, kw_only=True)
class ExportRecord:
    """The current state of one partition's export, as the `exports` table stores it."""

    export_id: str
    source: str
    dataset: str
    partition_key: str
    status: str
    format: str | None = None
    api_base_url: str | None = None
    is_emulator: bool = False
    requested_at: dt.datetime | None = None
    completed_at: dt.datetime | None = None
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    file_count: int = 0
    bytes: int = 0
    row_count: int = 0
    quarantined_count: int = 0
    requests: int = 0
    retries: int = 0
    throttled: int = 0
    run_id: str | None = None
    registered_at: dt.datetime | None = None  # set by register_export
    request_stats: Mapping[str, Any] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        check_partition(self.source, self.dataset, self.partition_key)
        check_aware(self, _TIMESTAMPS)
        object.__setattr__(self, "api_base_url", strip_query(self.api_base_url))
        for counter in _COUNTERS:
            if getattr(self, counter) == 0 and counter in self.request_stats:
                object.__setattr__(self, counter, int(self.request_stats[counter]))


@dataclass(frozen=True, kw_only=True)
class FileRecord:
    """One verified file of an export. A query string on `uri` is dropped on construction."""

    export_id: str
    source: str
    dataset: str
    partition_key: str
    name: str
    uri: str | None
    size: int
    sha256: str
    record_count: int | None = None
    raw_path: str | None = None
    verified_at: dt.datetime | None = None  # defaults to the registration time

    def __post_init__(self) -> None:
        check_aware(self, ("verified_at",))
        object.__setattr__(self, "uri", strip_query(self.uri))


@dataclass(frozen=True, kw_only=True)
class ConversationDay:
    """A landed conversation day's completeness, as the `conversation_days` table stores it.

    `final` is None when the API gives no watermark (tutorial mode): unknown, not final."""

    day: dt.date
    api_mode: str
    export_id: str
    conversations: int
    data_availability_date: dt.datetime | None = None
    final: bool | None = None

    def __post_init__(self) -> None:
        check_aware(self, ("data_availability_date",))


def _placeholders(columns: Sequence[tuple[str, str]]) -> tuple[str, str]:
    return ", ".join(c for c, _ in columns), ", ".join("?" for _ in columns)


_EXPORT_NAMES, _EXPORT_MARKS = _placeholders(EXPORT_COLUMNS)
_DAY_NAMES, _DAY_MARKS = _placeholders(DAY_COLUMNS)
_FILE_NAMES, _FILE_MARKS = _placeholders(FILE_COLUMNS)
_PARTITION = "source = ? AND dataset = ? AND partition_key = ?"


def _export_row(export: ExportRecord, registered_at: dt.datetime) -> list[Any]:
    values = {
        **{name: getattr(export, name) for name, _ in EXPORT_COLUMNS if name != "request_stats"},
        "registered_at": export.registered_at or registered_at,
        "request_stats": json.dumps(dict(export.request_stats), default=str, sort_keys=True),
    }
    return [values[name] for name, _ in EXPORT_COLUMNS]


def _file_row(file: FileRecord, registered_at: dt.datetime) -> list[Any]:
    values = {name: getattr(file, name) for name, _ in FILE_COLUMNS}
    values["uri"] = strip_query(file.uri)  # FileRecord strips too; a catalog never trusts it
    values["verified_at"] = file.verified_at or registered_at
    return [values[name] for name, _ in FILE_COLUMNS]


def register_export(
    catalog_path: Path | str,
    export: ExportRecord,
    files: Sequence[FileRecord],
    *,
    actor: str,
    flow: str | None = None,
    day: ConversationDay | None = None,
    lake_root: Path | None = None,
    timeout_s: float = LOCK_TIMEOUT_S,
) -> int:
    """Make `export` and `files` the partition's current state; returns the audit entry's seq.

    One transaction: delete the partition's previous export and file rows, insert the new ones
    (and the conversation `day`'s completeness row, when given), append an `export.registered`
    audit entry, refresh the dataset views.
    """
    key = (export.source, export.dataset, export.partition_key)
    strays = [
        f.name
        for f in files
        if (f.export_id, f.source, f.dataset, f.partition_key) != (export.export_id, *key)
    ]
    if strays:
        raise ValueError(
            f"files {strays} do not belong to export {export.export_id} of {partition_entity(*key)}"
        )
    registered_at = dt.datetime.now(dt.UTC)
    with write_transaction(catalog_path, timeout_s=timeout_s) as con:
        previous = con.execute(f"SELECT export_id FROM exports WHERE {_PARTITION}", key).fetchone()
        con.execute(f"DELETE FROM export_files WHERE {_PARTITION}", key)
        con.execute(f"DELETE FROM exports WHERE {_PARTITION}", key)
        con.execute(
            f"INSERT INTO exports ({_EXPORT_NAMES}) VALUES ({_EXPORT_MARKS})",
            _export_row(export, registered_at),
        )
        if files:
            con.executemany(
                f"INSERT INTO export_files ({_FILE_NAMES}) VALUES ({_FILE_MARKS})",
                [_file_row(f, registered_at) for f in files],
            )
        if day is not None:
            con.execute("DELETE FROM conversation_days WHERE day = ?", [day.day])
            con.execute(
                f"INSERT INTO conversation_days ({_DAY_NAMES}) VALUES ({_DAY_MARKS})",
                [
                    registered_at if n == "registered_at" else getattr(day, n)
                    for n, _ in DAY_COLUMNS
                ],
            )
        seq = append_audit(
            con,
            flow=flow or f"{export.source}_{export.dataset}",
            action=REGISTERED,
            entity=partition_entity(*key),
            actor=actor,
            details={
                "export_id": export.export_id,
                "partition_key": export.partition_key,
                "status": export.status,
                "replaced_export_id": previous[0] if previous else None,
                "files": [{"name": f.name, "size": f.size, "sha256": f.sha256} for f in files],
                "bytes": export.bytes,
                "rows": export.row_count,
                "quarantined": export.quarantined_count,
                **({"final": day.final} if day is not None else {}),
            },
        )
        refresh_views(con, lake_root or default_lake_root(catalog_path))
    return seq
