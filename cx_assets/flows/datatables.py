"""The data table steps a user runs: snapshot one table for one day, run one declared import.

Both `genesys_datatable_snapshot` and the `datatable_import_*` assets call these functions, so
the orchestration (client -> lake -> catalog) is plain Python, tested without Dagster. They raise
the client's own errors (`SnapshotInconsistent`, `SchemaMismatch`, `TooManyServerRejections`,
`ApiError`) untouched: the caller decides which of them a retry could fix. Progress lines go to
any logger with `info` and `warning` (Dagster's `context.log` or a `logging.Logger`).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from cx_assets.catalog.datatable_imports import ImportRecord, register_import
from cx_assets.catalog.queries import query
from cx_assets.flows.context import ProgressLog, Target
from cx_assets.flows.datatables_history import check_snapshot_day
from cx_assets.flows.datatables_names import resolve_table_id
from cx_assets.flows.datatables_progress import RowCounting, watching
from cx_assets.flows.datatables_snapshot import (
    SnapshotResult,
    SnapshotRun,
    base_record,
    record_snapshot,
)
from cx_assets.flows.progress import TransferProgress
from cx_assets.genesys.datatables.declarations import ImportDeclaration
from cx_assets.genesys.datatables.imports import (
    ImportOutcome,
    ImportSettings,
    Verification,
    import_rows,
    verify_rows,
)
from cx_assets.genesys.datatables.platform_schema import describe_table
from cx_assets.genesys.datatables.rows import check_source_columns, validate_rows
from cx_assets.genesys.datatables.source_paths import resolve_source
from cx_assets.genesys.datatables.tutorial import DataTablesClient
from cx_assets.lake.datatable_columns import SnapshotColumn
from cx_assets.lake.datatables import (
    QuarantineRow,
    quarantine_path,
    snapshot_path,
    write_quarantine,
    write_snapshot,
)
from cx_assets.lake.datatables_sources import DEFAULT_MAX_FIELD_CHARS, SourceRows, read_source_rows
from cx_assets.lake.locks import exclusive
from cx_assets.lake.paths import DataLayout

#: Opens a data tables client for one step (and closes it when the step is done with it).
ClientFactory = Callable[[], AbstractContextManager[DataTablesClient]]


# -- snapshot ---------------------------------------------------------------------------------


def snapshot_table(
    client_factory: ClientFactory,
    layout: DataLayout,
    table_id: str,
    day: str,
    *,
    run_id: str,
    target: Target,
    log: ProgressLog,
    table_name: str = "",
) -> SnapshotResult:
    """Read `table_id` whole (tutorial mode), write it as the day's Parquet file and record it.
    `table_name` (the name the partition key shows) names the table in progress lines.

    Refuses (`SnapshotDayRefused`, before any request) a `day` the snapshot would not show."""
    run = SnapshotRun(day, run_id, target, dt.datetime.now(dt.UTC), "tutorial")
    check_snapshot_day(dt.date.fromisoformat(day), now=run.started)
    label = describe_table(table_name, table_id)
    log.info(f"Snapshot of {label} for {day} from {target.description}")
    progress = TransferProgress(log, f"Snapshot of {label}", unit="request")
    with client_factory() as client:
        with watching(progress, client.api.stats.as_dict, count_requests=True):
            snap = client.snapshot(table_id)
        stats = client.api.stats.as_dict()
    done = progress.finish()
    columns = [SnapshotColumn(c.name, c.type, c.is_primary_key) for c in snap.schema.columns]
    path = snapshot_path(layout, table_id, day)
    written = write_snapshot(path, snap.rows, [(c.name, c.type) for c in columns])
    if snap.restarts:
        log.warning(
            f"The table changed while it was read: restarted {snap.restarts} time(s); "
            f"the snapshot is version {snap.schema.version} (ETag {snap.etag}) throughout"
        )
    details = {
        "table_version": snap.schema.version,
        "etag": snap.etag,
        "pages": snap.pages,
        "restarts": snap.restarts,
        "seconds": done.seconds,
    }
    record = base_record(
        layout,
        run,
        table_id=snap.table_id,
        table_name=snap.schema.name,
        columns=columns,
        written=written,
        stats=stats,
        etag=snap.etag,
        version=snap.schema.version,
        pages=snap.pages,
        restarts=snap.restarts,
    )
    return record_snapshot(
        layout,
        run,
        record,
        rows_served=len(snap.rows),
        stats=stats,
        written=written,
        details=details,
        columns=columns,
    )


# -- import -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportRun:
    """An import pushed, verified and recorded; `accepted` counts the rows the table took."""

    record: ImportRecord
    outcome: ImportOutcome
    verification: Verification
    stats: dict[str, Any]
    accepted: int


@dataclass(frozen=True)
class SourceRules:
    """What an import's source file must keep to: lie inside one of `roots` (after symlinks
    and `..`) and hold no cell longer than `max_field_chars`. The Dagster layer passes the
    imports folder and the roots its setting allows; `roots` None (a caller reading a file it
    chose itself, such as a benchmark) skips the folder rule."""

    roots: tuple[Path, ...] | None = None
    max_field_chars: int = DEFAULT_MAX_FIELD_CHARS


def read_rows(
    declaration: ImportDeclaration, catalog_path: Path, rules: SourceRules | None = None
) -> SourceRows:
    """The import's rows: its file, or its read-only query on the catalog. A file outside the
    allowed roots is refused (`SourceOutsideRoots`) before it is opened."""
    rules = rules or SourceRules()
    if declaration.source is not None:
        path = (
            declaration.source_path()
            if rules.roots is None
            else resolve_source(declaration, rules.roots)
        )
        return read_source_rows(path, max_field_chars=rules.max_field_chars)
    result = query(catalog_path, declaration.query or "")
    rows = [dict(zip(result.columns, row, strict=True)) for row in result.rows]
    return SourceRows(rows=rows, columns=list(result.columns), column_types=None, unreadable=[])


class Refused(Protocol):
    """A row that did not go in, as either mode's validation (or server) reports it."""

    @property
    def row_number(self) -> int: ...
    @property
    def field(self) -> str | None: ...
    @property
    def reason(self) -> str: ...
    @property
    def row(self) -> Any: ...


