"""One `cx-assets dev` for the session, one Chromium profile, one page per test.

Screenshots go to `.ui-artifacts/<test>/` (or `CX_UI_ARTIFACTS`), with the dev server's log,
and stay there after a pass as after a failure; a failing test adds a screenshot of the page as
it was (and its HTML). The folder is emptied when a session starts and named at the end of the run.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, sync_playwright

from cx_assets_ui_tests.browser import (
    Shots,
    artifacts_dir,
    dismiss_community_prompt,
    launch,
    skip_community_prompt,
)
from cx_assets_ui_tests.dev_server import DevServer, start_dev, stop_dev


@pytest.fixture(scope="session")
def artifacts() -> Path:
    folder = artifacts_dir()
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


@pytest.fixture(scope="session")
def dev(tmp_path_factory: pytest.TempPathFactory, artifacts: Path) -> Iterator[DevServer]:
    server = start_dev(tmp_path_factory.mktemp("dev"), artifacts / "cx-assets-dev.log")
    try:
        yield server
    finally:
        stop_dev(server)


@pytest.fixture(scope="session")
def browser(tmp_path_factory: pytest.TempPathFactory, dev: DevServer) -> Iterator[BrowserContext]:
    with sync_playwright() as playwright:
        context = launch(playwright, tmp_path_factory.mktemp("chromium-profile"))
        try:
            if dev.graphql("{ shouldShowNux }")["shouldShowNux"]:
                first = context.new_page()
                skip_community_prompt(first, dev.url)
                first.close()
                assert not dev.graphql("{ shouldShowNux }")["shouldShowNux"]
            yield context
        finally:
            context.close()


@pytest.fixture
def shots(request: pytest.FixtureRequest, artifacts: Path) -> Shots:
    return Shots(artifacts / request.node.name)


@pytest.fixture
def page(
    request: pytest.FixtureRequest, browser: BrowserContext, shots: Shots, dev: DevServer
) -> Iterator[Page]:
    page = browser.new_page()
    dismiss_community_prompt(page)
    try:
        yield page
    finally:
        report = getattr(request.node, "rep_call", None)
        if report is not None and report.failed:
            shots.take(page, "FAILED")
            (shots.folder / "FAILED.html").write_text(page.content())
        page.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    """Keep each phase's report on the test, so the page fixture knows it failed."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    terminalreporter.write_line(f"UI screenshots and the dev server log: {artifacts_dir()}")
