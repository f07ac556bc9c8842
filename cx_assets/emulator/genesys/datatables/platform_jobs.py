"""Export and CSV import jobs of the platform data tables (in memory; files in the state dir).

An export takes its snapshot and writes its CSV when it is created (so later edits never show),
is Processing for `datatable_job_delay_s`, then Succeeded (or Failed by the
`datatable_export_failed` fault). An import waits for its file (WaitingForUpload), is Processing
for `datatable_job_delay_s` after the PUT, then runs the file (platform_import.py) and ends
Succeeded or Failed; the `concurrent_edit` fault then deletes one row it wrote, as a colleague
in the admin UI would before the client reads the table back. Jobs are lost on restart (their
ids answer 404); tables keep their edits.
"""

from __future__ import annotations

import csv
import io
import shutil
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cx_assets.emulator.context import EmulatorContext
from cx_assets.emulator.errors import ApiError
from cx_assets.emulator.faults import Fault
from cx_assets.emulator.genesys.datatables.platform_csv import render
from cx_assets.emulator.genesys.datatables.platform_import import (
    ImportOutcome,
    RowRefusal,
    file_error,
    run_import,
)
from cx_assets.emulator.genesys.datatables.platform_store import PlatformTables, state_folder
from cx_assets.emulator.genesys.datatables.platform_table import BASE, PlatformTable

UPLOAD_PREFIX = "/uploads/datatables"
ROW_FAULT = "datatable_import_row_failures"


def iso(t: float) -> str:
    return (
        datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%S.")
        + f"{int(t * 1000) % 1000:03d}Z"
    )


@dataclass
class ExportJob:
    id: str
    table_id: str
    owner: str
    created: float
    done_at: float
    count: int
    failure: str | None

    @property
    def file_name(self) -> str:
        return f"{self.table_id}.csv"


@dataclass
class ImportJob:
    id: str
    table_id: str
    mode: str
    owner: str
    created: float
    path: str  # the create call's path: what the import faults' path_prefix matches
    headers: dict[str, str]
    injected_failure: bool
    status: str = "WaitingForUpload"
    completed: float | None = None
    outcome: ImportOutcome = field(default_factory=lambda: ImportOutcome("Processing"))


