"""Every night: yesterday's CXone interactions, and the days before it again for late updates.

CXone keeps changing a contact after it ends (after-call work, dispositions), so the schedule
also re-runs the resource's `late_update_days` days before yesterday. In platform mode such a
re-run asks only for what changed since that day's last pull (`updatedSince`), so it costs a
request or two per day.
"""

import datetime as dt

import dagster as dg

from cx_assets.defs.cxone.assets import cxone_interactions
from cx_assets.defs.cxone.partitions import cxone_daily_partitions
from cx_assets.defs.cxone.resource import CxoneResource

cxone_interactions_job = dg.define_asset_job(
    "cxone_interactions_daily",
    selection=[cxone_interactions],
    description="Read, check and land NICE CXone interactions by day (with checks).",
)


def nightly_days(now: dt.datetime, late_update_days: int, first: str) -> list[str]:
    """Yesterday (UTC) and the `late_update_days` days before it, oldest first, from `first`."""
    yesterday = now.astimezone(dt.UTC).date() - dt.timedelta(days=1)
    days = [yesterday - dt.timedelta(days=n) for n in range(late_update_days, -1, -1)]
    return [d.isoformat() for d in days if d.isoformat() >= first]


@dg.schedule(
    job=cxone_interactions_job,
    cron_schedule="45 2 * * *",
    execution_timezone="UTC",
    description="Yesterday's CXone interactions, plus late updates of the days before it.",
)
def cxone_interactions_schedule(
    context: dg.ScheduleEvaluationContext, cxone: CxoneResource
) -> list[dg.RunRequest]:
    now = context.scheduled_execution_time or dt.datetime.now(dt.UTC)
    first = cxone_daily_partitions.get_first_partition_key() or ""
    return [
        dg.RunRequest(run_key=f"cxone-{day}-{now:%Y%m%d}", partition_key=day)
        for day in nightly_days(now, cxone.late_update_days, first)
    ]
