"""The one `dg.Definitions` of cx-assets: every flow's assets, jobs, schedules and resources."""

import dagster as dg

from cx_assets.defs import data_actions, datatables, genesys_exports
from cx_assets.defs.resources import catalog_from_env, genesys_from_env

defs = dg.Definitions(
    assets=[*genesys_exports.ASSETS, *datatables.ASSETS, *data_actions.ASSETS],
    asset_checks=[*data_actions.ASSET_CHECKS],
    jobs=[*genesys_exports.JOBS, *datatables.JOBS, *data_actions.JOBS],
    schedules=[*genesys_exports.SCHEDULES, *datatables.SCHEDULES, *data_actions.SCHEDULES],
    sensors=[*datatables.SENSORS, *data_actions.SENSORS],
    resources={"genesys": genesys_from_env(), "catalog": catalog_from_env()},
)
