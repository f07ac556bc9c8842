"""Genesys Cloud conversation exports as daily-partitioned assets."""

from cx_assets.defs.conversations.assets import (
    files_match_manifest,
    genesys_conversation_export,
    genesys_conversations,
)
from cx_assets.defs.conversations.schedules import (
    genesys_conversations_job,
    genesys_conversations_schedule,
)

ASSETS = [genesys_conversation_export, genesys_conversations]
ASSET_CHECKS = [files_match_manifest]
JOBS = [genesys_conversations_job]
SCHEDULES = [genesys_conversations_schedule]
