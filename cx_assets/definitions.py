"""The one `dg.Definitions` of cx-assets: every flow's assets, jobs, schedules and resources."""

import dagster as dg

from cx_assets.defs import conversations, cxone, datatables, privacy, report, rules, runs
from cx_assets.defs.cxone.environment import cxone_from_env
from cx_assets.defs.resources import catalog_from_env, genesys_from_env

FLOWS = (conversations, datatables, cxone, privacy, rules, report, runs)

defs = dg.Definitions(
    assets=[asset for flow in FLOWS for asset in flow.ASSETS],
    asset_checks=[check for flow in FLOWS for check in getattr(flow, "ASSET_CHECKS", [])],
    jobs=[job for flow in FLOWS for job in flow.JOBS],
    schedules=[s for flow in FLOWS for s in getattr(flow, "SCHEDULES", [])],
    sensors=[s for flow in FLOWS for s in getattr(flow, "SENSORS", [])],
    resources={
        "genesys": genesys_from_env(),
        "cxone": cxone_from_env(),
        "catalog": catalog_from_env(),
    },
)
