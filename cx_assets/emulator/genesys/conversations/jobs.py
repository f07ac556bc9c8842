"""Conversation details jobs: their lifecycle, their cursors and what `/admin/stats` shows.

A job is QUEUED for the first half of its delay, PENDING for the second, then FULFILLED (or
FAILED when `job_failed` was set); its results live `details_job_lifetime_s` after completion,
then it is EXPIRED (at once after `after` pages with `job_expired`). The job's "now" is fixed at
submission, so paging through it twice gives the same bytes even for today.

Cursors are opaque: a position in the job's scan and the running count, signed with a key of
the job, so a cursor from another job, a forged or a mangled one is "unknown" (400). Jobs live in
memory: after a restart every job id is unknown (404), as after a real job's results are purged.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cx_assets.emulator.config import EmulatorConfig
from cx_assets.emulator.errors import ApiError
from cx_assets.emulator.genesys.conversations.query import Query
from cx_assets.emulator.genesys.conversations.scan import Page, Scan

FAILED_MESSAGE = "The query failed to execute (the emulator's job_failed fault is set)"
TERMINAL = ("FULFILLED", "FAILED", "CANCELLED", "EXPIRED")


def iso_s(ts: float) -> str:
    """An epoch-seconds instant as ISO-8601 with milliseconds and Z."""
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class Job:
    id: str
    query: Query
    scan: Scan
    submitted: float
    ready_at: float
    failed: bool
    #: `job_expired`: results vanish after this many pages (None: only by time)
    expire_after_pages: int | None
    key: bytes = field(repr=False)
    cancelled: bool = False
    expired_at: float | None = None
    pages_served: int = 0
    conversations_served: int = 0


class JobStore:
    """Jobs by id. Thread-safe: pages are generated on worker threads."""

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self._lock = threading.Lock()
        self._jobs: dict[str, Job] = {}

    def close(self) -> None:
        with self._lock:
            self._jobs.clear()

    def create(
        self, query: Query, *, failed: bool, extra_delay_s: float, expire_after: int | None
    ) -> Job:
        now = time.time()
        job = Job(
            id=str(uuid.uuid4()),
            query=query,
            scan=Scan(
                query, self.config.seed, self.config.details_conversations_per_day, int(now * 1000)
            ),
            submitted=now,
            ready_at=now + self.config.details_job_delay_s + extra_delay_s,
            failed=failed,
            expire_after_pages=expire_after,
            key=secrets.token_bytes(16),
        )
        with self._lock:
            self._jobs[job.id] = job
        return job

    def get(self, job_id: str) -> Job:
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None:
            raise ApiError(404, f"Unable to find a job with the id {job_id}", code="not.found")
        return job

    def expires_at(self, job: Job) -> float:
        return job.ready_at + self.config.details_job_lifetime_s

    def state(self, job: Job, now: float | None = None) -> str:
        now = time.time() if now is None else now
        if job.cancelled:
            return "CANCELLED"
        if now < job.ready_at:
            queued_until = job.submitted + (job.ready_at - job.submitted) / 2
            return "QUEUED" if now < queued_until else "PENDING"
        if job.failed:
            return "FAILED"
        if self._pages_used_up(job) or now >= self.expires_at(job):
            return "EXPIRED"
        return "FULFILLED"

    @staticmethod
    def _pages_used_up(job: Job) -> bool:
        limit = job.expire_after_pages
        return limit is not None and job.pages_served >= limit

    def status(self, job: Job) -> dict[str, Any]:
        """`AsyncQueryStatus`."""
        state = self.state(job)
        body: dict[str, Any] = {"state": state, "submissionDate": iso_s(job.submitted)}
        if state in ("FULFILLED", "FAILED", "EXPIRED"):
            body["completionDate"] = iso_s(job.ready_at)
        if state in ("FULFILLED", "EXPIRED"):
            when = self.expires_at(job)
            if self._pages_used_up(job):
                when = job.ready_at if job.expired_at is None else job.expired_at
            body["expirationDate"] = iso_s(when)
        if state == "FAILED":
            body["errorMessage"] = FAILED_MESSAGE
        return body

    def cancel(self, job: Job) -> bool:
        """Cancel unless already FAILED/EXPIRED/CANCELLED; True when this call cancelled it."""
        with self._lock:
            if self.state(job) in ("FAILED", "EXPIRED", "CANCELLED"):
                return False
            job.cancelled = True
            return True

    def cursor(self, job: Job, position: int, emitted: int) -> str:
        raw = f"{position}.{emitted}"
        sig = hmac.new(job.key, f"{job.id}:{raw}".encode(), hashlib.sha256).hexdigest()[:16]
        return base64.urlsafe_b64encode(f"{raw}.{sig}".encode()).decode().rstrip("=")

    def read_cursor(self, job: Job, cursor: str) -> tuple[int, int]:
        """(position, emitted) of a cursor this job issued, or a 400 naming `cursor`."""
        try:
            text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
            position, emitted, _sig = text.split(".")
            expected = self.cursor(job, int(position), int(emitted))
        except (ValueError, binascii.Error, UnicodeDecodeError):
            expected = None
        if expected is None or not hmac.compare_digest(expected, cursor.rstrip("=")):
            raise unknown_cursor(job)
        return int(position), int(emitted)

    def served(self, job: Job, page: Page) -> None:
        """Count a page handed out; a `job_expired` job expires once it has had its pages."""
        with self._lock:
            job.pages_served += 1
            job.conversations_served += len(page.conversations)
            if self._pages_used_up(job) and job.expired_at is None:
                job.expired_at = time.time()

    def summaries(self) -> list[dict[str, Any]]:
        """What `/admin/stats` lists under `details_jobs`, in creation order."""
        with self._lock:
            jobs = list(self._jobs.values())
        return [
            {
                "jobId": job.id,
                "state": self.state(job),
                "interval": job.query.interval,
                "startOfDayIntervalMatching": job.query.start_of_day,
                "pagesServed": job.pages_served,
                "conversationsServed": job.conversations_served,
            }
            for job in jobs
        ]


def unknown_cursor(job: Job) -> ApiError:
    return ApiError(
        400,
        f"cursor is not a cursor of job {job.id} (unknown, expired or mangled); "
        "start again without a cursor",
        field="cursor",
    )
