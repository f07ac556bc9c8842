"""The drift check of every data action, hourly, without applying anything."""

import dagster as dg

from cx_assets.defs.rules.outbound_files import KEY_PREFIXES, outbound_files
from cx_assets.defs.rules.rule_files import KEY_PREFIX, asset_key_for, rule_files

#: Only the checks of the rule assets: a drift run never writes to the vendor.
DRIFT_SELECTION = dg.AssetSelection.checks_for_assets(*(asset_key_for(p) for p in rule_files()))
#: Applying every rule (and then checking it).
APPLY_SELECTION = dg.AssetSelection.key_prefixes([KEY_PREFIX])

drift_job = dg.define_asset_job(
    "data_action_drift_job",
    selection=DRIFT_SELECTION,
    description="Compares every live data action with the repo's rules; writes nothing.",
)
apply_job = dg.define_asset_job(
    "data_action_apply_job",
    selection=APPLY_SELECTION,
    description="Validates and applies every rule file, then checks for drift.",
)

drift_schedule = dg.ScheduleDefinition(
    name="data_action_drift_hourly",
    cron_schedule="17 * * * *",
    execution_timezone="UTC",
    job=drift_job,
    description="Alarms (a failed check) when a live data action drifts from the repo.",
)

#: Outbound rule sets and contact list filters (platform mode): drift only, and apply all.
OUTBOUND_DRIFT_SELECTION = dg.AssetSelection.checks_for_assets(*(f.key for f in outbound_files()))
OUTBOUND_APPLY_SELECTION = dg.AssetSelection.key_prefixes(*([p] for p in KEY_PREFIXES.values()))

outbound_drift_job = dg.define_asset_job(
    "outbound_rules_drift_job",
    selection=OUTBOUND_DRIFT_SELECTION,
    description="Compares every live outbound rule set and contact list filter with its file "
    "and names who changed it (Genesys audit API); writes nothing.",
)
outbound_apply_job = dg.define_asset_job(
    "outbound_rules_apply_job",
    selection=OUTBOUND_APPLY_SELECTION,
    description="Validates and applies every outbound rule set and contact list filter file, "
    "then checks each for drift.",
)
outbound_drift_schedule = dg.ScheduleDefinition(
    name="outbound_rules_drift_hourly",
    cron_schedule="23 * * * *",
    execution_timezone="UTC",
    job=outbound_drift_job,
    description="Hourly: a failed check names the rule set or filter that drifted from the repo, "
    "what differs, and who changed it when.",
)
