"""Contract: the daily partitions start where a user's data can start. Without `CX_START_DATE`
every daily partition set (conversations, CXone, data table snapshots, the report) starts 90
days before today (UTC), not years back, and the demo's week (ending the day before yesterday)
lies inside it; `CX_START_DATE` moves them all together; a value that is not a date fails the
load naming the variable. Each case imports the Definitions in a fresh interpreter (partitions
are built at import; the suite itself pins 2024-01-01 in conftest.py)."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys

import pytest

from cx_assets import demo, settings

FIRST_KEYS = """
import datetime as dt
import json

import dagster as dg

from cx_assets import demo
from cx_assets.definitions import defs

firsts = {}
keys = set()
for node in defs.resolve_asset_graph().asset_nodes:
    pdef = node.partitions_def
    dims = pdef.partitions_defs if isinstance(pdef, dg.MultiPartitionsDefinition) else [pdef]
    for dim in dims:
        d = getattr(dim, "partitions_def", dim)
        if isinstance(d, dg.TimeWindowPartitionsDefinition):
            firsts[node.key.to_user_string()] = d.get_first_partition_key()
            keys |= set(d.get_partition_keys())
days = demo.demo_days()
print(json.dumps({
    "today": dt.datetime.now(dt.UTC).date().isoformat(),
    "firsts": firsts,
    "demo_days": days,
    "demo_days_are_partitions": set(days) <= keys,
}))
"""


def _load(start_date: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != settings.START_DATE_ENV}
    if start_date is not None:
        env[settings.START_DATE_ENV] = start_date
    return subprocess.run(
        [sys.executable, "-c", FIRST_KEYS],
        cwd=settings.project_root(),
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def _result(done: subprocess.CompletedProcess[str]) -> dict:
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_by_default_every_daily_partition_set_starts_90_days_ago() -> None:
    result = _result(_load(None))
    today = dt.date.fromisoformat(result["today"])
    expected = (today - dt.timedelta(days=90)).isoformat()
    assert set(result["firsts"]) >= {
        "genesys_conversation_export",
        "genesys_conversations",
        "cxone_interactions",
        "genesys_datatable_snapshot",
        "daily_contact_centre_report",
    }
    assert set(result["firsts"].values()) == {expected}
    # the demo's week: the 7 days ending the day before yesterday, all of them partitions
    assert result["demo_days"][-1] == (today - dt.timedelta(days=2)).isoformat()
    assert len(result["demo_days"]) == 7
    assert result["demo_days_are_partitions"]


def test_cx_start_date_moves_every_partition_set() -> None:
    result = _result(_load("2025-02-03"))
    assert set(result["firsts"].values()) == {"2025-02-03"}
    assert result["demo_days_are_partitions"]


def test_a_start_date_that_is_not_a_date_fails_the_load_naming_it() -> None:
    done = _load("2025-13-01")
    assert done.returncode != 0
    assert "CX_START_DATE='2025-13-01' is not a date (YYYY-MM-DD)" in done.stderr


def test_the_default_is_90_days_before_the_given_day() -> None:
    assert settings.default_start_date(dt.date(2026, 3, 1)) == "2025-12-01"


def test_the_demo_week_is_clipped_at_the_first_partition() -> None:
    # the suite's first partition is 2024-01-01 (conftest.py)
    assert demo.demo_days(dt.date(2024, 3, 10)) == [f"2024-03-0{d}" for d in range(2, 9)]
    assert demo.demo_days(dt.date(2024, 1, 5)) == ["2024-01-01", "2024-01-02", "2024-01-03"]
    with pytest.raises(ValueError, match="CX_START_DATE=2024-01-01 is after the demo's last day"):
        demo.demo_days(dt.date(2024, 1, 2))
