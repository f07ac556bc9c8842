"""Progress lines for CXone reads, on the shared `flows/progress.TransferProgress`.

A CXone run used to log two lines per read: one when it began, one when it ended. A 90-day
export or a busy tenant's day can take many minutes between them, so each read now logs where it
stands at a steady rate (pages done, records, bytes, rate; an ETA when the total is known: the
tutorial export reports `totalRecords`, the Reporting API does not), and a platform run also
logs how many of its days are done, with an ETA from the days so far.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from cx_assets.cxone.ranges import DayRange
from cx_assets.flows.context import ProgressLog
from cx_assets.flows.progress import DEFAULT_EVERY_S, Clock, TransferProgress


def export_progress(
    log: ProgressLog,
    export_id: str,
    days: DayRange,
    *,
    every_s: float = DEFAULT_EVERY_S,
    clock: Clock | None = None,
) -> TransferProgress:
    """Pages of one tutorial export job; `expect_records` adds the total once it is known."""
    extra = {"clock": clock} if clock is not None else {}
    return TransferProgress(
        log, f"CXone export {export_id} ({days})", unit="page", every_s=every_s, **extra
    )


def expect_records(progress: TransferProgress, total: int | None, page_size: int) -> None:
    """The server's total as pages of `page_size`, for the ETA (once; later totals agree)."""
    if total is not None and progress.total_items is None:
        progress.total_items = max(1, math.ceil(total / page_size))


def pull_progress(
    log: ProgressLog, day: str, *, every_s: float = DEFAULT_EVERY_S, clock: Clock | None = None
) -> TransferProgress:
    """Responses of one platform day pull (the API gives no total: no ETA, says so)."""
    extra = {"clock": clock} if clock is not None else {}
    return TransferProgress(
        log,
        f"CXone {day} pull",
        unit="response",
        record_unit="contact",
        every_s=every_s,
        **extra,
    )


def days_progress(
    log: ProgressLog,
    days: Sequence[object],
    *,
    every_s: float = DEFAULT_EVERY_S,
    clock: Clock | None = None,
) -> TransferProgress:
    """Days of a platform run (one pull each): `n of N day(s)` and an ETA from the days done."""
    extra = {"clock": clock} if clock is not None else {}
    progress = TransferProgress(
        log, "CXone run", unit="day", record_unit="contact", every_s=every_s, **extra
    )
    progress.start(items=len(days))
    return progress
