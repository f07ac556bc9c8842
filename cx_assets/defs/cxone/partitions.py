"""One partition per UTC day of CXone interactions; a backfill run covers at most 90 of them."""

import dagster as dg

from cx_assets import settings
from cx_assets.cxone.ranges import MAX_RANGE_DAYS

cxone_daily_partitions = dg.DailyPartitionsDefinition(
    start_date=settings.start_date(), timezone="UTC"
)

#: The vendor's 90-day export limit as a backfill policy: Dagster cuts a backfill into runs of at
#: most 90 consecutive days, and each run becomes one export job (see assets.py).
CXONE_BACKFILL_POLICY = dg.BackfillPolicy.multi_run(max_partitions_per_run=MAX_RANGE_DAYS)
