"""The one `dg.Definitions` of cx-assets: every flow's assets, jobs, schedules and resources."""

import dagster as dg

from cx_assets.defs import genesys_exports
from cx_assets.defs.resources import catalog_from_env, genesys_from_env

defs = dg.Definitions(
    assets=[*genesys_exports.ASSETS],
    jobs=[*genesys_exports.JOBS],
    schedules=[*genesys_exports.SCHEDULES],
    resources={"genesys": genesys_from_env(), "catalog": catalog_from_env()},
)
