"""An independent tutorial-mode Genesys conversation exports server: create an export, poll it,
read its file manifest and download the files by presigned URL (on the same port).

Written from docs/api-contract.md (lines 1-62: "Errors", "Rate limits", "OAuth: `POST
/oauth/token`"; "## Conversation exports" through "### Records") and the tutorial behind it,
../shared/tutorials/000_3392d35ad4f67ee9.txt, only; never from the project's client or emulator,
so a client that works only against the emulator's reading fails here. Where the text leaves a
choice open, the other readings are `Quirks` switches (tutorial_exports_quirks.py): `Quirks()`
all on (the default), `Quirks.obvious()` all off, `Quirks.only(...)`. Modules: `_jobs` (body
rules, statuses, the export object), `_records` (seeded conversations, JSONL / CSV files),
`_wire` (timestamps, presigning, faults, cut connections); OAuth, scopes, rate limits and the
`http_429` / `http_5xx` faults are the shared tutorial_data_actions_auth.Auth.

    with serve_exports(ExportsServer(Quirks.obvious())) as running:
        running.url, running.client_id, running.client_secret   # login, API, files on one URL
        server: ExportsServer = running.server                   # the admin surface below

Served: `POST /oauth/token`; `POST /api/v2/dataexports` (202), `GET /api/v2/dataexports/{id}`,
`GET /api/v2/dataexports/{id}/files` (scope `dataexports:read`, rate-limit headers); `GET
/files/{exportId}/{name}` (presigned, no bearer, no rate-limit headers, not counted).

Admin surface (Python, on `running.server`):

- Seed: `seed` (int), `per_day` (conversations on a day not seeded otherwise, default 20),
  `seed_day(day, count)` (a few hundred is fine), `conversations(day)`; `malformed_share`
  (0..1: that share of lines is broken, JSONL half a line or no `interactionId`, CSV a column
  short or an empty `interactionId`).
- Jobs: `polls_to_complete` (an export created now ends on its Nth GET, default 3),
  `fail_export(id, reason)`; `add_fault("export_failed", count=1, reason=...)`.
- Files: `split_bytes` (the `split_files` limit, 16 KiB), `file_limit_bytes` (a limit that
  applies whatever the quirks), `url_lifetime_s` (`X-Amz-Expires`, 3600), `expire_urls()` (every
  URL signed so far answers 403 "expired"; fresh manifests sign working ones), `clock` (the
  server's `now`, for timestamps and URL expiry).
- Faults, `add_fault(kind, count=1, **options)` -> the fault (its `fired` counts): API
  `http_429` (`retry_after`), `http_5xx` (`status`), both with `path_contains`, `method`,
  `after`; `drop` (the API call is handled, then the connection is cut before the answer);
  `export_failed`; manifests: `wrong_checksum` (`partition`, default 0), `expired_urls` (the
  manifest's URLs are already expired); downloads, by `partition` or `path_contains`:
  `download_429`, `download_5xx`, `download_drop` (no answer), `truncate` (the full
  `Content-Length`, half the body, then the connection is cut), `corrupt` (same length, one byte
  changed). `expire_tokens()`, `lack(*scopes)` (`lack()` restores), `auth.budget`,
  `auth.window_s`, `auth.token_lifetime_s`.
- Inspection: `created` (accepted POST bodies, in order), `requests` (`Seen`: method, path,
  status, dropped), `downloads` (`Download`: export id, name, partition, status, outcome),
  `exports[id]` (`Export`: body, polls, statuses served), `files(id)` (the `ExportFile`s with
  their bytes).

The server object outlives `serve_exports`: serving it again keeps its exports (the text's
"Exports persist across emulator restarts").

Fixed readings where the text is silent (besides those in `_jobs`): an export's files are
rendered once, when first listed, under the quirks of that moment; files are cut between lines
at the byte limit and each CSV file has its own header; the older envelope has one file per day;
`name` is `conversations-<day>-<NNNN>.<format>`; a download checks the signature and expiry
before anything else (403), then the file (404), then the download faults; `Range` is ignored
(always 200 with the whole file); a 404 for an unknown export comes after auth and scope; a
manifest of an export that is not COMPLETED is 409 naming the status as served.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import random
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from cx_assets_tests.independent.loopback import serve_app
from cx_assets_tests.independent.tutorial_data_actions_auth import Auth, Handler
from cx_assets_tests.independent.tutorial_exports_jobs import (
    COMPLETED,
    BadRequest,
    Export,
    check_request,
    export_days,
    render_export,
)
from cx_assets_tests.independent.tutorial_exports_quirks import Quirks
from cx_assets_tests.independent.tutorial_exports_records import (
    Conversation,
    ExportFile,
    day_conversations,
    day_files,
    lines,
)
from cx_assets_tests.independent.tutorial_exports_wire import (
    API_FAULTS,
    CUT_KEY,
    SERVER_FAULTS,
    CutConnections,
    Fault,
    Signer,
    retry_after,
    take,
)

__all__ = ["Download", "ExportsServer", "Quirks", "RunningExports", "Seen", "serve_exports"]

Json = dict[str, Any]
SCOPE = "dataexports:read"
SCOPES = frozenset({SCOPE})
EXPORTS = "/api/v2/dataexports"
DOWNLOAD_FAULTS = ("download_429", "download_5xx", "download_drop", "truncate", "corrupt")
MEDIA = {"jsonl": "application/x-ndjson", "csv": "text/csv"}


@dataclass
class Seen:
    method: str
    path: str
    status: int
    dropped: bool = False


@dataclass
class Download:
    export_id: str
    name: str
    partition: int | None
    status: int
    outcome: str


class ExportsServer:
    """State and the ASGI `app`; tests flip `quirks` and the switches between calls."""

    def __init__(
        self,
        quirks: Quirks | None = None,
        client_id: str = "independent-exports-client",
        client_secret: str = "independent-exports-secret",
        seed: int = 7,
        per_day: int = 20,
    ) -> None:
        self._quirks = quirks or Quirks()
        self.client_id, self.client_secret = client_id, client_secret
        self.auth = Auth(self._quirks, client_id, client_secret, allowed=set(SCOPES))
        self.seed, self.per_day = seed, per_day
        self.day_counts: dict[date, int] = {}
        self.malformed_share = 0.0
        self.polls_to_complete = 3
        self.split_bytes = 16_384
        self.file_limit_bytes: int | None = None
        self.url_lifetime_s = 3600
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)
        self.signer = Signer()
        self.exports: dict[str, Export] = {}
        self.created: list[Json] = []
        self.requests: list[Seen] = []
        self.downloads: list[Download] = []
        self.faults: list[Fault] = []
        routes = [
            Route("/oauth/token", self.auth.token, methods=["POST"]),
            Route(EXPORTS, self._api(self._create), methods=["POST"]),
            Route(EXPORTS + "/{id}", self._api(self._poll), methods=["GET"]),
            Route(EXPORTS + "/{id}/files", self._api(self._files), methods=["GET"]),
            Route("/files/{export_id}/{name}", self._download, methods=["GET"]),
        ]
        self.app: Any = CutConnections(Starlette(routes=routes))

    @property
    def quirks(self) -> Quirks:
        return self._quirks

    @quirks.setter
    def quirks(self, quirks: Quirks) -> None:
        self._quirks = self.auth.quirks = quirks

    # ---- admin surface -------------------------------------------------------------------------
    def seed_day(self, day: date, count: int) -> None:
        self.day_counts[day] = count

    def conversations(self, day: date) -> list[Conversation]:
        return day_conversations(self.seed, day, self.day_counts.get(day, self.per_day))

    def add_fault(self, kind: str, count: int = 1, **options: Any) -> Any:
        if kind in API_FAULTS:
            return self.auth.add_fault(kind, count=count, **options)
        if kind not in SERVER_FAULTS:
            known = ", ".join((*API_FAULTS, *SERVER_FAULTS))
            raise ValueError(f"unknown fault kind {kind!r}: one of {known}")
        fault = Fault(kind, count=count, **options)
        self.faults.append(fault)
        return fault

    def fail_export(self, export_id: str, reason: str = "failed by the test") -> None:
        """The export ends FAILED with `reason` (at once if it already reached its end)."""
        self.exports[export_id].fail_reason = reason

    def expire_urls(self) -> None:
        self.signer.retire()

    def expire_tokens(self) -> None:
        self.auth.expire_tokens()

    def lack(self, *scopes: str) -> None:
        if unknown := sorted(set(scopes) - SCOPES):
            raise ValueError(f"unknown scope(s): {', '.join(unknown)}")
        self.auth.allowed = set(SCOPES - set(scopes))

    def files(self, export_id: str) -> list[ExportFile]:
        return list(self._render(self.exports[export_id]))

    # ---- API -----------------------------------------------------------------------------------
    def _api(self, handler: Handler) -> Handler:
        guarded = self.auth.api(handler, SCOPE)

        async def endpoint(request: Request) -> Response:
            response = await guarded(request)
            path, method = request.url.path, request.method
            dropped = take(self.faults, "drop", path, method) is not None
            if dropped:
                request.scope[CUT_KEY].mode = "before_answer"
            self.requests.append(Seen(method, path, response.status_code, dropped))
            return response

        return endpoint

    def _missing(self, export_id: str) -> Response:
        return self.auth.error(404, "not.found", f"no export with id {export_id}")

    async def _create(self, request: Request) -> Response:
        try:
            body = json.loads(await request.body())
        except ValueError:
            return self.auth.error(400, "bad.request", "the body is not JSON")
        try:
            start, end = check_request(body)
        except BadRequest as exc:
            return self.auth.error(400, "bad.request", str(exc))
        ordinal = len(self.exports)
        rng = random.Random(f"{self.seed}:export:{ordinal}")
        export = Export(
            id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            ordinal=ordinal,
            body=dict(body),
            start=start,
            end=end,
            polls_needed=max(1, self.polls_to_complete),
            created_at=self.clock(),
        )
        if fault := take(self.faults, "export_failed"):
            export.fail_reason = fault.reason
        self.exports[export.id] = export
        self.created.append(dict(body))
        served = render_export(export, self.quirks)
        export.statuses.append(served.get("status", ""))
        if self.quirks.create_id_only:
            served = {"id": export.id}
        return JSONResponse(served, status_code=202)

    async def _poll(self, request: Request) -> Response:
        export = self.exports.get(request.path_params["id"])
        if export is None:
            return self._missing(request.path_params["id"])
        export.polls += 1
        if export.status(self.quirks) == COMPLETED and export.completed_at is None:
            export.completed_at = self.clock()
        served = render_export(export, self.quirks)
        export.statuses.append(served["status"])
        return JSONResponse(served)

    async def _files(self, request: Request) -> Response:
        export = self.exports.get(request.path_params["id"])
        if export is None:
            return self._missing(request.path_params["id"])
        status = export.status(self.quirks)
        if status != COMPLETED:
            shown = status.lower() if self.quirks.status_lower else status
            message = f"export {export.id} is {shown}: files exist only once it is COMPLETED"
            return self.auth.error(409, "conflict", message, exportStatus=shown)
        now = self.clock()
        signed_at = now
        if take(self.faults, "expired_urls"):
            signed_at = now - timedelta(seconds=self.url_lifetime_s + 60)
        wrong = take(self.faults, "wrong_checksum")
        bad_partition = -1 if wrong is None else (wrong.partition or 0)
        base = str(request.base_url)
        records = [
            self._file_record(export, f, base, signed_at, f.partition == bad_partition)
            for f in self._render(export)
        ]
        if not export.envelope:
            return JSONResponse(records)
        body: Json = {"exportId": export.id, "files": records}
        if self.quirks.extra_members:
            body["fileCount"] = len(records)
        if self.quirks.key_order:
            body = dict(reversed(body.items()))
        return JSONResponse(body)

    def _render(self, export: Export) -> list[ExportFile]:
        if export.files is not None:
            return export.files
        quirks = self.quirks
        export.envelope = quirks.envelope_manifest and export.ordinal % 2 == 1
        limit = self.file_limit_bytes
        if limit is None and quirks.split_files:
            limit = self.split_bytes
        if export.envelope:
            limit = None
        files: list[ExportFile] = []
        for day in export_days(export.start, export.end):
            convs = [c for c in self.conversations(day) if export.start <= c.start < export.end]
            bad = {i for i in range(len(convs)) if self._malformed(day, i)}
            day_lines = lines(convs, export.fmt, quirks, bad)
            files += day_files(day, day_lines, export.fmt, quirks, limit, len(files))
        export.files = files
        return files

    def _malformed(self, day: date, turn: int) -> bool:
        if self.malformed_share <= 0:
            return False
        return random.Random(f"{self.seed}:{day}:{turn}:bad").random() < self.malformed_share

    def _file_record(
        self, export: Export, file: ExportFile, base: str, signed_at: datetime, wrong: bool
    ) -> Json:
        quirks = self.quirks
        path = f"/files/{export.id}/{file.name}"
        query = self.signer.query(path, signed_at, self.url_lifetime_s, quirks)
        digest = hashlib.sha256(file.data + b"!").hexdigest() if wrong else file.sha256
        partition: int | str = file.partition
        if export.envelope:
            partition = file.day.isoformat()
        elif quirks.partition_string:
            partition = str(file.partition)
        record: Json = {
            "uri": f"{base.rstrip('/')}{path}?{query}",
            "size": len(file.data),
            "format": file.fmt,
            "checksum": "sha256:" + (digest.upper() if quirks.checksum_upper else digest),
            "partition": partition,
        }
        if not quirks.name_absent:
            record["name"] = file.name
        if not quirks.record_count_absent:
            record["recordCount"] = file.record_count
        if quirks.extra_members:
            record |= {"day": file.day.isoformat(), "compression": "none"}
        if quirks.key_order:
            record = dict(reversed(record.items()))
        return record

    # ---- presigned downloads -------------------------------------------------------------------
    async def _download(self, request: Request) -> Response:
        export_id, name = request.path_params["export_id"], request.path_params["name"]
        now = self.clock()
        query = dict(request.query_params)
        if problem := self.signer.problem(request.url.path, query, now):
            return self._served(export_id, name, None, "refused", self._error(403, problem))
        export = self.exports.get(export_id)
        found = [f for f in (export.files or []) if f.name == name] if export else []
        if not found:
            return self._served(export_id, name, None, "missing", self._error(404, "no such file"))
        file = found[0]
        fault = take(self.faults, DOWNLOAD_FAULTS, request.url.path, "GET", file.partition)
        kind = fault.kind if fault else "ok"
        if fault is not None and fault.kind == "download_429":
            response = self._error(429, "SlowDown: injected throttle")
            response.headers["Retry-After"] = retry_after(fault.retry_after, self.quirks, now)
            return self._served(export_id, name, file.partition, kind, response)
        if fault is not None and fault.kind == "download_5xx":
            response = self._error(fault.status, "injected storage failure")
            return self._served(export_id, name, file.partition, kind, response)
        data = file.data
        if kind == "corrupt":
            changed = bytearray(data or b"\x00")
            changed[len(changed) // 2] ^= 0x01
            data = bytes(changed)
        elif kind in ("download_drop", "truncate"):
            request.scope[CUT_KEY].mode = "before_answer" if kind == "download_drop" else "mid_body"
        media = "application/octet-stream" if self.quirks.octet_stream else MEDIA[file.fmt]
        response = Response(data, media_type=media)
        return self._served(export_id, name, file.partition, kind, response)

    def _error(self, status: int, message: str) -> JSONResponse:
        code = {403: "access.denied", 404: "not.found", 429: "too.many.requests"}
        return self.auth.error(status, code.get(status, "service.unavailable"), message)

    def _served(
        self, export_id: str, name: str, partition: int | None, outcome: str, response: Response
    ) -> Response:
        self.downloads.append(Download(export_id, name, partition, response.status_code, outcome))
        return response


@dataclass
class RunningExports:
    """What a test gets: where the server listens, its credentials, and its admin surface."""

    url: str
    client_id: str
    client_secret: str
    server: ExportsServer

    @property
    def quirks(self) -> Quirks:
        return self.server.quirks

    @property
    def scopes(self) -> str:
        return " ".join(sorted(SCOPES))


@contextlib.contextmanager
def serve_exports(server: ExportsServer | None = None) -> Iterator[RunningExports]:
    """Run `server` under uvicorn on a free loopback port in a background thread."""
    server = server or ExportsServer()
    with serve_app(server.app, "the independent exports server") as url:
        yield RunningExports(url, server.client_id, server.client_secret, server)
