"""Contract: `genesys_conversations` keeps up with its export by itself. Evaluated the way the
daemon's automation condition sensor does (`dg.evaluate_automation_conditions` over the flow's
definitions), a day whose export was materialised alone is requested for the lake step; a run
that already did both is not followed by a second; a day whose blocking checksum check failed
is not normalised; and the nightly schedule is on by default and says so."""

from __future__ import annotations

import dagster as dg
import pytest

from cx_assets.defs.conversations import ASSET_CHECKS, ASSETS, SCHEDULES
from cx_assets.defs.conversations.assets import CONVERSATIONS_ASSET, EXPORT_ASSET
from cx_assets.genesys.conversations.verified import FILES_DIR
from cx_assets.lake.paths import DataLayout
from cx_assets_tests.e2e.pipeline_testkit import Pipeline

pytestmark = pytest.mark.e2e

LAKE = dg.AssetKey(CONVERSATIONS_ASSET)
EXPORT = dg.AssetKey(EXPORT_ASSET)
EXPORT_ALONE = dg.AssetSelection.assets(EXPORT_ASSET) | dg.AssetSelection.checks_for_assets(
    EXPORT_ASSET
)
#: Everything in the flow (the default would pass a beta argument and warn).
EVERYTHING = dg.AssetSelection.all() | dg.AssetSelection.all_asset_checks()


class Ticks:
    """Successive evaluations of the flow's automation conditions, cursor carried over."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.instance = pipeline.instance
        self.defs = dg.Definitions(
            assets=ASSETS, asset_checks=ASSET_CHECKS, resources=pipeline.resources()
        )
        self.cursor = None

    def tick(self) -> dg.EvaluateAutomationConditionsResult:
        result = dg.evaluate_automation_conditions(
            defs=self.defs, instance=self.instance, asset_selection=EVERYTHING, cursor=self.cursor
        )
        self.cursor = result.cursor
        return result


def test_an_export_materialised_alone_requests_its_day_of_the_lake(pipeline: Pipeline) -> None:
    ticks = Ticks(pipeline)
    assert ticks.tick().total_requested == 0  # nothing landed: nothing to do

    exported = pipeline.materialize("2024-03-01", selection=EXPORT_ALONE)
    assert exported.success
    assert exported.asset_materializations_for_node(CONVERSATIONS_ASSET) == []

    requested = ticks.tick()
    assert requested.get_requested_partitions(LAKE) == {"2024-03-01"}
    assert requested.get_num_requested(EXPORT) == 0  # the export is never re-run by automation
    # requested once: the next tick does not ask again while nothing changed
    assert ticks.tick().total_requested == 0


def test_a_run_that_did_both_is_not_followed_by_a_second_lake_run(pipeline: Pipeline) -> None:
    ticks = Ticks(pipeline)
    ticks.tick()

    assert pipeline.materialize("2024-03-02").success  # export, check and lake in one run

    assert ticks.tick().total_requested == 0


def test_a_failed_checksum_check_keeps_the_day_out_of_the_lake(pipeline: Pipeline) -> None:
    ticks = Ticks(pipeline)
    ticks.tick()
    day = "2024-03-03"
    only_export = dg.AssetSelection.assets(EXPORT_ASSET).without_checks() | (
        dg.AssetSelection.checks(dg.AssetCheckKey(EXPORT, "day_is_final"))
    )
    assert pipeline.materialize(day, selection=only_export).success  # no check yet
    raw = DataLayout(pipeline.data_dir).raw_dir("genesys", "conversations", day) / FILES_DIR
    first = sorted(raw.iterdir())[0]
    first.write_bytes(first.read_bytes()[:-10])  # a file cut short on disk
    # the checksum check then the lake step, as the daily job runs them: the check stops it
    checksum = dg.AssetSelection.checks(dg.AssetCheckKey(EXPORT, "files_match_manifest"))
    checked = pipeline.materialize(
        day, selection=checksum | dg.AssetSelection.assets(LAKE), raise_on_error=False
    )
    [evaluation] = checked.get_asset_check_evaluations()
    assert evaluation.check_name == "files_match_manifest" and not evaluation.passed
    assert checked.asset_materializations_for_node(CONVERSATIONS_ASSET) == []

    assert ticks.tick().get_requested_partitions(LAKE) == set()


def test_the_nightly_schedule_is_on_by_default_and_says_how_to_turn_it_off() -> None:
    [schedule] = SCHEDULES
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    said = (schedule.description or "").lower()
    assert "on by default" in said and "to turn it off" in said
