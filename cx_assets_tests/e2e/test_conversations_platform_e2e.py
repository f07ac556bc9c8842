"""Contract: in platform mode a day of conversations lands through an analytics conversation
details job: five queryable tables, every check green, the day final or provisional by the
watermark, failed jobs retried with a new one, a missing permission named, a re-run replacing the
day, each conversation exactly once, and the tables normalised while the day downloaded used
only when they were made from exactly the pages the blocking check verified."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from cx_assets import settings
from cx_assets.emulator import EmulatorServer
from cx_assets.lake.paths import DataLayout
from cx_assets_tests.e2e.pipeline_testkit import (
    FAST_EMULATOR,
    Pipeline,
    make_instance,
    running_pipeline,
)

PER_DAY = 40
DAY = "2024-03-01"
#: What the emulator needs to answer jobs at test speed.
PLATFORM_EMULATOR = {
    **FAST_EMULATOR,
    "details_conversations_per_day": PER_DAY,
    "details_job_delay_s": 0.05,
}
JOBS = "/api/v2/analytics/conversations/details/jobs"


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[Pipeline]:
    with running_pipeline(tmp_path, **PLATFORM_EMULATOR) as running:
        yield running


def _materialize(pipeline: Pipeline, day: str, **kwargs: object) -> dg.ExecuteInProcessResult:
    return pipeline.materialize(day, api_mode="platform", poll_initial_s=0.05, **kwargs)


def _normalised(result: dg.ExecuteInProcessResult) -> str:
    [materialization] = result.asset_materializations_for_node("genesys_conversations")
    return str(materialization.metadata["normalised"].value)


def _prepared(pipeline: Pipeline) -> Path:
    return DataLayout(pipeline.data_dir).prepared_dir("genesys", "conversations", DAY)


def _checks(result: dg.ExecuteInProcessResult) -> dict[str, bool]:
    return {e.check_name: e.passed for e in result.get_asset_check_evaluations()}


def test_a_day_lands_as_five_tables_with_every_check_green(platform: Pipeline) -> None:
    result = _materialize(platform, DAY)

    assert result.success
    assert _checks(result) == {
        "files_match_manifest": True,
        "day_is_final": True,
        "schema_conforms": True,
        "rows_match_files": True,
        "conversation_id_unique": True,
    }
    [(rows, ids, day, modes)] = platform.sql(
        "SELECT count(*), count(DISTINCT conversation_id), min(conversation_date), "
        "list(DISTINCT api_mode) FROM conversations"
    )
    assert (rows, ids, str(day), modes) == (PER_DAY, PER_DAY, DAY, ["platform"])
    for table in ("participants", "sessions", "segments", "metrics"):
        [(n,)] = platform.sql(f"SELECT count(*) FROM conversation_{table}")
        assert n > PER_DAY, table
    # Durations come from the metrics: handle time is never less than talk time.
    [(bad,)] = platform.sql("SELECT count(*) FROM conversations WHERE handle_ms < talk_ms")
    assert bad == 0
    [(job, status, final, served)] = platform.sql(
        "SELECT e.export_id, e.status, d.final, d.conversations FROM exports e "
        "JOIN conversation_days d ON d.day = CAST(e.partition_key AS DATE)"
    )
    assert (status, final, served) == ("VERIFIED", True, PER_DAY)
    meta = result.asset_materializations_for_node("genesys_conversation_export")[0].metadata
    assert meta["api_mode"].value == "platform"
    assert meta["export_id"].value == job
    assert meta["day_status"].value == "final"
    assert _normalised(result) == "while downloading"
    assert not _prepared(platform).exists()  # taken by the lake step, not left behind


def test_a_day_after_the_watermark_is_provisional_and_warns(platform: Pipeline) -> None:
    recent = (dt.datetime.now(dt.UTC) - dt.timedelta(days=3)).date().isoformat()
    platform.emulator.add_faults({"kind": "watermark_lag", "delay_s": 5 * 86400, "rate": 1.0})

    result = _materialize(platform, recent)

    assert result.success
    [warning] = [e for e in result.get_asset_check_evaluations() if e.check_name == "day_is_final"]
    assert not warning.passed and warning.severity == dg.AssetCheckSeverity.WARN
    assert "provisional" in str(warning.metadata["status"].value)
    assert platform.sql("SELECT final FROM conversation_days") == [(False,)]


def test_a_failed_job_is_retried_with_a_new_job_and_lands_once(platform: Pipeline) -> None:
    platform.emulator.add_faults("job_failed:count=1")

    result = _materialize(platform, DAY)

    assert result.success
    assert platform.emulator.stats()["details_jobs_created"] == 2
    assert platform.sql("SELECT count(*), count(DISTINCT conversation_id) FROM conversations") == [
        (PER_DAY, PER_DAY)
    ]


def test_a_missing_permission_fails_once_and_names_it(tmp_path: Path) -> None:
    permissions = {settings.EMULATOR_CLIENT_ID: ["analytics:agentConversationDetail:view"]}
    with EmulatorServer(
        state_dir=tmp_path / "emu", client_permissions=permissions, **PLATFORM_EMULATOR
    ) as server:
        pipeline = Pipeline(server, tmp_path / "data", make_instance(tmp_path / "home"))
        result = _materialize(pipeline, DAY, raise_on_error=False)
        attempts = len(server.stats()["details_jobs"])
    assert not result.success
    [failure] = [e for e in result.all_events if e.is_step_failure]
    message = str(failure.step_failure_data.error)
    assert "analytics:conversationDetail:view" in message
    assert attempts == 0  # refused before any job was created, and not retried


def test_a_rerun_replaces_the_day(platform: Pipeline) -> None:
    first = _materialize(platform, DAY)
    second = _materialize(platform, DAY)

    assert first.success and second.success
    assert platform.sql("SELECT count(*), count(DISTINCT conversation_id) FROM conversations") == [
        (PER_DAY, PER_DAY)
    ]
    [(exports,)] = platform.sql("SELECT count(*) FROM exports")
    assert exports == 1


def test_a_job_resubmitted_mid_download_prepares_the_new_jobs_pages(platform: Pipeline) -> None:
    platform.emulator.add_faults({"kind": "job_expired", "after": 1})

    result = _materialize(platform, DAY, details_page_size=10)

    assert result.success
    assert platform.emulator.stats()["details_jobs_created"] == 2
    assert _normalised(result) == "while downloading"
    assert platform.sql("SELECT count(*), count(DISTINCT conversation_id) FROM conversations") == [
        (PER_DAY, PER_DAY)
    ]


def test_prepared_tables_not_made_from_the_verified_pages_are_not_used(
    platform: Pipeline,
) -> None:
    _materialize(platform, DAY, selection="genesys_conversation_export")
    record_file = _prepared(platform) / "prepared.json"
    record = json.loads(record_file.read_text())
    page = sorted(record["pages"])[0]
    record["pages"][page] = "0" * 64  # as if made from a page other than the one verified
    record["rows"]["conversations"] = 1
    record_file.write_text(json.dumps(record))

    result = _materialize(platform, DAY, selection="genesys_conversations")

    assert result.success
    assert _normalised(result) == "from raw"
    assert platform.sql("SELECT count(*), count(DISTINCT conversation_id) FROM conversations") == [
        (PER_DAY, PER_DAY)
    ]
    assert not _prepared(platform).exists()


def test_the_log_shows_pages_and_conversations_as_the_job_pages(tmp_path: Path) -> None:
    """The total is unknown until the cursor ends: lines give pages, conversations, MB so far."""
    with running_pipeline(tmp_path, **PLATFORM_EMULATOR) as pipeline:
        result = _materialize(pipeline, DAY, details_page_size=15)
        assert result.success
        lines = [
            e.user_message for e in pipeline.instance.all_logs(result.run_id) if e.user_message
        ]
    first = f"{DAY} details job: 1 page(s), 15 conversation(s), "
    assert any(
        line.startswith(first) and "total unknown until the last page" in line for line in lines
    ), lines
    assert any(
        line.startswith(f"{DAY} details job: done, 3 page(s), {PER_DAY} conversation(s)")
        for line in lines
    ), lines
    [export] = result.asset_materializations_for_node("genesys_conversation_export")
    assert export.metadata["conversations_served"].value == PER_DAY
    assert export.metadata["files"].value == 3
    assert isinstance(export.metadata["mb_per_s"], dg.FloatMetadataValue)
