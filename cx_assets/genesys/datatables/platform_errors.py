"""Why a platform data table export or import job could not be completed: one class per way.

Each message names the table (name and id) and the job, and is safe to show: no token and no
presigned URL signature. HTTP errors stay `ApiError` (a 403 explained by the permission table).
"""

from __future__ import annotations

from cx_assets.genesys.datatables.platform_models import ImportResult


class DataTableJobError(Exception):
    """A data table job that cannot be completed. Not retried by the client: the message says
    what happened and what to do."""

    def __init__(self, message: str, table_id: str | None = None, job_id: str | None = None):
        super().__init__(message, table_id, job_id)  # all in args: pickles across processes
        self.table_id, self.job_id = table_id, job_id

    def __str__(self) -> str:
        return str(self.args[0])


class ExportJobFailed(DataTableJobError):
    """The export job ended Failed; the message carries its errorInformation message and code."""


class ExportDownloadFailed(DataTableJobError):
    """Every download of the export file failed (cut off, unreadable, URL refused), each time
    with a fresh URL from the job."""


class DataTableJobTimeout(DataTableJobError):
    """The job did not end within `DataTablesSettings.timeout_s`."""


class JobCreateUncertain(DataTableJobError):
    """The create was sent but its answer was lost: a job may exist, so it is not re-sent."""


class ImportJobFailed(DataTableJobError):
    """The import job ended Failed (the table is unchanged); `result` has its counts and the
    rows the server refused."""

    def __init__(
        self,
        message: str,
        table_id: str | None,
        job_id: str | None,
        result: ImportResult,
    ) -> None:
        Exception.__init__(self, message, table_id, job_id, result)
        self.table_id, self.job_id = table_id, job_id
        self.result = result
