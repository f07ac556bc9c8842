"""Results of completed GDPR exports: the files, their URLs, and the download routes.

A request's files are made once, when first asked for, from its id and subject (deterministic,
so a test can compare SHA-256 sums), and stay the same however often the URLs are re-signed.
Three places serve them (see the quirks `results_other_host` and `results_need_bearer`):

- `/files/gdpr/{id}/{name}` on the API host, presigned (a bearer token is ignored);
- `/s3/gdpr-results/{id}/{name}` on the other host, presigned, object-store style: a request
  with `Authorization` is a 400 (and recorded as a leaked bearer), XML error bodies;
- `/api/v2/gdpr/requests/{id}/results/{name}?generation=N` on the API host, bearer + the
  `gdpr:request:view` permission, no signature.

`expire_urls()` makes every URL handed out so far answer 403 (a new signing key, a new
generation); a fresh GET of the request gives working ones.
"""

from __future__ import annotations

import hashlib
import io
import json
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from cx_assets_tests.independent.datatables_platform_http import Signer, s3_fail
from cx_assets_tests.independent.genesys_gdpr_quirks import RESULT_HOSTS, URL_SHAPES
from cx_assets_tests.independent.genesys_gdpr_wire import CUT_KEY, fail

if TYPE_CHECKING:
    from cx_assets_tests.independent.genesys_gdpr_server import FiledRequest, GdprServer

Json = dict[str, Any]
ZIP_TIME = (2026, 1, 1, 0, 0, 0)
CHUNK = 16 * 1024


@dataclass(frozen=True)
class ResultFile:
    name: str
    data: bytes
    media_type: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass(frozen=True)
class Download:
    """One GET of a results URL: where it went, what it answered, whether a bearer came."""

    host: str
    path: str
    status: int
    bearer_sent: bool


