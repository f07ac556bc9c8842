"""One day of the conversations flow materialised by clicking through the launch dialog, as a
user does: the run succeeds, its log shows every check of both assets passing, and the day's
partition pages show the metadata that matches what landed on disk.

Check names come from the webserver's GraphQL, the row count from the day's Parquet file; the
only names the test types are the asset keys and the partition key it launches.
"""

from __future__ import annotations

import datetime as dt
import re

import duckdb
import pytest
from playwright.sync_api import Page, expect

from cx_assets.flows.conversations_platform import CONVERSATIONS_FILE
from cx_assets_ui_tests.browser import (
    RUN_TIMEOUT_MS,
    Shots,
    open_launch_dialog,
    open_lineage,
)
from cx_assets_ui_tests.dev_server import DevServer

EXPORT = "genesys_conversation_export"
CONVERSATIONS = "genesys_conversations"
#: Which day of the test's calendar (its start date + this many days) the test launches.
DAY_OFFSET = 2


def metadata_value(page: Page, key: str) -> str:
    """The value beside `key` in the partition's metadata table."""
    row = page.get_by_role("row").filter(has=page.get_by_text(key, exact=True))
    expect(row).to_have_count(1)
    return row.get_by_role("cell").nth(1).inner_text().strip()


@pytest.mark.timeout(600)
def test_one_day_materialises_from_the_launch_dialog(
    page: Page, dev: DevServer, shots: Shots
) -> None:
    day = (dev.start_date + dt.timedelta(days=DAY_OFFSET)).isoformat()
    checks = {asset: dev.check_names(asset) for asset in (EXPORT, CONVERSATIONS)}
    assert all(checks.values()), checks

    open_lineage(page, dev.url)
    dialog = open_launch_dialog(page, [EXPORT, CONVERSATIONS], day)
    expect(dialog.get_by_text("1 partition", exact=True)).to_be_visible()
    shots.take(page, "launch-dialog")
    dialog.get_by_role("button", name="Launch 1 run").click()

    toast = page.get_by_text(re.compile(r"^Launched run"))
    expect(toast).to_be_visible()
    shots.take(page, "launched")
    page.get_by_role("button", name="View").or_(page.get_by_role("link", name="View")).first.click()
    expect(page).to_have_url(re.compile(r"/runs/[0-9a-f-]{36}"))

    ended = page.get_by_text("Success", exact=True).or_(page.get_by_text("Failure", exact=True))
    expect(ended.first).to_be_visible(timeout=RUN_TIMEOUT_MS)
    shots.take(page, "run")
    expect(page.get_by_text("Success", exact=True).first).to_be_visible()
    expect(page.get_by_text(f"partition: {day}")).to_be_visible()
    # The run's event log: one "succeeded" line per check (filtered one at a time, since the
    # log draws only the rows on screen).
    log_filter = page.get_by_placeholder(re.compile(r"^Filter"))
    for asset, names in checks.items():
        for name in names:
            line = f"Check {name} succeeded for materialization of {asset}."
            log_filter.fill(name)
            expect(page.get_by_text(line).first).to_be_visible()
    shots.take(page, "run-check-lines")

    # The day's metadata, beside what is on disk.
    parquet = dev.data_dir / "lake" / "genesys" / "conversations" / f"date={day}"
    parquet = parquet / CONVERSATIONS_FILE
    assert parquet.exists(), f"{parquet} missing after a successful run"
    with duckdb.connect() as con:
        (rows,) = con.execute("SELECT count(*) FROM read_parquet(?)", [str(parquet)]).fetchone()
    assert rows > 0

    page.goto(f"{dev.url}/assets/{CONVERSATIONS}?view=partitions&partition={day}")
    expect(page.get_by_text("Materialized", exact=True).first).to_be_visible()
    assert metadata_value(page, "dagster/row_count") == str(rows)
    expect(page.get_by_text("dagster/column_schema", exact=True)).to_be_visible()
    shots.take(page, "conversations-partition")

    raw_dir = dev.data_dir / "raw" / "genesys" / "conversations" / day
    assert any(raw_dir.iterdir()), f"nothing landed in {raw_dir}"
    page.goto(f"{dev.url}/assets/{EXPORT}?view=partitions&partition={day}")
    expect(page.get_by_text("Materialized", exact=True).first).to_be_visible()
    expect(page.get_by_role("cell", name=str(raw_dir))).to_be_visible()
    shots.take(page, "export-partition")

    # Every check of both assets listed as passed on the asset's Checks tab.
    for asset, names in checks.items():
        for name in names:
            page.goto(f"{dev.url}/assets/{asset}?view=checks&checkDetail={name}")
            expect(page.get_by_text("Evaluation result")).to_be_visible()
            expect(page.get_by_text("Passed", exact=True).first).to_be_visible()
            shots.take(page, f"{asset}-{name}")
