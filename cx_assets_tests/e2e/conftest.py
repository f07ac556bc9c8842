"""Fixtures: emulator on a free loopback port, a temp data root and a Dagster instance."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cx_assets_tests.e2e.pipeline_testkit import Pipeline, running_pipeline


@pytest.fixture
def pipeline(tmp_path: Path) -> Iterator[Pipeline]:
    with running_pipeline(tmp_path) as running:
        yield running
