"""Genesys conversations in platform mode: one analytics conversation details job per UTC day.

`fetch_day` submits the day's job, waits for FULFILLED, then pages its results into a staging
folder the caller gives it: each page written exactly as served (atomically), hashed and counted,
one page in memory at a time. A job is never created twice by accident (a create whose answer
was lost is not re-sent); a job that expires while paging is resubmitted once; a job we give up
on is cancelled so it does not hold one of the org's job slots. The client knows the protocol,
not the lake: the caller publishes the folder.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from cx_assets.genesys.conversations import platform_endpoints as endpoints
from cx_assets.genesys.conversations.platform_endpoints import DetailsJobSettings
from cx_assets.genesys.conversations.platform_errors import (
    DetailsJobError,
    JobCancelled,
    JobExpired,
    JobFailed,
    JobTimeout,
    ResultsRejected,
    SubmitUncertain,
)
from cx_assets.genesys.conversations.platform_models import (
    AsyncConversationQuery,
    AsyncQueryResponse,
    AsyncQueryStatus,
    DataAvailability,
    DayResults,
    PageFile,
    ResultsPage,
    read_response,
)
from cx_assets.genesys.permissions import explain_forbidden
from cx_assets.http.client import ApiClient
from cx_assets.http.errors import ApiError, ForbiddenError, RetriesExhausted
from cx_assets.http.polling import PollTimeout, poll_until
from cx_assets.lake.atomic import atomic_write

__all__ = ["DetailsJobError", "DetailsJobsClient", "JobCancelled", "JobExpired", "JobFailed"]
__all__ += [
    "JobTimeout",
    "PageCounted",
    "PageLanded",
    "ResultsRejected",
    "SubmitUncertain",
    "short_cursor",
]

log = logging.getLogger(__name__)

_GONE = (404, 410)
#: Told of each page once it is on disk: (job id, page file).
PageLanded = Callable[[str, Path], None]  # results of an expired job (which of the two: UNVERIFIED)
#: Told of each page's counts once it is on disk: (job id, page), e.g. for progress lines.
PageCounted = Callable[[str, PageFile], None]


class DetailsJobsClient:
    """Talks the `/api/v2/analytics/conversations/details/jobs` protocol over an `ApiClient`."""

    def __init__(
        self,
        api: ApiClient,
        settings: DetailsJobSettings | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.api = api
        self.settings = settings or DetailsJobSettings()
        self._sleep = sleep

    def submit(self, query: AsyncConversationQuery) -> str:
        """Create a job; its id. A create whose answer was lost is not re-sent."""
        try:
            response = self._call(
                "POST", endpoints.JOBS_PATH, json=query.to_json(), resend_on_timeout=False
            )
        except ApiError as exc:
            if exc.status is None and not isinstance(exc, RetriesExhausted):  # sent, no answer
                raise SubmitUncertain(
                    f"{exc}; a job for {query.interval} may have been created, so the create is "
                    "not re-sent (jobs are not idempotent); it expires on its own, re-run the day"
                ) from None
            raise
        job = read_response(AsyncQueryResponse, response)
        log.info("submitted details job %s for %s", job.jobId, query.interval)
        return job.jobId

    def status(self, job_id: str) -> AsyncQueryStatus:
        return read_response(AsyncQueryStatus, self._call("GET", endpoints.job_path(job_id)))

    def wait(self, job_id: str, *, day: dt.date | None = None) -> AsyncQueryStatus:
        """Poll with bounded backoff until FULFILLED; FAILED, CANCELLED, EXPIRED or the overall
        timeout raise, naming the job (and the day when given). Unknown states keep waiting."""
        settings, unknown_seen = self.settings, set[str]()

        def fulfilled(status: AsyncQueryStatus) -> bool:
            state, reason = status.state, status.errorMessage or "no errorMessage given"
            final = {
                "FAILED": (JobFailed, f"FAILED: {reason}"),
                "CANCELLED": (JobCancelled, "was CANCELLED on the server"),
                "EXPIRED": (JobExpired, "EXPIRED"),
            }
            if state in final:
                error, what = final[state]
                raise error(f"{_job(job_id, day)} {what}", job_id, day)
            if not status.known and state not in unknown_seen:
                unknown_seen.add(state)
                log.warning("%s: unknown state %r, treated as running", _job(job_id, day), state)
            return state == "FULFILLED"

        try:
            return poll_until(
                lambda: self.status(job_id),
                fulfilled,
                initial_s=settings.poll_initial_s,
                max_s=settings.poll_max_s,
                timeout_s=settings.timeout_s,
                sleep=self._sleep,
            )
        except PollTimeout as timeout:
            still = f"still {timeout.last.state} after {settings.timeout_s:g} s (timeout_s)"
            raise JobTimeout(f"{_job(job_id, day)} {still}", job_id, day) from None

    def cancel(self, job_id: str) -> bool:
        """Best effort DELETE; True when the server took it. Never raises (it runs while
        another error is on its way to the caller, which must stay the one reported)."""
        try:
            self._call("DELETE", endpoints.job_path(job_id))
        except Exception as exc:
            log.warning("could not cancel details job %s: %s", job_id, exc)
            return False
        log.info("cancelled details job %s", job_id)
        return True

    def availability(self) -> dt.datetime:
        """Analytics data is complete up to this instant (aware, UTC)."""
        response = self._call("GET", endpoints.AVAILABILITY_PATH)
        return read_response(DataAvailability, response).dataAvailabilityDate

    def results_page(self, job_id: str, cursor: str | None) -> tuple[bytes, ResultsPage]:
        """One page as (the bytes served, what they say). 404/410 raise `JobExpired`; any other
        4xx (a cursor the server does not know) raises `ResultsRejected`, not retried."""
        params: dict[str, Any] = {"pageSize": self.settings.page_size}
        if cursor is not None:
            params["cursor"] = cursor
        try:
            response = self._call("GET", endpoints.results_path(job_id), params=params)
        except ApiError as exc:
            short = short_cursor(cursor)  # a server may echo the cursor: never show it whole
            text = str(exc).replace(cursor, short) if cursor else str(exc)
            if exc.status in _GONE:
                raise JobExpired(f"results gone (cursor {short}): {text}", job_id) from None
            if (exc.status or 0) // 100 == 4 and exc.status not in (403, 429):
                raise ResultsRejected(f"{text} (cursor {short}); not retried", job_id) from None
            raise
        return response.content, read_response(ResultsPage, response)

    def fetch_day(
        self,
        day: dt.date,
        staging_dir: Path,
        on_page: PageLanded | None = None,
        *,
        on_counted: PageCounted | None = None,
    ) -> DayResults:
        """Run the whole protocol for one UTC day into `staging_dir` (created if absent).

        `on_page(job_id, path)` hears of each page once it is complete on disk (a new job id:
        the pages of the job before it were removed, the job was resubmitted); `on_counted`
        hears of the same page's counts (`PageFile`) right after."""
        query = AsyncConversationQuery.day_query(day)
        staging_dir.mkdir(parents=True, exist_ok=True)
        if any(staging_dir.glob("page-*.json")):
            raise ValueError(f"{staging_dir} already holds result pages: give an empty folder")
        before = self._stats()
        submitted_at = _now()
        live: str | None = self.submit(query)  # a job that may still hold a slot
        job_id, replaced, written = live, None, list[PageFile]()
        try:
            while True:
                try:
                    self.wait(job_id, day=day)
                    fulfilled_at = _now()
                    self._page_all(job_id, day, staging_dir, written, (on_page, on_counted))
                    break
                except JobExpired as exc:
                    live = None
                    _remove(staging_dir, written)
                    if replaced is not None:
                        raise JobExpired(
                            f"{_job(job_id, day)} expired again while paging, after "
                            f"resubmitting expired job {replaced}; giving up ({exc})",
                            job_id,
                            day,
                        ) from None
                    log.warning("%s expired (%s); resubmitting once", _job(job_id, day), exc)
                    replaced = job_id
                    submitted_at = _now()
                    job_id = live = self.submit(query)
        except BaseException as exc:
            _remove(staging_dir, written)
            if isinstance(exc, JobFailed | JobCancelled):
                live = None  # final on the server: nothing to release
            if live is not None:
                log.warning("giving up on %s (%s); cancelling it", _job(live, day), exc)
                self.cancel(live)
            raise
        total = sum(p.conversations for p in written)
        log.info("%s: %d page(s), %d conversation(s)", _job(job_id, day), len(written), total)
        return DayResults(
            day=day,
            job_id=job_id,
            interval=query.interval,
            pages=tuple(written),
            conversations=total,
            data_availability=min(
                (p.data_availability for p in written if p.data_availability), default=None
            ),
            resubmitted=replaced is not None,
            replaced_job_id=replaced,
            submitted_at=submitted_at,
            fulfilled_at=fulfilled_at,
            finished_at=_now(),
            request_stats=(self._stats() - before).as_dict() if before else None,
        )

    def _page_all(
        self,
        job_id: str,
        day: dt.date,
        folder: Path,
        written: list[PageFile],
        hooks: tuple[PageLanded | None, PageCounted | None],
    ) -> None:
        """Every page of a FULFILLED job into `folder`, appended to `written` as it lands."""
        on_page, on_counted = hooks
        cursor: str | None = None
        total_bytes = total_conversations = 0
        while True:
            number = len(written) + 1
            content, page = self.results_page(job_id, cursor)
            name = f"page-{number:05d}.json"
            with atomic_write(folder / name) as fh:
                fh.write(content)
            written.append(PageFile.of(name, content, page))
            if on_page is not None:
                on_page(job_id, folder / name)
            if on_counted is not None:
                on_counted(job_id, written[-1])
            total_bytes += len(content)
            total_conversations += page.conversation_count
            log.info(
                "%s: page %d, %d conversation(s), %d bytes; %d conversation(s), %d bytes so far",
                _job(job_id, day), number, page.conversation_count, len(content),
                total_conversations, total_bytes,
            )  # fmt: skip
            if page.cursor is None:
                return
            if page.cursor == cursor or number >= self.settings.max_pages:
                raise ResultsRejected(
                    f"{_job(job_id, day)}: paging would never end (page {number} handed back "
                    f"cursor {short_cursor(cursor)} again, or max_pages reached)",
                    job_id,
                    day,
                )
            cursor = page.cursor

    def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """`ApiClient.request`, with a 403 turned into the permission the call needs."""
        try:
            return self.api.request(method, path, **kwargs)
        except ForbiddenError as exc:
            raise explain_forbidden(exc) from None

    def _stats(self) -> Any:
        stats = getattr(self.api, "stats", None)  # any ApiClient-like object will do
        return stats.snapshot() if stats is not None else None


def short_cursor(cursor: str | None) -> str:
    """A cursor safe for logs and messages: its first characters and its length, never whole."""
    if cursor is None:
        return "none (first page)"
    return f"{cursor[:6]!r}… ({len(cursor)} chars)" if len(cursor) > 6 else repr(cursor)


def _job(job_id: str, day: dt.date | None) -> str:
    return f"details job {job_id} for {day}" if day else f"details job {job_id}"


def _remove(folder: Path, written: list[PageFile]) -> None:
    for page in written:
        (folder / page.name).unlink(missing_ok=True)
    written.clear()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
