"""An independent Genesys Cloud data tables server: /api/v2/flows/datatables.

Written from docs/api-contract.md "# Platform mode", "Platform auth", "Platform errors,
permissions and throttling" and "Data tables: /api/v2/flows/datatables" and VENDOR_APIS.md
§1 and §3 only, never from the project's client or emulator. The OAuth endpoint, rate-limit
window and faults come from `genesys_platform_server`. Where the contract leaves a choice open
this server takes the other reasonable reading; each is a `Quirks` switch, all on by default
(`Quirks.obvious()` = all off):

- create_2xx: export creates answer 202, import creates 201 (off: 200; "accept any 2xx").
- page_size_capped: the tables listing holds at most 2 tables a page whatever `pageSize`
  asks and says `pageSize: 2` (the real maxima are UNVERIFIED).
- extra_fields: unknown fields on tables, schemas, properties, jobs, owners and envelopes.
- sparse_tables: "Escalation Contacts" has no `description` and no `division` (both "?").
- loose_schema: the `properties` map in reverse display order, `displayOrder` with gaps,
  the last property without one (it comes last), no `$id` ("displayOrder"? in VENDOR_APIS).
- title_header, bom, lf_lines, sorted_columns, upper_booleans, integer_point_zero,
  quote_all: the export CSV (format UNVERIFIED) has titles in the header, a UTF-8 BOM, LF
  line ends, columns sorted by property name (key not first), TRUE/FALSE, integers as
  `20000.0` (decimal text, no exponent), every cell quoted.
- s3_urls: downloadURI/uploadURI on `localhost` (the API is on 127.0.0.1), object-store
  paths and the other X-Amz-* query parameters, `text/csv; charset=utf-8`, XML error bodies.
- other_upload_headers: lower-case header names, other values and more of them
  (`x-amz-meta-owner`, `x-amz-acl`, `content-type: text/csv; charset=utf-8`).
- upload_needs_length: a PUT without `Content-Length` answers 411, as an object store does.
- upload_lag: the first poll after the PUT still says `WaitingForUpload`.
- slow_jobs: jobs stay `Processing` for 3 polls (off: done at the first poll).
- nulls_while_processing: `downloadURI`, `dateCompleted`, `errorInformation` are `null`
  (not absent) until the job ends.
- counts_while_processing: an export says `countRecordsProcessed: 0` while Processing.
- row_detail_variant: per-row errors (UNVERIFIED shape) carry `messageParams.row` as a JSON
  integer, other message wording, and nested `errors`/`details`.
- strict_cells: import cells for integers must be digits only and numbers plain decimals
  (off: `5.0` is an integer, `1e3` a number).
- bare_403: a 403 body is only `{"message"}` (the real body is UNVERIFIED).
- token_extras: the token answer carries extra fields (the shared OAuth endpoint's quirk).

Fixed readings: every permission of a call's row is needed, the 403 names the first missing
one and comes before any table lookup; a presigned URL with an `Authorization` header answers
400 (object stores allow one auth mechanism); jobs advance only when polled; `refuse_cells`
makes the server refuse every import row holding one of those strings.
"""

from __future__ import annotations

import contextlib
import fnmatch
import math
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, fields
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from cx_assets_tests.independent.datatables_platform_http import BadParam, envelope, fail
from cx_assets_tests.independent.datatables_platform_jobs import Jobs, Presigned
from cx_assets_tests.independent.datatables_platform_seed import (
    DT,
    Json,
    Table,
    seed_tables,
    table_json,
)
from cx_assets_tests.independent.genesys_platform_server import (
    PlatformServer,
    RunningServer,
    serve,
)

VIEW, EDIT = "architect:datatable:view", "architect:datatable:edit"
ROW_VIEW, ROW_ADD = "architect:datatableRow:view", "architect:datatableRow:add"
ROW_EDIT, ROW_DELETE = "architect:datatableRow:edit", "architect:datatableRow:delete"
ALL_PERMISSIONS = frozenset({VIEW, EDIT, ROW_VIEW, ROW_ADD, ROW_EDIT, ROW_DELETE})
SORT_ORDERS = {"ascending": "ascending", "asc": "ascending"}
SORT_ORDERS |= {"descending": "descending", "desc": "descending"}


