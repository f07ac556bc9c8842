"""An independent Genesys Cloud platform-mode server: OAuth + conversation details jobs.

Written from docs/api-contract.md "# Platform mode" and VENDOR_APIS.md §1-2 only, never from
the project's client or emulator, so a client that works only against the emulator's reading
of the contract fails here. Where the contract leaves a choice open this server takes the other
reasonable reading; each is a `Quirks` switch, all on by default (`Quirks.obvious()` = all off):

- create_200: job create answers 200 (not 202) with only `{"jobId"}`.
- status_state_only: status is only `{"state"}` (no dates) until FULFILLED.
- cursor_null: the last page has `"cursor": null` instead of no `cursor` key.
- trailing_empty_page: after the last conversation comes one more page without a
  `conversations` key at all (off: the last page holding data has no cursor).
- empty_page_midway: the second page is `{"conversations": [], "cursor": ...}`.
- short_pages: a page holds at most 3 conversations whatever `pageSize` asks.
- opaque_cursor: cursors are ~90-character opaque strings with `+`, `/` and `=` (off: `page-N`).
- availability_offset: `dataAvailabilityDate` as `2024-01-01T06:00:00+00:00` (off: `.000Z`).
- availability_first_page_only: results carry `dataAvailabilityDate` on page 1 only.
- mixed_precision: odd conversations' timestamps have no fraction, even ones 3 digits.
- expired_410: results of an EXPIRED job answer 410 (off: 404), on every page.
- bare_403: the 403 body is only `{"message"}` (off: full ErrorBody, code missing.any.permissions).
- token_extras: the token response has extra fields (`organization` object, `issued_at`).
- cancel_202: cancel answers 202 (off: 204), empty body either way.

Fixed readings: wrong credentials answer 401 `{"error", "description"}`; `Retry-After` is small
integer seconds, the same N as in the 429 body; `scope` or any form field besides `grant_type`
is a 400; unknown query fields are a 400 naming them; an interval spanning more than 366 days is
a 400; jobs advance only when polled (`polls_until_fulfilled` status calls, then FULFILLED);
without `startOfDayIntervalMatching` an ongoing conversation overlaps the day it started and the
next one only (the server looks one day back); cursors stay valid, so a page can be re-fetched.
"""

from __future__ import annotations

import base64
import contextlib
import math
import random
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from cx_assets_tests.independent.loopback import serve_app

JOBS = "/api/v2/analytics/conversations/details/jobs"
VIEW = "analytics:conversationDetail:view"
AGENT_VIEW = "analytics:agentConversationDetail:view"
MAX_PAGE_SIZE, SHORT_PAGE, DEFAULT_PAGE_SIZE = 1000, 3, 100
ORDERS = {"asc", "desc", "unordered"}
ORDER_BYS = {"conversationStart", "conversationEnd", "segmentStart", "segmentEnd"}
FILTERS = {"conversationFilters", "segmentFilters", "evaluationFilters", "surveyFilters"}
FILTERS |= {"resolutionFilters"}
QUERY_KEYS = {"interval", "order", "orderBy", "limit", "startOfDayIntervalMatching"} | FILTERS
Json = dict[str, Any]
Handler = Callable[[Request], Awaitable[Response]]


@dataclass
class Quirks:
    """The "other reading" switches; see the module docstring."""

    create_200: bool = True
    status_state_only: bool = True
    cursor_null: bool = True
    trailing_empty_page: bool = True
    empty_page_midway: bool = True
    short_pages: bool = True
    opaque_cursor: bool = True
    availability_offset: bool = True
    availability_first_page_only: bool = True
    mixed_precision: bool = True
    expired_410: bool = True
    bare_403: bool = True
    token_extras: bool = True
    cancel_202: bool = True

    @classmethod
    def obvious(cls) -> Quirks:
        return cls(**{f.name: False for f in fields(cls)})


@dataclass
class Fault:
    """An injected answer: `http_429` or `http_5xx`, for `count` matching API calls."""

    kind: str
    count: int = 1
    path_contains: str = ""
    method: str | None = None
    status: int = 503
    retry_after: int = 1


@dataclass
class Job:
    job_id: str
    query: Json
    conversations: list[Json]
    submitted: datetime
    state: str = "QUEUED"
    polls: int = 0
    error: str | None = None
    expire_after: int | None = None
    completed: datetime | None = None
    pages_served: int = 0
    served_ids: list[str] = field(default_factory=list)


@dataclass
class Served:
    method: str
    path: str
    query: str
    status: int
    client_id: str | None


