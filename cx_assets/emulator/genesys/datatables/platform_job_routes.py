"""Export jobs, CSV import jobs and the signed upload of the platform data tables.

`POST …/{id}/export/jobs` snapshots the table at once; its `downloadURI` is a presigned
`/files/{jobId}/{tableId}.csv` on the emulator's own base URL (files.py streams it, so the file
faults apply). `POST …/{id}/import/csv/jobs` gives a presigned `uploadURI`
(`PUT /uploads/datatables/{jobId}`, no bearer) and `uploadHeaders` the PUT must carry, every one
exactly; a PUT without them, or with a bad signature, is a 403 and leaves the job waiting.
"""

from __future__ import annotations

import hashlib

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from cx_assets.emulator.auth import require_permission
from cx_assets.emulator.errors import ApiError, json_body
from cx_assets.emulator.genesys.datatables.platform_http import (
    EDIT,
    MAX_TABLES_PAGE_SIZE,
    ROW_ADD,
    ROW_DELETE,
    VIEW,
    base_url,
    ctx_of,
    platform_route,
    service,
)
from cx_assets.emulator.paging import envelope, page_params

IMPORT_MODES = ("Append", "ReplaceAll")


def _grant_owner(request: Request) -> str:
    grant = request.scope.get("cx.grant")
    return grant.client_id if grant is not None else "unknown"


@platform_route
async def create_export(request: Request) -> Response:
    require_permission(request, VIEW)
    ctx, path = ctx_of(request), request.url.path
    table_id = request.path_params["table_id"]
    service(request).tables.get(table_id)
    failure = None
    if ctx.faults.take("datatable_export_failed", path) is not None:
        failure = "the export failed on the server (injected fault datatable_export_failed)"
    job = await run_in_threadpool(
        service(request).jobs.create_export, table_id, _grant_owner(request), failure
    )
    return JSONResponse(service(request).jobs.export_view(job, base_url(request), False))


@platform_route
async def get_export(request: Request) -> Response:
    require_permission(request, VIEW)
    jobs = service(request).jobs
    job = jobs.export(request.path_params["table_id"], request.path_params["job_id"])
    expired = False
    if jobs.downloadable(job):  # only an answer that carries a downloadURI uses the switch
        expired = ctx_of(request).faults.take("expire_urls", request.url.path) is not None
    return JSONResponse(jobs.export_view(job, base_url(request), expired))


@platform_route
async def create_import(request: Request) -> Response:
    require_permission(request, EDIT)
    require_permission(request, ROW_ADD)
    body = await json_body(request, 'a JSON object {"importMode": "Append" | "ReplaceAll"}')
    mode = body.get("importMode") if isinstance(body, dict) else None
    if mode not in IMPORT_MODES:
        raise ApiError(
            400, f"importMode must be Append or ReplaceAll, got {mode!r}", field="importMode"
        )
    if mode == "ReplaceAll":
        require_permission(request, ROW_DELETE)
    ctx, path = ctx_of(request), request.url.path
    failed = ctx.faults.take("datatable_import_failed", path) is not None
    jobs = service(request).jobs
    job = jobs.create_import(
        request.path_params["table_id"], mode, _grant_owner(request), path, failed
    )
    return JSONResponse(jobs.import_view(job, base_url(request)))


@platform_route
async def get_import(request: Request) -> Response:
    require_permission(request, VIEW)
    jobs = service(request).jobs
    job = jobs.import_job(request.path_params["job_id"], request.path_params["table_id"])
    return JSONResponse(jobs.import_view(job, base_url(request)))


@platform_route
async def list_imports(request: Request) -> Response:
    require_permission(request, VIEW)
    number, size = page_params(request, MAX_TABLES_PAGE_SIZE)
    jobs = service(request).jobs
    found = jobs.imports_of(request.path_params["table_id"])
    base = base_url(request)
    entities = [jobs.import_view(job, base) for job in found[(number - 1) * size : number * size]]
    return JSONResponse(envelope(request, entities, number, size, len(found)))


async def _body(request: Request, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ApiError(413, f"the upload is larger than {limit} bytes", code="entity.too.large")
        chunks.append(chunk)
    return b"".join(chunks)


async def upload(request: Request) -> Response:
    """`PUT <uploadURI>`: S3-like, no bearer; signed query and every `uploadHeaders` header."""
    ctx = ctx_of(request)
    ctx.signer.verify(request.url.path, dict(request.query_params))
    job = service(request).jobs.import_job(request.path_params["job_id"])
    for name, value in job.headers.items():
        if request.headers.get(name) != value:
            raise ApiError(
                403,
                f"the upload must carry the header {name} exactly as the job's uploadHeaders "
                "give it",
                code="access.denied",
            )
    data = await _body(request, ctx.config.max_file_bytes)
    await run_in_threadpool(service(request).jobs.upload, job, data)
    return Response(status_code=200, headers={"ETag": f'"{hashlib.md5(data).hexdigest()}"'})
