"""Fixtures for the Genesys export-client tests: a real emulator (uvicorn on a free loopback
port) per test; `emulator_factory(**config)` starts one with EmulatorConfig overrides."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cx_assets.emulator import EmulatorServer
from cx_assets_tests.genesys.genesys_testkit import FAST_EMULATOR, EmulatorFactory


@pytest.fixture
def emulator_factory(tmp_path: Path) -> Iterator[EmulatorFactory]:
    started: list[EmulatorServer] = []

    def start(**overrides: Any) -> EmulatorServer:
        config = {"state_dir": tmp_path / "emu", **FAST_EMULATOR, **overrides}
        server = EmulatorServer(**config).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def emulator(emulator_factory: EmulatorFactory) -> EmulatorServer:
    return emulator_factory()


@pytest.fixture
def dest(tmp_path: Path) -> Path:
    """The staging folder a run downloads into (not created: the client creates it)."""
    return tmp_path / "staging"
