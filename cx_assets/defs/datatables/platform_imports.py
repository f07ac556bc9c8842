"""A declared import in platform mode: one CSV import job, its counts as metadata, two checks."""

from __future__ import annotations

from typing import Any

import dagster as dg

from cx_assets.defs.datatables import import_checks as checks
from cx_assets.defs.datatables.import_failures import INPUT_ERRORS, input_failure, rules_for
from cx_assets.defs.datatables.import_timing import seconds
from cx_assets.defs.resources import CatalogResource, GenesysCloudResource
from cx_assets.flows.datatables_names import TableNotFound
from cx_assets.flows.datatables_platform_import import PlatformImportRun, run_platform_import
from cx_assets.genesys.datatables.declarations import ImportDeclaration
from cx_assets.genesys.datatables.platform_csv import CsvFormatError
from cx_assets.genesys.datatables.platform_errors import DataTableJobError
from cx_assets.genesys.datatables.platform_schema import SchemaError
from cx_assets.genesys.datatables.platform_validate import ImportColumnsError
from cx_assets.http.errors import ApiError


def materialize_platform_import(
    context: dg.AssetExecutionContext,
    declaration: ImportDeclaration,
    genesys: GenesysCloudResource,
    catalog: CatalogResource,
) -> dg.MaterializeResult:
    """Run `flows.datatables_platform_import`, then report its metadata and checks."""
    try:
        run = run_platform_import(
            declaration,
            genesys.datatables_platform_client,
            catalog.layout,
            run_id=context.run.run_id,
            target=genesys.target("data tables"),
            log=context.log,
            sources=rules_for(declaration),
        )
    except INPUT_ERRORS as exc:
        raise input_failure(declaration, exc) from None
    except (ImportColumnsError, TableNotFound, SchemaError, CsvFormatError) as exc:
        raise dg.Failure(
            description=f"Import {declaration.name} halted before sending anything: {exc}",
            allow_retries=False,
        ) from None
    except DataTableJobError as exc:
        raise dg.Failure(
            description=f"Import {declaration.name} failed: {exc}", allow_retries=True
        ) from None
    except ApiError as exc:
        raise dg.Failure(
            description=f"Import {declaration.name} into {declaration.table_label} failed: {exc}",
            allow_retries=exc.transient,
        ) from None
    record = run.record
    return dg.MaterializeResult(
        metadata=_metadata(run),
        check_results=[
            checks.import_verified(run.verification),
            checks.nothing_lost(record.rows_total, run.accepted, record.quarantined, record.source),
        ],
    )


def _metadata(run: PlatformImportRun) -> dict[str, Any]:
    record, result, stats = run.record, run.result, run.stats
    return {
        "api_mode": "platform",
        "table_id": record.table_id,
        "table_name": run.table.name,
        "source": record.source,
        "import_mode": record.import_mode,
        "source_rows": record.rows_total,
        "inserted": record.inserted,
        "updated": record.updated,
        "unchanged": record.unchanged,
        "deleted": record.deleted or 0,
        "quarantined": record.quarantined,
        "import_job_id": result.job_id if result else "none: nothing to change",
        "server_counts": (
            f"updated {result.updated}, deleted {result.deleted}, failed {result.failed}"
            if result
            else "no job"
        ),
        "verified_rows": run.verification.checked,
        "requests": int(stats.get("requests", 0)),
        "retries": int(stats.get("retries", 0)),
        "throttled_429": int(stats.get("throttled", 0)),
        "seconds": seconds(record),
    }
