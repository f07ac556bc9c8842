"""Platform-mode data table paths (Architect `/api/v2/flows/datatables`) and the client's knobs.

The real Genesys Cloud Platform API v2 (VENDOR_APIS.md §3; PY ArchitectApi.md). Ids come from
the server, so they are quoted as one path segment before use. What the contract leaves
UNVERIFIED (the largest `pageSize`, how long an export or import job runs, the row limit an org
has) is a setting here. The permissions each call needs live in `cx_assets.genesys.permissions`
(`DATATABLES`).
"""

from __future__ import annotations

from dataclasses import dataclass

from cx_assets.http.paths import path_segment

DATATABLES_PATH = "/api/v2/flows/datatables"

#: Tables per listing page. The real maximum is UNVERIFIED (default 25; the emulator caps at 100).
DEFAULT_PAGE_SIZE = 100
#: Help Center "Work with data tables": raisable per org via Customer Care, hence settings.
DEFAULT_MAX_ROWS = 5000
DEFAULT_MAX_FIELDS = 50
MAX_KEY_CHARS = 256
IMPORT_MODES: tuple[str, ...] = ("Append", "ReplaceAll")


@dataclass(frozen=True)
class DataTablesSettings:
    """Knobs of the protocol. Poll waits start at `poll_initial_s` and double up to
    `poll_max_s`; `timeout_s` bounds each wait for a job to end. `transfer_timeout_s` is the
    timeout of a presigned upload (a download uses the `ApiClient`'s); `max_pages` stops a
    listing whose paging would never end. An export file is downloaded up to
    `download_attempts` times (a fresh URL from the job each time); an upload is sent up to
    `upload_attempts` times."""

    page_size: int = DEFAULT_PAGE_SIZE
    poll_initial_s: float = 1.0
    poll_max_s: float = 10.0
    timeout_s: float = 1800.0
    transfer_timeout_s: float = 120.0
    upload_attempts: int = 3
    download_attempts: int = 3
    max_pages: int = 10_000
    max_rows: int = DEFAULT_MAX_ROWS
    max_fields: int = DEFAULT_MAX_FIELDS

    def __post_init__(self) -> None:
        if min(self.page_size, self.max_pages, self.upload_attempts, self.download_attempts) < 1:
            raise ValueError(
                "page_size, max_pages, upload_attempts and download_attempts must be at least 1"
            )
        if min(self.max_rows, self.max_fields) < 1:
            raise ValueError("max_rows and max_fields must be at least 1")
        if not 0 < self.poll_initial_s <= self.poll_max_s or self.timeout_s <= 0:
            raise ValueError("need 0 < poll_initial_s <= poll_max_s and timeout_s > 0")
        if self.transfer_timeout_s <= 0:
            raise ValueError("transfer_timeout_s must be positive")


def table_path(table_id: str) -> str:
    return f"{DATATABLES_PATH}/{path_segment(table_id)}"


def export_jobs_path(table_id: str) -> str:
    return f"{table_path(table_id)}/export/jobs"


def export_job_path(table_id: str, job_id: str) -> str:
    return f"{export_jobs_path(table_id)}/{path_segment(job_id)}"


def import_create_path(table_id: str) -> str:
    """Create a CSV import job (`POST …/import/jobs` without `csv` is deprecated)."""
    return f"{table_path(table_id)}/import/csv/jobs"


def import_jobs_path(table_id: str) -> str:
    return f"{table_path(table_id)}/import/jobs"


def import_job_path(table_id: str, job_id: str) -> str:
    return f"{import_jobs_path(table_id)}/{path_segment(job_id)}"
