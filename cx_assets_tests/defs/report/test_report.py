"""Contract: `daily_contact_centre_report`, materialised after real Genesys and CXone runs,
reports numbers equal to direct SQL on the catalog (conversations by channel and type, CXone
interactions and handle times, completeness), shows them as a markdown table with an inline SVG
chart, shows the day-by-day chart as a PNG small enough for the UI to draw in place, links the
HTML pages it writes under `<data root>/reports/` (readable by colleagues: 0644 like the lake's
files), says which days it covers and which are flagged, reads zeros (not errors) for a day
without CXone data and flags that day (metadata, page, a WARN check), and its audit-chain check
passes on the log those runs wrote."""

from __future__ import annotations

import base64
import re
import stat
import xml.etree.ElementTree as ET
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from cx_assets.catalog.report_png import INLINE_MARKDOWN_LIMIT
from cx_assets.defs import cxone, report
from cx_assets.defs.cxone.environment import emulator_platform
from cx_assets.defs.resources import CatalogResource
from cx_assets.emulator import EmulatorServer
from cx_assets_tests.e2e.pipeline_testkit import FAST_EMULATOR, Pipeline, make_instance

WITH_CXONE, GENESYS_ONLY = "2024-03-01", "2024-03-02"
EMULATOR = {**FAST_EMULATOR, "cxone_contacts_per_day": 12, "cxone_missing_rate": 0.0}


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pipeline]:
    tmp = tmp_path_factory.mktemp("report")
    server = EmulatorServer(state_dir=tmp / "emulator", **EMULATOR).start()
    instance = make_instance(tmp / "dagster_home")
    try:
        pipeline = Pipeline(server, tmp / "data", instance)
        pipeline.materialize(WITH_CXONE)
        pipeline.materialize(GENESYS_ONLY)
        dg.materialize(
            cxone.ASSETS,
            instance=instance,
            tags={
                "dagster/asset_partition_range_start": WITH_CXONE,
                "dagster/asset_partition_range_end": WITH_CXONE,
            },
            resources={
                "cxone": emulator_platform(f"{server.url}/cxone-platform", initial_backoff_s=0.01),
                "catalog": CatalogResource(data_dir=str(pipeline.data_dir)),
            },
        )
        yield pipeline
    finally:
        instance.dispose()
        server.stop()


def _run(pipeline: Pipeline, day: str) -> dg.ExecuteInProcessResult:
    return pipeline.materialize_assets([*report.ASSETS, *report.ASSET_CHECKS], partition_key=day)


def _report(pipeline: Pipeline, day: str) -> tuple[dict[str, Any], dict[str, bool]]:
    result = _run(pipeline, day)
    [event] = result.get_asset_materialization_events()
    metadata = {k: getattr(v, "value", v) for k, v in event.materialization.metadata.items()}
    checks = {c.check_name: c.passed for c in result.get_asset_check_evaluations()}
    return metadata, checks


def test_numbers_equal_direct_sql(pipeline: Pipeline) -> None:
    metadata, checks = _report(pipeline, WITH_CXONE)
    [(conversations,)] = pipeline.sql(
        "SELECT count(*) FROM conversations WHERE conversation_date = ?", [WITH_CXONE]
    )
    [(interactions, avg_handle)] = pipeline.sql(
        "SELECT count(*), avg(talk_time + hold_time + wrap_time) FROM cxone.interactions "
        "WHERE CAST(start_time AS DATE) = ?",
        [WITH_CXONE],
    )
    assert conversations == 60 and interactions == 12
    assert metadata["genesys_conversations"] == conversations
    assert metadata["cxone_interactions"] == interactions
    assert metadata["cxone_avg_handle_s"] == pytest.approx(avg_handle)
    [(integrity,)] = pipeline.sql(
        "SELECT integrity_rate FROM cxone_day_metrics WHERE day = ?", [WITH_CXONE]
    )
    assert metadata["cxone_completeness"] == pytest.approx(integrity)
    by_channel = pipeline.sql(
        "SELECT media_type, originating_direction, count(*) FROM conversations "
        "WHERE conversation_date = ? "
        "GROUP BY ALL ORDER BY 1, 2",
        [WITH_CXONE],
    )
    table = metadata["report"]
    for channel, kind, count in by_channel:
        assert f"| {channel} | {kind} | {count} |" in table
    assert checks == {"audit_chain_intact": True, "sources_complete": True}
    assert metadata["day_flagged"] is False
    assert metadata["day_flags"] == "none: both sources landed and passed"