def quarantine_rows(rejected: Sequence[Refused]) -> list[QuarantineRow]:
    """Refused rows in the lake's quarantine shape (the row kept whole as JSON)."""
    return [
        QuarantineRow(
            row_number=r.row_number,
            field=r.field,
            reason=r.reason,
            row_json=json.dumps(r.row, default=str, sort_keys=True),
        )
        for r in rejected
    ]


def run_import(
    declaration: ImportDeclaration,
    client_factory: ClientFactory,
    layout: DataLayout,
    *,
    run_id: str,
    target: Target,
    log: ProgressLog,
    sources: SourceRules | None = None,
) -> ImportRun:
    """Read the source, validate it against the table, upsert it under the table's lock,
    verify by reading back, quarantine every row that did not go in, record the run.
    `rows_total` is the source's physical row count (`SourceRows.physical_rows`)."""
    started = dt.datetime.now(dt.UTC)
    source = read_rows(declaration, layout.catalog_path, sources)
    log.info(
        f"Import {declaration.name}: {len(source.rows)} row(s) into data table "
        f"{declaration.table_label} on {target.description}"
    )
    progress = TransferProgress(log, f"Import {declaration.name}", unit="row")
    with client_factory() as client:
        table_id = declaration.table_id or resolve_table_id(declaration, client.list_tables())
        schema = client.get_schema(table_id)
        check_source_columns(source.columns, schema, source.column_types)
        validation = validate_rows(source.rows, schema, row_numbers=source.row_numbers)
        with exclusive(layout.root, f"datatable-{table_id}"):
            progress.start(items=len(validation.valid))
            with watching(progress, client.api.stats.as_dict, count_requests=False):
                outcome = import_rows(
                    RowCounting(client, progress),
                    table_id,
                    validation.valid,
                    ImportSettings(
                        chunk_size=declaration.chunk_size,
                        max_chunk=max(300, declaration.chunk_size),
                    ),
                )
            progress.finish()
            refused = {r.row_number for r in outcome.rejected}
            accepted = [row for row in validation.valid if row.row_number not in refused]
            verification = verify_rows(client.snapshot(table_id), accepted)
        stats = client.api.stats.as_dict()
    quarantined = [
        *source.unreadable,
        *quarantine_rows(validation.rejected),
        *quarantine_rows(outcome.rejected),
    ]
    if quarantined:
        written = write_quarantine(quarantine_path(layout, declaration.name, run_id), quarantined)
        log.warning(f"{len(quarantined)} row(s) quarantined in {written.path}")
    record = ImportRecord(
        import_name=declaration.name,
        table_id=table_id,
        run_id=run_id,
        source=str(declaration.source or declaration.query),
        started_at=started,
        finished_at=dt.datetime.now(dt.UTC),
        rows_total=source.physical_count,
        valid=len(validation.valid),
        inserted=outcome.inserted,
        updated=outcome.updated,
        unchanged=outcome.unchanged,
        quarantined=len(quarantined),
        batches=outcome.batches,
        bisections=outcome.bisections,
        chunk_sizes=list(outcome.chunk_sizes),
        verified=verification.ok,
        missing=len(verification.missing),
        different=len(verification.different),
        requests=int(stats.get("requests", 0)),
        throttled=int(stats.get("throttled", 0)),
        status="verified" if verification.ok else "verification_failed",
    )
    register_import(layout.catalog_path, record, quarantined)
    return ImportRun(record, outcome, verification, stats, len(accepted))
