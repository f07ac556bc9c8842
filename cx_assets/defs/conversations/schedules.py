"""Every night: yesterday's conversations, and the few days before it again.

Genesys reprocesses analytics data younger than 48 h, and a day that ended after the data
availability watermark was landed provisional; re-materialising the last few days
(`CX_CONVERSATIONS_REFRESH_DAYS`, default 3) lets each converge on its final state. A re-run
replaces a day whole, so this never duplicates.
"""

import datetime as dt
import os

import dagster as dg

from cx_assets.defs.conversations.assets import (
    genesys_conversation_export,
    genesys_conversations,
)
from cx_assets.defs.conversations.partitions import daily_partitions
from cx_assets.defs.policies import OWNERS

REFRESH_DAYS_ENV = "CX_CONVERSATIONS_REFRESH_DAYS"
DEFAULT_REFRESH_DAYS = 3

genesys_conversations_job = dg.define_asset_job(
    "genesys_conversations_daily",
    selection=[genesys_conversation_export, genesys_conversations],
    description="Export, verify and normalise one day of Genesys Cloud conversations: "
    "genesys_conversation_export, its checksum check files_match_manifest, then "
    "genesys_conversations and its checks. The nightly schedule launches one run per day; a "
    "failed run means that day's previous copy is still the one queried. "
    f"Owners: {', '.join(OWNERS)}.",  # not owners=: a beta parameter on jobs (a BetaWarning)
)


def refresh_days() -> int:
    """How many of the latest days each nightly tick (re-)materialises; at least 1."""
    value = os.environ.get(REFRESH_DAYS_ENV) or str(DEFAULT_REFRESH_DAYS)
    try:
        days = int(value)
    except ValueError:
        raise ValueError(f"{REFRESH_DAYS_ENV}={value!r}: must be a whole number of days") from None
    if not 1 <= days <= 31:
        raise ValueError(f"{REFRESH_DAYS_ENV}={days}: must be between 1 and 31")
    return days


def days_to_refresh(now: dt.datetime, count: int) -> list[str]:
    """The partition keys of the `count` UTC days before `now`'s day, oldest first."""
    today = now.astimezone(dt.UTC).date()
    return [(today - dt.timedelta(days=n)).isoformat() for n in range(count, 0, -1)]


@dg.schedule(
    name="genesys_conversations_daily_schedule",
    job=genesys_conversations_job,
    cron_schedule="15 2 * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    # owners= on schedules is a beta parameter in Dagster 1.13 (a BetaWarning at every start):
    # the owner goes in metadata and the description instead.
    metadata={"owners": ", ".join(OWNERS)},
    description="Nightly at 02:15 UTC: one run per day for yesterday's conversations and the "
    f"days before it again ({REFRESH_DAYS_ENV}, default {DEFAULT_REFRESH_DAYS}), so provisional "
    "days become final; a re-run replaces a day, never duplicates it. On by default: against "
    "the built-in emulator it costs nothing, against a real org it is a few analytics jobs a "
    "night. To turn it off, stop it on this page (Automation > "
    "genesys_conversations_daily_schedule > toggle off); Dagster remembers that choice. "
    f"Owners: {', '.join(OWNERS)}.",
)
def genesys_conversations_schedule(context: dg.ScheduleEvaluationContext) -> list[dg.RunRequest]:
    tick = context.scheduled_execution_time or dt.datetime.now(dt.UTC)
    known = set(daily_partitions.get_partition_keys())
    return [
        dg.RunRequest(run_key=f"{key}@{tick.date().isoformat()}", partition_key=key)
        for key in days_to_refresh(tick, refresh_days())
        if key in known
    ]
