"""`cx-assets demo`: every flow once against the built-in emulator, then the catalog queried.

Runs go through the Dagster instance in DAGSTER_HOME exactly as `cx-assets materialize` does, so
what the demo shows is what the UI shows. The data action rules and the privacy request have
modules of their own (`demo_rules.py`, `demo_privacy.py`); what they share with the rest of the
demo (resources on the emulator, the instance, run lines, catalog tables) is here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import dagster as dg

from cx_assets import settings
from cx_assets.catalog.queries import query
from cx_assets.catalog.sql_output import render_table
from cx_assets.defs import cxone
from cx_assets.defs.cxone.environment import emulator_platform
from cx_assets.defs.datatables.discovery import add_table_partitions
from cx_assets.defs.datatables.partitions import datatable_ids, snapshot_partition_key
from cx_assets.defs.datatables.snapshots import SNAPSHOT_ASSET
from cx_assets.defs.resources import CatalogResource, GenesysCloudResource
from cx_assets.local_runs import PartitionRun, days_between, ensure_dagster_home, materialize_days

DEMO_DAYS = 7
#: The demo's week ends this many days before today (UTC): every day of it is past the
#: emulator's analytics watermark (final, not provisional) and it sits at the recent end of the
#: partitions, where a user looks first, next to the days the nightly schedules land.
DEMO_END_DAYS_AGO = 2
DEMO_IMPORT = "datatable_import_customer_tiers_platform"

CONVERSATION_QUERIES = {
    "Conversations per day and media type": """
        SELECT conversation_date AS day, media_type, count(*) AS conversations,
               round(avg(duration_ms) / 1000, 1) AS avg_seconds
        FROM conversations GROUP BY ALL ORDER BY day, media_type""",
    "Handle, talk, hold and after-call-work seconds per queue": """
        SELECT left(queue_id, 8) AS queue, count(*) AS conversations,
               round(avg(handle_ms) / 1000, 1) AS handle_s, round(avg(talk_ms) / 1000, 1) AS talk_s,
               round(avg(hold_ms) / 1000, 1) AS hold_s, round(avg(acw_ms) / 1000, 1) AS acw_s,
               count(*) FILTER (WHERE abandoned) AS abandoned
        FROM conversations WHERE queue_id IS NOT NULL GROUP BY ALL ORDER BY conversations DESC""",
    "Who took part and which segments they had (one conversation)": """
        SELECT p.purpose, left(p.participant_id, 8) AS participant, s.media_type,
               g.segment_index AS seg, g.segment_type, g.duration_ms, left(g.queue_id, 8) AS queue
        FROM conversation_participants p
        JOIN conversation_sessions s USING (conversation_id, participant_id)
        JOIN conversation_segments g USING (conversation_id, participant_id, session_id)
        WHERE conversation_id = (SELECT min(conversation_id) FROM conversation_participants)
        ORDER BY g.segment_start, p.purpose""",
    "Which days are final (analytics watermark) and which are still provisional": """
        SELECT day, api_mode, left(export_id, 8) AS job, conversations, final,
               data_availability_date
        FROM conversation_days ORDER BY day""",
    "Export records in the catalog": """
        SELECT partition_key AS day, export_id, status, file_count AS files, bytes,
               row_count AS rows, quarantined_count AS quarantined, requests, retries,
               throttled, is_emulator
        FROM exports ORDER BY partition_key""",
}
DATATABLE_QUERIES = {
    "Data table imports (the second run changes nothing)": """
        SELECT import_name, left(run_id, 8) AS run, import_mode, rows_total AS rows_read,
               inserted, updated, unchanged, quarantined, verified,
               coalesce(left(import_job_id, 8), 'none') AS import_job
        FROM datatable_imports ORDER BY started_at""",
    "Rows the import quarantined (first run)": """
        SELECT row_number, field, reason FROM datatable_quarantine
        WHERE run_id = (SELECT run_id FROM datatable_imports ORDER BY started_at LIMIT 1)
        ORDER BY row_number""",
    "Data table snapshots (one export job each)": """
        SELECT table_name, day, api_mode, row_count, records_processed, quarantined,
               left(export_job_id, 8) AS export_job
        FROM datatable_snapshots ORDER BY table_name""",
    "Imported rows as the snapshot sees them (datatables.customer_tiers)": """
        SELECT key, tier, credit_limit, discount, vip, snapshot_date
        FROM datatables.customer_tiers WHERE key LIKE 'C-9000%' OR key = 'C-000001'
        ORDER BY key""",
}

CXONE_QUERIES = {
    "CXone per-day integrity (required fields present)": """
        SELECT day, total, valid, round(integrity_rate, 4) AS integrity, missing_by_field
        FROM cxone_day_metrics ORDER BY day""",
    "CXone reads (platform mode: one contacts/completed pull per day)": """
        SELECT range_start AS day, api_mode, kind, records, pages AS responses, requests,
               replaced, duplicates, updated_since
        FROM cxone_exports ORDER BY range_start, created_at""",
    "CXone completed contacts per day, medium and direction (cxone.interactions)": """
        SELECT start_time::DATE AS day, medium, direction, count(*) AS contacts,
               count(*) FILTER (WHERE abandoned) AS abandoned,
               round(avg(in_queue_time), 1) AS queue_s, round(avg(hold_time), 1) AS hold_s,
               round(avg(wrap_time), 1) AS acw_s, round(avg(talk_time), 1) AS agent_s
        FROM cxone.interactions GROUP BY ALL ORDER BY day, contacts DESC LIMIT 12""",
}
Report = Callable[[list[PartitionRun]], int]
#: In-process runs log to the console at DEBUG by default; the demo prints its own summary.
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def print_queries(catalog: Path, queries: dict[str, str]) -> None:
    for title, sql in queries.items():
        print(f"\n{title}  (duckdb {catalog})\n{render_table(query(catalog, sql))}")


def print_table(title: str, catalog_path: Path, sql: str, params: list[Any]) -> None:
    print(f"\n{title}  (duckdb {catalog_path})")
    print(render_table(query(catalog_path, sql, params)))


def demo_resources(
    env: dict[str, str], emulator_url: str, api_mode: str = "platform"
) -> dict[str, Any]:
    """The Genesys resource on the emulator (in `api_mode`) and the catalog on the demo's data
    root."""
    return {
        "genesys": GenesysCloudResource(
            api_mode=api_mode,
            api_url=emulator_url,
            login_url=emulator_url,
            client_id=settings.EMULATOR_CLIENT_ID,
            client_secret=settings.EMULATOR_CLIENT_SECRET,
            max_retry_seconds=30.0,
        ),
        "catalog": CatalogResource(data_dir=env["CX_DATA_DIR"]),
    }


def demo_instance(env: dict[str, str]) -> dg.DagsterInstance:
    return dg.DagsterInstance.from_config(env["DAGSTER_HOME"])


def run_line(result: dg.ExecuteInProcessResult) -> str:
    return f"run {result.run_id[:8]}: {'SUCCESS' if result.success else 'FAILURE'}"


def demo_days(today: dt.date | None = None) -> list[str]:
    """The days the demo lands: the `DEMO_DAYS` days ending `DEMO_END_DAYS_AGO` days before
    `today` (UTC), none before the first partition (`CX_START_DATE`); a ValueError when the first
    partition is later than the demo's last day."""
    today = today or dt.datetime.now(dt.UTC).date()
    last = today - dt.timedelta(days=DEMO_END_DAYS_AGO)
    first_partition = dt.date.fromisoformat(settings.start_date())
    if first_partition > last:
        raise ValueError(
            f"CX_START_DATE={first_partition} is after the demo's last day {last}: unset it or "
            "set an earlier date"
        )
    first = max(last - dt.timedelta(days=DEMO_DAYS - 1), first_partition)
    return days_between(first, last)


