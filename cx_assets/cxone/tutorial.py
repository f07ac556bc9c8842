"""CXone analytics data exports: create one job for a day range, wait for it, page every record.

The client knows the export protocol; it does not know about the lake or the catalog. One call
to `export_range` is one export job on the server (the unit the API limits to 90 days), and
returns every record with what it cost (pages, requests, 429s, timings).

Every data page is checked against the requested format before it is trusted: a `json` export
must answer `application/json` with `{"data": [...], "nextPageToken": ...}`, a `csv` export
`text/csv` with a header row and the next token in `X-Next-Page-Token` (`cxone/csv_pages.py`
reads it into the same records a JSON page holds). A page in another format (a misrouted
proxy, a server bug) is fetched again a few times with the same token, then fails with
`FormatMismatch` naming what was expected and what arrived. The last page is the one whose token
is null, absent or empty, whatever its records. An export or status answer that cannot be read
fails once as `UnreadableResponse` naming the field.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx

from cx_assets.cxone import endpoints
from cx_assets.cxone.csv_pages import CsvPageError, read_csv_page
from cx_assets.cxone.models import CreatedExport, ExportFormat, ExportJob, ExportRequest
from cx_assets.cxone.ranges import MAX_RANGE_DAYS, DayRange, split_days
from cx_assets.http.client import ApiClient
from cx_assets.http.polling import PollTimeout, poll_until
from cx_assets.http.reading import read_model
from cx_assets.http.stats import RequestStatsSnapshot

log = logging.getLogger(__name__)

#: What a page of each pageable format must declare; CXone may add a charset.
CONTENT_TYPES: dict[str, str] = {"json": "application/json", "csv": "text/csv"}
#: The formats this client pages (`xlsx` is accepted at creation, but never paged).
PagedFormat = Literal["json", "csv"]


class CxoneExportError(RuntimeError):
    """An export that cannot be completed; the message is safe to show (no secrets).
    `export_id` names the export when one was created, so a failure is audited against it."""

    def __init__(self, message: str, export_id: str | None = None) -> None:
        super().__init__(message)
        self.export_id = export_id


class CxoneExportFailed(CxoneExportError):
    """The server reports the export `failed`; the message carries its `errorMessage`."""


class CxoneExportTimeout(CxoneExportError):
    """The export did not complete within the configured time."""


class FormatMismatch(CxoneExportError):
    """A data page kept arriving in another format than the one requested."""

    def __init__(self, export_id: str, page: int, expected: str, actual: str, attempts: int):
        self.page = page
        self.expected = expected
        self.actual = actual
        self.attempts = attempts
        super().__init__(
            f"export {export_id} page {page}: expected format {expected}, got {actual} "
            f"({attempts} attempt(s))",
            export_id,
        )


@dataclass(frozen=True)
class CxoneExportSettings:
    """Knobs of the export protocol; defaults suit the emulator and a real tenant alike."""

    poll_initial_s: float = 0.25
    poll_max_s: float = 5.0
    timeout_s: float = 1800.0
    page_size: int = 1000
    columns: tuple[str, ...] = endpoints.RECORD_FIELDS
    #: The format exports are created and paged in: `json`, or `csv` (typed back on reading).
    export_format: PagedFormat = "json"
    format_attempts: int = 3
    format_retry_pause_s: float = 0.5
    max_pages: int = 100_000  # a server that never ends its token chain must not loop forever

    def __post_init__(self) -> None:
        if self.format_attempts < 1:
            raise ValueError(f"format_attempts must be at least 1, got {self.format_attempts}")
        if self.export_format not in CONTENT_TYPES:
            raise ValueError(
                f"export_format must be one of {', '.join(CONTENT_TYPES)}, "
                f"got {self.export_format!r}"
            )


@dataclass(frozen=True)
class ExportTimings:
    """When the job was requested, completed on the server, and fully paged here (UTC)."""

    requested_at: dt.datetime
    completed_at: dt.datetime
    finished_at: dt.datetime

    @property
    def latency_s(self) -> float:
        """Request to last page, in seconds."""
        return (self.finished_at - self.requested_at).total_seconds()


@dataclass
class RangeExport:
    """One export job's result: every record of the range plus what it cost."""

    export_id: str
    range: DayRange
    records: list[dict[str, Any]]
    pages: int
    total_reported: int | None
    timings: ExportTimings
    format_retries: int = 0
    request_stats: dict[str, int | float] = field(default_factory=dict)

    @property
    def count_matches(self) -> bool:
        """True when the server reported no total or the records fetched match it."""
        return self.total_reported is None or self.total_reported == len(self.records)


