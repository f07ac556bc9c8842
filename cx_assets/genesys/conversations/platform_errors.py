"""Why a day's analytics details job could not be completed: one class per way it ends.

Each message names the job and the day and is safe to show (no token, no full cursor)."""

from __future__ import annotations

import datetime as dt


class DetailsJobError(RuntimeError):
    """A day's job that cannot be completed; the message names the job and the day, and is
    safe to show (no token, no full cursor). Not retried by the client."""

    def __init__(self, message: str, job_id: str | None = None, day: dt.date | None = None):
        super().__init__(message, job_id, day)  # all in args: pickles across processes
        self.job_id, self.day = job_id, day

    def __str__(self) -> str:
        return str(self.args[0])


class JobFailed(DetailsJobError):
    """The server ended the job FAILED; the message carries its `errorMessage`."""


class JobCancelled(DetailsJobError):
    """Someone else cancelled the job (ours cancels only when giving up)."""


class JobExpired(DetailsJobError):
    """The job's results are gone (EXPIRED, or 404/410 on a page), and resubmitting did not help."""


class JobTimeout(DetailsJobError):
    """The job was not FULFILLED within `timeout_s` (`fetch_day` then cancels it)."""


class ResultsRejected(DetailsJobError):
    """The server refused a results page (e.g. 400 for a cursor it does not know)."""


class SubmitUncertain(DetailsJobError):
    """The create was sent but its answer was lost: a job may exist, so it is not re-sent."""