def test_chart_and_html_page(pipeline: Pipeline) -> None:
    metadata, _ = _report(pipeline, WITH_CXONE)
    [uri] = re.findall(r"\(data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)\)", metadata["report"])
    svg = ET.fromstring(base64.b64decode(uri))
    bars = svg.findall(".//{http://www.w3.org/2000/svg}rect")
    assert len(bars) > 10  # background + one segment per (channel, type) + legend + media
    folder = pipeline.data_dir / "reports" / "daily_contact_centre_report"
    html_path = Path(metadata["html_file"])
    assert html_path == folder / f"{WITH_CXONE}.html"
    assert metadata["html"] == html_path.as_uri()  # a url entry: the UI makes it a link
    assert metadata["overview"] == (folder / "index.html").as_uri()
    page = html_path.read_text()
    assert page.startswith("<!doctype html>") and "<svg" in page and "60" in page
    assert 'href="index.html"' in page and "not flagged" in page


def test_pages_are_readable_by_colleagues_like_lake_files(pipeline: Pipeline) -> None:
    _report(pipeline, WITH_CXONE)
    folder = pipeline.data_dir / "reports" / "daily_contact_centre_report"
    [lake_file, *_] = sorted((pipeline.data_dir / "lake").rglob("*.parquet"))
    lake_mode = stat.S_IMODE(lake_file.stat().st_mode)
    for page in (folder / f"{WITH_CXONE}.html", folder / "index.html"):
        assert stat.S_IMODE(page.stat().st_mode) == 0o644 == lake_mode, page


def _png(uri_text: str) -> tuple[int, int, bytes]:
    [data] = re.findall(r"\(data:image/png;base64,([A-Za-z0-9+/=]+)\)", uri_text)
    raw = base64.b64decode(data)
    assert raw.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = int.from_bytes(raw[16:20], "big"), int.from_bytes(raw[20:24], "big")
    idat = raw.index(b"IDAT")
    length = int.from_bytes(raw[idat - 4 : idat], "big")
    return width, height, zlib.decompress(raw[idat + 4 : idat + 4 + length])


def test_chart_is_an_inline_png_of_every_covered_day(pipeline: Pipeline) -> None:
    metadata, _ = _report(pipeline, WITH_CXONE)
    chart = metadata["chart"]
    assert len(chart) < INLINE_MARKDOWN_LIMIT  # drawn in place, not behind "Show Markdown"
    width, height, pixels = _png(chart)
    assert len(pixels) == height * (width + 1)  # one filter byte per row, 8-bit palette
    assert f"{WITH_CXONE} to {GENESYS_ONLY}" in chart and "red flagged" in chart
    assert metadata["days_covered"] == 2
    assert (metadata["first_day"], metadata["last_day"]) == (WITH_CXONE, GENESYS_ONLY)
    assert "dagster/row_count" not in metadata


def test_day_without_cxone_data_reads_zeros(pipeline: Pipeline) -> None:
    metadata, _ = _report(pipeline, GENESYS_ONLY)
    assert metadata["cxone_interactions"] == 0
    assert metadata["cxone_avg_handle_s"] == 0.0
    assert metadata["genesys_conversations"] == 60
    assert "| cxone | no | 0 | 0 | no data |" in metadata["report"]


def test_a_day_without_cxone_data_is_flagged_everywhere(pipeline: Pipeline) -> None:
    result = _run(pipeline, GENESYS_ONLY)
    [event] = result.get_asset_materialization_events()
    metadata = {k: getattr(v, "value", v) for k, v in event.materialization.metadata.items()}
    assert metadata["day_flagged"] is True
    assert metadata["day_flags"] == "cxone: no interactions landed"
    assert metadata["days_flagged"] == 1
    assert metadata["flagged_days"] == f"{GENESYS_ONLY}: cxone: no interactions landed"
    assert "**FLAGGED:** cxone: no interactions landed" in metadata["report"]
    [check] = [
        c for c in result.get_asset_check_evaluations() if c.check_name == "sources_complete"
    ]
    assert not check.passed and check.severity == dg.AssetCheckSeverity.WARN
    assert check.description == f"{GENESYS_ONLY} flagged: cxone: no interactions landed"
    folder = pipeline.data_dir / "reports" / "daily_contact_centre_report"
    page = (folder / f"{GENESYS_ONLY}.html").read_text()
    assert 'class="flagged"' in page and "cxone: no interactions landed" in page
    index = (folder / "index.html").read_text()
    assert f'<tr class="flagged"><td><a href="{GENESYS_ONLY}.html">{GENESYS_ONLY}</a>' in index
    assert f'<tr><td><a href="{WITH_CXONE}.html">{WITH_CXONE}</a></td><td>60</td><td>12</td>' in (
        index
    )
