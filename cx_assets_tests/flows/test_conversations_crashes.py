"""Contract: a conversation day normalised again over an earlier export converges whatever point
the process dies at (`CX_CRASH_AT`, `os._exit`, no cleanup). The day's lake folder is never
missing (before the swap the old export stays live), a day whose files went live before its
export was registered is hidden from the views rather than shown unregistered, the crashed
attempt's staging folder is removed by the next attempt of the day, and the re-run shows the new
export's rows once, with one lake version kept."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from cx_assets.flows.conversations import AFTER_PUBLISH
from cx_assets.flows.conversations_platform import BEFORE_LAKE_SWAP
from cx_assets.flows.crashpoints import CRASH_ENV, CRASH_EXIT_CODE
from cx_assets.lake.atomic import versions_dir
from cx_assets_tests.e2e.pipeline_testkit import Pipeline, running_pipeline

pytestmark = pytest.mark.integration

DAY = "2024-07-02"
DAY_SQL = "SELECT count(*), min(export_id) FROM conversations WHERE conversation_date = ?"


@pytest.fixture
def pipeline(tmp_path: Path) -> Iterator[Pipeline]:
    with running_pipeline(tmp_path) as running:
        yield running


def _normalise(pipeline: Pipeline, crash_at: str | None) -> int:
    env = {k: v for k, v in os.environ.items() if k != CRASH_ENV}
    if crash_at:
        env[CRASH_ENV] = crash_at
    command = [sys.executable, "-m", "cx_assets_tests.flows.conversations_crash_driver"]
    done = subprocess.run(
        [*command, str(pipeline.data_dir), DAY], env=env, capture_output=True, timeout=120
    )
    return done.returncode


def _registered(pipeline: Pipeline) -> str:
    [(export_id,)] = pipeline.sql("SELECT export_id FROM exports WHERE partition_key = ?", [DAY])
    return str(export_id)


def _owned_staging(pipeline: Pipeline) -> list[Path]:
    return list((pipeline.data_dir / "staging").glob(f"genesys.conversations.{DAY}.run-*"))


@pytest.mark.parametrize("point", [BEFORE_LAKE_SWAP, AFTER_PUBLISH])
def test_a_crash_while_publishing_a_day_converges_on_re_run(pipeline: Pipeline, point: str) -> None:
    assert pipeline.materialize(DAY).success
    first = _registered(pipeline)
    assert pipeline.sql(DAY_SQL, [DAY]) == [(60, first)]
    # A new export of the day lands in raw/, then normalising it dies at `point`.
    assert pipeline.materialize(DAY, selection="genesys_conversation_export").success
    lake_day = pipeline.data_dir / "lake" / "genesys" / "conversations" / f"date={DAY}"

    assert _normalise(pipeline, point) == CRASH_EXIT_CODE
    assert lake_day.is_dir()  # never missing, whatever the point
    assert _registered(pipeline) == first
    if point == BEFORE_LAKE_SWAP:
        assert pipeline.sql(DAY_SQL, [DAY]) == [(60, first)]  # the old export, still live
        assert _owned_staging(pipeline) != []  # died inside its staging block
    else:
        assert pipeline.sql(DAY_SQL, [DAY]) == [(0, None)]  # live files, not registered: hidden

    assert _normalise(pipeline, None) == 0
    second = _registered(pipeline)
    assert second != first
    assert pipeline.sql(DAY_SQL, [DAY]) == [(60, second)]
    assert _owned_staging(pipeline) == []
    assert len(list(versions_dir(lake_day).iterdir())) == 1
