"""Contract: every asset, check, job, schedule and sensor of the report, privacy and rules flows
tells the person in the UI what it is and who owns it (assets: `owners`; jobs, schedules and
sensors: an `owners` metadata entry, as `owners=` is beta there), and each schedule or sensor
says in its description whether it is on by default, matching its default status."""

from __future__ import annotations

import dagster as dg
import pytest

from cx_assets.defs import privacy, report, rules
from cx_assets.defs.policies import OWNERS

FLOWS = (report, privacy, rules)
OWNER_TEXT = ", ".join(OWNERS)


@pytest.mark.parametrize("flow", FLOWS, ids=lambda f: f.__name__.rsplit(".", 1)[-1])
def test_assets_and_checks_are_described_and_owned(flow: object) -> None:
    for asset in flow.ASSETS:  # type: ignore[attr-defined]
        for key in asset.keys:
            assert len(asset.descriptions_by_key.get(key) or "") > 60, key
            assert list(asset.owners_by_key.get(key) or []) == OWNERS, key
        for spec in asset.check_specs:
            assert len(spec.description or "") > 40, spec.key
    for checks in getattr(flow, "ASSET_CHECKS", []):
        for spec in checks.check_specs:
            assert len(spec.description or "") > 40, spec.key


@pytest.mark.parametrize("flow", FLOWS, ids=lambda f: f.__name__.rsplit(".", 1)[-1])
def test_jobs_schedules_and_sensors_are_described_and_owned(flow: object) -> None:
    for job in flow.JOBS:  # type: ignore[attr-defined]
        assert len(job.description or "") > 40, job.name
        owners = job.metadata["owners"]
        assert getattr(owners, "value", owners) == OWNER_TEXT, job.name
    for schedule in getattr(flow, "SCHEDULES", []):
        assert schedule.metadata["owners"].value == OWNER_TEXT, schedule.name
        on = schedule.default_status == dg.DefaultScheduleStatus.RUNNING
        assert (schedule.description or "").startswith("On by default" if on else "Off by default")
    for sensor in getattr(flow, "SENSORS", []):
        assert sensor.metadata["owners"].value == OWNER_TEXT, sensor.name
        on = sensor.default_status == dg.DefaultSensorStatus.RUNNING
        assert (sensor.description or "").startswith("On by default" if on else "Off by default")


def test_the_drift_schedules_are_off_and_say_why() -> None:
    by_name = {s.name: s for s in rules.SCHEDULES}
    for name in ("data_action_drift_hourly", "outbound_rules_drift_hourly"):
        schedule = by_name[name]
        assert schedule.default_status == dg.DefaultScheduleStatus.STOPPED
        assert "Off because" in (schedule.description or "")