@dataclass
class Results:
    """The files and URLs of every completed export; `server` holds quirks and switches."""

    server: GdprServer
    signer: Signer = field(init=False)
    generation: int = 1
    downloads: list[Download] = field(default_factory=list)
    truncate_next: int = 0
    _files: dict[tuple[str, bool, int], list[ResultFile]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.signer = Signer(uuid.uuid4().bytes, self.server.url_ttl_s)

    # ---- files -------------------------------------------------------------------------------
    def files(self, req: FiledRequest) -> list[ResultFile]:
        """The request's files under the current quirks (one file under `url_single_only`)."""
        zipped = self.server.quirks.zip_results
        count = 1 if self.shape(req) == "url_single_only" else max(1, self.server.results_files)
        key = (req.id, zipped, count)
        if key not in self._files:
            self._files[key] = [self._make(req, part, count, zipped) for part in range(count)]
        return self._files[key]

    def _make(self, req: FiledRequest, part: int, count: int, zipped: bool) -> ResultFile:
        per_file = self.server.records_per_file
        records = [self._record(req, part * per_file + i) for i in range(per_file)]
        doc = {"gdprRequestId": req.id, "file": part + 1, "files": count}
        doc |= {"subject": req.subject, "records": records}
        if self.server.pad_bytes:
            doc["padding"] = "x" * self.server.pad_bytes
        data = json.dumps(doc, indent=1).encode()
        name = f"gdpr-{req.id}-{part + 1}.json"
        if not zipped:
            return ResultFile(name, data, "application/json")
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(zipfile.ZipInfo(name, ZIP_TIME), data)
        return ResultFile(name.removesuffix(".json") + ".zip", buffer.getvalue(), "application/zip")

    def _record(self, req: FiledRequest, n: int) -> Json:
        ident = uuid.uuid5(uuid.NAMESPACE_URL, f"{req.id}/{n}")
        start = datetime(2026, 1, 1, 9, tzinfo=UTC) + timedelta(hours=7 * n)
        who = (req.subject.get("emailAddresses") or req.subject.get("phoneNumbers") or ["?"])[0]
        media = ("voice", "chat", "email")[n % 3]
        return {
            "recordType": "conversation",
            "conversationId": str(ident),
            "conversationStart": start.isoformat().replace("+00:00", "Z"),
            "mediaType": media,
            "participant": who,
            "transcript": f"Customer {who} asked about order {ident.hex[:8]} ({media}).",
        }

    # ---- URLs --------------------------------------------------------------------------------
    def shape(self, req: FiledRequest) -> str | None:
        return self.server.quirks.take_turn(URL_SHAPES, req.number or 1)

    def host_mode(self, req: FiledRequest) -> str | None:
        return self.server.quirks.take_turn(RESULT_HOSTS, req.number or 1)

    def url_members(self, request: Request, req: FiledRequest) -> Json:
        """`resultsUrl` and/or `resultsUrls` for a completed export, freshly signed."""
        urls = [self._url(request, req, f.name) for f in self.files(req)]
        shape = self.shape(req)
        if shape == "urls_list_only":
            return {"resultsUrls": urls}
        if shape == "url_repeated":
            return {"resultsUrl": urls[0], "resultsUrls": urls}
        if shape == "url_single_only" or len(urls) == 1:
            return {"resultsUrl": urls[0]}
        return {"resultsUrls": urls}

    def _url(self, request: Request, req: FiledRequest, name: str) -> str:
        port = request.url.port
        self.signer.lifetime_s = self.server.url_ttl_s
        api = f"{request.url.scheme}://{self.server.api_hostname}:{port}"
        mode = self.host_mode(req)
        if mode == "results_need_bearer":
            path = f"/api/v2/gdpr/requests/{req.id}/results/{name}"
            return f"{api}{path}?generation={self.generation}"
        if mode == "results_other_host":
            other = f"{request.url.scheme}://{self.server.other_hostname}:{port}"
            return self.signer.presign(other, f"/s3/gdpr-results/{req.id}/{name}", s3=True)
        return self.signer.presign(api, f"/files/gdpr/{req.id}/{name}", s3=False)

    def expire_urls(self) -> None:
        self.signer = Signer(uuid.uuid4().bytes, self.server.url_ttl_s)
        self.generation += 1

    # ---- downloads ---------------------------------------------------------------------------
    async def presigned_api_host(self, request: Request) -> Response:
        return self._log(request, self._presigned(request, s3=False))

    async def presigned_other_host(self, request: Request) -> Response:
        return self._log(request, self._presigned(request, s3=True))

    async def with_bearer(self, request: Request) -> Response:
        """Behind the server's bearer guard; only the generation is checked here."""
        if request.query_params.get("generation") != str(self.generation):
            response = fail(403, "results.link.expired", "The results link has expired")
            return self._log(request, response)
        return self._log(request, self._serve_file(request))

    def _presigned(self, request: Request, s3: bool) -> Response:
        def refuse(status: int, code: str, s3_code: str, message: str) -> Response:
            return s3_fail(status, s3_code, message) if s3 else fail(status, code, message)

        on_other = request.url.hostname != self.server.api_hostname
        if s3 != on_other:
            return refuse(404, "not.found", "NoSuchBucket", "no such host for this path")
        if s3 and "authorization" in request.headers:
            message = "Only one auth mechanism allowed: the URL is presigned"
            return refuse(400, "bad.request", "InvalidArgument", message)
        if problem := self.signer.problem(request):
            return refuse(403, "access.denied", "AccessDenied", problem)
        return self._serve_file(request)

    def _serve_file(self, request: Request) -> Response:
        req = self.server.requests.get(request.path_params["request_id"])
        name = request.path_params["name"]
        found = [f for f in self.files(req) if f.name == name] if req else []
        if req is None or not found or self.server.status_of(req) != "COMPLETED":
            return fail(404, "not.found", "no such results file")
        result = found[0]
        if self.truncate_next > 0:
            self.truncate_next -= 1
            request.scope[CUT_KEY].mode = "mid_body"
        if self.server.quirks.chunked_results:
            return StreamingResponse(_chunks(result.data), media_type=result.media_type)
        return Response(result.data, media_type=result.media_type)

    def _log(self, request: Request, response: Response) -> Response:
        bearer = "authorization" in request.headers
        host = request.url.hostname or ""
        self.downloads.append(Download(host, request.url.path, response.status_code, bearer))
        return response


def _chunks(data: bytes) -> Iterator[bytes]:
    for at in range(0, len(data), CHUNK):
        yield data[at : at + CHUNK]
