"""Fixtures: a fresh independent platform-mode server per test (`independent_genesys`,
`independent_cxone`)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cx_assets_tests.independent.cxone_platform_server import RunningCxone
from cx_assets_tests.independent.cxone_platform_server import serve as serve_cxone
from cx_assets_tests.independent.genesys_platform_server import RunningServer, serve


@pytest.fixture
def independent_genesys() -> Iterator[RunningServer]:
    """The server on a free loopback port; all quirks on (`.server.quirks = Quirks.obvious()`)."""
    with serve() as running:
        yield running


@pytest.fixture
def independent_cxone() -> Iterator[RunningCxone]:
    """The independent CXone platform server on a free loopback port, every quirk on."""
    with serve_cxone() as running:
        yield running


@pytest.fixture
def independent_genesys_rules() -> Iterator[RunningServer]:
    """The independent rules server (rule sets, filters, contact lists, actions, audits) on a
    free loopback port, every quirk on; `.server` is its `RulesServer` admin surface."""
    from cx_assets_tests.independent.genesys_rules_server import serve_rules

    with serve_rules() as running:
        yield running


@pytest.fixture
def independent_data_actions() -> Iterator[object]:
    """The independent tutorial data actions server (datasets, data actions, webhooks, audits)
    on a free loopback port, every quirk on; `.server` is its `DataActionsServer` admin
    surface."""
    from cx_assets_tests.independent.tutorial_data_actions_server import serve_data_actions

    with serve_data_actions() as running:
        yield running


@pytest.fixture
def independent_tutorial_cxone() -> Iterator[object]:
    """The independent tutorial-mode CXone analytics export server (token, create, poll, data
    pages under `/cxone`) on a free loopback port, every quirk on; `.url` is the root,
    `.cxone_url` the root + `/cxone`, `.server` its `CxoneExportServer` admin surface."""
    from cx_assets_tests.independent.tutorial_cxone_server import serve_cxone as serve_tutorial

    with serve_tutorial() as running:
        yield running