@dataclass(frozen=True)
class StartedExport:
    """A completed export job, ready to page, and when it was requested and completed."""

    job: ExportJob
    requested_at: dt.datetime
    completed_at: dt.datetime


@dataclass(frozen=True)
class ExportPage:
    """One data page: its number (from 1), its bytes as served, and its records."""

    number: int
    content: bytes
    records: list[dict[str, Any]]


@dataclass
class Paging:
    """What paging one export observed: pages read, the server's total, format re-fetches."""

    pages: int = 0
    total: int | None = None
    format_retries: int = 0


class _WrongFormat(Exception):
    def __init__(self, actual: str) -> None:
        super().__init__(actual)
        self.actual = actual


class CxoneExportClient:
    """Talks the `/api/v2/analytics/data-exports` protocol over a shared `ApiClient`."""

    def __init__(
        self,
        api: ApiClient,
        settings: CxoneExportSettings | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.api = api
        self.settings = settings or CxoneExportSettings()
        self._sleep = sleep

    # -- protocol steps ----------------------------------------------------------------------

    def request_for(self, days: DayRange) -> ExportRequest:
        """The validated export request for `days`, in the settings' format (raises before
        anything is sent)."""
        return ExportRequest.for_range(
            days,
            fmt=self.settings.export_format,
            columns=self.settings.columns,
            page_size=self.settings.page_size,
        )

    def create(self, request: ExportRequest) -> CreatedExport:
        """Start an export; the answer need carry only its `id` (the tutorial's promise)."""
        response = self.api.request("POST", endpoints.DATA_EXPORTS_PATH, json=request.to_json())
        return read_model(CreatedExport, response, "a created export")

    def status(self, export_id: str) -> ExportJob:
        response = self.api.request("GET", endpoints.export_path(export_id))
        return read_model(ExportJob, response, f"export {export_id}'s status")

    def wait(self, export_id: str) -> ExportJob:
        """Poll until `completed` with a growing, bounded interval; `failed` or timeout raise."""

        def completed(job: ExportJob) -> bool:
            if job.status == "failed":
                reason = job.errorMessage or "no errorMessage given"
                raise CxoneExportFailed(f"CXone export {export_id} failed: {reason}", export_id)
            return job.status == "completed"

        try:
            return poll_until(
                lambda: self.status(export_id),
                completed,
                initial_s=self.settings.poll_initial_s,
                max_s=self.settings.poll_max_s,
                timeout_s=self.settings.timeout_s,
                sleep=self._sleep,
            )
        except PollTimeout as timeout:
            raise CxoneExportTimeout(
                f"CXone export {export_id} still {timeout.last.status} after "
                f"{self.settings.timeout_s:g} s",
                export_id,
            ) from None

    def pages(
        self, export_id: str, fmt: ExportFormat | None = None, paging: Paging | None = None
    ) -> Iterator[ExportPage]:
        """Yield each page as it arrives, following `nextPageToken` until it is null, absent or
        empty; `fmt` defaults to the settings' format; `paging` collects the reported total and
        the format retries."""
        fmt = fmt or self.settings.export_format
        paging = paging if paging is not None else Paging()
        token: str | None = None
        for page in range(1, self.settings.max_pages + 1):
            content, records, token = self._page(export_id, page, token, fmt, paging)
            paging.pages += 1
            yield ExportPage(page, content, records)
            if not token:
                return
        raise CxoneExportError(
            f"CXone export {export_id}: still paging after {self.settings.max_pages} pages",
            export_id,
        )

    # -- the whole protocol --------------------------------------------------------------------

    def start(self, days: DayRange) -> StartedExport:
        """Create one JSON export for `days` and wait until it is `completed` (pages follow).

        Raises ValueError (pydantic) for a range the API would reject (over 90 days) before any
        request; `CxoneExportFailed`, `CxoneExportTimeout`, or an `ApiError` from the transport.
        """
        request = self.request_for(days)
        requested_at = _now()
        created = self.create(request)
        log.info("created CXone export %s for %s (%d days)", created.id, days, days.days)
        job = self.wait(created.id)
        return StartedExport(job, requested_at, _now())

    def export_range(self, days: DayRange) -> RangeExport:
        """Create one export for `days`, wait for it, and collect every record in memory.

        A convenience for small ranges and tests: the flow pages to disk instead
        (`flows/cxone_tutorial.py`), so a run's memory never holds a range.

        Raises ValueError (pydantic) for a range the API would reject (over 90 days) before any
        request; `CxoneExportFailed`, `CxoneExportTimeout`, `FormatMismatch`, or an `ApiError`
        from the transport once retries are exhausted.
        """
        before = self.api.stats.snapshot()
        started = self.start(days)
        job, requested_at, completed_at = started.job, started.requested_at, started.completed_at
        records: list[dict[str, Any]] = []
        paging = Paging()
        for page in self.pages(job.id, self.settings.export_format, paging):
            records.extend(page.records)
        spent: RequestStatsSnapshot = self.api.stats.snapshot() - before
        log.info("CXone export %s: %d records in %d page(s)", job.id, len(records), paging.pages)
        return RangeExport(
            export_id=job.id,
            range=days,
            records=records,
            pages=paging.pages,
            total_reported=paging.total if paging.total is not None else job.totalRecords,
            timings=ExportTimings(requested_at, completed_at, _now()),
            format_retries=paging.format_retries,
            request_stats=spent.as_dict(),
        )

    def export_days(
        self, days: Iterable[dt.date], max_days: int = MAX_RANGE_DAYS
    ) -> list[RangeExport]:
        """Export any set of days as as few jobs as the 90-day limit and gaps allow."""
        return [self.export_range(r) for r in split_days(days, max_days)]

    # -- internals -------------------------------------------------------------------------------

    def _page(
        self, export_id: str, page: int, token: str | None, fmt: ExportFormat, paging: Paging
    ) -> tuple[bytes, list[dict[str, Any]], str | None]:
        """One page, re-fetched with the same token while it arrives in the wrong format."""
        params: dict[str, Any] = {"pageSize": self.settings.page_size}
        if token:
            params["nextPageToken"] = token
        attempts = self.settings.format_attempts
        for attempt in range(1, attempts + 1):
            response = self.api.request("GET", endpoints.export_data_path(export_id), params=params)
            try:
                return (response.content, *self._parse_page(response, fmt, paging))
            except _WrongFormat as wrong:
                if attempt == attempts:
                    raise FormatMismatch(export_id, page, fmt, wrong.actual, attempts) from None
                paging.format_retries += 1
                again = (export_id, page, fmt, wrong.actual, attempt + 1, attempts)
                log.warning(
                    "CXone export %s page %d: expected %s, got %s; fetching again (%d/%d)", *again
                )
                self._sleep(self.settings.format_retry_pause_s * attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    def _parse_page(
        self, response: httpx.Response, fmt: ExportFormat, paging: Paging
    ) -> tuple[list[dict[str, Any]], str | None]:
        if fmt not in CONTENT_TYPES:
            # xlsx is accepted at creation, but its pages are not served (406).
            raise CxoneExportError(f"paging format {fmt!r} is not supported by this client")
        content_type = response.headers.get("Content-Type", "")
        media = content_type.split(";", 1)[0].strip().lower()
        if media != CONTENT_TYPES[fmt]:
            raise _WrongFormat(f"Content-Type {media or 'missing'!r}")
        if fmt == "csv":
            try:
                records = read_csv_page(response.content)
            except CsvPageError as exc:
                raise _WrongFormat(str(exc)) from None
            token = response.headers.get(endpoints.NEXT_PAGE_HEADER, "").strip()
            return records, token or None
        try:
            body = json.loads(response.content)
        except ValueError:
            raise _WrongFormat("a body that is not JSON") from None
        if not isinstance(body, dict) or not isinstance(body.get("data"), list):
            raise _WrongFormat("JSON without a 'data' list")
        token = body.get("nextPageToken")
        if token is not None and not isinstance(token, str):
            raise _WrongFormat(f"nextPageToken of type {type(token).__name__}")
        records = body["data"]
        if not all(isinstance(r, dict) for r in records):
            raise _WrongFormat("'data' items that are not objects")
        total = body.get("totalRecords")
        if isinstance(total, int) and not isinstance(total, bool):
            paging.total = total
        return records, token or None


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
