"""A backfill of three days of the conversations flow, launched from the launch dialog with a
typed partition range, completes: the backfill page reads Succeeded with every targeted day of
both assets succeeded and none failed, each day's Parquet file is on disk, and the asset's
Partitions tab shows each day materialised.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import Page, expect

from cx_assets.flows.conversations_platform import CONVERSATIONS_FILE
from cx_assets_ui_tests.browser import (
    BACKFILL_TIMEOUT_MS,
    Shots,
    open_launch_dialog,
    open_lineage,
)
from cx_assets_ui_tests.dev_server import DevServer

EXPORT = "genesys_conversation_export"
CONVERSATIONS = "genesys_conversations"
#: Days of the test's calendar the backfill covers (apart from the one-day test's day).
FIRST_OFFSET, DAYS = 5, 3


@pytest.mark.timeout(900)
def test_three_day_backfill_completes(page: Page, dev: DevServer, shots: Shots) -> None:
    first = dev.start_date + dt.timedelta(days=FIRST_OFFSET)
    days = [(first + dt.timedelta(days=n)).isoformat() for n in range(DAYS)]

    open_lineage(page, dev.url)
    dialog = open_launch_dialog(page, [EXPORT, CONVERSATIONS], f"[{days[0]}...{days[-1]}]")
    expect(dialog.get_by_text(f"{DAYS} partitions", exact=True)).to_be_visible()
    shots.take(page, "launch-dialog")
    dialog.get_by_role("button", name="Launch backfill").click()

    expect(page.get_by_text(re.compile(r"^Created backfill"))).to_be_visible()
    shots.take(page, "created")
    page.get_by_role("button", name="View").or_(page.get_by_role("link", name="View")).first.click()
    expect(page).to_have_url(re.compile(r"/runs/b/\w+"))
    expect(page.get_by_text(f"{days[0]}...{days[-1]}")).to_be_visible()
    shots.take(page, "backfill-started")

    # The value under the "Status" label: In progress until the daemon closes the backfill.
    status = page.get_by_text("Status", exact=True).locator("xpath=following-sibling::*[1]")
    expect(status).not_to_have_text(
        re.compile(r"In progress|Requested"), timeout=BACKFILL_TIMEOUT_MS
    )
    shots.take(page, "backfill-ended")
    expect(status).to_have_text("Succeeded")

    # One line per asset: the asset, then partitions targeted, in progress, succeeded, failed.
    for asset in (EXPORT, CONVERSATIONS):
        link = page.locator(f'a[href="/assets/{asset}"]')
        row = link.locator("xpath=ancestor::div[count(div) >= 5][1]")
        cells = [c.strip() for c in row.locator("xpath=./div").all_inner_texts()]
        assert cells[1:] == [str(DAYS), "0", str(DAYS), "0"], (asset, cells)

    for day in days:
        parquet = dev.data_dir / "lake" / "genesys" / "conversations" / f"date={day}"
        assert (parquet / CONVERSATIONS_FILE).exists(), f"{day}: no Parquet file after the backfill"

    for day in days:
        page.goto(f"{dev.url}/assets/{CONVERSATIONS}?view=partitions&partition={day}")
        expect(page.get_by_text("Latest materialization")).to_be_visible()
        expect(page.get_by_text("Materialized", exact=True).first).to_be_visible()
    shots.take(page, "last-partition")
