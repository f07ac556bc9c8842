"""Yesterday's conversations, every night."""

import dagster as dg

from cx_assets.defs.conversations.assets import (
    genesys_conversation_export,
    genesys_conversations,
)
from cx_assets.defs.conversations.partitions import daily_partitions

genesys_conversations_job = dg.define_asset_job(
    "genesys_conversations_daily",
    selection=[genesys_conversation_export, genesys_conversations],
    partitions_def=daily_partitions,
    description="Export, verify and normalise one day of Genesys Cloud conversations.",
)

genesys_conversations_schedule = dg.build_schedule_from_partitioned_job(
    genesys_conversations_job, hour_of_day=2, minute_of_hour=15
)
