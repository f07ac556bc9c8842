"""Fixtures for the Genesys export-client tests: a real emulator (uvicorn on a free loopback
port) per test from emulator_fixtures (`emulator_factory(**config)` takes EmulatorConfig
overrides; the defaults are the fast ones), and the staging folder a run downloads into."""

from __future__ import annotations

from pathlib import Path

import pytest

from cx_assets_tests.emulator.emulator_fixtures import emulator, emulator_defaults, emulator_factory

__all__ = ["dest", "emulator", "emulator_defaults", "emulator_factory"]


@pytest.fixture
def dest(tmp_path: Path) -> Path:
    """The staging folder a run downloads into (not created: the client creates it)."""
    return tmp_path / "staging"
