"""A declared import in platform mode: validate, plan against an export, one CSV job, read back.

Under the table's lock: export the table (a consistent copy), plan the rows to send
(`datatables_platform_plan`), write them as the job's CSV, run one import job (`Append`, or
`ReplaceAll` when the declaration says so and confirms it), then export again and compare key
by key. Nothing is lost: rows the source could not give, rows the schema or limits refuse, and
rows the server refused (with its reason) all go to the run's quarantine, so rows read = rows
in the table as sent + rows quarantined (`nothing_lost`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from cx_assets.catalog.datatable_imports import ImportRecord, register_import
from cx_assets.flows.context import ProgressLog, Target
from cx_assets.flows.datatables import SourceRules, quarantine_rows, read_rows
from cx_assets.flows.datatables_names import resolve_table_id
from cx_assets.flows.datatables_platform import PlatformClientFactory
from cx_assets.flows.datatables_platform_plan import (
    APPEND,
    REPLACE_ALL,
    ImportPlan,
    plan_import,
    verify_import,
)
from cx_assets.flows.datatables_progress import watching
from cx_assets.flows.progress import TransferProgress
from cx_assets.genesys.datatables.declarations import ImportDeclaration
from cx_assets.genesys.datatables.imports import Verification
from cx_assets.genesys.datatables.platform import (
    DataTablesPlatformClient,
    ImportJobFailed,
    ImportResult,
    PlatformTable,
)
from cx_assets.genesys.datatables.platform_csv_write import write_import_csv
from cx_assets.genesys.datatables.platform_schema import QuarantinedRow
from cx_assets.genesys.datatables.platform_validate import check_columns, validate_import_rows
from cx_assets.lake.atomic import discard_on_exit
from cx_assets.lake.datatables import QuarantineRow, quarantine_path, write_quarantine
from cx_assets.lake.locks import exclusive
from cx_assets.lake.paths import DataLayout


@dataclass(frozen=True)
class PlatformImportRun:
    """An import planned, sent (or found to change nothing: `result` None), read back, recorded."""

    record: ImportRecord
    table: PlatformTable
    plan: ImportPlan
    result: ImportResult | None
    verification: Verification
    stats: dict[str, Any]
    accepted: int


def _rows_under(path: Path, key: str, keys: list[str]) -> tuple[dict[str, dict[str, Any]], int]:
    """An export's rows under `keys` (key -> row) and how many rows it holds in all: only the
    rows an import names become Python objects, so memory follows the source, not the table
    (50k-row table: peak 271 MB when the whole export was read into dicts)."""
    table = pl.scan_parquet(path)
    (total,) = table.select(pl.len()).collect().row(0)
    wanted = pl.Series(key, keys, dtype=pl.String)
    rows = table.filter(pl.col(key).is_in(wanted)).collect().to_dicts()
    return {row[key]: row for row in rows}, int(total)


def _keys_outside(path: Path, key: str, keys: list[str]) -> list[str]:
    """The export's keys that are not in `keys` (rows a ReplaceAll should have removed)."""
    wanted = pl.Series(key, keys, dtype=pl.String)
    outside = pl.scan_parquet(path).select(key).filter(~pl.col(key).is_in(wanted)).collect()
    return outside[key].to_list()


def run_platform_import(
    declaration: ImportDeclaration,
    client_factory: PlatformClientFactory,
    layout: DataLayout,
    *,
    run_id: str,
    target: Target,
    log: ProgressLog,
    sources: SourceRules | None = None,
) -> PlatformImportRun:
    """Read the source, validate it, import it under the table's lock, verify, record."""
    started = dt.datetime.now(dt.UTC)
    mode = REPLACE_ALL if declaration.mode == "replace_all" else APPEND
    source = read_rows(declaration, layout.catalog_path, sources)
    log.info(
        f"Import {declaration.name} ({mode}): {len(source.rows)} row(s) into data table "
        f"{declaration.table_label} on {target.description}"
    )
    with client_factory() as client:
        table_id = declaration.table_id or resolve_table_id(declaration, client.list_tables())
        table = client.get_table(table_id)
        columns = table.columns
        mapping = check_columns(source.columns, columns, max_fields=client.settings.max_fields)
        validation = validate_import_rows(
            source.rows,
            columns,
            columns=mapping,
            row_numbers=source.row_numbers,
            max_rows=client.settings.max_rows,
        )
        progress = TransferProgress(log, f"Import {declaration.name}", unit="row")
        with (
            exclusive(layout.root, f"datatable-{table.id}"),
            watching(progress, client.api.stats.as_dict, count_requests=False),
        ):
            plan, result, verification = _import_locked(
                client,
                layout,
                table,
                validation.valid,
                validation.valid_row_numbers,
                mode,
                log,
                progress,
            )
        progress.finish()
        stats = client.api.stats.as_dict()
    refused = _server_refused(plan, result)
    refused_rows = {r.row_number for r in refused}
    accepted = len(plan.expected) - len(refused_rows & set(plan.send_rows))
    counts = _counts_applied(plan, refused_rows)
    quarantined = [
        *source.unreadable,
        *quarantine_rows(validation.rejected),
        *quarantine_rows(plan.rejected),
        *quarantine_rows(refused),
    ]
    if quarantined:
        written = write_quarantine(quarantine_path(layout, declaration.name, run_id), quarantined)
        log.warning(f"{len(quarantined)} row(s) quarantined in {written.path}")
    fields = _record(declaration, table, run_id, started, len(validation.valid), counts)
    fields["rows_total"] = source.physical_count  # the file's rows, not the parsed ones
    record = _finish(fields, result, verification, stats, quarantined, mode)
    register_import(layout.catalog_path, record, quarantined)
    return PlatformImportRun(record, table, plan, result, verification, stats, accepted)


