"""Contract: what the UI shows about the project as a whole. The code location is `cx_assets`
(workspace.yaml, which `make dev` serves, agrees with pyproject's [tool.dagster]) and `make dev`
starts `dg dev` on it; every asset names its owner (`team:contact-centre-data`); every asset
group has a description in the README's group table; the automation sensor that keeps the lake
and the report current is on by default."""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

import dagster as dg
import yaml

from cx_assets import cli, settings
from cx_assets.definitions import defs
from cx_assets.defs.groups import GROUP_DESCRIPTIONS
from cx_assets.defs.policies import DAILY_FRESHNESS, OWNERS

ROOT = settings.project_root()


def test_the_code_location_is_named_cx_assets_wherever_it_is_loaded_from() -> None:
    workspace = yaml.safe_load((ROOT / "workspace.yaml").read_text())
    [entry] = workspace["load_from"]
    assert entry["python_module"]["location_name"] == "cx_assets"
    assert entry["python_module"]["module_name"] == "cx_assets.definitions"
    dagster = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["dagster"]
    assert dagster == {"module_name": "cx_assets.definitions", "code_location_name": "cx_assets"}


def test_dev_starts_dg_dev_on_the_workspace_file() -> None:
    command = cli.dev_command(3123)
    dg_cli = Path(sys.executable).with_name("dg")
    if dg_cli.exists():
        assert command[:2] == [str(dg_cli), "dev"]
    else:  # a venv installed before dagster-dg-cli was a dependency: `make install` adds it
        assert command[:4] == [sys.executable, "-m", "dagster", "dev"]
    assert command[-6:] == ["-w", str(ROOT / "workspace.yaml"), "-h", "127.0.0.1", "-p", "3123"]


def test_every_asset_names_its_owner() -> None:
    graph = defs.resolve_asset_graph()
    unowned = [
        node.key.to_user_string()
        for node in graph.asset_nodes
        if node.is_materializable and not set(OWNERS) <= set(node.owners)
    ]
    assert unowned == []


def test_the_daily_assets_expect_a_fresh_materialisation_every_day() -> None:
    """The UI warns after 26 h and shows failing freshness after 30 h without a new day."""
    graph = defs.resolve_asset_graph()
    fresh = {
        node.key.to_user_string(): node.freshness_policy
        for node in graph.asset_nodes
        if node.freshness_policy is not None
    }
    assert fresh == {
        name: DAILY_FRESHNESS
        for name in (
            "genesys_conversations",
            "cxone_interactions",
            "daily_contact_centre_report",
            "genesys_datatable_snapshot",
        )
    }
    readme = (ROOT / "README.md").read_text()
    assert "fresh within 26 h (warn) / 30 h (fail)" in readme


def test_every_asset_group_is_described_in_the_readme() -> None:
    graph = defs.resolve_asset_graph()
    groups = {node.group_name for node in graph.asset_nodes if node.is_materializable}
    assert groups == set(GROUP_DESCRIPTIONS)
    readme = (ROOT / "README.md").read_text()
    missing = [g for g, text in GROUP_DESCRIPTIONS.items() if f"| `{g}` | {text} |" not in readme]
    assert missing == []


def test_the_automation_sensor_is_on_by_default_and_targets_every_automated_asset() -> None:
    repo = defs.get_repository_def()
    [sensor] = [
        s for s in repo.sensor_defs if isinstance(s, dg.AutomationConditionSensorDefinition)
    ]
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
    graph = defs.resolve_asset_graph()
    automated = {n.key for n in graph.asset_nodes if n.automation_condition is not None}
    assert dg.AssetKey("daily_contact_centre_report") in automated
    assert automated <= sensor.asset_selection.resolve(graph)


def test_the_readme_says_which_schedules_and_sensors_are_on_by_default() -> None:
    repo = defs.get_repository_def()
    running = (dg.DefaultScheduleStatus.RUNNING, dg.DefaultSensorStatus.RUNNING)
    actual = {
        **{s.name: ("schedule", s.default_status in running) for s in repo.schedule_defs},
        **{s.name: ("sensor", s.default_status in running) for s in repo.sensor_defs},
    }
    rows = re.findall(
        r"^\| `(\w+)` \| (schedule|sensor) \| (on|off) \|", (ROOT / "README.md").read_text(), re.M
    )
    assert {name: (kind, on == "on") for name, kind, on in rows} == actual
