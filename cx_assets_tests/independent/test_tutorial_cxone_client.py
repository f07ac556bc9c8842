"""Contract: the tutorial-mode CXone analytics export client and its flow (`land_exports`: pages
to disk, days in Parquet, the DuckDB catalog) against the independent tutorial CXone server,
written from the contract and tutorial 003 by someone who had read neither the client nor the
emulator, with its other readings on (`Quirks()`) and off (`Quirks.obvious()`).

What a user sees: every requested day in `cxone.interactions` with the records the server
seeded, read once page by page whatever the page cap or the last page's token spelling; absent
fields landed as nulls and counted; a CSV export landing the same rows as a JSON one; a range
over 90 days cut into jobs both readings of the span rule accept; each fault ending as the
client promises (waited out and retried, or failed once with the server's reason, audited); and
a Dagster run of `cxone_interactions` through the run's own resource landing and checking days.

No quirk of this server is switched off here: every reading it offers is one the text allows.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import logging
import math
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from cx_assets.catalog import views
from cx_assets.catalog.cxone import day_metrics
from cx_assets.catalog.queries import query
from cx_assets.cxone import endpoints
from cx_assets.cxone.ranges import DayRange
from cx_assets.cxone.tutorial import CxoneExportClient, CxoneExportSettings
from cx_assets.defs import cxone
from cx_assets.defs.cxone.resource import CxoneResource
from cx_assets.defs.resources import CatalogResource
from cx_assets.flows.cxone import ReadFailed
from cx_assets.flows.cxone_tutorial import land_exports, plan_exports
from cx_assets.http.auth import ClientCredentialsAuth
from cx_assets.http.client import ApiClient
from cx_assets.http.errors import ApiError, ForbiddenError
from cx_assets.lake.cxone_columns import INTERACTION_COLUMNS, TUTORIAL
from cx_assets.lake.cxone_days import VIEW_GLOB, VIEW_NAME
from cx_assets.lake.paths import DataLayout
from cx_assets_tests.e2e.pipeline_testkit import make_instance
from cx_assets_tests.genesys.genesys_testkit import FAST_RETRY
from cx_assets_tests.independent.tutorial_cxone_server import (
    CxoneExportServer,
    Quirks,
    RunningTutorialCxone,
    serve_cxone,
)

pytestmark = pytest.mark.integration

LOG = logging.getLogger(__name__)
READ, WRITE, REPORTS = endpoints.EXPORT_SCOPES
JAN = DayRange(dt.date(2024, 1, 1), dt.date(2024, 1, 4))
DATA = "/data"
FAST = CxoneExportSettings(
    poll_initial_s=0.01, poll_max_s=0.05, timeout_s=20.0, format_retry_pause_s=0.01
)


@pytest.fixture(autouse=True)
def cxone_view(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Register the view in an isolated registry, as the Dagster layer does at import time."""
    monkeypatch.setattr(views, "_REGISTRY", {})
    views.register_dataset_view(VIEW_NAME, VIEW_GLOB, INTERACTION_COLUMNS)
    yield


@pytest.fixture(params=["quirks", "obvious"])
def running(request: pytest.FixtureRequest) -> Iterator[RunningTutorialCxone]:
    server = CxoneExportServer(Quirks() if request.param == "quirks" else Quirks.obvious())
    server.polls_to_complete = 2
    with serve_cxone(server) as running:
        yield running


@contextlib.contextmanager
def client_for(running: RunningTutorialCxone, **settings: Any) -> Iterator[CxoneExportClient]:
    """The client wired as a run wires it (form credentials, the flow's scopes), fast waits."""
    auth = ClientCredentialsAuth(
        running.cxone_url + endpoints.TOKEN_PATH,
        running.client_id,
        running.client_secret,
        scopes=endpoints.EXPORT_SCOPES,
        credentials_in="form",
        retry=FAST_RETRY,
        timeout=5.0,
    )
    with ApiClient(running.cxone_url, auth=auth, retry=FAST_RETRY, timeout=5.0) as api:
        yield CxoneExportClient(api, dataclasses.replace(FAST, **settings))


def land(client: CxoneExportClient, layout: DataLayout, days: Sequence[dt.date]) -> list[DayRange]:
    ranges = plan_exports(days, target="the independent server", log=LOG)
    land_exports(client, ranges, layout, run_id="independent", log=LOG)
    return ranges


def data_calls(server: CxoneExportServer, status: int | None = None) -> list[Any]:
    return [
        c for c in server.calls if c.path.endswith(DATA) and (status is None or c.status == status)
    ]