class PlatformJobs:
    """Both job kinds; thread-safe (routes run store calls in the thread pool)."""

    def __init__(self, ctx: EmulatorContext, tables: PlatformTables) -> None:
        self.ctx = ctx
        self.tables = tables
        self.exports_dir: Path = state_folder(ctx.config) / "exports"
        # jobs live in memory, so files of an earlier run can never be asked for again
        shutil.rmtree(self.exports_dir, ignore_errors=True)
        self._lock = threading.Lock()
        self._exports: dict[str, ExportJob] = {}
        self._imports: dict[str, ImportJob] = {}
        self._timers: list[threading.Timer] = []

    # -- exports ----------------------------------------------------------------------------

    def create_export(self, table_id: str, owner: str, failure: str | None) -> ExportJob:
        table = self.tables.get(table_id)
        rows = table.snapshot()
        now = time.time()
        job = ExportJob(
            str(uuid.uuid4()), table_id, owner, now, now + self.ctx.config.datatable_job_delay_s,
            len(rows), failure,
        )  # fmt: skip
        if failure is None:
            self.exports_dir.mkdir(parents=True, exist_ok=True)
            target = self.exports_dir / f"{job.id}.csv"
            tmp = target.with_suffix(".tmp")
            tmp.write_bytes(render(table.props, rows))
            tmp.replace(target)
        with self._lock:
            self._exports[job.id] = job
        self.ctx.stats.count("datatable_export_jobs_created")
        self.ctx.stats.log(
            "datatable_export_jobs",
            {"jobId": job.id, "tableId": table_id, "countRecordsProcessed": job.count,
             "failed": failure is not None},
        )  # fmt: skip
        return job

    def export(self, table_id: str, job_id: str) -> ExportJob:
        with self._lock:
            job = self._exports.get(job_id)
        if job is None or job.table_id != table_id:
            raise ApiError(404, f"export job {job_id} not found for data table {table_id}")
        return job

    def downloadable(self, job: ExportJob) -> bool:
        return job.failure is None and time.time() >= job.done_at

    def export_view(self, job: ExportJob, base: str, expired: bool) -> dict[str, Any]:
        body: dict[str, Any] = {"id": job.id, "owner": {"id": job.owner}}
        done = time.time() >= job.done_at
        body["status"] = "Processing" if not done else "Failed" if job.failure else "Succeeded"
        body["dateCreated"] = iso(job.created)
        if done:
            body["dateCompleted"] = iso(job.done_at)
        if done and job.failure:
            body["errorInformation"] = file_error(job.failure, "datatable.export.failed", 500)
        elif done:
            path = f"/files/{job.id}/{job.file_name}"
            body["downloadURI"] = f"{base}{path}?{self.ctx.signer.query(path, expired=expired)}"
            body["countRecordsProcessed"] = job.count
        body["selfUri"] = f"{BASE}/{job.table_id}/export/jobs/{job.id}"
        return body

    def resolve(self, owner_id: str, name: str) -> tuple[Path, str] | None:
        """The export file behind a presigned `/files/…` URL, once the job has Succeeded."""
        with self._lock:
            job = self._exports.get(owner_id)
        if job is None or name != job.file_name or not self.downloadable(job):
            return None
        return self.exports_dir / f"{job.id}.csv", "text/csv"

    # -- imports ----------------------------------------------------------------------------

    def create_import(
        self, table_id: str, mode: str, owner: str, path: str, injected_failure: bool
    ) -> ImportJob:
        self.tables.get(table_id)
        job_id = str(uuid.uuid4())
        headers = {
            "Content-Type": "text/csv",
            "x-amz-server-side-encryption": "AES256",
            "x-amz-meta-job-id": job_id,
        }
        job = ImportJob(job_id, table_id, mode, owner, time.time(), path, headers, injected_failure)
        with self._lock:
            self._imports[job.id] = job
        self.ctx.stats.count("datatable_import_jobs_created")
        return job

    def import_job(self, job_id: str, table_id: str | None = None) -> ImportJob:
        with self._lock:
            job = self._imports.get(job_id)
        if job is None or (table_id is not None and job.table_id != table_id):
            raise ApiError(404, f"import job {job_id} not found")
        return job

    def imports_of(self, table_id: str) -> list[ImportJob]:
        """The table's import jobs, newest first."""
        self.tables.get(table_id)
        with self._lock:
            jobs = [job for job in self._imports.values() if job.table_id == table_id]
        return sorted(jobs, key=lambda job: job.created, reverse=True)

    def import_view(self, job: ImportJob, base: str) -> dict[str, Any]:
        path = f"{UPLOAD_PREFIX}/{job.id}"
        with self._lock:
            status, outcome, completed = job.status, job.outcome, job.completed
        body: dict[str, Any] = {
            "id": job.id,
            "owner": {"id": job.owner},
            "status": status,
            "importMode": job.mode,
            "uploadURI": f"{base}{path}?{self.ctx.signer.query(path)}",
            "uploadHeaders": dict(job.headers),
            "countRecordsUpdated": outcome.updated,
            "countRecordsDeleted": outcome.deleted,
            "countRecordsFailed": outcome.failed,
            "dateCreated": iso(job.created),
        }
        if completed is not None:
            body["dateCompleted"] = iso(completed)
        if outcome.error is not None and status in ("Succeeded", "Failed"):
            body["errorInformation"] = outcome.error
        body["selfUri"] = f"{BASE}/{job.table_id}/import/jobs/{job.id}"
        return body

    def upload(self, job: ImportJob, data: bytes) -> None:
        """The PUT arrived with every header: Processing now, the file runs after the delay."""
        with self._lock:
            if job.status != "WaitingForUpload":
                raise ApiError(409, f"import job {job.id} is {job.status}: it has its file")
            job.status = "Processing"
        self.ctx.stats.count("datatable_uploads")
        delay = self.ctx.config.datatable_job_delay_s
        if delay <= 0:
            self._finish(job, data)
            return
        timer = threading.Timer(delay, self._finish, (job, data))
        timer.daemon = True
        with self._lock:
            self._timers = [t for t in self._timers if t.is_alive()] + [timer]
        timer.start()

    def _refusal(self, job: ImportJob, data: bytes) -> RowRefusal | None:
        """The `datatable_import_row_failures` fault for this file, as a per-record check."""
        try:
            cells = {c for r in csv.reader(io.StringIO(data.decode("utf-8-sig"))) for c in r}
        except (UnicodeDecodeError, csv.Error):
            return None

        def applies(fault: Fault) -> bool:
            return fault.match is None or fault.match in cells

        fault = self.ctx.faults.take(ROW_FAULT, job.path, applies=applies)
        if fault is None:
            return None
        match = fault.match

        def refuse(n: int, record: list[str], names: list[str]) -> str | None:
            if match is None:
                return names[0] if n == 1 and names else None
            for name, cell in zip(names, record, strict=False):
                if cell == match:
                    return name
            return None

        return refuse

    def _colleague_deletes(self, job: ImportJob, table: PlatformTable, data: bytes) -> None:
        """The `concurrent_edit` fault on an import: someone deletes a row the job just wrote
        (the one whose key is `match`, else the file's first) before the client reads back."""
        keys = [r.get("key", "") for r in csv.DictReader(io.StringIO(data.decode("utf-8-sig")))]
        fault = self.ctx.faults.take(
            "concurrent_edit", job.path, applies=lambda f: f.match is None or f.match in keys
        )
        if fault is not None and keys:
            table.delete_row(fault.match or keys[0])

    def _finish(self, job: ImportJob, data: bytes) -> None:
        if job.injected_failure:
            message = "the import failed on the server (injected fault datatable_import_failed)"
            outcome = ImportOutcome(
                "Failed", error=file_error(message, "datatable.import.failed", 500)
            )
        else:
            table = self.tables.get(job.table_id)
            replace_all = job.mode == "ReplaceAll"
            refuse = self._refusal(job, data)
            outcome = run_import(
                table, data, replace_all, self.ctx.config.datatable_max_rows, refuse
            )
            if outcome.status == "Succeeded":
                self._colleague_deletes(job, table, data)
        with self._lock:
            job.outcome, job.status, job.completed = outcome, outcome.status, time.time()
        self.ctx.stats.log(
            "datatable_import_jobs",
            {"jobId": job.id, "tableId": job.table_id, "importMode": job.mode,
             "status": outcome.status, "countRecordsUpdated": outcome.updated,
             "countRecordsDeleted": outcome.deleted, "countRecordsFailed": outcome.failed},
        )  # fmt: skip

    def close(self) -> None:
        with self._lock:
            timers, self._timers = self._timers, []
        for timer in timers:
            timer.cancel()