def iso(ts: datetime, fraction: bool = True) -> str:
    text = ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{text}.{ts.microsecond // 1000:03d}Z" if fraction else f"{text}Z"


def error(status: int, code: str, message: str) -> JSONResponse:
    body = {"message": message, "code": code, "status": status, "contextId": str(uuid.uuid4())}
    return JSONResponse({**body, "details": [], "errors": []}, status_code=status)


def day_conversations(day: date, count: int, seed: int, mixed: bool) -> list[Json]:
    """The day's conversations: the last is ongoing, the one before crosses midnight."""
    rng = random.Random(f"{seed}:{day.isoformat()}")
    midnight, out = datetime(day.year, day.month, day.day, tzinfo=UTC), []
    for i in range(count):
        whole = mixed and i % 2 == 1  # no fraction at all in this conversation's timestamps
        ms = timedelta(milliseconds=0 if whole else rng.randrange(1000))
        start = midnight + timedelta(minutes=20, seconds=i * 75_000 // count + rng.randrange(300))
        length = timedelta(seconds=rng.randrange(60, 1800), milliseconds=0 if whole else 345)
        if i == count - 2:
            start, length = midnight + timedelta(hours=23, minutes=50), length + timedelta(hours=1)
        if i == count - 1:
            start = midnight + timedelta(hours=22, seconds=rng.randrange(600))
        end = None if i == count - 1 else start + ms + length
        out.append(_conversation(rng, start + ms, end, not whole))
    return sorted(out, key=lambda c: c["conversationStart"])


def _conversation(rng: random.Random, start: datetime, end: datetime | None, frac: bool) -> Json:
    """One nested record, with an unknown field at every level and `tTalk` twice on a session."""

    def uid() -> str:
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))

    def seg(kind: str, begin: datetime, finish: datetime | None, **extra: str) -> Json:
        body = {"segmentStart": iso(begin, frac), "segmentType": kind, "xIndependentSeg": [1]}
        return body | ({"segmentEnd": iso(finish, frac)} if finish else {}) | extra

    def metric(name: str, value: int) -> Json:
        return {"name": name, "value": value, "emitDate": iso(end or start, frac), "xMetric": 0}

    def party(purpose: str, segs: list[Json], metrics: list[Json], **extra: Any) -> Json:
        session = {"sessionId": uid(), "mediaType": "voice", "direction": "inbound"}
        session |= {"ani": "tel:+3531000000", "dnis": "tel:+3532000000", "provider": "Edge"}
        session |= {"segments": segs, "xIndependentSession": {"a": {"b": 1}}}
        session |= {"metrics": metrics} if metrics else {}
        body = {"participantId": uid(), "participantName": purpose.title(), "purpose": purpose}
        return body | {"sessions": [session], "xIndependentParticipant": True} | extra

    answered = start + timedelta(seconds=5)
    wrap = end - timedelta(seconds=30) if end else None
    agent_segs = [seg("alert", start, answered), seg("interact", answered, wrap)]
    agent_metrics = [metric("tAlert", 5000), metric("nConnected", 1)]
    if end and wrap:
        talk = int((wrap - answered).total_seconds() * 1000)
        agent_segs += [seg("wrapup", wrap, end, wrapUpCode=uid(), wrapUpNote="ok")]
        agent_segs[1]["disconnectType"] = "peer"
        agent_metrics += [metric("tTalk", talk // 2), metric("tTalk", talk - talk // 2)]
        agent_metrics += [metric("tHandle", talk + 30_000), metric("tFutureMetric", 7)]
    hangup = {"disconnectType": "client"} if end else {}
    customer = party("customer", [seg("interact", start, end, **hangup)], [], attributes={"k": "v"})
    queue = [seg("interact", start, answered, queueId=uid())]
    acd = party("acd", queue, [metric("tAcd", 5000)])
    agent = party("agent", agent_segs, agent_metrics, userId=uid(), teamId=uid())
    conv: Json = {"conversationId": uid(), "conversationStart": iso(start, frac)}
    conv |= {"conversationEnd": iso(end, frac)} if end else {}
    conv |= {"originatingDirection": "inbound", "divisionIds": [uid()], "externalTag": "ext"}
    conv |= {"mediaStatsMinConversationMos": 4.41, "xIndependentConversation": {"k": [1, 2]}}
    return conv | {"participants": [customer, acd, agent]}


class PlatformServer:
    """State and Starlette `app` of one server; tests flip its attributes between calls."""

    def __init__(
        self, client_id: str = "independent-client", client_secret: str = "independent-secret"
    ) -> None:
        self.client_id, self.client_secret = client_id, client_secret
        self.quirks = Quirks()
        self.permissions: dict[str, set[str]] = {client_id: {VIEW, AGENT_VIEW}}
        self.secrets: dict[str, str] = {client_id: client_secret}
        self.conversations_per_day, self.seed = 8, 7
        self.budget, self.window_s, self.token_lifetime_s = 300, 60.0, 3600
        self.polls_until_fulfilled = 1
        self.availability_lag = timedelta(hours=6)
        self.availability_date: datetime | None = None
        self.faults: list[Fault] = []
        self.jobs: dict[str, Job] = {}
        self.served: list[Served] = []
        self.token_requests: list[dict[str, list[str]]] = []
        self._fail_next: list[str] = []
        self._expire_next: list[int] = []
        self._tokens: dict[str, tuple[str, float]] = {}
        self._windows: dict[str, tuple[float, int]] = {}
        self._cursors: dict[str, tuple[str, int, int]] = {}
        api, both = self._api, frozenset({VIEW, AGENT_VIEW})
        self.app = Starlette(
            routes=[
                Route("/oauth/token", self._token, methods=["POST"]),
                Route(JOBS, api(self._create, both), methods=["POST"]),
                Route(f"{JOBS}/availability", api(self._availability, frozenset({VIEW}))),
                Route(JOBS + "/{job_id}", api(self._status, both), methods=["GET"]),
                Route(JOBS + "/{job_id}", api(self._cancel, both), methods=["DELETE"]),
                Route(JOBS + "/{job_id}/results", api(self._results, both)),
            ]
        )

    # ---- handles for tests ------------------------------------------------------------------
    def add_client(self, client_id: str, secret: str, permissions: set[str]) -> None:
        self.secrets[client_id], self.permissions[client_id] = secret, set(permissions)

    def add_fault(self, kind: str, **options: Any) -> Fault:
        if kind not in ("http_429", "http_5xx"):
            raise ValueError(f"unknown fault kind {kind!r}: http_429 or http_5xx")
        fault = Fault(kind, **options)
        self.faults.append(fault)
        return fault

    def fail_next_jobs(self, count: int = 1, message: str = "Query timed out") -> None:
        self._fail_next += [message] * count

    def expire_next_jobs(self, count: int = 1, after_pages: int = 1) -> None:
        self._expire_next += [after_pages] * count

    def expire_tokens(self) -> None:
        self._tokens = {token: (client, 0.0) for token, (client, _) in self._tokens.items()}

    def conversations(self, day: date) -> list[Json]:
        return day_conversations(
            day, self.conversations_per_day, self.seed, self.quirks.mixed_precision
        )

    def availability(self) -> datetime:
        return self.availability_date or datetime.now(UTC) - self.availability_lag

    # ---- auth, throttling, faults -------------------------------------------------------------
    async def _token(self, request: Request) -> Response:
        form = parse_qs((await request.body()).decode(), keep_blank_values=True)
        self.token_requests.append({k: v for k, v in form.items() if k != "client_secret"})
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        try:
            client_id, _, secret = base64.b64decode(value).decode().partition(":")
        except ValueError:
            client_id, secret = "", ""
        body: Json
        if scheme.lower() != "basic" or self.secrets.get(client_id) != secret or not secret:
            body = {"error": "invalid_client", "description": "client authentication failed"}
            response: Response = JSONResponse(body, status_code=401)
        elif form != {"grant_type": ["client_credentials"]}:
            body = {"error": "invalid_request", "description": f"unexpected form: {sorted(form)}"}
            response = JSONResponse(body, status_code=400)
        else:
            token = secrets.token_urlsafe(24)
            self._tokens[token] = (client_id, time.monotonic() + self.token_lifetime_s)
            body = {
                "access_token": token,
                "token_type": "bearer",
                "expires_in": self.token_lifetime_s,
            }
            if self.quirks.token_extras:
                body |= {"organization": {"id": str(uuid.uuid4())}, "issued_at": int(time.time())}
            response = JSONResponse(body)
        self.served.append(Served("POST", request.url.path, "", response.status_code, None))
        return response

    def _api(self, handler: Handler, needs: frozenset[str]) -> Handler:
        async def endpoint(request: Request) -> Response:
            client_id, headers, response = self._guard(request, needs)
            if response is None:
                response = await handler(request)
            response.headers.update(headers)
            path, query = request.url.path, request.url.query
            self.served.append(Served(request.method, path, query, response.status_code, client_id))
            return response

        return endpoint

    def _guard(
        self, request: Request, needs: frozenset[str]
    ) -> tuple[str | None, dict[str, str], Response | None]:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        client_id, expires = self._tokens.get(token, ("", 0.0))
        now = time.monotonic()
        if scheme.lower() != "bearer" or expires < now:
            return None, {}, error(401, "bad.credentials", "Invalid login credentials.")
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
            return client_id, headers, error(429, "too.many.requests.retry.after", message)
        if fault:
            return client_id, headers, error(fault.status, "service.unavailable", "Try again")
        if not needs & self.permissions.get(client_id, set()):
            missing = ", ".join(sorted(needs))
            text = "Unable to perform the requested action. You are missing the following "
            text += f"permission(s): [{missing}]"
            if self.quirks.bare_403:
                return client_id, headers, JSONResponse({"message": text}, status_code=403)
            return client_id, headers, error(403, "missing.any.permissions", text)
        return client_id, headers, None

    def _take_fault(self, request: Request) -> Fault | None:
        for fault in self.faults:
            method_ok = fault.method is None or fault.method.upper() == request.method
            if fault.count > 0 and method_ok and fault.path_contains in request.url.path:
                fault.count -= 1
                return fault
        return None

    # ---- details jobs --------------------------------------------------------------------------
    async def _create(self, request: Request) -> Response:
        try:
            query = await request.json()
            start, end = _check_query(query)
        except ValueError as exc:
            return error(400, "bad.request", str(exc))
        job = Job(str(uuid.uuid4()), query, self._select(query, start, end), datetime.now(UTC))
        job.error = self._fail_next.pop(0) if self._fail_next else None
        job.expire_after = self._expire_next.pop(0) if self._expire_next else None
        self.jobs[job.job_id] = job
        self._advance(job, polled=False)
        return JSONResponse(
            {"jobId": job.job_id}, status_code=200 if self.quirks.create_200 else 202
        )

    def _select(self, query: Json, start: datetime, end: datetime) -> list[Json]:
        day = (start - timedelta(days=1)).astimezone(UTC).date()
        last, found = end.astimezone(UTC).date(), []
        while day <= last:
            for conv in self.conversations(day):
                began = datetime.fromisoformat(conv["conversationStart"])
                ended = conv.get("conversationEnd")
                if query.get("startOfDayIntervalMatching"):
                    keep = start <= began < end
                else:
                    keep = began < end and (ended is None or datetime.fromisoformat(ended) > start)
                found += [conv] if keep else []
            day += timedelta(days=1)
        if query.get("orderBy") == "conversationEnd":
            found.sort(key=lambda c: c.get("conversationEnd") or "9999")
        if query.get("order") == "desc":
            found.reverse()
        return found[: query.get("limit") or len(found)]

    def _advance(self, job: Job, polled: bool = True) -> None:
        if job.state not in ("QUEUED", "PENDING"):
            return
        job.polls += int(polled)
        if job.polls >= self.polls_until_fulfilled:
            job.state, job.completed = ("FAILED" if job.error else "FULFILLED"), datetime.now(UTC)
        else:
            job.state = "QUEUED" if job.polls <= 1 else "PENDING"

    def _job(self, request: Request) -> Job | None:
        return self.jobs.get(request.path_params["job_id"])

    async def _status(self, request: Request) -> Response:
        if (job := self._job(request)) is None:
            return error(404, "not.found", "job not found")
        self._advance(job)
        body: Json = {"state": job.state}
        if job.state == "FAILED":
            body["errorMessage"] = job.error
        if job.state == "FULFILLED" or not self.quirks.status_state_only:
            body["submissionDate"] = iso(job.submitted)
            if job.completed:
                body |= {
                    "completionDate": iso(job.completed),
                    "expirationDate": iso(job.completed + timedelta(days=1)),
                }
        return JSONResponse(body)

    async def _cancel(self, request: Request) -> Response:
        if (job := self._job(request)) is None:
            return error(404, "not.found", "job not found")
        job.state = "CANCELLED"
        return Response(status_code=202 if self.quirks.cancel_202 else 204)

    async def _availability(self, request: Request) -> Response:
        return JSONResponse({"dataAvailabilityDate": self._availability_text()})

    def _availability_text(self) -> str:
        moment = self.availability()
        if self.quirks.availability_offset:
            return moment.astimezone(UTC).replace(microsecond=0).isoformat()
        return iso(moment)

    async def _results(self, request: Request) -> Response:
        if (job := self._job(request)) is None:
            return error(404, "not.found", "job not found")
        if job.state == "EXPIRED":
            status = 410 if self.quirks.expired_410 else 404
            return error(status, "not.found", f"results of job {job.job_id} have expired")
        if job.state != "FULFILLED":
            return error(400, "bad.request", f"job {job.job_id} is {job.state}, not FULFILLED")
        raw_size = request.query_params.get("pageSize", str(DEFAULT_PAGE_SIZE))
        if not raw_size.isdigit() or not 1 <= int(raw_size) <= MAX_PAGE_SIZE:
            return error(400, "bad.request", f"pageSize must be 1..{MAX_PAGE_SIZE}, got {raw_size}")
        cursor = request.query_params.get("cursor")
        owner, offset, page_no = (job.job_id, 0, 1)
        if cursor is not None:
            owner, offset, page_no = self._cursors.get(cursor, ("", 0, 0))
        if owner != job.job_id:
            return error(400, "bad.request", "cursor is not a cursor of this job")
        return JSONResponse(self._page(job, offset, page_no, int(raw_size)))

    def _page(self, job: Job, offset: int, page_no: int, size: int) -> Json:
        quirks, total = self.quirks, len(job.conversations)
        take = min(size, SHORT_PAGE) if quirks.short_pages else size
        batch: list[Json] | None
        if offset >= total:
            batch = None if quirks.trailing_empty_page else []
        elif quirks.empty_page_midway and page_no == 2:
            batch = []
        else:
            batch = job.conversations[offset : offset + take]
        after = offset + len(batch or [])
        body: Json = {} if batch is None else {"conversations": batch}
        if after < total or (quirks.trailing_empty_page and offset < total):
            body["cursor"] = self._new_cursor(job.job_id, after, page_no + 1)
        elif quirks.cursor_null:
            body["cursor"] = None
        if page_no == 1 or not quirks.availability_first_page_only:
            body["dataAvailabilityDate"] = self._availability_text()
        body["xIndependentPage"] = {"page": page_no}
        job.pages_served += 1
        job.served_ids += [conv["conversationId"] for conv in batch or []]
        if job.expire_after is not None and job.pages_served >= job.expire_after:
            job.state = "EXPIRED"
        return body

    def _new_cursor(self, job_id: str, offset: int, page_no: int) -> str:
        if self.quirks.opaque_cursor:
            cursor = f"A+{base64.b64encode(secrets.token_bytes(64)).decode()}/=="
        else:
            cursor = f"page-{len(self._cursors) + 1}"
        self._cursors[cursor] = (job_id, offset, page_no)
        return cursor


def _check_query(query: Any) -> tuple[datetime, datetime]:
    """The interval of a valid `AsyncConversationQuery`; ValueError naming the bad field."""
    if not isinstance(query, dict):
        raise ValueError("body must be a JSON object AsyncConversationQuery")
    if unknown := sorted(set(query) - QUERY_KEYS):
        raise ValueError(f"unknown field(s) in query: {', '.join(unknown)}")
    interval = query.get("interval")
    if not isinstance(interval, str) or interval.count("/") != 1:
        raise ValueError("interval is required as 'start/end' (ISO-8601)")
    try:
        start, end = (datetime.fromisoformat(part) for part in interval.split("/"))
    except ValueError:
        raise ValueError(f"interval {interval!r} is not ISO-8601 start/end") from None
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("interval start and end need a UTC offset")
    if not start < end <= start + timedelta(days=366):
        raise ValueError("interval start must be before end, at most 366 days apart")
    if query.get("order", "asc") not in ORDERS:
        raise ValueError(f"order must be one of {sorted(ORDERS)}")
    if query.get("orderBy", "conversationStart") not in ORDER_BYS:
        raise ValueError(f"orderBy must be one of {sorted(ORDER_BYS)}")
    limit = query.get("limit", 1)
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
        raise ValueError("limit must be a positive integer")
    if not isinstance(query.get("startOfDayIntervalMatching", False), bool):
        raise ValueError("startOfDayIntervalMatching must be a boolean")
    if bad := sorted(k for k in FILTERS if not isinstance(query.get(k, []), list)):
        raise ValueError(f"{', '.join(bad)} must be a list")
    return start, end


@dataclass
class RunningServer:
    """What a test gets: where the server listens, its credentials, and its handles."""

    url: str
    client_id: str
    client_secret: str
    server: PlatformServer

    @property
    def quirks(self) -> Quirks:
        return self.server.quirks


@contextlib.contextmanager
def serve(server: PlatformServer | None = None) -> Iterator[RunningServer]:
    """Run `server` under uvicorn on a free loopback port in a background thread."""
    server = server or PlatformServer()
    with serve_app(server.app, "the independent Genesys server") as url:
        yield RunningServer(url, server.client_id, server.client_secret, server)
