"""Genesys Cloud rules as code, applied from the repo, drift-checked, audited.

Platform mode: outbound rule sets and contact list filters (`outbound_*`). Tutorial mode: the
first contract's data action condition trees (`data_action_rules`).
"""

from cx_assets.defs.rules.assets import rule_assets
from cx_assets.defs.rules.checks import drift_checks
from cx_assets.defs.rules.outbound_assets import outbound_assets
from cx_assets.defs.rules.outbound_checks import outbound_drift_checks
from cx_assets.defs.rules.schedules import (
    apply_job,
    drift_job,
    drift_schedule,
    outbound_apply_job,
    outbound_drift_job,
    outbound_drift_schedule,
)
from cx_assets.defs.rules.sensors import data_action_events_sensor

ASSETS = [*rule_assets(), *outbound_assets()]
ASSET_CHECKS = [*drift_checks(), *outbound_drift_checks()]
JOBS = [apply_job, drift_job, outbound_apply_job, outbound_drift_job]
SCHEDULES = [drift_schedule, outbound_drift_schedule]
SENSORS = [data_action_events_sensor]