def served(server: CxoneExportServer, days: DayRange) -> list[dict[str, Any]]:
    """The records the server serves for an export of `days` as the client asks for it."""
    return server.expected(days.start, days.end)


def placed_day(record: Mapping[str, Any], wanted: DayRange) -> dt.date | None:
    """The contract's placement: the `startTime` day, else the `endTime` day when requested."""
    start, end = TUTORIAL.start(record), TUTORIAL.columns["end_time"](record)
    if start is not None:
        return start.date() if start.date() in wanted else None
    return end.date() if end is not None and end.date() in wanted else None


def lake_rows(layout: DataLayout) -> list[dict[str, Any]]:
    names = ", ".join(c for c, _, _ in INTERACTION_COLUMNS)
    return query(layout.catalog_path, f"SELECT {names} FROM {VIEW_NAME} ORDER BY id").as_dicts()


def failures(layout: DataLayout) -> list[dict[str, Any]]:
    rows = query(
        layout.catalog_path, "SELECT details FROM audit_log WHERE action = 'export.failed'"
    ).rows
    return [json.loads(details) for (details,) in rows]


# -- a range of days, landed -------------------------------------------------------------------


def test_each_day_lands_with_the_count_the_server_seeded(
    running: RunningTutorialCxone, tmp_path: Path
) -> None:
    server = running.server
    counts = dict(zip(JAN.dates(), (7, 31, 0, 18), strict=True))
    server.seed_contacts(seed=11, missing_share=0.0, days=counts)
    layout = DataLayout(tmp_path / "data")
    with client_for(running) as client:
        (job,) = land(client, layout, JAN.dates())
    assert job == JAN
    stored = day_metrics(layout.catalog_path, JAN.first, JAN.last)
    assert {d.day: d.total for d in stored} == counts
    assert all(d.valid == d.total for d in stored)
    by_day = query(
        layout.catalog_path,
        "SELECT CAST(start_time AS DATE), count(*), count(DISTINCT id) "
        f"FROM {VIEW_NAME} GROUP BY 1",
    ).rows
    assert {day: (n, k) for day, n, k in by_day} == {d: (n, n) for d, n in counts.items() if n}
    ids = {str(r["id"]) for r in served(server, JAN)}
    assert {r["id"] for r in lake_rows(layout)} == ids
    (pages, records, total) = query(
        layout.catalog_path, "SELECT pages, records, total_reported FROM cxone_exports"
    ).rows[0]
    assert records == total == sum(counts.values())
    # every page read once: one data call per page, each token used once
    calls = data_calls(server)
    assert len(calls) == pages and all(c.status == 200 for c in calls)
    assert len({c.query for c in calls}) == len(calls)
    if server.quirks.page_size_capped:  # 25 a page, and one empty page after the last record
        assert pages == -(-records // 25) + (1 if server.quirks.empty_last_page else 0)
    else:
        assert pages == 1


def test_absent_fields_land_as_nulls_and_are_counted(
    running: RunningTutorialCxone, tmp_path: Path
) -> None:
    server = running.server
    server.seed_contacts(seed=5, per_day=40, missing_share=0.6)
    days = DayRange(dt.date(2024, 3, 9), dt.date(2024, 3, 10))
    layout = DataLayout(tmp_path / "data")
    with client_for(running, page_size=9) as client:
        land(client, layout, days.dates())
    records = served(server, days)
    assert any(len(r) < len(endpoints.RECORD_FIELDS) for r in records)
    placed = {str(r["id"]): r for r in records if placed_day(r, days) is not None}
    rows = lake_rows(layout)
    assert {r["id"] for r in rows} == set(placed)
    for row in rows:
        record = placed[row["id"]]
        for name, column in TUTORIAL.required.items():
            assert (row[column] is None) == (name not in record), (row["id"], name)
    unplaced = len(records) - len(placed)
    (export_id,) = query(layout.catalog_path, "SELECT export_id FROM cxone_exports").rows[0]
    quarantine = layout.quarantine_dir("cxone", "interactions", export_id) / "unplaced.jsonl"
    assert (len(quarantine.read_text().splitlines()) if unplaced else 0) == unplaced
    for metrics in day_metrics(layout.catalog_path, days.first, days.last):
        mine = [r for r in placed.values() if placed_day(r, days) == metrics.day]
        assert metrics.total == len(mine)
        assert metrics.valid == sum(len(r) == len(endpoints.RECORD_FIELDS) for r in mine)
        for name in endpoints.RECORD_FIELDS:
            assert metrics.missing_by_field[name] == sum(name not in r for r in mine), name


def test_over_90_days_is_cut_into_jobs_both_span_readings_accept(
    running: RunningTutorialCxone,
) -> None:
    server = running.server
    server.seed_contacts(seed=3, per_day=1, missing_share=0.0)
    first = dt.date(2024, 1, 1)
    days = [first + dt.timedelta(days=i) for i in range(181)]
    with client_for(running) as client:
        exports = client.export_days(days)
    assert [e.range.days for e in exports] == [90, 90, 1]
    assert sum(len(e.records) for e in exports) == 181
    assert [c.status for c in server.calls if c.method == "POST" and "data-exports" in c.path] == [
        202,
        202,
        202,
    ]
    for body in server.create_bodies:
        start, end = (dt.datetime.fromisoformat(body["dateRange"][k]) for k in ("start", "end"))
        assert end - start <= dt.timedelta(days=90)  # the literal rule, so both readings pass


def test_a_csv_export_lands_the_same_rows_as_a_json_one(
    running: RunningTutorialCxone, tmp_path: Path
) -> None:
    running.server.seed_contacts(seed=9, per_day=23, missing_share=0.3)
    days = DayRange(dt.date(2024, 5, 1), dt.date(2024, 5, 2))
    as_json, as_csv = DataLayout(tmp_path / "json"), DataLayout(tmp_path / "csv")
    with client_for(running, page_size=10) as client:
        land(client, as_json, days.dates())
    with client_for(running, page_size=10, export_format="csv") as client:
        land(client, as_csv, days.dates())
    assert [b["format"] for b in running.server.create_bodies] == ["json", "csv"]
    rows = lake_rows(as_json)
    assert len(rows) > 20
    assert lake_rows(as_csv) == rows
    raw = sorted(as_csv.raw_dir("cxone", "exports", f"{days.first}_{days.last}").rglob("resp*"))
    first_page = raw[0].read_bytes()  # kept exactly as served
    quirks = running.server.quirks
    assert first_page.startswith(b"\xef\xbb\xbf") == quirks.csv_bom
    assert (b"\r\n" in first_page) == quirks.csv_crlf
    assert first_page.lstrip(b"\xef\xbb\xbf").startswith(b'"id"' if quirks.csv_quote_all else b"id")


@pytest.mark.parametrize("fmt", ["json", "csv"])
@pytest.mark.parametrize(
    "quirks",
    [
        Quirks.obvious(),
        Quirks.only("last_token_absent"),
        Quirks.only("last_token_empty"),
        Quirks.only("empty_last_page", "last_token_empty", "page_size_capped"),
    ],
    ids=["null", "absent", "empty", "empty_page_after_cap"],
)
def test_every_page_is_read_once_whatever_the_last_token(fmt: str, quirks: Quirks) -> None:
    server = CxoneExportServer(quirks)
    server.polls_to_complete = 0
    server.seed_contacts(seed=2, per_day=30, missing_share=0.0)
    with serve_cxone(server) as running, client_for(running, export_format=fmt) as client:
        export = client.export_range(JAN)
    assert len(export.records) == 120 == len({str(r["id"]) for r in export.records})
    full = math.ceil(120 / 25) if quirks.page_size_capped else 1
    assert export.pages == full + (1 if quirks.empty_last_page else 0)
    assert len(data_calls(server)) == export.pages


# -- what ends an export -----------------------------------------------------------------------


def test_an_expired_page_token_fails_once_naming_it(
    running: RunningTutorialCxone, tmp_path: Path
) -> None:
    server = running.server
    server.seed_contacts(seed=4, per_day=10, missing_share=0.0)
    server.page_token_ttl_s = 0.0  # every token has expired by the time it comes back
    layout = DataLayout(tmp_path / "data")
    with client_for(running, page_size=4) as client, pytest.raises(ReadFailed) as excinfo:
        land(client, layout, JAN.dates())
    failure = excinfo.value
    assert "nextPageToken has expired" in str(failure) and "400" in str(failure)
    assert not failure.retriable
    assert not any(token in str(failure) for token in server.page_tokens)
    assert [c.status for c in data_calls(server)] == [200, 400]  # the 400 is not re-sent
    assert not layout.lake_dir("cxone", "interactions").exists()
    (audited,) = failures(layout)
    assert "nextPageToken has expired" in audited["reason"]
    assert audited["export_id"] == server.created()[0]["id"]


def test_a_failed_export_ends_with_its_reason(
    running: RunningTutorialCxone, tmp_path: Path
) -> None:
    reason = "export processing window exceeded for 2024-01-01..2024-01-04"
    running.server.add_fault("export_failed", message=reason)
    layout = DataLayout(tmp_path / "data")
    with client_for(running) as client, pytest.raises(ReadFailed) as excinfo:
        land(client, layout, JAN.dates())
    assert reason in str(excinfo.value)
    assert excinfo.value.retriable  # a new export of the same days may well succeed
    (export,) = running.server.created()
    assert export["status"] == "failed"
    assert data_calls(running.server) == []
    (audited,) = failures(layout)
    assert reason in audited["reason"] and audited["export_id"] == export["id"]
    assert query(layout.catalog_path, "SELECT count(*) FROM cxone_exports").rows == [(0,)]


FIRST_PAGE: dict[str, Any] = {"path_contains": "data-exports/", "method": "GET", "after": 2}
"""Bearer GETs under an export: its two status polls (`polls_to_complete`), then its pages."""


@pytest.mark.parametrize(
    ("kind", "options", "counter"),
    [
        ("http_429", {**FIRST_PAGE}, "throttled"),
        ("http_5xx", {"path_contains": "data-exports/", "status": 504}, "server_errors"),
        ("http_5xx", {"path_contains": "data-exports", "method": "POST"}, "server_errors"),
        ("drop", {**FIRST_PAGE, "after": 3}, "connection_errors"),
        ("truncate", {"after": 1}, "connection_errors"),
        ("wrong_format", {}, None),
    ],
    ids=["429", "504_on_status", "503_on_create", "dropped_page", "truncated_page", "wrong_fmt"],
)
def test_a_passing_fault_is_waited_out(
    running: RunningTutorialCxone,
    tmp_path: Path,
    kind: str,
    options: dict[str, Any],
    counter: str | None,
) -> None:
    server = running.server
    server.seed_contacts(seed=6, per_day=8, missing_share=0.0)
    fault = server.add_fault(kind, **options)
    layout = DataLayout(tmp_path / "data")
    with client_for(running, page_size=5) as client:
        land(client, layout, JAN.dates())
        stats = client.api.stats
    assert fault.fired == 1
    rows = lake_rows(layout)
    assert len(rows) == 32 == len({r["id"] for r in rows})
    assert len(server.created()) == 1  # a retried create did not make a second export
    if counter is not None:
        assert getattr(stats, counter) >= 1
    if kind == "http_429":
        (throttled,) = [c for c in server.calls if c.status == 429]
        assert throttled.path.endswith(DATA) and throttled.query.startswith("pageSize")
    if kind == "drop":  # the second page was lost once and asked for again with its token
        pages = [c.query for c in data_calls(server)]
        assert len(pages) == len(set(pages)) + 1 and pages[1] == pages[2]


def test_a_create_whose_answer_is_lost_is_not_sent_again(
    running: RunningTutorialCxone, tmp_path: Path
) -> None:
    running.server.add_fault("drop", path_contains="data-exports", method="POST")
    layout = DataLayout(tmp_path / "data")
    with client_for(running) as client, pytest.raises(ReadFailed) as excinfo:
        land(client, layout, JAN.dates())
    assert "no response" in str(excinfo.value)
    assert excinfo.value.retriable
    assert len(running.server.created()) == 1  # created once, never blindly re-sent
    assert len(failures(layout)) == 1


def test_an_expired_bearer_token_is_refreshed_once(running: RunningTutorialCxone) -> None:
    running.server.seed_contacts(seed=8, per_day=3, missing_share=0.0)
    with client_for(running) as client:
        first = client.export_range(JAN)
        running.server.expire_tokens()
        second = client.export_range(JAN)
        assert client.api.stats.token_requests == 2
    assert len(second.records) == len(first.records) == 12
    assert [c.status for c in running.server.calls].count(401) == 1


def test_a_scope_lost_after_the_token_was_issued_is_named(running: RunningTutorialCxone) -> None:
    with client_for(running) as client:
        client.export_range(DayRange.single(JAN.first))
        running.server.lack(WRITE)
        with pytest.raises(ForbiddenError) as excinfo:
            client.export_range(DayRange.single(JAN.first))
    assert excinfo.value.status == 403 and WRITE in str(excinfo.value)
    posts = [c.status for c in running.server.calls if c.method == "POST" and "export" in c.path]
    assert posts == [202, 403]  # not retried


def test_a_scope_the_client_may_not_have_is_named_at_the_token_call(
    running: RunningTutorialCxone,
) -> None:
    running.server.lack(REPORTS)
    with client_for(running) as client, pytest.raises(ApiError) as excinfo:
        client.export_range(DayRange.single(JAN.first))
    assert excinfo.value.status == 400 and REPORTS in str(excinfo.value)
    assert running.client_secret not in str(excinfo.value)
    assert running.server.created() == []


def test_the_rate_budget_is_kept_to(running: RunningTutorialCxone) -> None:
    server = running.server
    server.seed_contacts(seed=1, per_day=12, missing_share=0.0)
    server.auth.budget, server.auth.window_s = 4, 1.0
    with client_for(running, page_size=6) as client:
        export = client.export_range(JAN)
    assert len(export.records) == 48 == export.total_reported
    assert len(data_calls(server, 200)) == export.pages


def resource_for(running: RunningTutorialCxone) -> CxoneResource:
    """The resource a run uses, pointed at the server, with test-sized waits."""
    return CxoneResource(
        api_mode="tutorial",
        api_url=running.cxone_url,
        auth_url=running.cxone_url,
        client_id=running.client_id,
        client_secret=running.client_secret,
        poll_initial_s=0.01,
        poll_max_s=0.05,
        initial_backoff_s=0.01,
        max_retry_after_s=0.2,
    )


def materialize(
    running: RunningTutorialCxone, tmp_path: Path, first: dt.date, last: dt.date
) -> tuple[dg.ExecuteInProcessResult, DataLayout]:
    """One Dagster run of `cxone_interactions` over first..last, as a multi-run backfill tags it."""
    instance = make_instance(tmp_path / "dagster_home")
    tags = {
        "dagster/asset_partition_range_start": first.isoformat(),
        "dagster/asset_partition_range_end": last.isoformat(),
    }
    try:
        result = dg.materialize(
            cxone.ASSETS,
            instance=instance,
            tags=tags,
            raise_on_error=False,
            resources={
                "cxone": resource_for(running),
                "catalog": CatalogResource(data_dir=str(tmp_path / "data")),
            },
        )
    finally:
        instance.dispose()
    return result, DataLayout(tmp_path / "data")


def test_the_runs_resource_talks_to_the_server(running: RunningTutorialCxone) -> None:
    """The resource a run uses: form credentials (this server refuses HTTP Basic) and scopes."""
    running.server.seed_contacts(seed=12, per_day=5, missing_share=0.0)
    with resource_for(running).export_client() as client:
        export = client.export_range(JAN)
    assert len(export.records) == 20 == export.total_reported
    assert [c.status for c in running.server.calls if c.path.endswith("/oauth/token")] == [200]


def test_a_dagster_run_lands_each_day_and_passes_its_checks(
    running: RunningTutorialCxone, tmp_path: Path
) -> None:
    running.server.seed_contacts(seed=13, per_day=12, missing_share=0.0)
    days = DayRange(dt.date(2024, 2, 27), dt.date(2024, 3, 1))  # crosses the leap day
    result, layout = materialize(running, tmp_path, days.first, days.last)
    assert result.success
    landed = {str(e.materialization.partition) for e in result.get_asset_materialization_events()}
    assert landed == {d.isoformat() for d in days.dates()}
    checks = result.get_asset_check_evaluations()
    assert checks and all(c.passed for c in checks)
    assert query(layout.catalog_path, f"SELECT count(DISTINCT id) FROM {VIEW_NAME}").rows == [
        (12 * days.days,)
    ]
    assert len(running.server.created()) == 1  # four days, one export job


def test_a_dagster_run_over_a_failed_export_audits_it_and_retries(
    running: RunningTutorialCxone, tmp_path: Path
) -> None:
    reason = "the analytics warehouse is busy (injected)"
    running.server.seed_contacts(seed=14, per_day=6, missing_share=0.0)
    running.server.add_fault("export_failed", message=reason)
    first, last = dt.date(2024, 2, 20), dt.date(2024, 2, 21)
    result, layout = materialize(running, tmp_path, first, last)
    failed_steps = [e for e in result.all_events if e.is_step_failure or e.is_step_up_for_retry]
    assert failed_steps and reason in str(failed_steps[0].event_specific_data)
    failed, retried = running.server.created()
    assert (failed["status"], retried["status"]) == ("failed", "completed")
    (audited,) = failures(layout)
    assert audited["export_id"] == failed["id"] and reason in audited["reason"]
    stored = query(layout.catalog_path, "SELECT DISTINCT export_id FROM cxone_day_metrics").rows
    assert stored == [(retried["id"],)]
