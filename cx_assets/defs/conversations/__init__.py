"""Genesys Cloud conversation exports as daily-partitioned assets."""

from cx_assets.defs.conversations.assets import (
    genesys_conversation_export,
    genesys_conversations,
)
from cx_assets.defs.conversations.schedules import (
    genesys_conversations_job,
    genesys_conversations_schedule,
)

ASSETS = [genesys_conversation_export, genesys_conversations]
JOBS = [genesys_conversations_job]
SCHEDULES = [genesys_conversations_schedule]
