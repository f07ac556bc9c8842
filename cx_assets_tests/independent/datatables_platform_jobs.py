"""Export and import jobs of the independent data tables server, and their presigned URLs.

Jobs advance only when polled (`processing_polls` GETs in `Processing`); an export is the
table's snapshot at creation; an import changes the table in one step when it ends.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from cx_assets_tests.independent.datatables_platform_csv import export_csv
from cx_assets_tests.independent.datatables_platform_http import (
    BadParam,
    Signer,
    envelope,
    fail,
    iso_ms,
    s3_fail,
)
from cx_assets_tests.independent.datatables_platform_import import finish_import
from cx_assets_tests.independent.datatables_platform_seed import DT, Json, Table

if TYPE_CHECKING:
    from cx_assets_tests.independent.datatables_platform_server import DataTablesServer

ROW_DELETE = "architect:datatableRow:delete"


@dataclass
class ExportJob:
    id: str
    table: Table
    owner: str
    created: datetime
    csv: bytes
    rows: int
    error: str | None = None
    status: str = "Processing"
    polls: int = 0
    completed: datetime | None = None


@dataclass
class ImportJob:
    id: str
    table: Table
    owner: str
    mode: str
    created: datetime
    upload_uri: str
    upload_headers: dict[str, str]
    lag: int = 0
    fail_message: str | None = None
    status: str = "WaitingForUpload"
    upload: bytes | None = None
    polls: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    error_info: Json | None = None
    completed: datetime | None = None


@dataclass(frozen=True)
class Presigned:
    """One request on a presigned URL: header names only (values may be secret)."""

    method: str
    path: str
    status: int
    header_names: frozenset[str]


class Jobs:
    """The job routes; `server` holds the tables, the quirks and the test switches."""

    def __init__(self, server: DataTablesServer) -> None:
        self.s = server
        self.exports: dict[str, ExportJob] = {}
        self.imports: dict[str, ImportJob] = {}
        self.signer = Signer(uuid.uuid4().bytes, server.url_expiry_s)

    def base(self, request: Request) -> str:
        base = str(request.base_url).rstrip("/")
        return base.replace("127.0.0.1", "localhost") if self.s.quirks.s3_urls else base

    def presign(self, base: str, path: str, expired: bool = False) -> str:
        return self.signer.presign(base, path, s3=self.s.quirks.s3_urls, expired=expired)

    def _presigned_error(self, status: int, code: str, s3_code: str, message: str) -> Response:
        if self.s.quirks.s3_urls:
            return s3_fail(status, s3_code, message)
        return fail(status, code, message)

    # ---- exports ------------------------------------------------------------------------------
    async def create_export(self, request: Request) -> Response:
        if (table := self.s.tables.get(request.path_params["table_id"])) is None:
            return fail(404, "not.found", "data table not found")
        rows = [dict(row) for row in table.rows.values()]
        csv, now = export_csv(table, rows, self.s.quirks), datetime.now(UTC)
        job = ExportJob(str(uuid.uuid4()), table, self.s.client_of(request), now, csv, len(rows))
        job.error = self.s.fail_next_exports.pop(0) if self.s.fail_next_exports else None
        self.exports[job.id] = job
        return JSONResponse(
            self.export_json(job, request), 202 if self.s.quirks.create_2xx else 200
        )

    async def get_export(self, request: Request) -> Response:
        job = self.exports.get(request.path_params["job_id"])
        if job is None or job.table.id != request.path_params["table_id"]:
            return fail(404, "not.found", "export job not found")
        if job.status == "Processing":
            job.polls += 1
            if job.polls > self.s.processing_polls:
                job.status = "Failed" if job.error else "Succeeded"
                job.completed = datetime.now(UTC)
        return JSONResponse(self.export_json(job, request))

    def export_json(self, job: ExportJob, request: Request) -> Json:
        quirks, body = self.s.quirks, self._job_head(job.id, job.owner, job.status, job.created)
        body["selfUri"] = f"{DT}/{job.table.id}/export/jobs/{job.id}"
        if job.completed:
            body["dateCompleted"] = iso_ms(job.completed)
        if job.status == "Succeeded":
            expired = self.s.expire_next_downloads > 0
            self.s.expire_next_downloads -= int(expired)
            prefix = "/s3/cx-dt-exports" if quirks.s3_urls else "/files"
            path = f"{prefix}/{job.id}/{job.table.id}.csv"
            body["downloadURI"] = self.presign(self.base(request), path, expired)
            body["countRecordsProcessed"] = job.rows
        elif job.status == "Failed":
            body["errorInformation"] = {"message": job.error, "code": "datatable.export.failed"}
            body["errorInformation"] |= {"status": 500, "details": [], "errors": []}
        else:
            if quirks.nulls_while_processing:
                body |= {"downloadURI": None, "dateCompleted": None, "errorInformation": None}
            if quirks.counts_while_processing:
                body["countRecordsProcessed"] = 0
        return body

    def _job_head(self, job_id: str, owner: str, status: str, created: datetime) -> Json:
        body: Json = {"id": job_id, "owner": {"id": owner}, "status": status}
        if self.s.quirks.extra_fields:
            body["owner"] |= {"name": "Independent OAuth client", "selfUri": f"/api/v2/x/{owner}"}
            body["xIndependentJob"] = {"server": "independent"}
        return body | {"dateCreated": iso_ms(created)}

    async def download(self, request: Request) -> Response:
        response = self._download(request)
        names = frozenset(k.lower() for k in request.headers)
        self.s.presigned.append(Presigned("GET", request.url.path, response.status_code, names))
        return response

    def _download(self, request: Request) -> Response:
        if "authorization" in request.headers:
            message = "Only one auth mechanism allowed: the URL is presigned"
            return self._presigned_error(400, "invalid.argument", "InvalidArgument", message)
        if problem := self.signer.problem(request):
            return self._presigned_error(403, "access.denied", "AccessDenied", problem)
        job = self.exports.get(request.path_params["job_id"])
        name = request.path_params["name"]
        if job is None or job.status != "Succeeded" or name != f"{job.table.id}.csv":
            return self._presigned_error(404, "not.found", "NoSuchKey", "no such export file")
        ctype = "text/csv; charset=utf-8" if self.s.quirks.s3_urls else "text/csv"
        etag = '"' + hashlib.md5(job.csv).hexdigest() + '"'
        return Response(job.csv, headers={"content-type": ctype, "etag": etag})

    # ---- imports ------------------------------------------------------------------------------
    async def create_import(self, request: Request) -> Response:
        try:
            body: Any = await request.json()
        except ValueError:
            body = None
        mode = body.get("importMode") if isinstance(body, dict) else None
        if mode not in ("Append", "ReplaceAll"):
            message = f"importMode must be Append or ReplaceAll, got {mode!r}"
            return fail(400, "bad.request", message, "importMode")
        client = self.s.client_of(request)
        if mode == "ReplaceAll" and ROW_DELETE not in self.s.permissions.get(client, set()):
            return self.s.forbidden(ROW_DELETE)
        if (table := self.s.tables.get(request.path_params["table_id"])) is None:
            return fail(404, "not.found", "data table not found")
        job_id = str(uuid.uuid4())
        path = ("/s3/cx-dt-imports/" if self.s.quirks.s3_urls else "/uploads/datatables/") + job_id
        job = ImportJob(
            job_id,
            table,
            client,
            mode,
            datetime.now(UTC),
            self.presign(self.base(request), path),
            self.upload_headers(job_id, client),
            lag=int(self.s.quirks.upload_lag),
        )
        job.fail_message = self.s.fail_next_imports.pop(0) if self.s.fail_next_imports else None
        self.imports[job_id] = job
        return JSONResponse(self.import_json(job), 201 if self.s.quirks.create_2xx else 200)

    def upload_headers(self, job_id: str, client: str) -> dict[str, str]:
        if not self.s.quirks.other_upload_headers:
            return {"Content-Type": "text/csv", "x-amz-server-side-encryption": "AES256",
                    "x-amz-meta-job-id": job_id}  # fmt: skip
        return {"content-type": "text/csv; charset=utf-8", "x-amz-server-side-encryption":
                "aws:kms", "x-amz-meta-owner": client, "x-amz-meta-import-job": job_id,
                "x-amz-acl": "bucket-owner-full-control"}  # fmt: skip

    async def get_import(self, request: Request) -> Response:
        job = self.imports.get(request.path_params["job_id"])
        if job is None or job.table.id != request.path_params["table_id"]:
            return fail(404, "not.found", "import job not found")
        if job.upload is not None and job.completed is None:
            if job.lag > 0:
                job.lag -= 1
            else:
                job.status, job.polls = "Processing", job.polls + 1
                if job.polls > self.s.processing_polls:
                    finish_import(job, self.s)
        return JSONResponse(self.import_json(job))

    async def list_imports(self, request: Request) -> Response:
        table_id = request.path_params["table_id"]
        if table_id not in self.s.tables:
            return fail(404, "not.found", "data table not found")
        jobs = [
            self.import_json(j) for j in reversed(self.imports.values()) if j.table.id == table_id
        ]
        try:
            return JSONResponse(envelope(request, jobs, 100, extra=self.s.quirks.extra_fields))
        except BadParam as exc:
            return fail(400, "bad.request", str(exc), exc.name)

    def import_json(self, job: ImportJob) -> Json:
        body = self._job_head(job.id, job.owner, job.status, job.created)
        body |= {"importMode": job.mode, "uploadURI": job.upload_uri}
        body |= {"uploadHeaders": dict(job.upload_headers)}
        body["countRecordsUpdated"] = job.counts.get("updated", 0)
        body["countRecordsDeleted"] = job.counts.get("deleted", 0)
        body["countRecordsFailed"] = job.counts.get("failed", 0)
        body["selfUri"] = f"{DT}/{job.table.id}/import/jobs/{job.id}"
        if job.completed:
            body["dateCompleted"] = iso_ms(job.completed)
        if job.error_info:
            body["errorInformation"] = job.error_info
        elif self.s.quirks.nulls_while_processing and not job.completed:
            body |= {"dateCompleted": None, "errorInformation": None}
        return body

    async def upload(self, request: Request) -> Response:
        response = await self._upload(request)
        names = frozenset(k.lower() for k in request.headers)
        self.s.presigned.append(Presigned("PUT", request.url.path, response.status_code, names))
        return response

    async def _upload(self, request: Request) -> Response:
        if "authorization" in request.headers:
            message = "Only one auth mechanism allowed: the URL is presigned"
            return self._presigned_error(400, "invalid.argument", "InvalidArgument", message)
        if problem := self.signer.problem(request):
            return fail(403, "access.denied", problem)
        if (job := self.imports.get(request.path_params["job_id"])) is None:
            return fail(404, "not.found", "no such upload")
        for name, value in job.upload_headers.items():
            if (got := request.headers.get(name)) != value:
                message = f"header {name} must be {value!r} (as uploadHeaders says), got {got!r}"
                return fail(403, "access.denied", message)
        if self.s.quirks.upload_needs_length and "content-length" not in request.headers:
            return self._presigned_error(411, "length.required", "MissingContentLength",
                                         "a Content-Length is required")  # fmt: skip
        data = await request.body()
        if len(data) > self.s.max_file_bytes:
            return fail(413, "payload.too.large", f"the file is over {self.s.max_file_bytes} bytes")
        if job.upload is not None:
            return fail(409, "conflict", "the file of this job has already arrived")
        job.upload = data
        job.status = "WaitingForUpload" if job.lag else "Processing"
        return Response(
            status_code=200, headers={"etag": '"' + hashlib.md5(data).hexdigest() + '"'}
        )
