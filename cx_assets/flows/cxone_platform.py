"""CXone platform mode: each UTC day's completed contacts from the Reporting API.

One pull per day (`startDate`/`endDate` = the day, literal `Z`), paged with `skip` to the end;
every response is written to disk as it arrives and the day's file is built from disk and
swapped in only when the pull is complete (`lake/cxone_reads.py`). A day whose current file
came from a platform pull that began at most `max_updated_since_days` ago (the API refuses
older `updatedSince`; TAP-N clamps it to 30 days) is pulled again with `updatedSince` = that
pull's start less a safety overlap: only the contacts that changed or completed since come back,
and they replace their rows in the stored day (`late_updates`). Any other day, or a stored file
that no longer matches the catalog's checksum, gets a full pull.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cx_assets.catalog.cxone import current_pull
from cx_assets.cxone.contacts import ContactsResponseError, ContactsWindow, CxoneContactsClient
from cx_assets.cxone.ranges import DayRange
from cx_assets.flows.context import ProgressLog
from cx_assets.flows.cxone import (
    DEFAULT_CHUNK_SIZE,
    LandedDay,
    ReadFailed,
    audit_failure,
    landed_days,
    register_read,
    sync_day,
)
from cx_assets.flows.cxone_progress import days_progress, pull_progress
from cx_assets.flows.cxone_records import ReadSummary
from cx_assets.http.client import ApiClient
from cx_assets.http.errors import ApiError
from cx_assets.lake.cxone_columns import PLATFORM
from cx_assets.lake.cxone_days import BuiltDay
from cx_assets.lake.cxone_reads import ReadSink
from cx_assets.lake.paths import DataLayout
from cx_assets.lake.verified_download import sha256_file

RAW_DATASET = "contacts"
#: Pull a little before the previous pull began, so a clock skew cannot lose an update.
UPDATE_OVERLAP = dt.timedelta(minutes=10)


@dataclass(frozen=True)
class PullPolicy:
    """When a day may be pulled as late updates instead of in full."""

    late_updates: bool = True
    max_updated_since_days: int = 30

    def __post_init__(self) -> None:
        if not 1 <= self.max_updated_since_days <= 30:
            raise ValueError(
                f"max_updated_since_days {self.max_updated_since_days} must be 1..30 "
                "(the Reporting API refuses an older updatedSince)"
            )


@dataclass(frozen=True)
class PullPlan:
    """How one day is read: in full, or the changes since `updated_since` over `base`."""

    day: dt.date
    kind: str  # "full" | "late_updates"
    updated_since: dt.datetime | None = None
    base: Path | None = None
    why: str = ""


def plan_pull(layout: DataLayout, day: dt.date, policy: PullPolicy, now: dt.datetime) -> PullPlan:
    """Late updates when the day's current file is a recent, intact platform pull; else full."""
    if not policy.late_updates:
        return PullPlan(day, "full", why="late-update pulls are off")
    previous = current_pull(layout.catalog_path, day)
    if previous is None:
        return PullPlan(day, "full", why="first pull of the day")
    if previous.api_mode != "platform" or previous.started_at is None:
        return PullPlan(day, "full", why=f"stored by a {previous.api_mode or 'tutorial'} read")
    since = previous.started_at - UPDATE_OVERLAP
    if now - since > dt.timedelta(days=policy.max_updated_since_days):
        return PullPlan(day, "full", why=f"last pull older than {policy.max_updated_since_days} d")
    base = Path(previous.path)
    if not base.is_file() or sha256_file(base) != previous.sha256:
        return PullPlan(day, "full", why="the stored file does not match the catalog")
    return PullPlan(day, "late_updates", since, base, why=f"changes since {since.isoformat()}")


def land_days(
    client: CxoneContactsClient,
    days: Sequence[dt.date],
    layout: DataLayout,
    *,
    run_id: str,
    log: ProgressLog,
    policy: PullPolicy | None = None,
    webhook: tuple[ApiClient, str] | None = None,
    webhook_chunk_size: int = DEFAULT_CHUNK_SIZE,
    clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
) -> list[LandedDay]:
    """Pull, land and register each day in order; raises `ReadFailed` or `WebhookSyncFailed`
    at the first day that fails (days landed before it stay landed)."""
    policy = policy or PullPolicy()
    landed: list[LandedDay] = []
    run_days = sorted(set(days))
    progress = days_progress(log, run_days)
    for day in run_days:
        plan = plan_pull(layout, day, policy, clock())
        read, built = _pull(client, plan, layout, run_id=run_id, log=log, clock=clock)
        register_read(layout, read, built, run_id=run_id)
        synced: dict[dt.date, int] = {}
        if webhook is not None:
            synced[day] = sync_day(
                webhook, built[0], "platform", layout, run_id=run_id, chunk_size=webhook_chunk_size
            )
        landed.extend(landed_days(read, built, synced))
        progress.advance(bytes=built[0].written.bytes, records=built[0].written.rows)
    progress.finish()
    return landed


def _only_day(day: dt.date) -> Callable[[Mapping[str, Any]], dt.date | None]:
    """A contact without `contactStart` was still served for this day's window: it stays here."""
    return lambda record: day


def _pull(
    client: CxoneContactsClient,
    plan: PullPlan,
    layout: DataLayout,
    *,
    run_id: str,
    log: ProgressLog,
    clock: Callable[[], dt.datetime],
) -> tuple[ReadSummary, list[BuiltDay]]:
    read_id = f"pull-{plan.day.isoformat()}-{uuid.uuid4().hex[:12]}"
    days = DayRange.single(plan.day)
    window = ContactsWindow.day(plan.day, plan.updated_since)
    before = client.api.stats.snapshot()
    started = clock()
    log.info(f"CXone {plan.day}: {plan.kind.replace('_', ' ')} pull ({plan.why})")
    try:
        with ReadSink(
            layout,
            PLATFORM,
            [plan.day],
            read_id=read_id,
            raw_dataset=RAW_DATASET,
            raw_partition=plan.day.isoformat(),
            fallback=_only_day(plan.day),
        ) as sink:
            progress = pull_progress(log, plan.day.isoformat())
            for page in client.pages(window):
                sink.add(page.content, page.records)
                progress.advance(bytes=len(page.content), records=len(page.records))
            built = sink.finish({plan.day: plan.base} if plan.base is not None else None)
    except (ApiError, ContactsResponseError, ValueError) as exc:
        audit_failure(layout, days, read_id, exc, run_id=run_id)
        retriable = isinstance(exc, ApiError) and exc.transient
        raise ReadFailed(days, "contacts pull", exc, retriable=retriable) from exc
    if sink.quarantine.count:
        log.warning(
            f"CXone {plan.day}: {sink.quarantine.count} contact(s) started outside the day "
            f"asked for; quarantined in {sink.quarantine.path}"
        )
    read = ReadSummary(
        read_id=read_id,
        api_mode="platform",
        kind=plan.kind,
        range=days,
        records=sink.records,
        pages=sink.pages,
        quarantined=sink.quarantine.count,
        total_reported=None,  # contacts/completed promises no total
        started_at=started,
        finished_at=clock(),
        updated_since=plan.updated_since,
        request_stats=(client.api.stats.snapshot() - before).as_dict(),
    )
    b = built[0]
    log.info(
        f"CXone {plan.day}: {read.records} contact(s) in {read.pages} response(s), "
        f"{b.written.rows} row(s) in the day ({b.replaced} replaced, {b.duplicates} served "
        f"twice), integrity {b.alignment.integrity_rate:.4f}"
    )
    return read, built
