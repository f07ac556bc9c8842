"""Fixtures: emulator on a free loopback port, a temp data root and a Dagster instance."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cx_assets.emulator import EmulatorServer
from cx_assets_tests.e2e.pipeline_testkit import FAST_EMULATOR, Pipeline, make_instance


@pytest.fixture
def pipeline(tmp_path: Path) -> Iterator[Pipeline]:
    server = EmulatorServer(state_dir=tmp_path / "emulator", **FAST_EMULATOR).start()
    instance = make_instance(tmp_path / "dagster_home")
    try:
        yield Pipeline(server, tmp_path / "data", instance)
    finally:
        instance.dispose()
        server.stop()
