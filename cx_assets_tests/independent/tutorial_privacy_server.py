"""An independent tutorial-mode privacy (GDPR/CCPA) export server: `POST` and `GET
/api/v2/data/privacy/requests[/{requestId}]`, the presigned export downloads a completed request
points to, and signed completion callbacks.

Written from docs/api-contract.md (l. 1-62: "Errors", "Rate limits", "OAuth: `POST
/oauth/token`"; "## Privacy (GDPR/CCPA) export requests" with "Completion callback"; and the
"Presigned file URLs" paragraph l. 139-144 that the privacy section points to) and
../shared/tutorials/002_1e4627f1bbebdb2a.txt only, never from the project's client or emulator,
so a client that works only against the emulator's reading fails here. Where the text leaves a
choice open, the other readings are `Quirks` switches (tutorial_privacy_quirks.py): `Quirks()`
all on (default), `Quirks.obvious()` all off, `Quirks.only(...)`. Modules: `_rules` (POST body
rules), `_export` (export bytes, presigned URLs), `_callbacks` (signed deliveries), `_wire`
(timestamps, cut connections); token, scopes, rate limits and 429/5xx faults are
tutorial_data_actions_auth.Auth's.

    with serve_privacy(PrivacyServer(Quirks.obvious())) as running:
        running.url, running.client_id, running.client_secret   # login and API on one URL
        server: PrivacyServer = running.server                   # the admin surface below

Admin surface (Python, on `running.server`; `GET /admin/stats` without auth gives
`{"privacy_requests": [ids filed, in order], "privacy_callbacks": {"attempted", "delivered"}}`):

- Progress: a request is terminal on its `polls_to_finish`-th GET (default 3: QUEUED, PROCESSING,
  then COMPLETED); `step_s` (default None) also moves it one poll's worth per `step_s` seconds
  without any GET, so callbacks come without polling; `auto_advance = False` holds every request
  where it is. `plan_next(polls=N, fail=None)`: the next filed request takes N polls (and ends
  FAILED with `fail` as its `failureReason`). `finish(request_id=None, fail=None)`: terminal now
  (every pending request when no id).
- `add_fault(kind, count=1, **options)`: `http_429` / `http_5xx` (options `path_contains` or
  `path_prefix`, `method`, `status`, `retry_after`, `after`; from Auth), `export_failed`
  (`reason=`: the next filed requests end FAILED), `drop_callback` (the next callbacks are never
  sent), `drop_connection` (`path_contains`, `method`, `after`; API calls and downloads: the
  call is handled, a POST files its request, then the connection closes without an answer),
  `truncate_download` (the body stops half-way after the full `Content-Length`),
  `corrupt_download` (same size, other bytes),
  `revoke_tokens` (`after=N`: after N more API calls every token is revoked, 401 mid-tracking).
  Returns the switch; its `fired` counts uses.
- `expire_tokens()`, `lack(*scopes)` (`lack()` restores all), `expire_urls()` (every URL handed
  out so far answers 403; a fresh GET presigns anew), `url_ttl_s` (default 300), `auth.budget`,
  `auth.window_s`.
- Callbacks: `webhook_secret` (default `independent-privacy-webhook-secret`, on purpose not the
  emulator's), `callback_target` (None: each request's `callbackUrl`; else every callback goes
  there), `callbacks_enabled`, `callback_backoff_s` (0.5); `callback_attempts` (every attempt,
  `Attempt`), `callbacks.dropped`, `callbacks.outbox` (pending; sent again by the next
  `serve_privacy(server)`).
- Inspection: `filed` (`Filed`, in order), `filed_ids`, `posts` (`PostRecord`: `request_id`,
  `status`, `body`), `downloads` (`DownloadRecord`: `path`, `status`, `bearer_sent`),
  `export_bytes(request_id)`, `request(request_id)`.

Fixed readings where the text is silent (beside those the contract fixes itself, l. 473-477,
which are kept): the body rules in tutorial_privacy_rules.py; a 400 is checked before a 409; a
repeated POST does not count as a poll and shows the request as it is now; an unknown or
malformed id is 404; a poll is a GET by id; the POST and 200 answers show `downloadUrl` by the
same rule as a GET; every GET of a COMPLETED request presigns a fresh URL (`expiresAt` is its
expiry); a FAILED request has no `checksum`/`size`; the callback's `downloadUrl` on COMPLETED is a
presigned URL whatever the scopes of the token that filed it; 403 checks come after 401, 429 and
injected 5xx (Auth's order).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from cx_assets_tests.independent import tutorial_privacy_export as export
from cx_assets_tests.independent.loopback import serve_app
from cx_assets_tests.independent.tutorial_data_actions_auth import Auth, Fault
from cx_assets_tests.independent.tutorial_privacy_callbacks import (
    DEFAULT_SECRET,
    Attempt,
    Callbacks,
)
from cx_assets_tests.independent.tutorial_privacy_quirks import Quirks
from cx_assets_tests.independent.tutorial_privacy_rules import Asked, BadRequest, validate
from cx_assets_tests.independent.tutorial_privacy_wire import CutConnections, cut, stamp

__all__ = ["SCOPES", "Filed", "PrivacyServer", "Quirks", "RunningPrivacy", "serve_privacy"]

Json = dict[str, Any]
Handler = Callable[[Request], Awaitable[Response]]
REQUESTS = "/api/v2/data/privacy/requests"
WRITE, VIEW, EXPORT = "data:privacy:write", "data:privacy:view", "data:privacy:export"
SCOPES = frozenset({WRITE, VIEW, EXPORT})
TERMINAL = ("COMPLETED", "FAILED")
OPTIONAL = ("failureReason", "completedAt", "downloadUrl", "expiresAt", "checksum", "size")
SWITCHES = (
    "export_failed",
    "drop_callback",
    "drop_connection",
    "truncate_download",
    "corrupt_download",
    "revoke_tokens",
)
WIRE_NAMES = {
    "request_id": "requestId",
    "entity_type": "entityType",
    "entity_id": "entityId",
    "format": "format",
    "data_types": "dataTypes",
    "start": "timeRange.start",
    "end": "timeRange.end",
    "callback_url": "callbackUrl",
}
DEFAULT_REASON = "the privacy gateway could not assemble the export"


@dataclass
class Switch:
    """An injected fault other than Auth's: the next `count` matching uses (after `after` pass)."""

    kind: str
    count: int = 1
    path_contains: str = ""
    method: str | None = None
    after: int = 0
    reason: str = DEFAULT_REASON
    fired: int = 0


