"""Contract: `audit_trail_complete` fails through the real privacy flow when the catalog lost an
entry of the request's trail (here `validated`, deleted by hand after the request was filed),
naming what is missing, while the export itself is still delivered verified."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from cx_assets.catalog import privacy as cat
from cx_assets.catalog import write_transaction
from cx_assets.defs.privacy.assets import TRAIL_COMPLETE
from cx_assets.genesys.privacy.models import derive_request_id
from cx_assets.lake.privacy import PrivacyArea
from cx_assets_tests.e2e.pipeline_testkit import Pipeline, running_pipeline
from cx_assets_tests.e2e.privacy_testkit import launch_downloads, submit_runs, tick_until_download

pytestmark = pytest.mark.e2e

KEY = "dsar-lost-entry"
REQUEST = {
    "entityType": "user",
    "entityId": "subject-user-4410",
    "dataTypes": ["profile"],
    "format": "json",
    "timeRange": {"start": "2024-03-01T00:00:00Z", "end": "2024-03-05T00:00:00Z"},
}


@pytest.fixture
def pipeline(tmp_path: Path) -> Iterator[Pipeline]:
    with running_pipeline(tmp_path) as running:
        yield running


def test_a_trail_entry_lost_from_the_catalog_fails_audit_trail_complete(
    pipeline: Pipeline,
) -> None:
    requests = PrivacyArea(pipeline.data_dir).requests_dir
    requests.mkdir(parents=True, exist_ok=True)
    (requests / f"{KEY}.json").write_text(json.dumps(REQUEST))
    [submitted] = submit_runs(pipeline)
    assert submitted.success
    request_id = derive_request_id(KEY)
    with write_transaction(pipeline.catalog_path) as con:
        con.execute(
            "DELETE FROM audit_log WHERE flow = 'privacy' AND entity = ? AND action = 'validated'",
            [request_id],
        )

    [delivered] = launch_downloads(pipeline, tick_until_download(pipeline, KEY)[-1])

    assert delivered.success  # not blocking: the verified export is delivered
    [check] = delivered.get_asset_check_evaluations()
    assert check.check_name == TRAIL_COMPLETE
    assert not check.passed and check.severity == dg.AssetCheckSeverity.ERROR
    assert check.metadata["missing"].value == "validated"
    assert check.description == "the request's audit trail lacks validated"
    assert str(check.metadata["trail"].value).startswith("submit_requested")  # no validated
    row = cat.request_row(pipeline.catalog_path, KEY)
    assert row is not None and row.status == "DELIVERED"
