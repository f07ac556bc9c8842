"""Fixtures for the CXone client tests: a real emulator (uvicorn on a free loopback port) per
test; `emulator_factory(**config)` starts one with EmulatorConfig overrides."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from cx_assets.emulator import EmulatorServer

FAST: dict[str, Any] = {
    "queue_delay_s": 0.0,
    "run_delay_s": 0.05,
    "records_per_day": 40,
    "cxone_records_per_day": 40,
    "cxone_missing_rate": 0.2,
}


@pytest.fixture
def emulator_factory(tmp_path: Path) -> Iterator[Callable[..., EmulatorServer]]:
    started: list[EmulatorServer] = []

    def start(**overrides: Any) -> EmulatorServer:
        server = EmulatorServer(state_dir=tmp_path / "emu", **{**FAST, **overrides}).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def emulator(emulator_factory: Callable[..., EmulatorServer]) -> EmulatorServer:
    return emulator_factory()
