"""Fixtures for the CXone client tests: a real emulator (uvicorn on a free loopback port) per
test; `emulator_factory(**config)` starts one with EmulatorConfig overrides (emulator_fixtures)."""

from __future__ import annotations

from typing import Any

import pytest

from cx_assets_tests.emulator.emulator_fixtures import FAST, emulator, emulator_factory

__all__ = ["emulator", "emulator_defaults", "emulator_factory"]


@pytest.fixture
def emulator_defaults() -> dict[str, Any]:
    """Small CXone days with a fifth of the optional fields missing."""
    return {**FAST, "cxone_records_per_day": 40, "cxone_missing_rate": 0.2}
