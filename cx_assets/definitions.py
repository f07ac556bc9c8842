"""The one `dg.Definitions` of cx-assets: every flow's assets, jobs, schedules and resources."""

import dagster as dg

from cx_assets.defs import datatables, genesys_exports
from cx_assets.defs.resources import catalog_from_env, genesys_from_env

defs = dg.Definitions(
    assets=[*genesys_exports.ASSETS, *datatables.ASSETS],
    jobs=[*genesys_exports.JOBS, *datatables.JOBS],
    schedules=[*genesys_exports.SCHEDULES, *datatables.SCHEDULES],
    sensors=[*datatables.SENSORS],
    resources={"genesys": genesys_from_env(), "catalog": catalog_from_env()},
)
