"""One partition per UTC day of conversations."""

import dagster as dg

from cx_assets import settings

daily_partitions = dg.DailyPartitionsDefinition(start_date=settings.start_date(), timezone="UTC")