@dataclass
class Quirks:
    """The "other reading" switches; see the module docstring."""

    create_2xx: bool = True
    page_size_capped: bool = True
    extra_fields: bool = True
    sparse_tables: bool = True
    loose_schema: bool = True
    title_header: bool = True
    bom: bool = True
    lf_lines: bool = True
    sorted_columns: bool = True
    upper_booleans: bool = True
    integer_point_zero: bool = True
    quote_all: bool = True
    s3_urls: bool = True
    other_upload_headers: bool = True
    upload_needs_length: bool = True
    upload_lag: bool = True
    slow_jobs: bool = True
    nulls_while_processing: bool = True
    counts_while_processing: bool = True
    row_detail_variant: bool = True
    strict_cells: bool = True
    bare_403: bool = True
    token_extras: bool = True

    @classmethod
    def obvious(cls) -> Quirks:
        return cls(**{f.name: False for f in fields(cls)})


class DataTablesServer(PlatformServer):
    """State and Starlette `app`; tests flip `quirks` and the switches between calls."""

    def __init__(
        self, client_id: str = "independent-dt-client", client_secret: str = "independent-dt-secret"
    ) -> None:
        super().__init__(client_id, client_secret)
        self.quirks: Any = Quirks()
        self.permissions = {client_id: set(ALL_PERMISSIONS)}
        self.tables: dict[str, Table] = seed_tables()
        self.max_rows, self.max_file_bytes, self.url_expiry_s = 5000, 64 * 2**20, 900
        self.refuse_cells: set[str] = set()
        self.fail_next_exports: list[str] = []
        self.fail_next_imports: list[str] = []
        self.expire_next_downloads = 0
        self.presigned: list[Presigned] = []
        self.jobs_api = jobs = Jobs(self)
        api = self._api
        t = DT + "/{table_id}"
        self.app = Starlette(
            routes=[
                Route("/oauth/token", self._token, methods=["POST"]),
                Route(DT, api(self._list_tables, (VIEW,))),
                Route(t, api(self._get_table, (VIEW,))),
                Route(t + "/rows", api(self._list_rows, (VIEW, ROW_VIEW))),
                Route(t + "/rows/{row_id:path}", api(self._get_row, (VIEW, ROW_VIEW))),
                Route(t + "/export/jobs", api(jobs.create_export, (VIEW,)), methods=["POST"]),
                Route(t + "/export/jobs/{job_id}", api(jobs.get_export, (VIEW,))),
                Route(
                    t + "/import/csv/jobs",
                    api(jobs.create_import, (EDIT, ROW_ADD)),
                    methods=["POST"],
                ),
                Route(t + "/import/jobs", api(jobs.list_imports, (VIEW,))),
                Route(t + "/import/jobs/{job_id}", api(jobs.get_import, (VIEW,))),
                Route("/files/{job_id}/{name}", jobs.download),
                Route("/s3/cx-dt-exports/{job_id}/{name}", jobs.download),
                Route("/uploads/datatables/{job_id}", jobs.upload, methods=["PUT"]),
                Route("/s3/cx-dt-imports/{job_id}", jobs.upload, methods=["PUT"]),
            ]
        )

    # ---- handles for tests and the job routes ------------------------------------------------
    @property
    def processing_polls(self) -> int:
        return 3 if self.quirks.slow_jobs else 0

    def client_of(self, request: Request) -> str:
        token = request.headers.get("authorization", "").partition(" ")[2]
        return self._tokens.get(token, ("", 0.0))[0]

    def forbidden(self, permission: str) -> JSONResponse:
        text = "Unable to perform the requested action. You are missing the following "
        text += f"permission(s): [{permission}]"
        if self.quirks.bare_403:
            return JSONResponse({"message": text}, status_code=403)
        return fail(403, "missing.any.permissions", text)

    def rows(self, table_id: str) -> list[Json]:
        return [dict(row) for row in self.tables[table_id].rows.values()]

    # ---- auth, throttling, faults, permissions (every one listed) ----------------------------
    def _guard(  # type: ignore[override]
        self, request: Request, needs: Sequence[str]
    ) -> tuple[str | None, dict[str, str], Response | None]:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        client_id, expires = self._tokens.get(token, ("", 0.0))
        now = time.monotonic()
        if scheme.lower() != "bearer" or expires < now:
            return None, {}, fail(401, "bad.credentials", "Invalid login credentials.")
        began, used = self._windows.get(client_id, (now, 0))
        began, used = (now, 1) if now - began >= self.window_s else (began, used + 1)
        self._windows[client_id] = (began, used)
        reset = max(1, math.ceil(self.window_s - (now - began)))
        headers = {
            "inin-ratelimit-count": str(used),
            "inin-ratelimit-allowed": str(self.budget),
            "inin-ratelimit-reset": str(reset),
        }
        fault = None if used > self.budget else self._take_fault(request)
        if used > self.budget or (fault and fault.kind == "http_429"):
            wait = fault.retry_after if fault else reset
            message = f"Rate limit exceeded the maximum. Retry the request in [{wait}] seconds"
            headers["Retry-After"] = str(wait)
            return client_id, headers, fail(429, "too.many.requests.retry.after", message)
        if fault:
            return client_id, headers, fail(fault.status, "service.unavailable", "Try again")
        held = self.permissions.get(client_id, set())
        if missing := [p for p in needs if p not in held]:
            return client_id, headers, self.forbidden(missing[0])
        return client_id, headers, None

    # ---- tables and rows ---------------------------------------------------------------------
    async def _list_tables(self, request: Request) -> Response:
        params, quirks = request.query_params, self.quirks
        tables = list(self.tables.values())
        if pattern := params.get("name"):
            tables = [t for t in tables if fnmatch.fnmatchcase(t.name.lower(), pattern.lower())]
        try:
            sort_by = params.get("sortBy")
            if sort_by not in (None, "id", "name"):
                raise BadParam("sortBy", f"sortBy must be id or name, got {sort_by!r}")
            order = SORT_ORDERS.get(params.get("sortOrder", "ascending"))
            if order is None:
                raise BadParam("sortOrder", "sortOrder must be ascending or descending")
            if sort_by:
                tables.sort(key=lambda t: getattr(t, sort_by).lower())
            if order == "descending":
                tables.reverse()
            expand = params.get("expand") == "schema"
            items = [table_json(t, quirks, expand) for t in tables]
            cap = 2 if quirks.page_size_capped else None
            return JSONResponse(envelope(request, items, 100, cap=cap, extra=quirks.extra_fields))
        except BadParam as exc:
            return fail(400, "bad.request", str(exc), exc.name)

    async def _get_table(self, request: Request) -> Response:
        if (table := self.tables.get(request.path_params["table_id"])) is None:
            return fail(404, "not.found", "data table not found")
        expand = request.query_params.get("expand") == "schema"
        return JSONResponse(table_json(table, self.quirks, expand))

    def _brief(self, request: Request) -> bool:
        raw = request.query_params.get("showbrief", "true")
        if raw not in ("true", "false"):
            raise BadParam("showbrief", f"showbrief must be true or false, got {raw!r}")
        return raw == "true"

    async def _list_rows(self, request: Request) -> Response:
        if (table := self.tables.get(request.path_params["table_id"])) is None:
            return fail(404, "not.found", "data table not found")
        try:
            brief = self._brief(request)
            order = SORT_ORDERS.get(request.query_params.get("sortOrder", "ascending"))
            if order is None:
                raise BadParam("sortOrder", "sortOrder must be ascending or descending")
            rows = [{"key": r["key"]} if brief else dict(r) for r in table.rows.values()]
            if order == "descending":
                rows.reverse()
            return JSONResponse(envelope(request, rows, 500, extra=self.quirks.extra_fields))
        except BadParam as exc:
            return fail(400, "bad.request", str(exc), exc.name)

    async def _get_row(self, request: Request) -> Response:
        if (table := self.tables.get(request.path_params["table_id"])) is None:
            return fail(404, "not.found", "data table not found")
        try:
            brief = self._brief(request)
        except BadParam as exc:
            return fail(400, "bad.request", str(exc), exc.name)
        if (row := table.rows.get(request.path_params["row_id"])) is None:
            return fail(404, "not.found", "data table row not found")
        return JSONResponse({"key": row["key"]} if brief else row)


@contextlib.contextmanager
def serve_datatables(server: DataTablesServer | None = None) -> Iterator[RunningServer]:
    """The server on a free loopback port (the shared `serve`); `.server` is the state."""
    with serve(server or DataTablesServer()) as running:
        yield running
