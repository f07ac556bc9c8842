"""Run hygiene: the reaper that fails runs whose worker died and frees their pool slots."""

import dagster as dg

from cx_assets.defs.runs.sensors import dead_run_reaper

ASSETS: list[dg.AssetsDefinition] = []
JOBS: list[dg.JobDefinition] = []
SENSORS = [dead_run_reaper]
