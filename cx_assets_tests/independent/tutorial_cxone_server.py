"""An independent tutorial-mode NICE CXone analytics export server: token, create, poll, pages.

Written from docs/api-contract.md (lines 1-62, "Errors", "Rate limits", "OAuth", and "## NICE
CXone analytics", lines 334-418) and /work/shared/tutorials/003_4444c7289736e03e.txt only, never
from the project's client or emulator, so a client that works only against the emulator's
reading fails here. It serves, under the `/cxone` prefix of its port:

- `POST /cxone/oauth/token` (form fields only, HTTP Basic refused),
- `POST /cxone/api/v2/analytics/data-exports` -> 202 (scope `analytics:export:write`),
- `GET /cxone/api/v2/analytics/data-exports/{id}` -> 200 (scope `analytics:export:read`),
- `GET /cxone/api/v2/analytics/data-exports/{id}/data?pageSize=N&nextPageToken=T` -> 200.

The data-lake webhook receiver is not served. Where the text leaves a choice open the other
readings are `Quirks` switches (tutorial_cxone_quirks.py): `Quirks()` all on (default),
`Quirks.obvious()` all off, `Quirks.only(...)`. Modules: `_auth` (token, scopes, rate limits,
faults), `_exports` (the create rules, export state), `_records` (seeded contacts, CSV),
`_wire` (timestamps, JSON answers, cut connections).

    with serve_cxone(CxoneExportServer(Quirks.obvious())) as running:
        running.url, running.cxone_url                 # root, and root + "/cxone"
        running.client_id, running.client_secret       # form-field credentials
        server: CxoneExportServer = running.server     # the admin surface below

Admin surface (Python, on `running.server`):

- `seed_contacts(seed=7, per_day=12, missing_share=0.15, days=None)`: the contacts every day
  yields (a function of seed, day, count and share; `days` maps a `date` to its own count).
  `contacts(day)`, `expected(start, end, columns=FIELDS, filters=None)`: the records an export
  of that range serves (rendered with the current quirks, ordered by start time).
- `polls_to_complete` (default 3): status polls a new export needs (the first answers
  `pending`, later ones `processing`, the Nth `completed`; 0 completes it at creation).
- `add_fault(kind, count=1, path_contains="", method=None, status=503, retry_after=1,
  delay_s=1.0, message=..., after=0)`: `http_429`, `http_5xx` (`status=504` for the tutorial's
  gateway timeout), `slow` (answer after `delay_s`), `drop` (the call is handled, e.g. the
  export is created, and the connection closes without an answer) on bearer calls (the token
  endpoint only when `path_contains` names it); `truncate` (the next data page stops half-way
  through its body), `wrong_format` (the next data page answers CSV for a json export and
  JSON for a csv one), `export_failed` (the next export ends `failed` with `message` as its
  `errorMessage`). `fail_export(id, message)` fails an existing unfinished export.
- `expire_tokens()`, `lack(*scopes)` (`lack()` restores all), `auth.budget`,
  `auth.window_s`, `auth.token_lifetime_s`.
- `expire_page_tokens()`: every page token handed out so far answers 400;
  `page_token_ttl_s` (default None): tokens older than that answer 400 too.
- State: `exports` (id -> `Export`, with `statuses_served` and `polls`), `created()`
  (`{id, start, end, format, status}` in creation order), `create_bodies` (every POST body
  that parsed as JSON), `calls` (`Call`: method, path, query, status, in order).

Fixed readings where the text is silent: the data endpoint needs `analytics:export:read`
(quirk `data_scope_reports_read` adds `reports:read`); a failed export's data answers 409
like an unfinished one; `completedAt` is set when an export completes or fails; an unknown,
foreign (another export's) or expired `nextPageToken` is a 400 naming `nextPageToken`; an
empty `nextPageToken=` means the first page; a token may be used again until it expires (so
a retry after a dropped page works); the data page's `pageSize` must be 1-10000 (else 400);
every CSV page repeats the header row; `totalRecords` counts the export's records after its
filters; an export's contacts are taken when it is first read (reseeding later does not change
it); `xlsx` exports complete but their data answers 406.
"""

from __future__ import annotations