@dataclass
class Filed:
    """A filed request and where it is."""

    asked: Asked
    number: int
    created: datetime
    began: float
    finish_after: int
    fail_reason: str | None = None
    polls: int = 0
    status: str = "QUEUED"
    completed: datetime | None = None
    data: bytes | None = None

    @property
    def request_id(self) -> str:
        return self.asked.request_id


@dataclass(frozen=True)
class PostRecord:
    request_id: str | None
    status: int
    body: Any


@dataclass(frozen=True)
class DownloadRecord:
    path: str
    status: int
    bearer_sent: bool


class PrivacyServer:
    """State and the ASGI `app`; tests flip `quirks` and the knobs between calls."""

    def __init__(
        self,
        quirks: Quirks | None = None,
        client_id: str = "independent-privacy-client",
        client_secret: str = "independent-privacy-secret",
        webhook_secret: str = DEFAULT_SECRET,
    ) -> None:
        self._quirks = quirks or Quirks()
        self.client_id, self.client_secret = client_id, client_secret
        self.auth = Auth(self._quirks, client_id, client_secret, allowed=set(SCOPES))
        self.callbacks = Callbacks(replay=self._quirks.callback_replayed, secret=webhook_secret)
        self.signer = export.Signer()
        self.requests: dict[str, Filed] = {}
        self.posts: list[PostRecord] = []
        self.downloads: list[DownloadRecord] = []
        self.polls_to_finish = 3
        self.step_s: float | None = None
        self.auto_advance = True
        self.url_ttl_s = 300
        self.base_url = ""
        self.switches: list[Switch] = []
        self._plans: list[tuple[int | None, str | None]] = []
        self._lock = threading.RLock()
        self.app: Any = CutConnections(
            Starlette(
                routes=[
                    Route("/oauth/token", self.auth.token, methods=["POST"]),
                    Route(REQUESTS, self._api(self._create, WRITE), methods=["POST"]),
                    Route(REQUESTS + "/{requestId}", self._api(self._get, VIEW), methods=["GET"]),
                    Route("/files/{requestId}/{name}", self._download, methods=["GET"]),
                    Route("/admin/stats", self._stats, methods=["GET"]),
                ]
            )
        )

    @property
    def quirks(self) -> Quirks:
        """The switches, read on every call (an export's bytes are fixed when it completes)."""
        return self._quirks

    @quirks.setter
    def quirks(self, quirks: Quirks) -> None:
        self._quirks = self.auth.quirks = quirks
        self.callbacks.replay = quirks.callback_replayed

    # ---- admin surface -------------------------------------------------------------------------
    @property
    def webhook_secret(self) -> str:
        return self.callbacks.secret

    @webhook_secret.setter
    def webhook_secret(self, secret: str) -> None:
        self.callbacks.secret = secret

    @property
    def callback_target(self) -> str | None:
        return self.callbacks.target

    @callback_target.setter
    def callback_target(self, url: str | None) -> None:
        self.callbacks.target = url

    @property
    def callbacks_enabled(self) -> bool:
        return self.callbacks.enabled

    @callbacks_enabled.setter
    def callbacks_enabled(self, enabled: bool) -> None:
        self.callbacks.enabled = enabled

    @property
    def callback_backoff_s(self) -> float:
        return self.callbacks.backoff_s

    @callback_backoff_s.setter
    def callback_backoff_s(self, seconds: float) -> None:
        self.callbacks.backoff_s = seconds

    @property
    def callback_attempts(self) -> list[Attempt]:
        return list(self.callbacks.log)

    @property
    def filed(self) -> list[Filed]:
        return sorted(self.requests.values(), key=lambda f: f.number)

    @property
    def filed_ids(self) -> list[str]:
        return [f.request_id for f in self.filed]

    def request(self, request_id: str) -> Filed:
        return self.requests[request_id.lower()]

    def export_bytes(self, request_id: str) -> bytes | None:
        return self.request(request_id).data

    def plan_next(self, polls: int | None = None, fail: str | None = None) -> None:
        """The next filed request takes `polls` GETs to end, FAILED with `fail` when given."""
        if polls is not None and polls < 1:
            raise ValueError("polls must be at least 1")
        self._plans.append((polls, fail))

    def finish(self, request_id: str | None = None, fail: str | None = None) -> None:
        with self._lock:
            chosen = [self.request(request_id)] if request_id else self.filed
            for filed in chosen:
                if filed.status not in TERMINAL:
                    if fail is not None:
                        filed.fail_reason = fail
                    self._finish(filed)

    def add_fault(self, kind: str, count: int = 1, **options: Any) -> Fault | Switch:
        if "path_prefix" in options:
            options["path_contains"] = options.pop("path_prefix")
        if kind in ("http_429", "http_5xx"):
            return self.auth.add_fault(kind, count=count, **options)
        if kind not in SWITCHES:
            known = ", ".join(("http_429", "http_5xx", *SWITCHES))
            raise ValueError(f"unknown fault kind {kind!r}: one of {known}")
        switch = Switch(kind, count, **options)
        self.switches.append(switch)
        return switch

    def expire_tokens(self) -> None:
        self.auth.expire_tokens()

    def lack(self, *scopes: str) -> None:
        if unknown := sorted(set(scopes) - SCOPES):
            raise ValueError(f"unknown scope(s): {', '.join(unknown)}")
        self.auth.allowed = set(SCOPES - set(scopes))

    def expire_urls(self) -> None:
        self.signer.rotate()

    def stats(self) -> Json:
        log = self.callbacks.log
        attempted = sum(1 for a in log if not a.replay)
        delivered = sum(1 for a in log if a.delivered)
        return {
            "privacy_requests": self.filed_ids,
            "privacy_callbacks": {"attempted": attempted, "delivered": delivered},
        }

    def tick(self) -> None:
        """Move time-driven requests (`step_s`); `serve_privacy` calls this every 20 ms."""
        if self.step_s is None or not self.auto_advance:
            return
        with self._lock:
            for filed in self.filed:
                self._advance(filed)

    def start(self, base_url: str) -> None:
        """Serving (again) on `base_url`: pending callbacks are rebuilt for it and go out."""
        self.base_url = base_url
        with self._lock:
            for request_id, out in list(self.callbacks.outbox.items()):
                body = self._callback_body(self.requests[request_id])
                self.callbacks.outbox[request_id] = replace(out, body=body)
        self.callbacks.start()

    def close(self) -> None:
        self.callbacks.stop()

    # ---- progress ------------------------------------------------------------------------------
    def _progress(self, filed: Filed) -> int:
        steps = 0
        if self.step_s is not None and self.auto_advance:
            steps = math.floor((time.monotonic() - filed.began) / self.step_s)
        return filed.polls + steps

    def _advance(self, filed: Filed) -> None:
        if filed.status not in TERMINAL and self._progress(filed) >= filed.finish_after:
            self._finish(filed)

    def _finish(self, filed: Filed) -> None:
        filed.completed = datetime.now(UTC)
        filed.status = "FAILED" if filed.fail_reason is not None else "COMPLETED"
        if filed.status == "COMPLETED":
            filed.data = export.render(filed.asked, self._time_range(filed.asked), self.quirks)
        if filed.asked.callback_url is None:
            return
        if self._take("drop_callback") is not None:
            self.callbacks.dropped.append(filed.request_id)
            return
        raw = self._callback_body(filed)
        self.callbacks.send(filed.request_id, filed.asked.callback_url, raw)

    def _callback_body(self, filed: Filed) -> bytes:
        """The compact JSON a callback carries (`downloadUrl` presigned now, on this host)."""
        assert filed.completed is not None
        url = self._presign(filed)[0] if filed.status == "COMPLETED" else None
        body: Json = {
            "requestId": filed.request_id,
            "status": filed.status,
            "downloadUrl": url,
            "entityType": filed.asked.entity_type,
        }
        if self.quirks.callback_extras:
            body["completedAt"] = stamp(filed.completed, self.quirks)
            body["eventId"] = str(uuid.uuid4())
            if filed.fail_reason is not None:
                body["failureReason"] = filed.fail_reason
        return json.dumps(body, separators=(",", ":")).encode()

    def _shown_status(self, filed: Filed) -> str:
        if filed.status in TERMINAL:
            return filed.status
        if self._progress(filed) <= 1 or self.quirks.processing_unseen:
            return "QUEUED"
        return "PROCESSING"

    # ---- rendering -----------------------------------------------------------------------------
    def _time_range(self, asked: Asked) -> Json:
        if self.quirks.time_range_utc:
            pair = {
                "start": stamp(asked.start_at, self.quirks),
                "end": stamp(asked.end_at, self.quirks),
            }
        else:
            pair = {"start": asked.start, "end": asked.end}
        return dict(reversed(pair.items())) if self.quirks.key_order else pair

    def _presign(self, filed: Filed) -> tuple[str, datetime]:
        path = f"/files/{filed.request_id}/export.{filed.asked.format}"
        return self.signer.url(self.base_url, path, self.url_ttl_s, self.quirks)

    def _render(self, filed: Filed, may_export: bool) -> Json:
        q, asked = self.quirks, filed.asked
        types = (
            list(reversed(asked.data_types)) if q.data_types_reordered else list(asked.data_types)
        )
        out: Json = {
            "requestId": asked.request_id,
            "entityType": asked.entity_type,
            "entityId": asked.entity_id,
            "format": asked.format,
            "dataTypes": types,
            "timeRange": self._time_range(asked),
            "status": self._shown_status(filed),
            "createdAt": stamp(filed.created, q),
        }
        if filed.status == "FAILED":
            out["failureReason"] = filed.fail_reason
        if filed.completed is not None:
            out["completedAt"] = stamp(filed.completed, q)
        if filed.status == "COMPLETED" and filed.data is not None:
            if may_export:
                url, expires = self._presign(filed)
                out |= {"downloadUrl": url, "expiresAt": stamp(expires, q)}
            elif q.expires_at_always:
                expires = datetime.now(UTC) + timedelta(seconds=self.url_ttl_s)
                out["expiresAt"] = stamp(expires, q)
            digest = hashlib.sha256(filed.data).hexdigest()
            out["checksum"] = {
                "algorithm": "SHA-256",
                "value": digest.upper() if q.checksum_upper else digest,
            }
            out["size"] = len(filed.data)
        if q.nulls_for_absent:
            out |= {name: None for name in OPTIONAL if name not in out}
        if q.extra_members:
            out |= {
                "selfUri": f"{REQUESTS}/{asked.request_id}",
                "callbackUrl": asked.callback_url,
                "organizationId": "00000000-0000-4000-8000-00000000cafe",
            }
        if q.key_order:
            out = {"status": out.pop("status")} | dict(reversed(list(out.items())))
        return out

    # ---- handlers ------------------------------------------------------------------------------
    def _api(self, handler: Handler, scope: str) -> Handler:
        guarded = self.auth.api(handler, scope)

        async def endpoint(request: Request) -> Response:
            if self._take("revoke_tokens", request) is not None:
                self.auth.expire_tokens()
            response = await guarded(request)
            if self._take("drop_connection", request) is not None:
                cut(request, "before_answer")
            return response

        return endpoint

    def _may_export(self, request: Request) -> bool:
        token = request.headers.get("authorization", "").partition(" ")[2]
        granted = self.auth.tokens.get(token, ("", frozenset(), 0.0))[1]
        return EXPORT in granted and EXPORT in self.auth.allowed

    async def _create(self, request: Request) -> Response:
        try:
            body = json.loads(await request.body())
        except ValueError:
            body = None
        try:
            asked = validate(body)
        except BadRequest as exc:
            self.posts.append(PostRecord(None, 400, body))
            return self.auth.error(400, "bad.request", str(exc))
        with self._lock:
            existing = self.requests.get(asked.request_id)
            if existing is not None:
                if existing.asked != asked:
                    self.posts.append(PostRecord(asked.request_id, 409, body))
                    differs = [
                        WIRE_NAMES[k]
                        for k, v in vars(asked).items()
                        if vars(existing.asked)[k] != v
                    ]
                    message = (
                        f"requestId {asked.request_id} was already filed with a different body"
                        f" ({differs[0]} differs)"
                    )
                    return self.auth.error(409, "conflict", message)
                self.posts.append(PostRecord(asked.request_id, 200, body))
                return JSONResponse(self._render(existing, self._may_export(request)))
            polls, fail = self._plans.pop(0) if self._plans else (None, None)
            if fail is None and (switch := self._take("export_failed")) is not None:
                fail = switch.reason
            filed = Filed(
                asked,
                number=len(self.requests) + 1,
                created=datetime.now(UTC),
                began=time.monotonic(),
                finish_after=polls or self.polls_to_finish,
                fail_reason=fail,
            )
            self.requests[asked.request_id] = filed
            self.posts.append(PostRecord(asked.request_id, 202, body))
            answer = self._render(filed, self._may_export(request))
        return JSONResponse(answer, status_code=202)

    async def _get(self, request: Request) -> Response:
        request_id = request.path_params["requestId"].lower()
        with self._lock:
            filed = self.requests.get(request_id)
            if filed is None:
                return self.auth.error(404, "not.found", f"privacy request {request_id} not found")
            if self.auto_advance:
                filed.polls += 1
            self._advance(filed)
            answer = self._render(filed, self._may_export(request))
        return JSONResponse(answer)

    async def _download(self, request: Request) -> Response:
        response = self._file(request)
        bearer = "authorization" in request.headers
        self.downloads.append(DownloadRecord(request.url.path, response.status_code, bearer))
        if self._take("drop_connection", request) is not None:
            cut(request, "before_answer")
        return response

    def _file(self, request: Request) -> Response:
        error = self.auth.error
        if self.quirks.bearer_refused and "authorization" in request.headers:
            message = "Only one auth mechanism allowed: the URL is presigned, send no Authorization"
            return error(400, "bad.request", message)
        if problem := self.signer.problem(request.url.path, request.url.query):
            return error(403, "access.denied", problem)
        filed = self.requests.get(request.path_params["requestId"])
        name = request.path_params["name"]
        if filed is None or filed.data is None or name != f"export.{filed.asked.format}":
            return error(404, "not.found", "no such export file")
        data = filed.data
        if self._take("corrupt_download") is not None:
            data = _corrupt(data)
        if self._take("truncate_download") is not None:
            cut(request, "mid_body")
        if self.quirks.download_octet_stream:
            media = "application/octet-stream"
        else:
            media = (
                "application/json" if filed.asked.format == "json" else "text/csv; charset=utf-8"
            )
        return Response(data, media_type=media)

    async def _stats(self, request: Request) -> Response:
        return JSONResponse(self.stats())

    def _take(self, kind: str, request: Request | None = None) -> Switch | None:
        with self._lock:
            for switch in self.switches:
                if switch.kind != kind or switch.count <= 0:
                    continue
                if request is not None:
                    if switch.method is not None and switch.method.upper() != request.method:
                        continue
                    if switch.path_contains not in request.url.path:
                        continue
                if switch.after > 0:
                    switch.after -= 1
                    continue
                switch.count -= 1
                switch.fired += 1
                return switch
        return None


def _corrupt(data: bytes) -> bytes:
    """Same length, different bytes: the case of every ASCII letter in the second half flips."""
    half = len(data) // 2
    return data[:half] + data[half:].swapcase()


@dataclass
class RunningPrivacy:
    """What a test gets: where the server listens, its credentials, and its admin surface."""

    url: str
    client_id: str
    client_secret: str
    server: PrivacyServer
    scopes: str = field(default=" ".join(sorted(SCOPES)))

    @property
    def quirks(self) -> Quirks:
        return self.server.quirks


@contextlib.contextmanager
def serve_privacy(server: PrivacyServer | None = None) -> Iterator[RunningPrivacy]:
    """Run `server` under uvicorn on a free loopback port in a background thread (a server may
    be served again after it stopped: its pending callbacks go out again)."""
    server = server or PrivacyServer()
    with serve_app(server.app, "the independent privacy server") as url:
        stop = threading.Event()

        def ticking() -> None:
            while not stop.wait(0.02):
                server.tick()

        ticker = threading.Thread(target=ticking, daemon=True)
        server.start(url)
        ticker.start()
        try:
            yield RunningPrivacy(url, server.client_id, server.client_secret, server)
        finally:
            stop.set()
            ticker.join(timeout=5)
            server.close()
