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
from cx_assets.defs.policies import OWNERS

#: What the UI shows for the schedule (and the README repeats): what it does, that it is on, how
#: to turn it off.
SCHEDULE_DESCRIPTION = (
    "ON by default. Every night at 02:45 UTC: one run per day for yesterday's NICE CXone "
    "interactions and for the resource's late_update_days (default 3, CXONE_LATE_UPDATE_DAYS) "
    "days before it, because CXone keeps changing a contact after it ends. In platform mode a "
    "re-pulled day asks only for what changed since its last pull (updatedSince). Without "
    "CXONE_ACCESS_KEY_ID it reads the built-in emulator, which is safe to leave on (a red run "
    "there usually means the emulator dropped fields on purpose). Turn it off with the toggle "
    "on this page (the daemon remembers it) or, for every deployment, set "
    "default_status=dg.DefaultScheduleStatus.STOPPED in cx_assets/defs/cxone/schedules.py. "
    f"Owner: {', '.join(OWNERS)}."
)

cxone_interactions_job = dg.define_asset_job(
    "cxone_interactions_daily",
    selection=[cxone_interactions],
    description="Pull NICE CXone interactions for the chosen days into `cxone.interactions`, "
    "with both checks. Launched by `cxone_interactions_schedule` every night and by a "
    "backfill (up to 90 days per run). A run fails when a day is below the integrity "
    f"threshold; its rows are landed all the same. Owner: {', '.join(OWNERS)}.",
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
    default_status=dg.DefaultScheduleStatus.RUNNING,
    tags={"owner": OWNERS[0]},
    description=SCHEDULE_DESCRIPTION,
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
