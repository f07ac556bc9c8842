"""Debian's Chromium under Playwright, and the few UI moves every test makes as a user would.

No `playwright install`: the machine reaches package registries only, so Playwright drives the
system Chromium (`CX_CHROMIUM`, default /usr/bin/chromium). The flags keep Chromium from
calling home (the closed network refuses those connections, many at a time).
"""

from __future__ import annotations

import os
from pathlib import Path

from playwright.sync_api import BrowserContext, Locator, Page, Playwright

from cx_assets import settings

CHROMIUM = os.environ.get("CX_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1600, "height": 1200}
#: What a page may take to show something (the UI loads over GraphQL on two busy cores).
UI_TIMEOUT_MS = 60_000
#: What a one-day run may take from launch to its final status.
RUN_TIMEOUT_MS = 240_000
#: What a backfill of a few days may take (runs queue, 3 at a time, beside other helpers' CPU).
BACKFILL_TIMEOUT_MS = 480_000


def artifacts_dir() -> Path:
    """Where screenshots and the dev server's log are kept (`CX_UI_ARTIFACTS`)."""
    default = settings.project_root() / ".ui-artifacts"
    return Path(os.environ.get("CX_UI_ARTIFACTS") or default).resolve()


def launch(playwright: Playwright, user_data_dir: Path) -> BrowserContext:
    """Headless Chromium with a fresh profile (no state from an earlier run)."""
    if not Path(CHROMIUM).exists():
        raise FileNotFoundError(
            f"{CHROMIUM} not found: `make test-ui` installs Debian's chromium (or set CX_CHROMIUM)"
        )
    context = playwright.chromium.launch_persistent_context(
        str(user_data_dir),
        executable_path=CHROMIUM,
        args=CHROMIUM_ARGS,
        headless=True,
        viewport=VIEWPORT,
    )
    context.set_default_timeout(UI_TIMEOUT_MS)
    return context


def community_prompt(page: Page) -> Locator:
    return page.get_by_text("Join the Dagster community")


def skip_community_prompt(page: Page, base_url: str) -> None:
    """Answer Dagster's "Join the Dagster community" dialog once, as a new user does: it opens a
    second after the first page of a new instance loads and would swallow keystrokes meant for
    the page (the UI shows it while the webserver's `shouldShowNux` is true)."""
    page.goto(base_url)
    community_prompt(page).wait_for()
    page.get_by_role("button", name="Skip").click()
    community_prompt(page).wait_for(state="hidden")


def dismiss_community_prompt(page: Page) -> None:
    """Skip the community dialog should it open again over a page (a safety net)."""
    page.add_locator_handler(
        community_prompt(page), lambda: page.get_by_role("button", name="Skip").click()
    )


class Shots:
    """Numbered screenshots of one test in its own folder, kept whatever the outcome."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = 0
        folder.mkdir(parents=True, exist_ok=True)

    def take(self, page: Page, name: str) -> Path:
        self.count += 1
        path = self.folder / f"{self.count:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path


def open_lineage(page: Page, base_url: str) -> None:
    """The global asset lineage: where the "Lineage" entry of the left navigation leads.

    Opened by its address: a click on the entry while the first page still lays itself out
    can land on a neighbour."""
    page.goto(base_url)
    lineage = page.get_by_role("link", name="Lineage").first
    page.goto(base_url + (lineage.get_attribute("href") or "/asset-groups"))
    page.get_by_text("Global asset lineage").first.wait_for()


def filter_graph(page: Page, selection: str) -> None:
    """Type an asset selection into the graph's "Search and filter assets" box."""
    box = page.get_by_role("textbox", name="Search and filter assets")
    box.focus()
    page.keyboard.type(selection)
    page.keyboard.press("Enter")


def expand_all_groups(page: Page) -> None:
    """Open every group box of the graph (a selection across groups draws them closed)."""
    settings_button = page.get_by_role("button").filter(
        has=page.get_by_role("img", name="settings", exact=True)
    )
    settings_button.last.click()
    expand = page.get_by_role("menuitem", name="Expand all groups")
    collapse = page.get_by_role("menuitem", name="Collapse all groups")
    expand.or_(collapse).first.wait_for()
    if expand.count():
        expand.click()
    page.keyboard.press("Escape")


def graph_node(page: Page, asset_key: str) -> Locator:
    """The graph node titled with `asset_key` (node titles are cut with an ellipsis on screen,
    the full key is in the page)."""
    return page.locator("svg foreignObject").get_by_text(asset_key, exact=True)


def graph_card(page: Page, asset_key: str) -> Locator:
    """The whole node of `asset_key`: title, latest event, checks, partitions, automation."""
    title = page.get_by_text(asset_key, exact=True)
    return page.locator("svg foreignObject").filter(has=title).filter(has_text="Asset checks")


def open_launch_dialog(page: Page, assets: list[str], partitions: str) -> Locator:
    """Select `assets` in the graph, open "Materialize all", type `partitions`; the dialog."""
    filter_graph(page, " or ".join(f"key:{asset}" for asset in assets))
    for asset in assets:
        graph_node(page, asset).wait_for()
    page.get_by_role("button", name="Materialize all").click()
    dialog = page.get_by_role("dialog")
    field = dialog.get_by_role("textbox").first
    field.fill(partitions)
    field.press("Enter")
    return dialog
