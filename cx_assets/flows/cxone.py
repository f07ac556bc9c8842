"""CXone interactions: what both API modes share once a day's file is built.

A run reads its days in one of two ways (`flows/cxone_tutorial.py`: analytics export jobs of up
to 90 days; `flows/cxone_platform.py`: the Reporting API's completed contacts, one day per
pull), writes every response to disk as it arrives and builds each day's file from disk
(`lake/cxone_days.py`), so memory never holds a day or a range. Both then come here:
`register_read` records the read and its days in the catalog (one audit entry), and `sync_day`
POSTs a day's complete rows to the data-lake webhook when one is configured.

A failure a caller should report is a `CxoneFlowError` carrying the message and whether a retry
could fix it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from cx_assets.catalog.cxone import record_sync, register_range
from cx_assets.catalog.failures import record_failure
from cx_assets.cxone import lake_sync
from cx_assets.cxone.ranges import DayRange
from cx_assets.flows.cxone_records import ReadSummary, day_record, read_record, sync_record
from cx_assets.http.client import ApiClient
from cx_assets.http.errors import ApiError
from cx_assets.lake.cxone_columns import MAPPINGS, CxoneMode
from cx_assets.lake.cxone_days import DATASET, SOURCE, BuiltDay, DayAlignment
from cx_assets.lake.cxone_files import complete_rows
from cx_assets.lake.paths import DataLayout

FLOW = "cxone"
DEFAULT_CHUNK_SIZE = 500


class CxoneFlowError(Exception):
    """A step failed; `str()` is the message for the user, `retriable` whether a retry may help."""

    retriable: bool


class ReadFailed(CxoneFlowError):
    """Reading `days` from CXone failed (audited in the catalog); a 4xx or bad input is final."""

    def __init__(self, days: DayRange, what: str, cause: Exception, *, retriable: bool) -> None:
        super().__init__(f"CXone {what} of {days} failed: {cause}")
        self.days = days
        self.cause = cause
        self.retriable = retriable


class WebhookSyncFailed(CxoneFlowError):
    """Delivering `day` to the data-lake webhook failed; only no answer, 429 or 5xx is retried."""

    def __init__(self, day: dt.date, cause: ApiError) -> None:
        super().__init__(f"data-lake webhook sync of {day} failed: {cause}")
        self.day = day
        self.cause = cause
        self.retriable = cause.status is None or cause.status >= 500 or cause.status == 429


@dataclass(frozen=True)
class LandedDay:
    """What a run did for one day: its built file and the read it came from."""

    built: BuiltDay
    read: ReadSummary
    #: Records of the read placed in one of its days (all days), for the accounting check.
    read_placed: int
    synced_records: int | None = None

    @property
    def day(self) -> dt.date:
        return self.built.written.day

    @property
    def alignment(self) -> DayAlignment:
        return self.built.alignment


def audit_failure(
    layout: DataLayout, days: DayRange, read_id: str | None, exc: Exception, *, run_id: str
) -> None:
    """Record a failed read in the catalog before it is raised."""
    record_failure(
        layout.catalog_path,
        source=SOURCE,
        dataset=DATASET,
        partition_key=f"{days.first}_{days.last}",
        export_id=read_id,
        reason=str(exc),
        actor=run_id,
        flow=FLOW,
    )


def register_read(
    layout: DataLayout, read: ReadSummary, built: Sequence[BuiltDay], *, run_id: str
) -> None:
    """Make the read's days the catalog's current state (one transaction, one audit entry)."""
    register_range(
        layout.catalog_path,
        read_record(read, built, run_id=run_id),
        [day_record(read.read_id, b.alignment, b.written) for b in built],
        actor=run_id,
    )


def sync_day(
    webhook: tuple[ApiClient, str],
    built: BuiltDay,
    mode: CxoneMode,
    layout: DataLayout,
    *,
    run_id: str,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> int:
    """POST the day's complete rows, read back from its file, in idempotent chunks."""
    api, path = webhook
    batches = complete_rows(built.written.path, MAPPINGS[mode], chunk_size)
    try:
        result = lake_sync.sync_batches(api, path, DATASET, built.written.day, batches)
    except ApiError as exc:
        raise WebhookSyncFailed(built.written.day, exc) from exc
    record_sync(layout.catalog_path, sync_record(result), actor=run_id)
    return result.records


def landed_days(
    read: ReadSummary, built: Sequence[BuiltDay], synced: Mapping[dt.date, int]
) -> list[LandedDay]:
    placed = sum(b.received for b in built)
    return [LandedDay(b, read, placed, synced.get(b.written.day)) for b in built]
