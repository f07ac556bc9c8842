"""One asset per declared import: validated, chunked, idempotent upserts into a data table.

Nothing is lost on the way: rows the client-side validation rejects, and rows the server still
refuses (isolated by bisecting the batch), go to quarantine with row number, field and reason.
"""

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

import dagster as dg

from cx_assets.catalog.datatables import ImportRecord, register_import
from cx_assets.catalog.queries import query
from cx_assets.defs.datatables import import_checks as checks
from cx_assets.defs.datatables.import_files import imports_dir
from cx_assets.defs.policies import TRANSIENT_RETRY
from cx_assets.defs.resources import CatalogResource, GenesysCloudResource
from cx_assets.genesys.datatables.declarations import ImportDeclaration, load_declarations
from cx_assets.genesys.datatables.imports import (
    ImportOutcome,
    ImportSettings,
    TooManyServerRejections,
    Verification,
    import_rows,
    verify_rows,
)
from cx_assets.genesys.datatables.rows import (
    RejectedRow,
    SchemaMismatch,
    check_source_columns,
    validate_rows,
)
from cx_assets.http.errors import ApiError
from cx_assets.lake.datatables import QuarantineRow, quarantine_path, write_quarantine
from cx_assets.lake.import_sources import SourceRows, read_source_rows
from cx_assets.lake.locks import exclusive

GROUP = "genesys_datatables"


def read_rows(declaration: ImportDeclaration, catalog: CatalogResource) -> SourceRows:
    """The import's rows: its file, or its read-only query on the catalog."""
    if declaration.source is not None:
        return read_source_rows(declaration.source_path())
    result = query(catalog.layout.catalog_path, declaration.query or "")
    rows = [dict(zip(result.columns, row, strict=True)) for row in result.rows]
    return SourceRows(rows=rows, columns=list(result.columns), column_types=None, unreadable=[])


def _quarantine_rows(rejected: Sequence[RejectedRow]) -> list[QuarantineRow]:
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
    context: dg.AssetExecutionContext,
    declaration: ImportDeclaration,
    genesys: GenesysCloudResource,
    catalog: CatalogResource,
) -> dg.MaterializeResult:
    layout = catalog.layout
    table_id = declaration.table_id
    started = dt.datetime.now(dt.UTC)
    source = read_rows(declaration, catalog)
    context.log.info(
        f"Import {declaration.name}: {len(source.rows)} row(s) into data table {table_id} "
        f"on {genesys.describe_target()}"
    )
    try:
        with genesys.datatables_client(write=True) as client:
            schema = client.get_schema(table_id)
            check_source_columns(source.columns, schema, source.column_types)
            validation = validate_rows(source.rows, schema, row_numbers=source.row_numbers)
            with exclusive(layout.root, f"datatable-{table_id}"):
                outcome = import_rows(
                    client,
                    table_id,
                    validation.valid,
                    ImportSettings(
                        chunk_size=declaration.chunk_size,
                        max_chunk=max(300, declaration.chunk_size),
                    ),
                )
                refused = {r.row_number for r in outcome.rejected}
                accepted = [row for row in validation.valid if row.row_number not in refused]
                verification = verify_rows(client.snapshot(table_id), accepted)
            stats = client.api.stats.as_dict()
    except SchemaMismatch as exc:
        raise dg.Failure(
            description=f"Import {declaration.name} halted before sending anything: {exc}",
            allow_retries=False,
        ) from None
    except TooManyServerRejections as exc:
        raise dg.Failure(
            description=f"Import {declaration.name} stopped: {exc}", allow_retries=False
        ) from None
    except ApiError as exc:
        retriable = exc.status in (None, 408, 429) or (exc.status or 0) >= 500
        raise dg.Failure(
            description=f"Import {declaration.name} into {table_id} failed: {exc}",
            allow_retries=retriable,
        ) from None
    quarantined = [
        *source.unreadable,
        *_quarantine_rows(validation.rejected),
        *_quarantine_rows(outcome.rejected),
    ]
    run_id = context.run.run_id
    if quarantined:
        written = write_quarantine(quarantine_path(layout, declaration.name, run_id), quarantined)
        context.log.warning(f"{len(quarantined)} row(s) quarantined in {written.path}")
    record = ImportRecord(
        import_name=declaration.name,
        table_id=table_id,
        run_id=run_id,
        source=str(declaration.source or declaration.query),
        started_at=started,
        finished_at=dt.datetime.now(dt.UTC),
        rows_total=len(source.rows) + len(source.unreadable),
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
    return dg.MaterializeResult(
        metadata=_metadata(record, outcome, verification, stats),
        check_results=[
            checks.import_verified(verification),
            checks.nothing_lost(record.rows_total, len(accepted), len(quarantined)),
        ],
    )


def _chunk_summary(sizes: Sequence[int]) -> str:
    if not sizes:
        return "no batches"
    return f"{len(sizes)} batches, sizes {min(sizes)}-{max(sizes)}"


def _metadata(
    record: ImportRecord,
    outcome: ImportOutcome,
    verification: Verification,
    stats: dict[str, Any],
) -> dict[str, Any]:
    return {
        "table_id": record.table_id,
        "source": record.source,
        "source_rows": record.rows_total,
        "inserted": record.inserted,
        "updated": record.updated,
        "unchanged": record.unchanged,
        "quarantined": record.quarantined,
        "bisections": outcome.bisections,
        "chunks": _chunk_summary(outcome.chunk_sizes),
        "verified_rows": verification.checked,
        "requests": int(stats.get("requests", 0)),
        "retries": int(stats.get("retries", 0)),
        "throttled_429": int(stats.get("throttled", 0)),
    }


def build_import_asset(declaration: ImportDeclaration) -> dg.AssetsDefinition:
    """The asset for one declaration; its checks prove the table holds what was sent."""
    name = declaration.asset_name
    specs = [
        dg.AssetCheckSpec(
            checks.IMPORT_VERIFIED,
            asset=name,
            description="Read back: every valid row is in the table with the values sent.",
        ),
        dg.AssetCheckSpec(
            checks.NOTHING_LOST,
            asset=name,
            description="Rows read = rows imported + rows quarantined.",
        ),
    ]
    source = str(declaration.source) if declaration.source else "catalog query"

    @dg.asset(
        name=name,
        group_name=GROUP,
        deps=[dg.AssetKey.from_user_string(d) for d in declaration.deps],
        pool="genesys_api",
        kinds={"genesys", "duckdb"},
        retry_policy=TRANSIENT_RETRY,
        check_specs=specs,
        description=declaration.description
        or f"Upserts {source} into data table {declaration.table_id}.",
        metadata={"table_id": declaration.table_id, "source": source},
    )
    def _import(
        context: dg.AssetExecutionContext, genesys: GenesysCloudResource, catalog: CatalogResource
    ) -> dg.MaterializeResult:
        return run_import(context, declaration, genesys, catalog)

    return _import


def import_assets() -> list[dg.AssetsDefinition]:
    return [build_import_asset(d) for d in load_declarations(imports_dir())]
