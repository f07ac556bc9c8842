"""The `independent_genesys` fixture: a fresh independent platform-mode server per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cx_assets_tests.independent.genesys_platform_server import RunningServer, serve


@pytest.fixture
def independent_genesys() -> Iterator[RunningServer]:
    """The server on a free loopback port; all quirks on (`.server.quirks = Quirks.obvious()`)."""
    with serve() as running:
        yield running