def run_conversations(env: dict[str, str], parallel: int, report: Report) -> int:
    days = demo_days()
    print(f"\nConversation exports {days[0]} … {days[-1]} ({parallel} runs at a time)")
    return report(materialize_days(days, env=env, parallel=parallel))


def run_cxone(env: dict[str, str], emulator_url: str) -> int:
    """The demo week as ONE run in platform mode (a pull per day), as a backfill run would be.

    The emulator leaves required fields out of some contacts on purpose, so some days fall below
    the integrity threshold and the run FAILS by design (that is what a user sees in the UI):
    the demo says so and goes on. Any other failure is a real one."""
    days = demo_days()
    print(f"\nCXone interactions {days[0]} … {days[-1]} in one run, platform mode")
    resources = {
        "cxone": emulator_platform(f"{emulator_url}/cxone-platform"),
        "catalog": CatalogResource(data_dir=env["CX_DATA_DIR"]),
    }
    tags = {
        "dagster/asset_partition_range_start": days[0],
        "dagster/asset_partition_range_end": days[-1],
    }
    with dg.DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
        result = dg.materialize(
            cxone.ASSETS,
            instance=instance,
            resources=resources,
            tags=tags,
            run_config=QUIET,
            raise_on_error=False,
        )
    print(f"run {result.run_id}: {'SUCCESS' if result.success else 'FAILURE'}")
    for check in result.get_asset_check_evaluations():
        verdict = "passed" if check.passed else "FAILED"
        print(f"  check {check.check_name}: {verdict}: {check.description}")
    return cxone_outcome(result, days)


