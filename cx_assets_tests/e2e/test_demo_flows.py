"""`make demo`'s data action and privacy flows, each run against an emulator through a real
Dagster instance: the data action demo returns 0 after applying the repo's rules (audited in the
catalog) and then showing, from the drift run the instance recorded, a failed drift check on
route-vip that names the out-of-band editor; the privacy demo returns 0 after two requests went
from a dropped file to a verified owner-only export with its full audit trail in the catalog:
one in tutorial mode completed by the signed webhook callback, one GDPR_EXPORT in platform mode
completed by polling; no subject identifier is ever printed."""

from __future__ import annotations

import stat
from pathlib import Path

import dagster as dg
import pytest

from cx_assets.catalog import privacy as cat
from cx_assets.defs.rules.checks import LIVE_MATCHES_REPO
from cx_assets.defs.rules.rule_files import RULES_DIR, asset_key_for
from cx_assets.demo_outbound import EDITOR, RULE_SET_ID, demo_outbound
from cx_assets.demo_privacy import DEMO_EMAIL, DEMO_PHONE, DEMO_SUBJECT, demo_privacy
from cx_assets.demo_rules import DRIFT_ACTION, EMULATOR_OTHER_EDITOR, demo_data_actions
from cx_assets.flows.privacy_steps import REQUIRED_TRAIL
from cx_assets.lake.verified_download import sha256_file
from cx_assets_tests.e2e.pipeline_testkit import Pipeline


def _env(pipeline: Pipeline, tmp_path: Path) -> dict[str, str]:
    """The demo's environment: the fixture's data root and its instance's DAGSTER_HOME."""
    return {"CX_DATA_DIR": str(pipeline.data_dir), "DAGSTER_HOME": str(tmp_path / "dagster_home")}


def test_data_action_demo_applies_then_shows_the_drift(
    pipeline: Pipeline, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert demo_data_actions(_env(pipeline, tmp_path), pipeline.emulator.url) == 0
    out = capsys.readouterr().out

    rows = pipeline.sql(
        "SELECT action, entity, actor FROM audit_log WHERE flow = 'data_actions' ORDER BY seq"
    )
    assert rows == [("apply", DRIFT_ACTION, pipeline.emulator.client_id)]
    key = dg.AssetCheckKey(asset_key_for(RULES_DIR / f"{DRIFT_ACTION}.yaml"), LIVE_MATCHES_REPO)
    record = pipeline.instance.get_latest_asset_check_evaluation_record(key)
    assert record is not None and record.evaluation is not None
    assert not record.evaluation.passed  # what the UI shows after the drift run
    assert record.evaluation.metadata["changed_by"].value == EMULATOR_OTHER_EDITOR
    assert f"drift detected on {DRIFT_ACTION}, changed by {EMULATOR_OTHER_EDITOR}" in out
    assert "+++ repo" in out and "version 1 -> 2" in out


def test_outbound_demo_applies_shows_the_editor_of_a_drift_and_reports_a_conflict(
    pipeline: Pipeline, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert demo_outbound(_env(pipeline, tmp_path), pipeline.emulator.url) == 0
    out = capsys.readouterr().out
    rows = pipeline.sql("SELECT action, entity FROM audit_log WHERE flow = 'rules' ORDER BY seq")
    filter_id = "f1170001-0000-4000-8000-000000000001"
    assert sorted(rows[:2]) == [
        ("apply", f"contact_list_filter:{filter_id}"),
        ("apply", f"rule_set:{RULE_SET_ID}"),
    ]
    assert rows[2:] == [("apply_conflict", f"rule_set:{RULE_SET_ID}")]
    assert "dry_run" in out and "+++ repo" in out
    assert f"changed by {EDITOR['name']}" in out
    assert "Nothing was written" in out
    puts = pipeline.emulator.stats()["outbound_puts"]
    assert [p["status"] for p in puts] == [200, 200, 409]  # the conflict was never retried


def test_privacy_demo_delivers_one_request_per_mode_with_its_trail(
    pipeline: Pipeline, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert demo_privacy(_env(pipeline, tmp_path), pipeline.emulator.url) == 0
    out = capsys.readouterr().out

    rows = pipeline.sql("SELECT api_mode, partition_key FROM privacy_requests ORDER BY api_mode")
    assert [mode for mode, _ in rows] == ["platform", "tutorial"]
    keys = dict(rows)
    tutorial = cat.request_row(pipeline.catalog_path, keys["tutorial"])
    assert tutorial is not None
    assert (tutorial.status, tutorial["completion_source"]) == ("DELIVERED", "webhook")
    export = pipeline.data_dir / tutorial["export_path"]
    assert sha256_file(export) == tutorial["sha256"]
    assert stat.S_IMODE(export.stat().st_mode) == 0o600
    actions = [e["action"] for e in cat.trail(pipeline.catalog_path, tutorial.request_id)]
    assert "callback_received" in actions
    assert all(step.split(":")[0] in actions for step in REQUIRED_TRAIL)
    assert "via signed webhook callback" in out

    platform = cat.request_row(pipeline.catalog_path, keys["platform"])
    assert platform is not None
    assert (platform.status, platform["completion_source"]) == ("DELIVERED", "poll")
    folder = pipeline.data_dir / platform["export_path"]
    assert sha256_file(folder / "manifest.json") == platform["sha256"]
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    actions = [e["action"] for e in cat.trail(pipeline.catalog_path, platform.request_id)]
    assert "callback_received" not in actions
    assert all(step.split(":")[0] in actions for step in REQUIRED_TRAIL)
    assert "via status polling" in out

    for row in (tutorial, platform):
        assert row["sha256"] in out and f"Audit trail of request {row.request_id}" in out
        assert row.partition_key in pipeline.instance.get_dynamic_partitions("privacy_requests")
    for identifier in (DEMO_SUBJECT, DEMO_EMAIL, DEMO_PHONE):
        assert identifier not in out
