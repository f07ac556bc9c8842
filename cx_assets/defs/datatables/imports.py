"""One asset per declared import: validated, chunked, idempotent upserts into a data table.

Nothing is lost on the way: rows the client-side validation rejects, and rows the server still
refuses (isolated by bisecting the batch), go to quarantine with row number, field and reason.

Each declaration file is loaded on its own: a file that does not load (bad YAML, a field that
does not validate, a name another file already has) still gets an asset, keyed by its file name,
whose run fails with the file's error, so one broken file never takes the code location (every
other flow's assets, sensors and schedules) down with it.
"""

import re
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Any

import dagster as dg

from cx_assets.catalog.datatable_imports import ImportRecord
from cx_assets.defs.datatables import import_checks as checks
from cx_assets.defs.datatables.import_failures import INPUT_ERRORS, input_failure, rules_for
from cx_assets.defs.datatables.import_files import imports_dir
from cx_assets.defs.datatables.import_timing import seconds
from cx_assets.defs.datatables.platform_imports import materialize_platform_import
from cx_assets.defs.policies import OWNERS, TRANSIENT_RETRY
from cx_assets.defs.resources import CatalogResource, GenesysCloudResource
from cx_assets.flows.datatables import run_import
from cx_assets.flows.datatables_names import TableNotFound
from cx_assets.genesys.datatables.declarations import ImportDeclaration, declaration_files
from cx_assets.genesys.datatables.imports import (
    ImportOutcome,
    TooManyServerRejections,
    Verification,
)
from cx_assets.genesys.datatables.rows import SchemaMismatch
from cx_assets.http.errors import ApiError

GROUP = "genesys_datatables"
FLOW = "data tables"


