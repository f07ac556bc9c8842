"""Fixtures for emulator tests: a real uvicorn server on a free loopback port per test.

`emulator_factory(**config)` starts one with any EmulatorConfig overrides; `emulator` is the
fast default (no queue delay, tiny days). Request helpers live in support.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from cx_assets.emulator import EmulatorServer

FAST = {"queue_delay_s": 0.0, "run_delay_s": 0.05, "records_per_day": 40}


@pytest.fixture
def emulator_factory(tmp_path: Path) -> Iterator[Callable[..., EmulatorServer]]:
    started: list[EmulatorServer] = []

    def start(**overrides: Any) -> EmulatorServer:
        settings = {"state_dir": tmp_path / "emulator", **FAST, **overrides}
        server = EmulatorServer(**settings).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def emulator(emulator_factory: Callable[..., EmulatorServer]) -> EmulatorServer:
    return emulator_factory()
