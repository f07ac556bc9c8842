"""Genesys Cloud data action rules as code: applied from the repo, drift-checked, audited."""

from cx_assets.defs.rules.assets import rule_assets
from cx_assets.defs.rules.checks import drift_checks
from cx_assets.defs.rules.schedules import apply_job, drift_job, drift_schedule
from cx_assets.defs.rules.sensors import data_action_events_sensor

ASSETS = rule_assets()
ASSET_CHECKS = drift_checks()
JOBS = [apply_job, drift_job]
SCHEDULES = [drift_schedule]
SENSORS = [data_action_events_sensor]
