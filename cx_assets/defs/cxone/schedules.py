"""Yesterday's CXone interactions, every night."""

import dagster as dg

from cx_assets.defs.cxone.assets import cxone_interactions
from cx_assets.defs.cxone.partitions import cxone_daily_partitions

cxone_interactions_job = dg.define_asset_job(
    "cxone_interactions_daily",
    selection=[cxone_interactions],
    partitions_def=cxone_daily_partitions,
    description="Export, align and land one day of NICE CXone interactions (with checks).",
)

#: Each tick targets the last complete day (yesterday, UTC).
cxone_interactions_schedule = dg.build_schedule_from_partitioned_job(
    cxone_interactions_job, hour_of_day=2, minute_of_hour=45
)
