"""End to end: a day materialised through Dagster lands verified in the lake and the catalog.

Contract: each day's conversations are queryable once, typed, with every check passing; re-runs
replace instead of duplicating; faults from the emulator are recovered from or fail loudly with
nothing unverified left behind; no secret or signature reaches the event log or the catalog.
"""

from __future__ import annotations

import dagster as dg

from cx_assets_tests.e2e.pipeline_testkit import Pipeline

DAY = "2024-03-01"


def _checks(result: dg.ExecuteInProcessResult) -> dict[str, bool]:
    return {e.check_name: e.passed for e in result.get_asset_check_evaluations()}


def test_a_day_lands_in_the_catalog_with_checks_passing(pipeline: Pipeline) -> None:
    result = pipeline.materialize(DAY)

    assert result.success
    assert _checks(result) == {
        "files_match_manifest": True,
        "schema_conforms": True,
        "rows_match_files": True,
        "conversation_id_unique": True,
        # Tutorial mode has no data-availability watermark: the check says so, as a WARN.
        "day_is_final": False,
    }
    rows = pipeline.sql(
        "SELECT count(*), count(DISTINCT conversation_id), min(conversation_date) "
        "FROM conversations"
    )
    assert rows[0][0] == 60 and rows[0][1] == 60
    assert str(rows[0][2]) == DAY
    export = pipeline.sql(
        "SELECT status, row_count, file_count, is_emulator FROM exports WHERE partition_key = ?",
        [DAY],
    )
    assert export == [("VERIFIED", 60, 1, True)]
    lake = pipeline.data_dir / "lake" / "genesys" / "conversations" / f"date={DAY}"
    assert [p.name for p in lake.iterdir()] == ["part-0.parquet"]
    materialization = result.asset_materializations_for_node("genesys_conversations")[0]
    assert materialization.metadata["dagster/row_count"].value == 60
    # The export step parsed each file as it landed; the lake step merged them and cleaned up.
    assert materialization.metadata["normalised"].value == "while downloading"
    assert not list((pipeline.data_dir / "staging").rglob("*.parquet"))


def test_rerun_and_overlapping_days_leave_one_copy(pipeline: Pipeline) -> None:
    for day in ("2024-03-01", "2024-03-02", "2024-03-01", "2024-03-02", "2024-03-03"):
        assert pipeline.materialize(day).success

    total, distinct = pipeline.sql(
        "SELECT count(*), count(DISTINCT conversation_id) FROM conversations"
    )[0]
    assert total == distinct == 180
    assert pipeline.sql("SELECT count(*) FROM exports")[0][0] == 3
    per_day = pipeline.sql(
        "SELECT conversation_date::VARCHAR, count(*) FROM conversations GROUP BY 1 ORDER BY 1"
    )
    assert per_day == [("2024-03-01", 60), ("2024-03-02", 60), ("2024-03-03", 60)]


def test_faults_are_recovered_and_counted(pipeline: Pipeline) -> None:
    pipeline.emulator.add_faults(
        {"kind": "http_429", "count": 2, "path_prefix": "/api/v2/dataexports"},
        {"kind": "http_5xx", "count": 1, "path_prefix": "/api/v2/dataexports"},
        "drop_connection:count=1",
        "corrupt_file:count=1",
        "truncate_file:count=1",
        "expire_urls:count=1",
    )

    result = pipeline.materialize(DAY)

    assert result.success
    checks = _checks(result)
    assert checks.pop("day_is_final") is False  # tutorial mode: no watermark, a WARN
    assert all(checks.values())
    meta = result.asset_materializations_for_node("genesys_conversation_export")[0].metadata
    assert meta["throttled_429"].value == 2
    assert meta["file_retries"].value >= 3
    assert meta["manifest_refreshes"].value == 1
    assert pipeline.sql("SELECT count(DISTINCT conversation_id) FROM conversations")[0][0] == 60