import base64
import contextlib
import json
import random
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cx_assets_tests.independent import tutorial_cxone_records as records
from cx_assets_tests.independent.loopback import serve_app
from cx_assets_tests.independent.tutorial_cxone_auth import (
    READ,
    REPORTS,
    SCOPES,
    WRITE,
    Auth,
    Fault,
    Handler,
)
from cx_assets_tests.independent.tutorial_cxone_exports import (
    BadRequest,
    Export,
    check_request,
)
from cx_assets_tests.independent.tutorial_cxone_quirks import Quirks
from cx_assets_tests.independent.tutorial_cxone_wire import (
    CUT_KEY,
    CutConnections,
    json_response,
    stamp,
)

__all__ = ["Call", "CxoneExportServer", "Quirks", "RunningTutorialCxone", "serve_cxone"]

Json = dict[str, Any]
EXPORTS = "/cxone/api/v2/analytics/data-exports"
PAGE_CAP = 25


@dataclass
class Call:
    method: str
    path: str
    query: str
    status: int


@dataclass
class PageToken:
    export_id: str
    offset: int
    issued: float
    expired: bool = False


class CxoneExportServer:
    """State and Starlette `app`; tests flip `quirks` and the switches between calls."""

    def __init__(
        self,
        quirks: Quirks | None = None,
        client_id: str = "independent-cxone-tutorial-key",
        client_secret: str = "independent-cxone-tutorial-secret",
        id_seed: int | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self._quirks: Any = quirks or Quirks()
        self.client_id, self.client_secret = client_id, client_secret
        self.rng = random.Random(id_seed)
        self.clock = clock or (lambda: datetime.now(UTC))
        self.auth = Auth(self._quirks, client_id, client_secret, self.rng, self.clock)
        self.exports: dict[str, Export] = {}
        self.create_bodies: list[Any] = []
        self.calls: list[Call] = []
        self.page_tokens: dict[str, PageToken] = {}
        self.page_token_ttl_s: float | None = None
        self.polls_to_complete = 3
        self.seed_contacts()
        log, api = self._logged, self.auth.api
        data_scopes = self._data_scopes
        self.app: Any = CutConnections(
            Starlette(
                routes=[
                    Route("/cxone/oauth/token", log(self.auth.token), methods=["POST"]),
                    Route(EXPORTS, log(api(self._create, WRITE)), methods=["POST"]),
                    Route(EXPORTS + "/{id}", log(api(self._status, READ)), methods=["GET"]),
                    Route(EXPORTS + "/{id}/data", log(data_scopes(self._data)), methods=["GET"]),
                ]
            )
        )

    @property
    def quirks(self) -> Any:
        """The switches, read on every call."""
        return self._quirks

    @quirks.setter
    def quirks(self, quirks: Any) -> None:
        self._quirks = self.auth.quirks = quirks

    # ---- admin surface -------------------------------------------------------------------------
    def seed_contacts(
        self,
        seed: int = 7,
        per_day: int = 12,
        missing_share: float = 0.15,
        days: Mapping[date, int] | None = None,
    ) -> None:
        self.seed, self.per_day, self.missing_share = seed, per_day, missing_share
        self.day_counts = dict(days or {})

    def contacts(self, day: date) -> list[records.Contact]:
        count = self.day_counts.get(day, self.per_day)
        return records.day_contacts(self.seed, day, count, self.missing_share)

    def expected(
        self,
        start: datetime,
        end: datetime,
        columns: Sequence[str] = records.FIELDS,
        filters: Mapping[str, Sequence[Any]] | None = None,
    ) -> list[Json]:
        """The records an export of [start, end] serves, in start-time order."""
        chosen = records.ordered(self._in_range(start, end), unsorted=False)
        rendered = [c.render(self.quirks) for c in chosen]
        return [records.project(r, columns) for r in rendered if records.keep(r, filters or {})]

    def add_fault(self, kind: str, **options: Any) -> Fault:
        return self.auth.add_fault(kind, **options)

    def fail_export(self, export_id: str, message: str) -> None:
        export = self.exports[export_id]
        if export.status in ("completed", "failed"):
            raise ValueError(f"export {export_id} already ended {export.status}")
        export.fail_message = message
        export.polls_needed = max(export.polls_needed, export.polls + 1)

    def expire_tokens(self) -> None:
        self.auth.expire_tokens()

    def lack(self, *scopes: str) -> None:
        if unknown := sorted(set(scopes) - SCOPES):
            raise ValueError(f"unknown scope(s): {', '.join(unknown)}")
        self.auth.allowed = set(SCOPES - set(scopes))

    def expire_page_tokens(self) -> None:
        for token in self.page_tokens.values():
            token.expired = True

    def created(self) -> list[Json]:
        return [e.summary() for e in sorted(self.exports.values(), key=lambda e: e.number)]

    # ---- helpers -------------------------------------------------------------------------------
    def _logged(self, handler: Handler) -> Handler:
        async def endpoint(request: Request) -> Response:
            call = Call(request.method, request.url.path, request.url.query, 0)
            self.calls.append(call)
            response = await handler(request)
            call.status = response.status_code
            return response

        return endpoint

    def _data_scopes(self, handler: Handler) -> Handler:
        """The data endpoint's guard, built per call so `data_scope_reports_read` can flip."""
        plain, strict = self.auth.api(handler, READ), self.auth.api(handler, READ, REPORTS)

        async def endpoint(request: Request) -> Response:
            return await (strict if self.quirks.data_scope_reports_read else plain)(request)

        return endpoint

    def _json(self, body: object, status: int = 200) -> Response:
        return json_response(body, status, self.quirks.content_type_params)

    def _stamp(self, when: datetime) -> str:
        return stamp(when, self.quirks.timestamps_offset, self.quirks.timestamps_no_millis)

    def _in_range(self, start: datetime, end: datetime) -> list[records.Contact]:
        found: list[records.Contact] = []
        day = start.date()
        while day <= end.date():
            found += records.in_range(self.contacts(day), start, end)
            day += timedelta(days=1)
        return found

    def _export_records(self, export: Export) -> list[Json]:
        r = export.request
        if export.contacts is None:
            export.contacts = self._in_range(r.start, r.end)
        chosen = records.ordered(export.contacts, self.quirks.records_unsorted)
        rendered = [c.render(self.quirks) for c in chosen]
        return [records.project(x, r.columns) for x in rendered if records.keep(x, r.filters)]

    def _new_id(self, number: int) -> str:
        if self.quirks.opaque_ids:
            return f"dx_{number:06d}_{self.rng.getrandbits(32):08x}"
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def _new_page_token(self, export_id: str, offset: int) -> str:
        if self.quirks.token_url_unsafe:
            token = base64.b64encode(b"\xfb\xff" + self.rng.randbytes(14)).decode()
        else:
            token = f"pt_{self.rng.getrandbits(96):024x}"
        self.page_tokens[token] = PageToken(export_id, offset, time.monotonic())
        return token

    # ---- endpoints -----------------------------------------------------------------------------
    async def _create(self, request: Request) -> Response:
        try:
            body = json.loads(await request.body())
        except ValueError:
            return self.auth.error(400, "bad.request", "the body is not JSON")
        self.create_bodies.append(body)
        try:
            spec = check_request(body, self.quirks.tutorial_span)
        except BadRequest as exc:
            return self.auth.error(400, "bad.request", str(exc))
        number = len(self.exports) + 1
        export = Export(self._new_id(number), number, spec, self.clock(), self.polls_to_complete)
        if (fault := self.auth.take(("export_failed",), request)).kind == "export_failed":
            export.fail_message = fault.message
        export.settle(self.clock(), self.quirks.skip_processing)
        self.exports[export.id] = export
        answer: Json = {"id": export.id}
        if not self.quirks.create_id_only:
            answer["status"] = export.status
        if self.quirks.extra_fields:
            answer |= {"reportId": spec.report_id, "selfUri": f"{EXPORTS}/{export.id}"}
        return self._json(answer, 202)

    async def _status(self, request: Request) -> Response:
        export = self.exports.get(request.path_params["id"])
        if export is None:
            return self._missing(request.path_params["id"])
        export.poll(self.clock(), self.quirks.skip_processing)
        export.statuses_served.append(export.status)
        return self._json(self._status_body(export))

    def _status_body(self, export: Export) -> Json:
        q, r = self.quirks, export.request
        echo = {"start": r.start_text, "end": r.end_text}
        if q.echo_range_respelled:
            echo = {"start": stamp(r.start, False, True), "end": stamp(r.end, False, True)}
        body: Json = {
            "id": export.id,
            "reportId": r.report_id,
            "dateRange": echo,
            "format": r.format,
            "status": export.status,
        }
        if export.status == "failed":
            body["errorMessage"] = export.fail_message
        elif q.nulls_for_absent:
            body["errorMessage"] = None
        if export.status == "completed":
            body["totalRecords"] = len(self._export_records(export))
        elif q.nulls_for_absent:
            body["totalRecords"] = None
        body["createdAt"] = self._stamp(export.created_at)
        if export.ended_at is not None:
            body["completedAt"] = self._stamp(export.ended_at)
        elif not q.completed_at_absent:
            body["completedAt"] = None
        if q.extra_fields:
            body |= {"selfUri": f"{EXPORTS}/{export.id}", "columns": list(r.columns)}
            body["progress"] = 100 if export.ended_at else 50 * min(export.polls, 1)
        return body

    async def _data(self, request: Request) -> Response:
        export_id = request.path_params["id"]
        export = self.exports.get(export_id)
        if export is None:
            return self._missing(export_id)
        error = self.auth.error
        if export.status == "failed":
            message = f"export {export_id} failed ({export.fail_message}): it has no data"
            return error(409, "conflict", message)
        if export.status != "completed":
            return error(409, "conflict", f"export {export_id} is {export.status}, not completed")
        raw_size = request.query_params.get("pageSize")
        size = export.request.page_size
        if raw_size is not None:
            if not raw_size.isdigit() or not 1 <= int(raw_size) <= 10_000:
                message = f"pageSize must be an integer from 1 to 10000, got {raw_size!r}"
                return error(400, "bad.request", message)
            size = int(raw_size)
        offset = 0
        if token_text := request.query_params.get("nextPageToken", ""):
            token = self.page_tokens.get(token_text)
            if token is None:
                return error(400, "bad.request", "nextPageToken is not a token this server issued")
            if token.export_id != export_id:
                message = "nextPageToken belongs to another export"
                return error(400, "bad.request", message)
            ttl = self.page_token_ttl_s
            if token.expired or (ttl is not None and time.monotonic() - token.issued > ttl):
                return error(400, "bad.request", "nextPageToken has expired")
            offset = token.offset
        fmt = export.request.format
        if fmt == "xlsx":
            message = "xlsx exports are not served as pages: export as json or csv"
            return error(406, "not.acceptable", message)
        if self.auth.take(("wrong_format",), request).kind == "wrong_format":
            fmt = "csv" if fmt == "json" else "json"
        all_records = self._export_records(export)
        if self.quirks.page_size_capped:
            size = min(size, PAGE_CAP)
        page = all_records[offset : offset + size]
        end = offset + len(page)
        more = end < len(all_records) or (self.quirks.empty_last_page and bool(page))
        next_token = self._new_page_token(export_id, end) if more else None
        response = self._page(fmt, page, next_token, len(all_records), export)
        if self.auth.take(("truncate",), request).kind == "truncate":
            request.scope[CUT_KEY] = "mid_body"
        return response

    def _page(
        self, fmt: str, page: list[Json], token: str | None, total: int, export: Export
    ) -> Response:
        q = self.quirks
        if fmt == "csv":
            media = "text/csv; charset=utf-8" if q.content_type_params else "text/csv"
            headers = {"content-type": media}
            if token is not None:
                headers["X-Next-Page-Token"] = token
            elif q.last_token_empty:
                headers["X-Next-Page-Token"] = ""
            if q.extra_fields:
                headers["X-Total-Records"] = str(total)
            data = records.csv_page(page, export.request.columns, q)
            return Response(data, headers=headers)
        body: Json = {"data": page, "nextPageToken": token, "totalRecords": total}
        if token is None and q.last_token_absent:
            del body["nextPageToken"]
        elif token is None and q.last_token_empty:
            body["nextPageToken"] = ""
        if q.extra_fields:
            body |= {"exportId": export.id, "pageSize": len(page), "format": "json"}
        return self._json(body)

    def _missing(self, export_id: str) -> Response:
        return self.auth.error(404, "not.found", f"no data export with id {export_id}")


@dataclass
class RunningTutorialCxone:
    """What a test gets: where the server listens, its credentials, and its admin surface."""

    url: str
    client_id: str
    client_secret: str
    server: CxoneExportServer

    @property
    def cxone_url(self) -> str:
        return self.url + "/cxone"

    @property
    def token_url(self) -> str:
        return self.url + "/cxone/oauth/token"

    @property
    def quirks(self) -> Any:
        return self.server.quirks

    @property
    def scopes(self) -> str:
        return " ".join(sorted(SCOPES))


@contextlib.contextmanager
def serve_cxone(server: CxoneExportServer | None = None) -> Iterator[RunningTutorialCxone]:
    """Run `server` under uvicorn on a free loopback port in a background thread."""
    server = server or CxoneExportServer()
    with serve_app(server.app, "the independent tutorial CXone server") as url:
        yield RunningTutorialCxone(url, server.client_id, server.client_secret, server)
