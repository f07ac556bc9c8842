"""The emulator fixtures every integration-test folder uses, imported by each folder's conftest.

`emulator_factory(**config)` starts a real uvicorn server on a free loopback port with any
EmulatorConfig overrides (stopped after the test); `emulator` is one with the folder's defaults.
A folder changes its defaults by defining its own `emulator_defaults` fixture in its conftest.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from cx_assets.emulator import EmulatorServer

#: Fast enough for tests: no queue delay, short runs, tiny days.
FAST: dict[str, Any] = {"queue_delay_s": 0.0, "run_delay_s": 0.05, "records_per_day": 40}

EmulatorFactory = Callable[..., EmulatorServer]


@pytest.fixture
def emulator_defaults() -> dict[str, Any]:
    """EmulatorConfig overrides every emulator of the test starts with."""
    return FAST


@pytest.fixture
def emulator_factory(
    tmp_path: Path, emulator_defaults: dict[str, Any]
) -> Iterator[EmulatorFactory]:
    started: list[EmulatorServer] = []

    def start(**overrides: Any) -> EmulatorServer:
        settings = {"state_dir": tmp_path / "emulator", **emulator_defaults, **overrides}
        server = EmulatorServer(**settings).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def emulator(emulator_factory: EmulatorFactory) -> EmulatorServer:
    return emulator_factory()
