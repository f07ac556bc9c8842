"""Client for Genesys Cloud GDPR requests (`/api/v2/gdpr/…`, docs/api-contract.md).

The API has no client request id, so filing is made safe by the caller: `file` never re-sends a
create whose answer was lost (`FilingUncertain`), and `find_filed` looks through the org's
requests for one with our type and subject created since we began filing. Results come as one or
several URLs; `download_results` streams each into a folder, checks its size against
`Content-Length` and records the SHA-256 we computed (the server gives none). A 403 names the
permission the role lacks. Subjects and URLs never appear in messages.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

import httpx
from pydantic import ValidationError

from cx_assets.genesys.listing import Listing, last_page
from cx_assets.genesys.permissions import PRIVACY, explain_forbidden
from cx_assets.genesys.privacy.platform_models import (
    SEARCH_TYPES,
    GdprRequestFile,
    GdprRequestView,
)
from cx_assets.http.client import ApiClient
from cx_assets.http.errors import ApiError, ForbiddenError, RetriesExhausted
from cx_assets.http.paths import path_segment
from cx_assets.http.reading import read_model
from cx_assets.lake.privacy import FILE_MODE
from cx_assets.lake.verified_download import READ_CHUNK, VerificationError, write_verified

log = logging.getLogger(__name__)

GDPR_REQUESTS = "/api/v2/gdpr/requests"
GDPR_SUBJECTS = "/api/v2/gdpr/subjects"
#: Clocks differ: a request the server stamped a little before we noted "filing started" is ours.
CLOCK_SKEW = dt.timedelta(minutes=5)
_SUFFIXES = (".json", ".zip", ".csv", ".txt", ".gz", ".jsonl")
_CONTENT_TYPES = {"application/json": ".json", "application/zip": ".zip", "text/csv": ".csv"}


class FilingUncertain(Exception):
    """The create was sent but no answer came: a request may exist. Look for it before filing
    again (`find_filed`)."""


class ResultsFailed(Exception):
    """A results file could not be downloaded, each time with fresh URLs; the message says why."""


@dataclass(frozen=True)
class ResultFile:
    """One downloaded results file: its name in the folder, size and the SHA-256 we computed."""

    name: str
    size: int
    sha256: str
    content_type: str | None


@dataclass(frozen=True)
class GdprSettings:
    list_page_size: int = 25
    max_list_pages: int = 400
    file_attempts: int = 3


def result_name(index: int, url: str, content_type: str | None) -> str:
    """`results-01.json`: our own name (a server path is never trusted as a file name); the
    suffix from the URL path or the content type, else `.bin`."""
    suffix = PurePosixPath(urlsplit(url).path).suffix.lower()
    if suffix not in _SUFFIXES:
        media = (content_type or "").split(";")[0].strip().lower()
        suffix = _CONTENT_TYPES.get(media, ".bin")
    return f"results-{index:02d}{suffix}"


class GdprClient:
    """File, read, list and download GDPR requests over one authenticated `ApiClient`."""

    def __init__(self, api: ApiClient, settings: GdprSettings | None = None) -> None:
        self.api = api
        self.settings = settings or GdprSettings()

    def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            return self.api.request(method, path, **kwargs)
        except ForbiddenError as exc:
            raise explain_forbidden(exc, PRIVACY) from None

    def file(self, request: GdprRequestFile) -> GdprRequestView:
        """POST the request once. A lost answer (timeout, dropped connection, 5xx) raises
        `FilingUncertain`: the server may have filed it, and a blind re-send would file twice."""
        params = {"deleteConfirmed": "true" if request.delete_confirmed else "false"}
        try:
            response = self._call(
                "POST",
                GDPR_REQUESTS,
                params=params,
                json=request.wire_body(),
                resend_on_timeout=False,
                resend_on_server_error=False,
            )
        except ApiError as exc:
            uncertain = exc.status is None or exc.status >= 500
            if uncertain and not (isinstance(exc, RetriesExhausted) and exc.status == 429):
                raise FilingUncertain(
                    f"filing the {request.request_type} request got no answer ({exc}); it may "
                    "have been filed"
                ) from None
            raise
        return read_model(GdprRequestView, response)

    def get(self, request_id: str) -> GdprRequestView:
        return read_model(
            GdprRequestView, self._call("GET", f"{GDPR_REQUESTS}/{path_segment(request_id)}")
        )

    def requests(self) -> Iterator[GdprRequestView]:
        """Every request of the org, page by page (order UNVERIFIED: all pages are read)."""
        size = self.settings.list_page_size
        for number in range(1, self.settings.max_list_pages + 1):
            response = self._call(
                "GET", GDPR_REQUESTS, params={"pageSize": size, "pageNumber": number}
            )
            page = read_model(Listing, response)
            for entity in page.entities:
                try:
                    yield GdprRequestView.model_validate(entity)
                except ValidationError:
                    log.warning("skipped a GDPR request in the list without id or status")
            if not page.entities or last_page(page, number, size):
                return
        raise ApiError(
            None,
            "GET",
            GDPR_REQUESTS,
            f"the request list has more than {self.settings.max_list_pages} pages of {size}: "
            "raise GdprSettings.max_list_pages to look further",
        )

    def find_filed(
        self,
        request: GdprRequestFile,
        since: dt.datetime,
        exclude: set[str] | frozenset[str] = frozenset(),
    ) -> GdprRequestView | None:
        """The request we filed since `since` (minus clock skew): same type and subject, not one
        of `exclude` (ids already taken by other requests); the earliest if several."""
        canonical = request.subject.canonical()
        earliest = since - CLOCK_SKEW
        found: list[GdprRequestView] = []
        for candidate in self.requests():
            if candidate.id in exclude or candidate.request_type not in (
                None,
                request.request_type,
            ):
                continue
            if candidate.created_date is not None and candidate.created_date < earliest:
                continue
            if candidate.same_subject(canonical):
                found.append(candidate)
        far_future = dt.datetime.max.replace(tzinfo=dt.UTC)
        found.sort(key=lambda r: r.created_date or far_future)
        return found[0] if found else None

    def subjects(self, search_type: str, value: str) -> list[dict[str, Any]]:
        """`GET /api/v2/gdpr/subjects`: the subjects Genesys finds (raw, for printing only)."""
        kind = search_type.strip().upper()
        if kind not in SEARCH_TYPES:
            raise ValueError(f"searchType {search_type!r} is not one of {', '.join(SEARCH_TYPES)}")
        if not value.strip():
            raise ValueError("searchValue is empty")
        response = self._call(
            "GET", GDPR_SUBJECTS, params={"searchType": kind, "searchValue": value}
        )
        return [e for e in read_model(Listing, response).entities if isinstance(e, dict)]

    def download_results(self, request_id: str, folder: Path) -> list[ResultFile]:
        """Every results file of the COMPLETED request, streamed into `folder` (0600 each).

        Each file gets `file_attempts` tries; before every retry the request is read again for
        fresh URLs (an expired or refused URL, a cut transfer, a size that does not match)."""
        view = self.get(request_id)
        if view.status != "COMPLETED":
            raise ResultsFailed(f"GDPR request {request_id} is {view.status}, not COMPLETED")
        urls = view.urls()
        if not urls:
            raise ResultsFailed(f"GDPR request {request_id} is COMPLETED but lists no results URL")
        files: list[ResultFile] = []
        for index in range(len(urls)):
            files.append(self._download_one(request_id, index, urls[index], folder))
        return files

    def _download_one(self, request_id: str, index: int, url: str, folder: Path) -> ResultFile:
        last: Exception | None = None
        for attempt in range(self.settings.file_attempts):
            if attempt:
                fresh = self.get(request_id).urls()
                if len(fresh) <= index:
                    raise ResultsFailed(
                        f"GDPR request {request_id}: results file {index + 1} is no longer listed"
                    )
                url = fresh[index]
            try:
                return self._stream(request_id, index, url, folder)
            except (ApiError, VerificationError, httpx.TransportError, OSError) as exc:
                last = exc
                log.warning(
                    "GDPR request %s results file %d, attempt %d failed: %s",
                    request_id,
                    index + 1,
                    attempt + 1,
                    exc,
                )
        raise ResultsFailed(
            f"GDPR request {request_id}: results file {index + 1} failed "
            f"{self.settings.file_attempts} times (last: {last})"
        )

    def _stream(self, request_id: str, index: int, url: str, folder: Path) -> ResultFile:
        with self.api.stream_download(url, authenticated=self.api.same_origin(url)) as response:
            content_type = response.headers.get("Content-Type")
            name = result_name(index + 1, url, content_type)
            length = response.headers.get("Content-Length")
            encoded = response.headers.get("Content-Encoding", "identity") != "identity"
            expected = int(length) if length and length.isdigit() and not encoded else None
            verified = write_verified(
                response.iter_bytes(READ_CHUNK),
                folder / name,
                expected_sha256=None,
                expected_size=expected,
                name=f"GDPR request {request_id} results file {index + 1}",
            )
        (folder / name).chmod(FILE_MODE)
        return ResultFile(name, verified.size, verified.sha256, content_type)
