"""NICE CXone interactions as a daily-partitioned asset, backfilled in runs of at most 90 days."""

from cx_assets.defs.cxone.assets import cxone_interactions
from cx_assets.defs.cxone.schedules import cxone_interactions_job, cxone_interactions_schedule

ASSETS = [cxone_interactions]
JOBS = [cxone_interactions_job]
SCHEDULES = [cxone_interactions_schedule]
