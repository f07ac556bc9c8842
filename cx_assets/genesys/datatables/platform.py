"""Genesys Cloud (Architect) data tables in platform mode: list, export to Parquet, import CSV.

The real API (VENDOR_APIS.md §3, docs/api-contract.md "Data tables: /api/v2/flows/datatables")
has no cursor, ETag or version on its row paths, so a consistent copy of a table is an export
job: create, poll, download the CSV through a presigned URL, type it by the table's schema into
Parquet. Bulk writes are CSV import jobs: create, PUT the file with the job's own headers, poll.
A create whose answer was lost is not re-sent (jobs are not idempotent); a 403 names the
permission the OAuth client's role lacks. Transfers live in platform_jobs.py.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from cx_assets.genesys.datatables import platform_endpoints as endpoints
from cx_assets.genesys.datatables.platform_csv import export_csv_to_parquet
from cx_assets.genesys.datatables.platform_endpoints import DataTablesSettings
from cx_assets.genesys.datatables.platform_errors import (
    DataTableJobError,
    DataTableJobTimeout,
    ExportDownloadFailed,
    ExportJobFailed,
    ImportJobFailed,
    JobCreateUncertain,
)
from cx_assets.genesys.datatables.platform_jobs import download_export, upload_import, wait_for_end
from cx_assets.genesys.datatables.platform_models import (
    DataTable,
    DataTableListing,
    ErrorBody,
    ExportJob,
    ImportJob,
    ImportJobCreate,
    ImportResult,
    PlatformTable,
    TableExport,
    read_response,
    row_failures,
)
from cx_assets.genesys.datatables.platform_schema import SchemaError, parse_schema
from cx_assets.genesys.permissions import (
    DATATABLE_REPLACE_ALL_CALLS,
    PLATFORM_CALLS,
    PlatformCall,
    explain_forbidden,
)
from cx_assets.http.client import ApiClient
from cx_assets.http.errors import ApiError, ForbiddenError, RetriesExhausted
from cx_assets.lake.atomic import temp_path_for

__all__ = ["DataTableJobError", "DataTableJobTimeout", "DataTablesPlatformClient"]
__all__ += ["DataTablesSettings", "ExportDownloadFailed", "ExportJobFailed", "ImportJobFailed"]
__all__ += ["ImportResult", "JobCreateUncertain", "PlatformTable", "TableExport"]

log = logging.getLogger(__name__)


class DataTablesPlatformClient:
    """Talks the `/api/v2/flows/datatables` protocol over an `ApiClient` (whose `stats` the
    flows read)."""

    def __init__(
        self,
        api: ApiClient,
        settings: DataTablesSettings | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.api = api
        self.settings = settings or DataTablesSettings()
        self._sleep = sleep

    # -- tables ---------------------------------------------------------------------------

    def list_tables(self) -> list[PlatformTable]:
        """Every table with its schema, page by page (pageNumber until the last page: no
        nextUri, pageNumber >= pageCount, or an empty page); a table listed twice (the listing
        shifted while paging) is kept once; a table whose schema cannot be typed is skipped
        with a warning naming it (`get_table` on it raises the reason)."""
        found: dict[str, PlatformTable] = {}
        number = 1
        while True:
            params = {"expand": "schema", "pageNumber": number, "pageSize": self.settings.page_size}
            response = self._call("GET", endpoints.DATATABLES_PATH, params=params)
            page = read_response(DataTableListing, response)
            for entity in page.entities or ():
                try:
                    found.setdefault(entity.id, _typed(entity))
                except SchemaError as exc:  # one odd table must not hide every other one
                    log.warning("skipped a data table this client cannot type: %s", exc)
            if not page.entities or not page.nextUri:
                break
            if page.pageCount is not None and number >= page.pageCount:
                break
            if number >= self.settings.max_pages:
                raise ValueError(
                    f"the data tables listing has more than {number} pages (max_pages); "
                    "its paging would never end"
                )
            number += 1
        log.info("listed %d data table(s) in %d page(s)", len(found), number)
        return list(found.values())

    def get_table(self, table_id: str) -> PlatformTable:
        response = self._call("GET", endpoints.table_path(table_id), params={"expand": "schema"})
        return _typed(read_response(DataTable, response))

    # -- export ---------------------------------------------------------------------------

    def export_table(self, table: PlatformTable, out_path: Path) -> TableExport:
        """An export job's snapshot of `table`, typed into `out_path` (Parquet, atomically).

        The CSV goes to a hidden temp file beside `out_path` and never survives. A download
        that fails is tried again with a fresh URL from the job. Rows that cannot be typed are
        listed in `quarantined`; comparing the counts with `records_processed` is the caller's."""
        where = table.describe()
        created = self._create(table, endpoints.export_jobs_path(table.id), None, "export")
        what = f"{where}: export job {created.id}"
        log.info("%s created", what)
        job = wait_for_end(
            lambda: self._export_job(table, created.id),
            what=what,
            table_id=table.id,
            settings=self.settings,
            sleep=self._sleep,
        )
        if job.failed:
            raise ExportJobFailed(
                f"{what} Failed: {_error_text(job.errorInformation)}", table.id, job.id
            )
        tmp = temp_path_for(out_path.with_name(out_path.name + ".csv"))
        out_path.parent.mkdir(parents=True, exist_ok=True)
        try:
            downloaded = download_export(
                self.api,
                job,
                lambda: self._export_job(table, created.id),
                tmp,
                what=what,
                table_id=table.id,
                settings=self.settings,
                sleep=self._sleep,
            )
            parsed = export_csv_to_parquet(tmp, table.columns, out_path)
        finally:
            tmp.unlink(missing_ok=True)
        log.info(
            "%s: %d row(s) typed, %d quarantined, %d processed by the server; %d bytes of CSV in "
            "%d download(s)",
            what, parsed.rows, len(parsed.quarantined), job.countRecordsProcessed or 0,
            downloaded.size, downloaded.attempts,
        )  # fmt: skip
        return TableExport(
            table=table,
            job_id=job.id,
            records_processed=job.countRecordsProcessed,
            parquet=out_path,
            rows=parsed.rows,
            quarantined=parsed.quarantined,
            csv_bytes=downloaded.size,
            csv_sha256=downloaded.sha256,
            ignored_columns=parsed.ignored_columns,
            missing_columns=parsed.missing_columns,
            attempts=downloaded.attempts,
        )

    def _export_job(self, table: PlatformTable, job_id: str) -> ExportJob:
        response = self._call("GET", endpoints.export_job_path(table.id, job_id))
        return read_response(ExportJob, response)

    # -- import ---------------------------------------------------------------------------

    def import_csv(
        self, table: PlatformTable, csv_path: Path, mode: str = "Append"
    ) -> ImportResult:
        """Run `csv_path` into `table` as one import job: `Append` upserts by key, `ReplaceAll`
        makes the table exactly the file. Succeeded (even with some rows refused: see
        `failed`) returns the result; Failed raises `ImportJobFailed` carrying it."""
        if mode not in endpoints.IMPORT_MODES:
            raise ValueError(
                f"import mode {mode!r}: use one of {', '.join(endpoints.IMPORT_MODES)}"
            )
        size = csv_path.stat().st_size  # a missing file fails before any job exists
        where = table.describe()
        calls = DATATABLE_REPLACE_ALL_CALLS if mode == "ReplaceAll" else PLATFORM_CALLS
        body = ImportJobCreate(importMode=mode).model_dump()  # type: ignore[arg-type]
        created = self._create(table, endpoints.import_create_path(table.id), body, "import", calls)
        what = f"{where}: import job {created.id} ({mode})"
        log.info("%s created for %s (%d bytes)", what, csv_path.name, size)

        def refetch() -> ImportJob:
            return self._import_job(table, created.id)

        upload_import(
            self.api,
            created,
            refetch,
            csv_path,
            what=what,
            table_id=table.id,
            settings=self.settings,
            sleep=self._sleep,
        )
        job = wait_for_end(
            refetch, what=what, table_id=table.id, settings=self.settings, sleep=self._sleep
        )
        result = ImportResult(
            job_id=job.id,
            mode=job.importMode or mode,
            status=job.status,
            updated=job.countRecordsUpdated or 0,
            deleted=job.countRecordsDeleted or 0,
            failed=job.countRecordsFailed or 0,
            failures=row_failures(job.errorInformation),
        )
        if job.failed:
            raise ImportJobFailed(
                f"{what} Failed: {_error_text(job.errorInformation)}{_first_failures(result)}",
                table.id,
                job.id,
                result,
            )
        log_at = logging.WARNING if result.failed else logging.INFO
        log.log(
            log_at,
            "%s %s: %d row(s) updated, %d deleted, %d refused",
            what, job.status, result.updated, result.deleted, result.failed,
        )  # fmt: skip
        return result

    def _import_job(self, table: PlatformTable, job_id: str) -> ImportJob:
        response = self._call("GET", endpoints.import_job_path(table.id, job_id))
        return read_response(ImportJob, response)

    # -- internals ------------------------------------------------------------------------

    def _create(
        self,
        table: PlatformTable,
        path: str,
        body: dict[str, Any] | None,
        kind: str,
        calls: tuple[PlatformCall, ...] = PLATFORM_CALLS,
    ) -> Any:
        """POST a job once: a create whose answer was lost raises `JobCreateUncertain`."""
        model = ExportJob if kind == "export" else ImportJob
        try:
            response = self._call("POST", path, json=body, resend_on_timeout=False, calls=calls)
        except ApiError as exc:
            if exc.status is None and not isinstance(exc, RetriesExhausted):  # sent, no answer
                raise JobCreateUncertain(
                    f"{table.describe()}: {exc}; an {kind} job may have been created, so the "
                    f"create is not re-sent (jobs are not idempotent); run it again",
                    table.id,
                ) from None
            raise
        return read_response(model, response)

    def _call(
        self,
        method: str,
        path: str,
        *,
        calls: tuple[PlatformCall, ...] = PLATFORM_CALLS,
        **kwargs: Any,
    ) -> httpx.Response:
        """`ApiClient.request`, with a 403 turned into the permission the call needs."""
        try:
            return self.api.request(method, path, **kwargs)
        except ForbiddenError as exc:
            raise explain_forbidden(exc, calls) from None


def _typed(entity: DataTable) -> PlatformTable:
    columns = parse_schema(entity.schema_, table_id=entity.id, table_name=entity.name)
    return PlatformTable(
        id=entity.id, name=entity.name, columns=columns, description=entity.description
    )


def _error_text(info: ErrorBody | None) -> str:
    if info is None:
        return "the server gave no errorInformation"
    code = f" (code {info.code})" if info.code else ""
    return f"{info.text()}{code}"


def _first_failures(result: ImportResult, shown: int = 3) -> str:
    if not result.failures:
        return ""
    listed = "; ".join(f.reason for f in result.failures[:shown])
    more = f"; and {len(result.failures) - shown} more" if len(result.failures) > shown else ""
    return f"; {result.failed} row(s) refused: {listed}{more}"
