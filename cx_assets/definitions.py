"""The one `dg.Definitions` of cx-assets: every flow's assets, jobs, schedules and resources.

`make dev` serves it as the code location `cx_assets` (workspace.yaml).
"""

import dagster as dg

from cx_assets.defs import conversations, cxone, datatables, privacy, report, rules, runs
from cx_assets.defs.cxone.environment import cxone_from_env
from cx_assets.defs.resources import catalog_from_env, genesys_from_env

FLOWS = (conversations, datatables, cxone, privacy, rules, report, runs)

#: Evaluates every automation condition (the lake follows the raw export, the report follows its
#: sources) in the daemon that `make dev` starts. Declared here to be on by default: the sensor
#: Dagster adds by itself starts stopped, and then no condition ever requests a run.
automation_sensor = dg.AutomationConditionSensorDefinition(
    "default_automation_condition_sensor",
    target=dg.AssetSelection.all(),
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Requests the runs that the assets' automation conditions ask for: "
    "genesys_conversations after its day's export lands, the daily report after either source "
    "lands a day. On by default; stopping it stops that automation (nothing else).",
)

defs = dg.Definitions(
    assets=[asset for flow in FLOWS for asset in flow.ASSETS],
    asset_checks=[check for flow in FLOWS for check in getattr(flow, "ASSET_CHECKS", [])],
    jobs=[job for flow in FLOWS for job in flow.JOBS],
    schedules=[s for flow in FLOWS for s in getattr(flow, "SCHEDULES", [])],
    sensors=[automation_sensor, *(s for flow in FLOWS for s in getattr(flow, "SENSORS", []))],
    resources={
        "genesys": genesys_from_env(),
        "cxone": cxone_from_env(),
        "catalog": catalog_from_env(),
    },
)
