"""Which day a data table snapshot may be filed under: only the UTC day it is taken on.

A data table keeps no history (neither API serves a past state of a table), so a snapshot shows
the table at the moment it is read. Filing it under any other date would make the history a
user diffs day to day silently wrong: a backfill from 2024-01-01 would write today's rows under
every past date. So a snapshot partition for day D may be taken only while it is D in UTC, or
within `SNAPSHOT_GRACE` after D ended (a run the daily schedule queued before midnight that
started late); every other day is refused before any request is sent.
"""

from __future__ import annotations

import datetime as dt

#: How long after its UTC day ends a day's snapshot may still be taken (a late scheduled run).
SNAPSHOT_GRACE = dt.timedelta(hours=2)


class SnapshotDayRefused(ValueError):
    """A snapshot asked for a day it cannot show; the message says why and what can be taken."""


def check_snapshot_day(
    day: dt.date, *, now: dt.datetime | None = None, grace: dt.timedelta = SNAPSHOT_GRACE
) -> None:
    """Raise `SnapshotDayRefused` unless a snapshot taken `now` may be filed under `day`."""
    now = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    start = dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
    end = start + dt.timedelta(days=1)
    if start <= now < end + grace:
        return
    today = now.date()
    allowed = today.isoformat()
    if now < dt.datetime.combine(today, dt.time(), tzinfo=dt.UTC) + grace:
        allowed += f" (or {today - dt.timedelta(days=1)} until {grace} after it ended)"
    when = "has not started yet" if now < start else "is over"
    raise SnapshotDayRefused(
        f"Refused a data table snapshot for {day}: that UTC day {when} (now "
        f"{now:%Y-%m-%d %H:%M} UTC). A data table keeps no history, so a snapshot shows the table "
        f"as it is when taken and is filed only under the UTC day it is taken on; only "
        f"{allowed} can be taken now. Past days cannot be backfilled: their snapshots exist "
        "only if they were taken on the day (the daily schedule does that)."
    )
