"""Jobs and schedules of the rules: apply every file, or only check for drift (writes nothing).

Both drift schedules are off by default (each description says why); the drift checks are
blocking, so a drift run with a drifted rule ends FAILED.
"""

import dagster as dg

from cx_assets.defs.policies import OWNERS
from cx_assets.defs.rules.outbound_files import KEY_PREFIXES, outbound_files
from cx_assets.defs.rules.rule_files import KEY_PREFIX, asset_key_for, rule_files

#: Only the checks of the rule assets: a drift run never writes to the vendor.
DRIFT_SELECTION = dg.AssetSelection.checks_for_assets(*(asset_key_for(p) for p in rule_files()))
#: Applying every rule (and then checking it).
APPLY_SELECTION = dg.AssetSelection.key_prefixes([KEY_PREFIX])

drift_job = dg.define_asset_job(
    "data_action_drift_job",
    metadata={"owners": ", ".join(OWNERS)},
    selection=DRIFT_SELECTION,
    description="Compares every live data action with the repo's rules (the live_matches_repo "
    "checks) and writes nothing. A drifted action fails the run, naming the diff and who changed "
    "it; a clean repo passes.",
)
apply_job = dg.define_asset_job(
    "data_action_apply_job",
    metadata={"owners": ", ".join(OWNERS)},
    selection=APPLY_SELECTION,
    description="Validates and applies every data action rule file (If-Match), then checks each "
    "for drift; a rule that does not validate fails before any write, and a result that still "
    "differs from the repo (a colleague's edit kept) fails the run.",
)

drift_schedule = dg.ScheduleDefinition(
    name="data_action_drift_hourly",
    cron_schedule="17 * * * *",
    execution_timezone="UTC",
    job=drift_job,
    metadata={"owners": ", ".join(OWNERS)},
    description="Off by default; hourly at :17 when turned on: runs data_action_drift_job, which "
    "fails when a live data action drifts from the repo. Off because the emulator (and a fresh "
    "org) starts with a data action that differs from the repo on purpose, so until the rules "
    "are applied (data_action_apply_job, or make demo) it would fail every hour; "
    "data_action_events_sensor (on) checks an action as soon as it changes. Turn it on in the "
    "UI (Automation) once the repo's rules are applied.",
)

#: Outbound rule sets and contact list filters (platform mode): drift only, and apply all.
OUTBOUND_DRIFT_SELECTION = dg.AssetSelection.checks_for_assets(*(f.key for f in outbound_files()))
OUTBOUND_APPLY_SELECTION = dg.AssetSelection.key_prefixes(*([p] for p in KEY_PREFIXES.values()))

outbound_drift_job = dg.define_asset_job(
    "outbound_rules_drift_job",
    metadata={"owners": ", ".join(OWNERS)},
    selection=OUTBOUND_DRIFT_SELECTION,
    description="Compares every live outbound rule set and contact list filter with its file "
    "and names who changed it (Genesys audit API); writes nothing. A drift fails the run; a "
    "clean repo passes. Platform mode only (GENESYS_API_MODE=platform).",
)
outbound_apply_job = dg.define_asset_job(
    "outbound_rules_apply_job",
    metadata={"owners": ", ".join(OWNERS)},
    selection=OUTBOUND_APPLY_SELECTION,
    description="Validates and applies every outbound rule set and contact list filter file, "
    "then checks each for drift (platform mode only); a colleague's concurrent edit of the same "
    "part fails the run and is never overwritten.",
)
outbound_drift_schedule = dg.ScheduleDefinition(
    name="outbound_rules_drift_hourly",
    cron_schedule="23 * * * *",
    execution_timezone="UTC",
    job=outbound_drift_job,
    metadata={"owners": ", ".join(OWNERS)},
    description="Off by default; hourly at :23 when turned on: runs outbound_rules_drift_job, "
    "which fails naming the rule set or filter that drifted from the repo, what differs and who "
    "changed it when. Off because outbound rules exist only in platform mode (in tutorial mode "
    "every run would fail) and the emulator's seeded rule sets differ from the repo until "
    "outbound_rules_apply_job runs; turn it on in the UI (Automation) against a real org once "
    "the files are applied. No event sensor covers outbound rules: this schedule is the alarm.",
)
