"""Contract: `daily_contact_centre_report`, materialised after real Genesys and CXone runs,
reports numbers equal to direct SQL on the catalog (conversations by channel and type, CXone
interactions and handle times, completeness), shows them as a markdown table with an inline SVG
chart, writes an HTML page under `<data root>/reports/`, reads zeros (not errors) for a day
without CXone data, and its audit-chain check passes on the log those runs wrote."""

from __future__ import annotations

import base64
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

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


def _report(pipeline: Pipeline, day: str) -> tuple[dict[str, Any], dict[str, bool]]:
    result = pipeline.materialize_assets([*report.ASSETS, *report.ASSET_CHECKS], partition_key=day)
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
    assert checks == {"audit_chain_intact": True}


def test_chart_and_html_page(pipeline: Pipeline) -> None:
    metadata, _ = _report(pipeline, WITH_CXONE)
    [uri] = re.findall(r"\(data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)\)", metadata["report"])
    svg = ET.fromstring(base64.b64decode(uri))
    bars = svg.findall(".//{http://www.w3.org/2000/svg}rect")
    assert len(bars) > 10  # background + one segment per (channel, type) + legend + media
    html_path = Path(metadata["html"])
    assert html_path == pipeline.data_dir / "reports" / "daily_contact_centre_report" / (
        f"{WITH_CXONE}.html"
    )
    page = html_path.read_text()
    assert page.startswith("<!doctype html>") and "<svg" in page and "60" in page


def test_day_without_cxone_data_reads_zeros(pipeline: Pipeline) -> None:
    metadata, _ = _report(pipeline, GENESYS_ONLY)
    assert metadata["cxone_interactions"] == 0
    assert metadata["cxone_avg_handle_s"] == 0.0
    assert metadata["genesys_conversations"] == 60
    assert "| cxone | no | 0 | 0 | no data |" in metadata["report"]