def _import_locked(
    client: DataTablesPlatformClient,
    layout: DataLayout,
    table: PlatformTable,
    valid: list[dict[str, Any]],
    row_numbers: list[int],
    mode: str,
    log: ProgressLog,
    progress: TransferProgress,
) -> tuple[ImportPlan, ImportResult | None, Verification]:
    """Export, plan, send, export again: one table, one import job at most. `progress` says
    which of the three it is at and counts the rows sent once the job has ended."""
    key, names = table.columns.key.name, list(table.columns.names)
    name = progress.what
    with discard_on_exit(layout.staging_dir()) as work:
        progress.what = f"{name}: exporting {table.describe()} to compare"
        before = client.export_table(table, work / "before.parquet")
        current, stored = _rows_under(before.parquet, key, [row[key] for row in valid])
        plan = plan_import(
            current,
            valid,
            row_numbers,
            key=key,
            properties=names,
            mode=mode,
            max_rows=client.settings.max_rows,
            stored=stored,
        )
        del current
        result: ImportResult | None = None
        if plan.send or plan.deleted:
            csv_path = work / "import.csv"
            write_import_csv(plan.send, table.columns, csv_path)
            progress.what = f"{name}: import job of {len(plan.send)} row(s) into {table.describe()}"
            progress.start(items=len(plan.send))
            try:
                result = client.import_csv(table, csv_path, mode)
            except ImportJobFailed as exc:
                if not exc.result.failures:  # the job itself failed, not its rows
                    raise
                result = exc.result  # every row refused: the table is unchanged
            progress.advance(bytes=0, items=len(plan.send))
        else:
            log.info(f"{table.describe()}: already holds every row as given; nothing sent")
        progress.what = f"{name}: reading {table.describe()} back"
        after = client.export_table(table, work / "after.parquet")
        expected = dict(plan.expected)
        for failure in _server_refused(plan, result):
            expected.pop(failure.key or "", None)
        exact = mode == REPLACE_ALL
        found, _ = _rows_under(after.parquet, key, list(expected))
        verification = verify_import(
            found,
            expected,
            properties=names,
            exact=exact,
            unexpected=_keys_outside(after.parquet, key, list(expected)) if exact else (),
        )
    progress.what = name  # the closing line names the import, not the last phase
    return plan, result, verification


def _server_refused(plan: ImportPlan, result: ImportResult | None) -> list[QuarantinedRow]:
    """The rows the server refused, by their source row number, with its reason."""
    if result is None:
        return []
    refused: list[QuarantinedRow] = []
    for failure in result.failures:
        index = (failure.row_number or 0) - 1
        if 0 <= index < len(plan.send):
            row = plan.send[index]
            number = plan.send_rows[index]
        else:  # a failure the server did not tie to a row of the file
            row, number = {}, 0
        reason = f"refused by the server: {failure.reason}"
        refused.append(QuarantinedRow(number, failure.key, failure.field, reason, row))
    return refused


def _counts_applied(plan: ImportPlan, refused_rows: set[int]) -> dict[str, int]:
    """The plan's inserted/updated/unchanged counts less the rows the server refused: a row
    it refused was neither inserted nor updated (it is counted in the quarantine instead)."""
    counts = {"inserted": plan.inserted, "updated": plan.updated, "unchanged": plan.unchanged}
    for number, kind in zip(plan.send_rows, plan.send_kinds, strict=True):
        if number in refused_rows:
            counts[kind] -= 1
    return counts


def _record(
    declaration: ImportDeclaration,
    table: PlatformTable,
    run_id: str,
    started: dt.datetime,
    valid: int,
    counts: dict[str, int],
) -> dict[str, Any]:
    return {
        "import_name": declaration.name,
        "table_id": table.id,
        "run_id": run_id,
        "source": str(declaration.source or declaration.query),
        "started_at": started,
        "valid": valid,
        **counts,
    }


def _finish(
    fields: dict[str, Any],
    result: ImportResult | None,
    verification: Verification,
    stats: dict[str, Any],
    quarantined: list[QuarantineRow],
    mode: str,
) -> ImportRecord:
    return ImportRecord(
        **fields,
        finished_at=dt.datetime.now(dt.UTC),
        quarantined=len(quarantined),
        batches=1 if result else 0,
        bisections=0,
        chunk_sizes=[],
        verified=verification.ok,
        missing=len(verification.missing),
        different=len(verification.different),
        requests=int(stats.get("requests", 0)),
        throttled=int(stats.get("throttled", 0)),
        status="verified" if verification.ok else "verification_failed",
        api_mode="platform",
        import_job_id=result.job_id if result else None,
        import_mode=mode,
        deleted=result.deleted if result else 0,
        server_failed=result.failed if result else 0,
    )