def test_failed_export_fails_the_run_and_leaves_nothing_unverified(pipeline: Pipeline) -> None:
    pipeline.emulator.add_faults({"kind": "export_failed", "count": 10})

    result = pipeline.materialize(DAY, raise_on_error=False)

    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    assert "FAILED" in str(failure.event_specific_data)
    assert pipeline.sql("SELECT count(*) FROM exports") == [(0,)]
    assert pipeline.sql("SELECT count(*) FROM conversations") == [(0,)]
    assert pipeline.sql("SELECT action FROM audit_log WHERE action = 'export.failed'")
    assert not (pipeline.data_dir / "raw" / "genesys" / "conversations" / DAY).exists()


def test_no_secret_or_signature_in_event_log_or_catalog(pipeline: Pipeline) -> None:
    result = pipeline.materialize(DAY)
    assert result.success

    events = pipeline.instance.all_logs(result.run_id)
    text = "\n".join(str(e) for e in events)
    catalog_text = "\n".join(
        str(r)
        for table in ("exports", "export_files", "audit_log")
        for r in pipeline.sql(f"SELECT * FROM {table}")
    )
    for haystack in (text, catalog_text):
        assert pipeline.emulator.client_secret not in haystack
        assert "X-Amz-Signature" not in haystack
        assert "Bearer " not in haystack


def _messages(pipeline: Pipeline, result: dg.ExecuteInProcessResult) -> list[str]:
    return [e.user_message for e in pipeline.instance.all_logs(result.run_id) if e.user_message]


def test_the_plots_tab_has_numbers_for_each_day_and_the_log_shows_progress(
    pipeline: Pipeline,
) -> None:
    """Numeric metadata is what the asset's Plots tab charts per partition; the export's log
    says how far the download is (files of total, MB, rate, ETA) and how it ended."""
    result = pipeline.materialize(DAY)
    assert result.success

    export = result.asset_materializations_for_node("genesys_conversation_export")[0].metadata
    for key in ("files", "bytes", "requests", "retries", "throttled_429", "conversations_served"):
        assert isinstance(export[key], dg.IntMetadataValue), key
    for key in ("export_seconds", "download_seconds", "mb_per_s"):
        assert isinstance(export[key], dg.FloatMetadataValue), key
    assert export["files"].value == 1 and export["conversations_served"].value == 60
    assert export["bytes"].value > 0 and export["mb_per_s"].value > 0

    lake = result.asset_materializations_for_node("genesys_conversations")[0].metadata
    assert lake["conversations"].value == 60 and lake["rows_quarantined"].value == 0
    handle_s, talk_s = lake["handle_seconds_avg"].value, lake["talk_seconds_avg"].value
    [(avg_handle, avg_talk)] = pipeline.sql(
        "SELECT avg(handle_ms) / 1000, avg(talk_ms) / 1000 FROM conversations"
    )
    assert handle_s == round(avg_handle or 0, 1) and talk_s == round(avg_talk, 1) and talk_s > 0
    for key in ("handle_hours_total", "talk_hours_total", "normalise_seconds"):
        assert isinstance(lake[key], dg.FloatMetadataValue), key
    # the asset shows every column with its description before anything ran, too
    schema = lake["dagster/column_schema"].value
    assert all(c.description for c in schema.columns)

    lines = _messages(pipeline, result)
    assert any(
        line.startswith(f"{DAY} export: 1 of 1 file(s), 60 record(s), 0.1 of 0.1 MB;")
        and "MB/s" in line
        and "ETA" in line
        for line in lines
    ), lines
    assert any(line.startswith(f"{DAY} export: done, 1 of 1 file(s)") for line in lines), lines


def test_every_check_result_names_its_day(pipeline: Pipeline) -> None:
    """The checks carry no partitions_def (a preview API), so each result says its day."""
    result = pipeline.materialize(DAY)
    evaluations = result.get_asset_check_evaluations()
    assert len(evaluations) == 5
    for evaluation in evaluations:
        assert evaluation.metadata["partition"].value == DAY, evaluation.check_name
        assert (evaluation.description or "").startswith(f"{DAY}: "), evaluation.check_name
