"""Fixtures for emulator tests: a real uvicorn server on a free loopback port per test.

`emulator_factory(**config)` starts one with any EmulatorConfig overrides; `emulator` is the
fast default (no queue delay, tiny days); both come from emulator_fixtures.py. Request helpers
live in support.py.
"""

from cx_assets_tests.emulator.emulator_fixtures import emulator, emulator_defaults, emulator_factory

__all__ = ["emulator", "emulator_defaults", "emulator_factory"]
