"""Contract: a 30-day backfill in platform mode through a real Dagster instance, with a 429
storm at 5 %, one job FAILED, one job EXPIRED while paging and one dropped connection, ends with
every day landed, final, and each conversation exactly once.

The days run in this process, one Dagster run per day as the UI's backfill launches them, so the
test pays no process start per run (`test_cli_e2e.py` covers `cx-assets materialize` itself).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from cx_assets.emulator import EmulatorServer
from cx_assets_tests.e2e.pipeline_testkit import Pipeline, make_instance
from cx_assets_tests.e2e.test_conversations_platform_e2e import JOBS, PER_DAY, PLATFORM_EMULATOR

DAYS = 30
FIRST = dt.date(2024, 4, 1)


def test_a_faulted_30_day_backfill_lands_each_conversation_once(tmp_path: Path) -> None:
    days = [(FIRST + dt.timedelta(days=n)).isoformat() for n in range(DAYS)]
    with EmulatorServer(state_dir=tmp_path / "emu", **PLATFORM_EMULATOR) as emulator:
        emulator.add_faults(f"http_429:rate=0.05,path_prefix={JOBS}", "job_failed:count=1")
        pipeline = Pipeline(emulator, tmp_path / "data", make_instance(tmp_path / "home"))
        # Each one-off fault meets a different day's job (a job both FAILED and EXPIRED would
        # only ever show the first).
        later = {10: "job_expired:count=1", 20: f"drop_connection:count=1,path_prefix={JOBS}/"}
        results = []
        for n, day in enumerate(days):
            if n in later:
                emulator.add_faults(later[n])
            results.append(
                pipeline.materialize(
                    day, api_mode="platform", poll_initial_s=0.05, details_page_size=10
                )
            )
        stats, fired = emulator.stats(), emulator.admin.faults()["fired"]

    assert [r.success for r in results] == [True] * DAYS
    # Every fault really fired; the failed and the expired job were each replaced once.
    assert fired.get("http_429", 0) > 0
    assert (fired.get("job_failed"), fired.get("job_expired"), fired.get("drop_connection")) == (
        1,
        1,
        1,
    )
    assert stats["details_jobs_created"] == DAYS + 2
    [(rows, ids, landed)] = pipeline.sql(
        "SELECT count(*), count(DISTINCT conversation_id), count(DISTINCT conversation_date) "
        "FROM conversations"
    )
    assert (rows, ids, landed) == (DAYS * PER_DAY, DAYS * PER_DAY, DAYS)
    assert pipeline.sql("SELECT count(*) FROM conversation_days WHERE final") == [(DAYS,)]
    assert pipeline.sql("SELECT count(*) FROM exports") == [(DAYS,)]
