"""Contract: the tutorial flow does for one run what the Dagster asset does: export a range,
page it to disk, place each record in its day, write and register each day; then
`cxone.interactions` in the catalog holds every record once with its day's metrics, and a re-run
of one day replaces only that day."""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from cx_assets.catalog import views
from cx_assets.catalog.cxone import CxoneDayRecord, day_metrics
from cx_assets.catalog.queries import query
from cx_assets.cxone.ranges import DayRange
from cx_assets.cxone.tutorial import CxoneExportClient
from cx_assets.emulator import EmulatorServer
from cx_assets.flows.cxone_tutorial import land_exports
from cx_assets.lake.cxone_columns import INTERACTION_COLUMNS
from cx_assets.lake.cxone_days import VIEW_GLOB, VIEW_NAME
from cx_assets.lake.paths import DataLayout
from cx_assets_tests.cxone.cxone_testkit import cxone_client

pytestmark = pytest.mark.integration

RANGE = DayRange(dt.date(2024, 2, 27), dt.date(2024, 3, 1))  # crosses the leap day
LOG = logging.getLogger(__name__)


@pytest.fixture(autouse=True)
def cxone_view(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Register the view in an isolated registry, as the Dagster layer does at import time."""
    monkeypatch.setattr(views, "_REGISTRY", {})
    views.register_dataset_view(VIEW_NAME, VIEW_GLOB, INTERACTION_COLUMNS)
    yield


def run(client: CxoneExportClient, layout: DataLayout, days: DayRange) -> list[CxoneDayRecord]:
    land_exports(client, [days], layout, run_id="test", log=LOG)
    return day_metrics(layout.catalog_path, days.first, days.last)


def test_range_lands_in_the_view_with_metrics(emulator: EmulatorServer, tmp_path: Path) -> None:
    layout = DataLayout(tmp_path / "data")
    with cxone_client(emulator) as client:
        days = run(client, layout, RANGE)
    assert [d.day for d in days] == RANGE.dates()
    catalog = layout.catalog_path
    (export_id, records) = query(catalog, "SELECT export_id, records FROM cxone_exports").rows[0]
    quarantine = layout.quarantine_dir("cxone", "interactions", export_id) / "unplaced.jsonl"
    unplaced = len(quarantine.read_text().splitlines()) if quarantine.exists() else 0
    in_view, distinct = query(
        catalog, "SELECT count(*), count(DISTINCT id) FROM cxone.interactions"
    ).rows[0]
    assert in_view + unplaced == records  # every record is in the lake or in quarantine
    assert in_view == sum(d.total for d in days)
    assert (
        distinct
        == query(catalog, "SELECT count(*) FROM cxone.interactions WHERE id IS NOT NULL").rows[0][0]
    )
    days_seen = query(
        catalog,
        "SELECT DISTINCT CAST(start_time AS DATE) FROM cxone.interactions "
        "WHERE start_time IS NOT NULL",
    ).rows
    assert {d for (d,) in days_seen} <= set(RANGE.dates())
    stored = day_metrics(catalog, RANGE.first, RANGE.last)
    assert [(d.day, d.total, d.valid) for d in stored] == [(d.day, d.total, d.valid) for d in days]
    audit = json.loads(query(catalog, "SELECT details FROM audit_log").rows[0][0])
    assert (audit["export_id"], audit["records"]) == (export_id, records)
    assert audit["valid"] == sum(d.valid for d in days) < in_view  # the emulator drops fields


def test_rerun_of_one_day_leaves_the_others(emulator: EmulatorServer, tmp_path: Path) -> None:
    layout = DataLayout(tmp_path / "data")
    with cxone_client(emulator) as client:
        first = run(client, layout, RANGE)
        others = {d.day: Path(d.path).read_bytes() for d in first if d.day != dt.date(2024, 2, 29)}
        (again,) = run(client, layout, DayRange.single(dt.date(2024, 2, 29)))
    for d in first:
        if d.day in others:
            assert Path(d.path).read_bytes() == others[d.day]
    stored = {d.day: d.export_id for d in day_metrics(layout.catalog_path, RANGE.first, RANGE.last)}
    assert stored[dt.date(2024, 2, 29)] == again.export_id
    assert {stored[d] for d in others} == {first[0].export_id}
    assert again.export_id != first[0].export_id