def materialize_import(
    context: dg.AssetExecutionContext,
    declaration: ImportDeclaration,
    genesys: GenesysCloudResource,
    catalog: CatalogResource,
) -> dg.MaterializeResult:
    """Run the import in the data tables flow's API mode, then report metadata and checks."""
    mode = genesys.mode_for(FLOW)
    if declaration.api_mode and declaration.api_mode != mode:
        raise dg.Failure(
            description=f"Import {declaration.name} is declared for {declaration.api_mode} "
            f"mode (api_mode in {declaration.declared_in}), but the data tables flow runs in "
            f"{mode} mode here: its table and columns are another API's. Nothing was sent.",
            allow_retries=False,
        )
    if mode == "platform":
        return materialize_platform_import(context, declaration, genesys, catalog)
    table_id = declaration.table_label
    try:
        run = run_import(
            declaration,
            partial(genesys.datatables_client, write=True),
            catalog.layout,
            run_id=context.run.run_id,
            target=genesys.target(FLOW),
            log=context.log,
            sources=rules_for(declaration),
        )
    except INPUT_ERRORS as exc:
        raise input_failure(declaration, exc) from None
    except (SchemaMismatch, TableNotFound) as exc:
        raise dg.Failure(
            description=f"Import {declaration.name} halted before sending anything: {exc}",
            allow_retries=False,
        ) from None
    except TooManyServerRejections as exc:
        raise dg.Failure(
            description=f"Import {declaration.name} stopped: {exc}", allow_retries=False
        ) from None
    except ApiError as exc:
        raise dg.Failure(
            description=f"Import {declaration.name} into {table_id} failed: {exc}",
            allow_retries=exc.transient,
        ) from None
    record = run.record
    return dg.MaterializeResult(
        metadata=_metadata(record, run.outcome, run.verification, run.stats),
        check_results=[
            checks.import_verified(run.verification),
            checks.nothing_lost(record.rows_total, run.accepted, record.quarantined, record.source),
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
        "seconds": seconds(record),
    }


def import_description(declaration: ImportDeclaration, source: str) -> str:
    """The declaration's own words, then what the asset does, for the person in the UI."""
    what = (
        f"Imports {source} into Genesys data table {declaration.table_label} "
        f"({declaration.mode}), declared in {_file_name(declaration)}. "
        "Runs only when materialised (no schedule). Idempotent: a re-run sends only what "
        "changed. Rows the table would refuse go to quarantine with row number, field and "
        "reason; the checks prove the table holds every valid row (import_verified) and every "
        "source row is imported or quarantined (nothing_lost). Rows, quarantined rows, "
        "requests, 429s and seconds of each run are charted on the Plots tab."
    )
    return f"{declaration.description}\n\n{what}" if declaration.description else what


def _file_name(declaration: ImportDeclaration) -> str:
    return declaration.declared_in.name if declaration.declared_in else "its YAML file"


def _check_specs(name: str) -> list[dg.AssetCheckSpec]:
    return [
        dg.AssetCheckSpec(
            checks.IMPORT_VERIFIED,
            asset=name,
            description="Read back after the import: every valid row is in the table with the "
            "values sent. A failure lists the first missing or different keys.",
        ),
        dg.AssetCheckSpec(
            checks.NOTHING_LOST,
            asset=name,
            description="Rows in the source file (its physical rows) = rows imported + rows "
            "quarantined: no row was silently dropped. A failure says how many are unaccounted.",
        ),
    ]


def build_import_asset(declaration: ImportDeclaration) -> dg.AssetsDefinition:
    """The asset for one declaration; its checks prove the table holds what was sent."""
    name = declaration.asset_name
    source = str(declaration.source) if declaration.source else "catalog query"

    @dg.asset(
        name=name,
        group_name=GROUP,
        deps=[dg.AssetKey.from_user_string(d) for d in declaration.deps],
        pool="genesys_api",
        kinds={"genesys", "duckdb"},
        retry_policy=TRANSIENT_RETRY,
        check_specs=_check_specs(name),
        description=import_description(declaration, source),
        owners=OWNERS,
        metadata={"table": declaration.table_label, "source": source, "mode": declaration.mode},
    )
    def _import(
        context: dg.AssetExecutionContext, genesys: GenesysCloudResource, catalog: CatalogResource
    ) -> dg.MaterializeResult:
        return materialize_import(context, declaration, genesys, catalog)

    return _import


def build_broken_import_asset(path: Path, error: str, name: str) -> dg.AssetsDefinition:
    """The asset of a declaration file that does not load: it shows in the UI under the
    file's name, and materialising it fails (without retry) with the file's error."""

    @dg.asset(
        name=name,
        group_name=GROUP,
        pool="genesys_api",
        kinds={"genesys", "duckdb"},
        check_specs=_check_specs(name),
        owners=OWNERS,
        description=f"Import declaration {path.name} does not load, so this import cannot run "
        f"until the file is fixed (materialising it fails with this message): {error}",
        metadata={"declaration_file": str(path), "error": error},
    )
    def _broken(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        raise dg.Failure(
            description=f"Import declaration {path.name} does not load, nothing was sent: {error}",
            allow_retries=False,
        )

    return _broken


def broken_asset_name(path: Path, taken: set[str]) -> str:
    """`datatable_import_<file stem>` (made a valid asset name), unless a loaded declaration
    or another broken file already has it: then a `_file`/`_file_<n>` suffix keeps keys unique."""
    stem = re.sub(r"[^A-Za-z0-9_]", "_", path.stem).lower() or "unnamed"
    base = f"datatable_import_{stem}"
    candidates = [base, f"{base}_file", *(f"{base}_file_{n}" for n in range(2, 1000))]
    return next(name for name in candidates if name not in taken)


def import_assets(folder: Path | None = None) -> list[dg.AssetsDefinition]:
    """One asset per declaration file of `folder` (default: `imports_dir()`), broken or not."""
    files = declaration_files(folder or imports_dir())
    taken = {f.declaration.asset_name for f in files if f.declaration is not None}
    assets = []
    for file in files:
        if file.declaration is not None:
            assets.append(build_import_asset(file.declaration))
            continue
        name = broken_asset_name(file.path, taken)
        taken.add(name)
        assets.append(build_broken_import_asset(file.path, file.error or "unknown error", name))
    return assets
