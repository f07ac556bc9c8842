"""An independent Genesys Cloud GDPR server: /api/v2/gdpr/requests and /api/v2/gdpr/subjects.

Written from docs/api-contract.md "Platform auth", "Platform errors, permissions and
throttling" and "Privacy: GDPR requests" and VENDOR_APIS.md §1 and §4 only, never from the
project's client or emulator, so a client that works only against the emulator's reading of the
contract fails here. The OAuth endpoint, rate-limit headers, `add_fault` (http_429 / http_5xx)
and `expire_tokens` come from `genesys_platform_server.PlatformServer`. Where the text leaves a
choice open, the other readings are `Quirks` switches (genesys_gdpr_quirks.py): `Quirks()` all
on (the default), `Quirks.obvious()` all off, `Quirks.only(...)`.

Starting it (one loopback port; login and API on `running.url`, results on that port too):

    with serve_gdpr(GdprServer(Quirks.obvious())) as running:
        running.url, running.client_id, running.client_secret   # configure the client
        server: GdprServer = running.server                      # the admin surface below

Admin surface (Python on `running.server`; the same over HTTP, no auth, under `/admin/gdpr`):

- `server.filed`: the requests filed over HTTP, in order (`FiledRequest`: `id`, `number`,
  `request_type`, `subject` as sent, `replacement_terms`, `delete_confirmed`, `created`,
  `fate`, `dropped`), `server.filed_ids`; `GET /admin/gdpr/requests` →
  `{"count", "requests": [{"id", "requestType", "subject", "status", "deleteConfirmed",
  "dropped"}]}`. Requests the org already had (`foreign_requests`) are not in it.
- `server.error_next(count=1)` / `POST /admin/gdpr/error-next {"count"}`: the next filed
  requests end in ERROR instead of COMPLETED.
- `server.finish_all()` / `POST /admin/gdpr/finish-all`: every request not yet terminal becomes
  COMPLETED (or ERROR). Otherwise a request moves one status a poll of `GET …/{id}`
  (`polls_per_step`, default 1; `step_s` adds moving by time; `auto_advance = False` holds
  every request where it is, as a real one that takes days).
- `server.lack(*permissions)` / `POST /admin/gdpr/permissions {"lacking": [...]}`: the client's
  role lacks those (`gdpr:request:add`, `gdpr:request:view`, `gdpr:subject:view`); `lack()`
  gives every one back. 403 comes before anything else is looked at.
- `server.drop_next(count=1)`: the next POSTs file their request and drop the connection.
- `server.expire_urls()` / `POST /admin/gdpr/expire-urls`: every results URL handed out so far
  answers 403 (a fresh GET of the request has working ones).
- `server.truncate_next_downloads(count=1)`: the next results downloads stop half-way.
- `server.result_files(request_id)`: the files (`name`, `data`, `media_type`, `sha256`) its
  URLs serve now; `server.results.downloads`: every results GET (host, path, status,
  `bearer_sent`); `server.bearer_leaks`: results GETs on the other host that carried a bearer.
- `server.add_foreign(request_type, subject, created, status)`: a request someone else filed.
- Knobs: `create_statuses` (202, 201), `results_files` (2), `records_per_file` (3),
  `pad_bytes` (0: a results file is a few KB), `url_ttl_s`, `max_page_size` (100), `page_cap`
  (10), `retry_after_s` (1), `foreign_count` (30), `people` (the subjects search knows:
  `genesys_gdpr_subjects.PEOPLE`).

Fixed readings where the text is silent: the POST body may hold only `requestType`, `subject`
and `replacementTerms`, the subject only `GDPRSubject` members of the right types, and
GDPR_UPDATE needs at least one replacement term; every refusal of a body is the text's 400
"Invalid data" with `details[0].fieldName` naming the field and `messageParams.reason` why.
`deleteConfirmed` must be `true` or `false`. A poll moves a request only when it is read by id
(the listing shows it without moving it). The listing and GETs by id show every request of the
org, whoever filed it. `createdDate` is the server's clock at filing, in UTC.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from cx_assets_tests.independent.genesys_gdpr_quirks import Quirks
from cx_assets_tests.independent.genesys_gdpr_results import ResultFile, Results
from cx_assets_tests.independent.genesys_gdpr_subjects import (
    BASIC_SEARCH_TYPES,
    PEOPLE,
    REQUEST_TYPES,
    TERM_TYPES,
    InvalidData,
    Person,
    check_subject,
    check_terms,
    echo,
    found_subjects,
    search,
)
from cx_assets_tests.independent.genesys_gdpr_wire import (
    CUT_KEY,
    BadParam,
    CutConnections,
    Paging,
    created_text,
    envelope,
    fail,
)
from cx_assets_tests.independent.genesys_platform_server import (
    PlatformServer,
    RunningServer,
    serve,
)

__all__ = ["FiledRequest", "GdprServer", "Quirks", "RunningServer", "serve_gdpr"]

Json = dict[str, Any]
REQUESTS, SUBJECTS = "/api/v2/gdpr/requests", "/api/v2/gdpr/subjects"
ADD, VIEW, SUBJECT_VIEW = "gdpr:request:add", "gdpr:request:view", "gdpr:subject:view"
ALL_PERMISSIONS = frozenset({ADD, VIEW, SUBJECT_VIEW})
BODY_MEMBERS = ("requestType", "subject", "replacementTerms")
EVERY_STEP = ("INITIATED", "SEARCHING", "UPDATING", "DELETING", "FINALIZING")
STEPS = {
    "GDPR_EXPORT": ("INITIATED", "SEARCHING"),
    "GDPR_UPDATE": ("INITIATED", "SEARCHING", "UPDATING"),
    "GDPR_DELETE": ("INITIATED", "SEARCHING", "DELETING"),
}
TERMINAL = ("COMPLETED", "ERROR")
SOMEONE_ELSE, SEEDED = "someone-else-in-the-org", "seeded-by-the-org"


@dataclass
class FiledRequest:
    """One GDPR request the org holds; `number` is the filing order (0: filed by someone else)."""

    id: str
    number: int
    request_type: str
    subject: Json
    replacement_terms: list[Json] | None
    delete_confirmed: bool
    created: datetime
    created_by: str
    fate: str = "COMPLETED"
    polls: int = 0
    finished: bool = False
    dropped: bool = False
    fixed_status: str | None = None

    @property
    def foreign(self) -> bool:
        return self.number == 0


class GdprServer(PlatformServer):
    """State and Starlette `app`; tests flip `quirks` and the switches between calls."""

    def __init__(
        self,
        quirks: Quirks | None = None,
        client_id: str = "independent-gdpr-client",
        client_secret: str = "independent-gdpr-secret",
    ) -> None:
        super().__init__(client_id, client_secret)
        self.quirks: Any = quirks or Quirks()
        self.permissions = {client_id: set(ALL_PERMISSIONS)}
        self.people: tuple[Person, ...] = PEOPLE
        self.requests: dict[str, FiledRequest] = {}
        self.create_statuses: tuple[int, ...] = (202, 201)
        self.results_files, self.records_per_file, self.pad_bytes = 2, 3, 0
        self.url_ttl_s, self.max_page_size, self.page_cap = 900, 100, 10
        self.retry_after_s, self.foreign_count = 1, 30
        self.polls_per_step, self.auto_advance = 1, True
        self.step_s: float | None = None
        self.api_hostname, self.other_hostname = "127.0.0.1", "localhost"
        self.posts = 0
        self.bearer_leaks: list[str] = []
        self.started = datetime.now(UTC)
        self.results = Results(self)
        self._throttled = self._dropped_once = self._seeded = False
        self._error_next = self._drop_next = 0
        api, one = self._api, frozenset
        routes = [
            Route("/oauth/token", self._token, methods=["POST"]),
            Route(REQUESTS, api(self._create, one({ADD})), methods=["POST"]),
            Route(REQUESTS, api(self._list, one({VIEW})), methods=["GET"]),
            Route(REQUESTS + "/{request_id}", api(self._get, one({VIEW}))),
            Route(
                REQUESTS + "/{request_id}/results/{name}",
                api(self.results.with_bearer, one({VIEW})),
            ),
            Route(SUBJECTS, api(self._subjects, one({SUBJECT_VIEW}))),
            Route("/files/gdpr/{request_id}/{name}", self.results.presigned_api_host),
            Route("/s3/gdpr-results/{request_id}/{name}", self._other_host_download),
            Route("/admin/gdpr/requests", self._admin_requests),
            Route("/admin/gdpr/finish-all", self._admin_finish_all, methods=["POST"]),
            Route("/admin/gdpr/error-next", self._admin_error_next, methods=["POST"]),
            Route("/admin/gdpr/permissions", self._admin_permissions, methods=["POST"]),
            Route("/admin/gdpr/expire-urls", self._admin_expire_urls, methods=["POST"]),
        ]
        self.app: Any = CutConnections(Starlette(routes=routes))

    # ---- admin surface -----------------------------------------------------------------------
    @property
    def filed(self) -> list[FiledRequest]:
        return [r for r in self.requests.values() if not r.foreign]

    @property
    def filed_ids(self) -> list[str]:
        return [r.id for r in self.filed]

    def error_next(self, count: int = 1) -> None:
        self._error_next += count

    def drop_next(self, count: int = 1) -> None:
        self._drop_next += count

    def finish_all(self) -> None:
        for req in self.requests.values():
            if req.fixed_status is None:
                req.finished = True

    def lack(self, *permissions: str) -> None:
        if unknown := sorted(set(permissions) - ALL_PERMISSIONS):
            raise ValueError(f"unknown permission(s): {', '.join(unknown)}")
        self.permissions[self.client_id] = set(ALL_PERMISSIONS - set(permissions))

    def expire_urls(self) -> None:
        self.results.expire_urls()

    def truncate_next_downloads(self, count: int = 1) -> None:
        self.results.truncate_next += count

    def result_files(self, request_id: str) -> list[ResultFile]:
        return self.results.files(self.requests[request_id])

    def add_foreign(
        self, request_type: str, subject: Json, created: datetime, status: str = "COMPLETED"
    ) -> FiledRequest:
        """A request someone else in the org filed (shown whatever `foreign_requests` says)."""
        req = FiledRequest(
            str(uuid.uuid4()), 0, request_type, subject, None, False, created, SOMEONE_ELSE
        )
        req.fate = status if status in TERMINAL else "COMPLETED"
        req.fixed_status = status
        self.requests[req.id] = req
        return req

    # ---- status ------------------------------------------------------------------------------
    def path_of(self, req: FiledRequest) -> tuple[str, ...]:
        steps = EVERY_STEP if self.quirks.all_statuses else STEPS[req.request_type]
        return (*steps, req.fate)

    def status_of(self, req: FiledRequest) -> str:
        if req.fixed_status is not None:
            return req.fixed_status
        path = self.path_of(req)
        if not req.finished:
            step = req.polls // max(1, self.polls_per_step)
            if self.step_s:
                elapsed = (datetime.now(UTC) - req.created).total_seconds()
                step = max(step, int(elapsed // self.step_s))
            req.finished = step >= len(path) - 1
        return path[-1] if req.finished else path[step]

    def _visible(self) -> list[FiledRequest]:
        if self.quirks.foreign_requests and not self._seeded:
            self._seed_foreign()
        return [r for r in self.requests.values() if self._shown(r)]

    def _shown(self, req: FiledRequest) -> bool:
        """Seeded requests only under `foreign_requests`; every other one always."""
        return req.created_by != SEEDED or self.quirks.foreign_requests

    def _seed_foreign(self) -> None:
        """Older requests of the org: same type and subject as a client's own, and others."""
        self._seeded = True
        statuses = ("COMPLETED", "COMPLETED", "ERROR", "SEARCHING", "COMPLETED")
        for i in range(self.foreign_count):
            person = self.people[i % len(self.people)].subject
            kind = REQUEST_TYPES[0] if i % 3 else REQUEST_TYPES[(i // 3) % 3]
            subject = (
                {"phoneNumbers": [person["phoneNumbers"][0]]}
                if (i // len(self.people)) % 2
                else {"emailAddresses": [person["emailAddresses"][0]]}
            )
            created = self.started - timedelta(days=30 - i, minutes=7 * i)
            req = self.add_foreign(kind, subject, created, statuses[i % len(statuses)])
            req.created_by = SEEDED

    def _find(self, request: Request) -> FiledRequest | None:
        self._visible()
        req = self.requests.get(request.path_params["request_id"])
        return req if req is not None and self._shown(req) else None

    # ---- JSON --------------------------------------------------------------------------------
    def request_json(self, request: Request, req: FiledRequest) -> Json:
        quirks, status = self.quirks, self.status_of(req)
        bare = status == "ERROR" and quirks.error_bare
        extra = quirks.extra_fields and not bare
        body: Json = {"id": req.id}
        if extra:
            body["name"] = f"{req.request_type.lower()}-{req.id[:8]}"
        body |= {"requestType": req.request_type, "status": status}
        body["createdDate"] = created_text(req.created, quirks)
        if not quirks.no_created_by:
            user = str(uuid.uuid5(uuid.NAMESPACE_OID, req.created_by))
            body["createdBy"] = {"id": user, "selfUri": f"/api/v2/users/{user}"}
            if extra:
                body["createdBy"]["name"] = "OAuth client"
        body["subject"] = echo(req.subject, quirks, extra)
        if req.replacement_terms:
            body["replacementTerms"] = [dict(t) for t in req.replacement_terms]
        if status == "COMPLETED" and req.request_type == "GDPR_EXPORT":
            body |= self.results.url_members(request, req)
        if status == "ERROR" and not quirks.error_bare:
            body["errorMessage"] = "The request could not be completed"
        body["selfUri"] = f"{REQUESTS}/{req.id}"
        if extra:
            body["xIndependentRequest"] = {"number": req.number, "polls": req.polls}
        return body

    def _bad(self, exc: InvalidData) -> JSONResponse:
        reason = str(exc).partition(": ")[2]
        extra = self.quirks.extra_fields
        return fail(400, "bad.request", "Invalid data", exc.field, reason, extra)

    def _bad_param(self, exc: BadParam) -> JSONResponse:
        return fail(400, "bad.request", str(exc), exc.name, extra=self.quirks.extra_fields)

    # ---- requests ----------------------------------------------------------------------------
    async def _create(self, request: Request) -> Response:
        self.posts += 1
        if self.quirks.throttle_once and not self._throttled:
            self._throttled = True
            wait = self.retry_after_s
            message = f"Rate limit exceeded the maximum. Retry the request in [{wait}] seconds"
            response = fail(429, "too.many.requests.retry.after", message)
            response.headers["Retry-After"] = str(wait)
            return response
        try:
            req = self._new_request(request, await _json_body(request))
        except InvalidData as exc:
            return self._bad(exc)
        except BadParam as exc:
            return self._bad_param(exc)
        self.requests[req.id] = req
        if self._drop_next or (self.quirks.drop_after_create and not self._dropped_once):
            if self._drop_next:
                self._drop_next -= 1
            else:
                self._dropped_once = True
            req.dropped = True
            request.scope[CUT_KEY].mode = "before_answer"
            return Response(status_code=200)
        statuses = self.create_statuses if self.quirks.create_2xx else (200,)
        status = statuses[(req.number - 1) % len(statuses)]
        return JSONResponse(self.request_json(request, req), status_code=status)

    def _new_request(self, request: Request, body: Any) -> FiledRequest:
        raw = request.query_params.get("deleteConfirmed", "false")
        if raw not in ("true", "false"):
            raise BadParam("deleteConfirmed", f"deleteConfirmed must be true or false: {raw!r}")
        if not isinstance(body, dict):
            raise InvalidData("body", "must be a GDPRRequest object")
        if unknown := sorted(set(body) - set(BODY_MEMBERS)):
            raise InvalidData(unknown[0], "is not accepted in a new GDPRRequest")
        kind = body.get("requestType")
        if kind not in REQUEST_TYPES:
            raise InvalidData("requestType", f"must be one of {', '.join(REQUEST_TYPES)}")
        subject = check_subject(body.get("subject"))
        terms = check_terms(body.get("replacementTerms"), kind)
        confirmed = raw == "true"
        if kind == "GDPR_DELETE" and not confirmed and self.quirks.delete_needs_confirmation:
            raise InvalidData("deleteConfirmed", "GDPR_DELETE needs deleteConfirmed=true")
        number = len(self.filed) + 1
        fate = "COMPLETED"
        if self._error_next:
            self._error_next -= 1
            fate = "ERROR"
        client = self._tokens.get(request.headers.get("authorization", "").partition(" ")[2])
        return FiledRequest(
            str(uuid.uuid4()),
            number,
            kind,
            subject,
            terms,
            confirmed,
            datetime.now(UTC),
            client[0] if client else "",
            fate,
        )

    async def _get(self, request: Request) -> Response:
        if (req := self._find(request)) is None:
            return fail(404, "not.found", "GDPR request not found")
        if self.auto_advance and req.fixed_status is None:
            req.polls += 1
        return JSONResponse(self.request_json(request, req))

    async def _list(self, request: Request) -> Response:
        found = sorted(self._visible(), key=lambda r: r.created)
        if not self.quirks.list_oldest_first:
            found.reverse()
        try:
            page = envelope(request, found, self._paging())
        except BadParam as exc:
            return self._bad_param(exc)
        page["entities"] = [self.request_json(request, r) for r in page["entities"]]
        return JSONResponse(page)

    def _paging(self) -> Paging:
        cap = self.page_cap if self.quirks.page_size_capped else None
        return Paging(self.max_page_size, cap, self.quirks)

    # ---- subjects ----------------------------------------------------------------------------
    async def _subjects(self, request: Request) -> Response:
        params = request.query_params
        kind, value = params.get("searchType"), params.get("searchValue", "")
        allowed = BASIC_SEARCH_TYPES if self.quirks.basic_search_types_only else TERM_TYPES
        if kind not in allowed:
            message = f"searchType must be one of {', '.join(allowed)}, got {kind!r}"
            return self._bad_param(BadParam("searchType", message))
        if not value.strip():
            return self._bad_param(BadParam("searchValue", "searchValue must not be empty"))
        people = [p for p in search(kind, value) if p in self.people]
        try:
            page = envelope(request, found_subjects(people, self.quirks), self._paging())
        except BadParam as exc:
            return self._bad_param(exc)
        return JSONResponse(page)

    # ---- results on the other host -----------------------------------------------------------
    async def _other_host_download(self, request: Request) -> Response:
        response = await self.results.presigned_other_host(request)
        if "authorization" in request.headers:
            self.bearer_leaks.append(request.url.path)
        return response

    # ---- admin over HTTP ---------------------------------------------------------------------
    async def _admin_requests(self, request: Request) -> Response:
        rows = [
            {"id": r.id, "requestType": r.request_type, "subject": r.subject}
            | {"status": self.status_of(r), "deleteConfirmed": r.delete_confirmed}
            | {"dropped": r.dropped}
            for r in self.filed
        ]
        return JSONResponse({"count": len(rows), "requests": rows})

    async def _admin_finish_all(self, request: Request) -> Response:
        self.finish_all()
        return JSONResponse({"finished": len(self.requests)})

    async def _admin_error_next(self, request: Request) -> Response:
        body = await _json_body(request)
        count = body.get("count", 1) if isinstance(body, dict) else 1
        self.error_next(int(count))
        return JSONResponse({"error_next": self._error_next})

    async def _admin_permissions(self, request: Request) -> Response:
        body = await _json_body(request)
        lacking = body.get("lacking", []) if isinstance(body, dict) else []
        try:
            self.lack(*lacking)
        except ValueError as exc:
            return fail(400, "bad.request", str(exc), "lacking")
        return JSONResponse({"permissions": sorted(self.permissions[self.client_id])})

    async def _admin_expire_urls(self, request: Request) -> Response:
        self.expire_urls()
        return JSONResponse({"generation": self.results.generation})


async def _json_body(request: Request) -> Any:
    raw = await request.body()
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        raise InvalidData("body", "is not JSON") from None


@contextlib.contextmanager
def serve_gdpr(server: GdprServer | None = None) -> Iterator[RunningServer]:
    """The server on a free loopback port (the shared `serve`); `.server` is the state."""
    with serve(server or GdprServer()) as running:
        yield running
