"""Contract: what the Dagster UI shows for the CXone flow before anything runs. The asset has its
owner, group, kinds, a description saying where the data comes from, when it runs and what a
failure means, and a column schema with a description for every column of `cxone.interactions`;
each check and the job have a description; the nightly schedule is on by default and its
description says what it does, that it is on and how to turn it off; and loading the flow's
definitions raises no warning (no beta or preview parameter).
"""

from __future__ import annotations

import subprocess
import sys

import dagster as dg

from cx_assets.defs import cxone
from cx_assets.defs.cxone.assets import ASSET_KEY, CHECK_SPECS, INTERACTIONS_SPEC
from cx_assets.defs.cxone.schedules import cxone_interactions_job, cxone_interactions_schedule
from cx_assets.defs.policies import OWNERS
from cx_assets.lake.cxone_columns import COLUMN_NAMES


def _asset_node() -> dg.AssetSpec:
    [spec] = list(cxone.cxone_interactions.specs)
    return spec


def test_the_asset_says_who_owns_it_where_it_comes_from_and_what_a_failure_means() -> None:
    spec = _asset_node()
    assert spec.key == ASSET_KEY and spec.owners == OWNERS == ["team:contact-centre-data"]
    assert spec.group_name == "cxone" and spec.kinds == {"cxone", "parquet", "duckdb"}
    text = spec.description or ""
    for phrase in ("Where it comes from", "When it runs", "What a failure means", "emulator"):
        assert phrase in text
    assert cxone.cxone_interactions.backfill_policy == dg.BackfillPolicy.multi_run(90)


def test_every_column_of_cxone_interactions_has_a_description() -> None:
    schema = _asset_node().metadata["dagster/column_schema"]
    assert isinstance(schema, dg.TableSchema)
    assert [c.name for c in schema.columns] == list(COLUMN_NAMES)
    undescribed = [c.name for c in schema.columns if len(c.description or "") < 30]
    assert undescribed == []
    assert _asset_node().metadata["dagster/table_name"] == "cxone.interactions"


def test_each_check_and_the_job_say_what_they_do() -> None:
    for check in CHECK_SPECS:
        assert check.description and "run" in check.description, check.name
    assert [c.name for c in CHECK_SPECS] == [
        "integrity_at_least_threshold",
        "rows_match_records",
    ]
    assert "fails the run" in (CHECK_SPECS[0].description or "")
    assert "cxone.interactions" in (cxone_interactions_job.description or "")
    assert INTERACTIONS_SPEC.owners == OWNERS


def test_the_nightly_schedule_is_on_by_default_and_says_how_to_turn_it_off() -> None:
    schedule = cxone_interactions_schedule
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    assert (schedule.cron_schedule, schedule.execution_timezone) == ("45 2 * * *", "UTC")
    text = schedule.description or ""
    assert text.startswith("ON by default.")
    assert "02:45 UTC" in text and "late_update_days" in text
    assert "Turn it off" in text and "DefaultScheduleStatus.STOPPED" in text


#: Imports the flow afresh (decorators warn at import time) and builds its job and asset graph.
LOAD_FLOW = """
import dagster as dg
from cx_assets.defs import cxone
from cx_assets.defs.cxone.environment import emulator_platform
from cx_assets.defs.resources import CatalogResource
defs = dg.Definitions(
    assets=cxone.ASSETS,
    jobs=cxone.JOBS,
    schedules=cxone.SCHEDULES,
    resources={"cxone": emulator_platform(), "catalog": CatalogResource(data_dir="unused")},
)
defs.resolve_asset_graph()
defs.resolve_job_def("cxone_interactions_daily")
print("loaded")
"""


def test_the_flow_loads_without_a_warning() -> None:
    loaded = subprocess.run(
        [sys.executable, "-W", "always", "-c", LOAD_FLOW],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.strip() == "loaded"
    assert "Warning" not in loaded.stderr, loaded.stderr