def cxone_outcome(result: dg.ExecuteInProcessResult, days: list[str]) -> int:
    """0 when the run succeeded, or failed only because days were below the integrity threshold
    while every day landed (the demo's design); 1 for any other failure, with its reason."""
    if result.success:
        return 0
    landed = {str(e.partition) for e in result.get_asset_materialization_events()}
    failures = result.get_step_failure_events()
    data = failures[0].step_failure_data.user_failure_data if len(failures) == 1 else None
    below = data.metadata.get("failing_days") if data is not None else None
    if below is not None and landed == set(days):
        print(
            f"  expected: this run fails ON PURPOSE. The emulator leaves required fields out of "
            f"some contacts, so {len(below.value)} of {len(days)} day(s) are below the "
            "integrity threshold; a day like that fails the run so it cannot hide under "
            f"green. All {len(days)} day(s) are landed (queried below); in the UI the run is "
            "red and the check integrity_at_least_threshold names each day and its rate."
        )
        return 0
    error = failures[0].step_failure_data.error if failures else None
    reason = data.description if data else (error.message.strip() if error else "no step failed")
    print(f"  the CXone run failed: {reason}")
    return 1


def run_report(env: dict[str, str], parallel: int, report: Report) -> int:
    days = demo_days()
    print(f"\nDaily contact-centre report {days[0]} … {days[-1]}")
    code = report(
        materialize_days(days, env=env, parallel=parallel, selection="daily_contact_centre_report")
    )
    pages = sorted((Path(env["CX_DATA_DIR"]) / "reports").rglob("*.html"))
    print("Open in a browser (a table and a chart per day):")
    for page in pages:
        print(f"  {page}")
    return code


def run_datatables(env: dict[str, str], emulator_url: str, parallel: int, report: Report) -> int:
    """Import twice (the second changes nothing), then snapshot every table for the last day."""
    print("\nData table import (twice: the second run must change nothing)")
    code = 0
    for _ in range(2):
        code |= report(materialize_days([None], env=env, selection=DEMO_IMPORT))
    genesys = GenesysCloudResource(
        api_url=emulator_url,
        login_url=emulator_url,
        client_id=settings.EMULATOR_CLIENT_ID,
        client_secret=settings.EMULATOR_CLIENT_SECRET,
    )
    home = ensure_dagster_home(env)
    with dg.DagsterInstance.from_config(str(home)) as instance:
        add_table_partitions(instance, genesys)
        tables = instance.get_dynamic_partitions(datatable_ids.name or "")
    day = dt.datetime.now(dt.UTC).date().isoformat()  # a table keeps no history: today only
    print(f"\nData table snapshots of {len(tables)} discovered tables, taken today ({day} UTC)")
    keys = [snapshot_partition_key(table, day) for table in tables]
    code |= report(materialize_days(keys, env=env, parallel=parallel, selection=SNAPSHOT_ASSET))
    return code
