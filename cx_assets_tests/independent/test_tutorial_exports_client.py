"""Contract: the tutorial-mode conversation exports client and the flow steps around it
(`export_day_to_raw`, `normalise_day`) against the independent tutorial exports server, written
from docs/api-contract.md and tutorial 000 by someone who had read neither the client nor the
emulator, with its other readings on (`Quirks()`) and off (`Quirks.obvious()`).

What a user sees: a day's files on disk with the server's bytes and SHA-256 (JSONL and CSV), the
day in the lake with one row per readable record and every broken line in quarantine with its
file and line, the export in the DuckDB catalog; every fault the server can inject either
waited out (the day still lands) or ending in one error that names what went wrong, audited in
the catalog, with no presigned signature, token or secret in its text.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import datetime as dt
import hashlib
import io
import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from cx_assets.defs.resources import GenesysCloudResource
from cx_assets.flows.conversations import ExportedDay, export_day_to_raw, normalise_day
from cx_assets.genesys.conversations.models import ExportRequest
from cx_assets.genesys.conversations.tutorial import (
    ConversationExportClient,
    DownloadedFile,
    DownloadFailed,
    ExportError,
    ExportFailed,
    ExportTimeout,
    export_day,
)
from cx_assets.genesys.conversations.verified import FILES_DIR, VerifiedExport
from cx_assets.http.auth import ClientCredentialsAuth
from cx_assets.http.errors import ApiError
from cx_assets.lake.paths import DataLayout
from cx_assets_tests.genesys.genesys_testkit import FAST_RETRY, FILE_ATTEMPTS, RETRY_AFTER_CAP_S
from cx_assets_tests.independent.tutorial_exports_records import ExportFile
from cx_assets_tests.independent.tutorial_exports_server import (
    ExportsServer,
    Quirks,
    RunningExports,
    serve_exports,
)

pytestmark = pytest.mark.integration

DAY = dt.date(2024, 1, 1)
SEEDED = 120  # conversations on DAY
FILE_LIMIT = 8_192  # bytes: JSONL days of SEEDED records split into more than ten files
MALFORMED = 0.1
EXPORTS = "/api/v2/dataexports"
SCOPE = "dataexports:read"
LOG = logging.getLogger(__name__)


@pytest.fixture(params=["quirks", "obvious"])
def running(request: pytest.FixtureRequest) -> Iterator[RunningExports]:
    server = ExportsServer(Quirks() if request.param == "quirks" else Quirks.obvious())
    server.seed_day(DAY, SEEDED)
    with serve_exports(server) as running:
        yield running


def resource_for(running: RunningExports) -> GenesysCloudResource:
    return GenesysCloudResource(
        api_mode="tutorial",
        api_url=running.url,
        login_url=running.url,
        client_id=running.client_id,
        client_secret=running.client_secret,
        request_timeout_s=5.0,
        max_retry_seconds=20.0,
        poll_initial_s=0.01,
        poll_max_s=0.05,
        file_attempts=FILE_ATTEMPTS,
    )


@contextlib.contextmanager
def client_for(running: RunningExports, **settings: Any) -> Iterator[ConversationExportClient]:
    """The client the run's resource builds, with test-sized waits (as genesys_testkit does)."""
    with resource_for(running).export_client() as client:
        client.settings = dataclasses.replace(client.settings, retry_pause_s=0.01, **settings)
        client.api.retry = FAST_RETRY
        assert isinstance(client.api.auth, ClientCredentialsAuth)
        client.api.auth.retry = FAST_RETRY
        yield client


def land(running: RunningExports, layout: DataLayout, **settings: Any) -> ExportedDay:
    target = resource_for(running).target("conversations")
    return export_day_to_raw(
        lambda: client_for(running, **settings),
        layout,
        DAY,
        target=target,
        run_id="run-1",
        log=LOG,
    )


def land_csv(running: RunningExports, layout: DataLayout) -> VerifiedExport:
    """A CSV export of DAY into the day's raw folder with its record, as the export step
    leaves a JSONL one (the flow asks for JSONL; CSV is the client's other format)."""
    raw_dir = layout.raw_dir("genesys", "conversations", DAY.isoformat())
    with client_for(running) as client:
        exported = export_day(client, DAY, raw_dir / FILES_DIR, fmt="csv")
        stats = client.api.stats.as_dict()
    record = VerifiedExport.from_day_export(
        exported, api_base_url=running.url, is_emulator=True, request_stats=stats
    )
    record.save(raw_dir)
    return record


# -- what the server served, read from its bytes alone --------------------------------------


def server_files(running: RunningExports) -> list[ExportFile]:
    """The files of the last export the server filed, in its order."""
    return running.server.files(list(running.server.exports)[-1])


def good_and_bad(files: list[ExportFile]) -> tuple[dict[str, dt.datetime], set[tuple[str, int]]]:
    """(interactionId -> start of every readable record, {(file position, line)} of the broken
    ones), read the way the contract describes a record."""
    good: dict[str, dt.datetime] = {}
    bad: set[tuple[str, int]] = set()
    for index, file in enumerate(files):
        text = file.data.decode()
        if file.fmt == "csv":
            rows = list(csv.reader(io.StringIO(text, newline="")))
            width = len(rows[0])
            for line, row in enumerate(rows[1:], 2):
                if len(row) != width or not row[0]:
                    bad.add((str(index), line))
                else:
                    good[row[0]] = dt.datetime.fromisoformat(row[2])
            continue
        for line, raw in enumerate(text.splitlines(), 1):
            try:
                body = json.loads(raw)
            except ValueError:
                bad.add((str(index), line))
                continue
            if not body.get("interactionId"):
                bad.add((str(index), line))
            else:
                good[body["interactionId"]] = dt.datetime.fromisoformat(body["startTimestamp"])
    return good, bad


def assert_files_on_disk(record: VerifiedExport, folder: Path, files: list[ExportFile]) -> None:
    """Exactly the server's files, in its order, each with its bytes and SHA-256."""
    assert len(record.files) == len(files)
    assert sorted(p.name for p in folder.iterdir()) == sorted(f.name for f in record.files)
    for entry, served in zip(record.files, files, strict=True):
        content = (folder / entry.name).read_bytes()
        assert content == served.data, entry.name
        assert entry.sha256 == hashlib.sha256(content).hexdigest() == served.sha256
        assert entry.size == len(served.data)


def lake_rows(parquet: Path) -> dict[str, dt.datetime]:
    with duckdb.connect() as con:
        rows = con.execute(
            "SELECT conversation_id, start_time FROM read_parquet(?)", [str(parquet)]
        ).fetchall()
    return {cid: start.astimezone(dt.UTC) for cid, start in rows}


def quarantined(folder: Path) -> list[dict[str, Any]]:
    path = folder / "quarantine.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def catalog(layout: DataLayout, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(layout.catalog_path), read_only=True) as con:
        return con.execute(sql).fetchall()


def failures(layout: DataLayout) -> list[str]:
    """The reasons of the catalog's `export.failed` audit entries."""
    if not layout.catalog_path.exists():
        return []
    rows = catalog(layout, "SELECT details FROM audit_log WHERE action = 'export.failed'")
    return [json.loads(details)["reason"] for (details,) in rows]


def assert_safe(text: str, running: RunningExports) -> None:
    """No presigned signature, bearer token or client secret in what a user is shown."""
    assert "X-Amz-Signature" not in text and "X-Amz-Credential" not in text
    assert running.client_secret not in text
    for token in running.server.auth.tokens:
        assert token not in text


def assert_landed_nothing(layout: DataLayout) -> None:
    assert not layout.raw_dir("genesys", "conversations", DAY.isoformat()).exists()


# -- a day, landed -----------------------------------------------------------------------------


def test_a_jsonl_day_lands_verified_and_normalised(running: RunningExports, tmp_path: Path) -> None:
    running.server.file_limit_bytes = FILE_LIMIT
    running.server.malformed_share = MALFORMED
    layout = DataLayout(tmp_path / "data")

    exported = land(running, layout)
    files = server_files(running)
    record = exported.record
    assert len(files) > 10  # so index order and name order differ at partition 10
    assert [int(f.partition) for f in record.files] == list(range(len(files)))
    assert_files_on_disk(record, exported.raw_dir / FILES_DIR, files)
    assert "X-Amz" not in (exported.raw_dir / "export.json").read_text()

    day = normalise_day(layout, DAY, run_id="run-1", log=LOG)
    good, bad = good_and_bad(files)
    assert bad and len(good) + len(bad) == SEEDED
    assert (day.rows, day.quarantined) == (len(good), len(bad))
    assert lake_rows(day.parquet_path) == good  # every start instant, whatever its spelling
    names = [f.name for f in record.files]
    rejects = quarantined(day.quarantine_dir)
    assert {(str(names.index(q["source_file"])), q["line"]) for q in rejects} == bad
    for q in rejects:  # the raw text is the file's line
        on_disk = (exported.raw_dir / FILES_DIR / q["source_file"]).read_text().splitlines()
        assert on_disk[q["line"] - 1] == q["raw"]

    [(status, rows, files_n, quarantined_n)] = catalog(
        layout,
        "SELECT status, row_count, file_count, quarantined_count FROM exports "
        f"WHERE export_id = '{record.export_id}'",
    )
    assert (status, rows, files_n, quarantined_n) == ("VERIFIED", len(good), len(files), len(bad))
    listed = catalog(layout, "SELECT name, sha256 FROM export_files ORDER BY name")
    assert listed == sorted((f.name, f.sha256) for f in record.files)


def test_a_csv_day_lands_verified_and_normalised(running: RunningExports, tmp_path: Path) -> None:
    running.server.file_limit_bytes = FILE_LIMIT // 4
    running.server.malformed_share = MALFORMED
    layout = DataLayout(tmp_path / "data")

    record = land_csv(running, layout)
    files = server_files(running)
    assert len(files) > 1 and all(f.format == "csv" for f in record.files)
    raw_dir = layout.raw_dir("genesys", "conversations", DAY.isoformat())
    assert_files_on_disk(record, raw_dir / FILES_DIR, files)

    day = normalise_day(layout, DAY, run_id="run-1", log=LOG)
    good, bad = good_and_bad(files)
    assert bad and len(good) + len(bad) == SEEDED
    assert (day.rows, day.quarantined) == (len(good), len(bad))
    assert lake_rows(day.parquet_path) == good
    names = [f.name for f in record.files]
    rejects = quarantined(day.quarantine_dir)
    assert {(str(names.index(q["source_file"])), q["line"]) for q in rejects} == bad


def test_a_second_run_replaces_the_day_with_a_new_export(
    running: RunningExports, tmp_path: Path
) -> None:
    """With the quirks on, the second export's manifest is the older envelope (one file, the
    day as its partition)."""
    layout = DataLayout(tmp_path / "data")
    first = land(running, layout).record
    second = land(running, layout)
    assert second.record.export_id != first.export_id
    files = server_files(running)
    assert_files_on_disk(second.record, second.raw_dir / FILES_DIR, files)
    if running.quirks.envelope_manifest:
        assert [f.partition for f in second.record.files] == [DAY.isoformat()]
    day = normalise_day(layout, DAY, run_id="run-2", log=LOG)
    assert (day.rows, day.quarantined) == (SEEDED, 0)
    assert day.export.export_id == second.record.export_id


# -- downloads that break ----------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["corrupt", "truncate", "download_drop", "download_5xx"])
def test_a_broken_download_is_fetched_again_and_lands(
    running: RunningExports, tmp_path: Path, kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    running.server.file_limit_bytes = FILE_LIMIT
    fault = running.server.add_fault(kind, partition=1)
    layout = DataLayout(tmp_path / "data")
    exported = land(running, layout)
    assert fault.fired == 1
    assert_files_on_disk(exported.record, exported.raw_dir / FILES_DIR, server_files(running))
    assert [f.attempts for f in exported.record.files if f.attempts > 1] == [2]
    assert exported.record.file_retries == 1
    outcomes = [d.outcome for d in running.server.downloads if d.partition == 1]
    assert outcomes == [kind, "ok"]
    assert "attempt 1 for" in caplog.text  # the retry was logged, without a signature
    assert_safe(caplog.text, running)


def test_a_throttled_download_waits_as_retry_after_asks_and_lands(
    running: RunningExports, tmp_path: Path
) -> None:
    """One file, so its two downloads are the server's last two readings of its clock."""
    server = running.server
    server.split_bytes = 10**9
    fault = server.add_fault("download_429", retry_after=1)
    seen: list[float] = []

    def clock() -> dt.datetime:
        seen.append(time.monotonic())
        return dt.datetime.now(dt.UTC)

    server.clock = clock
    layout = DataLayout(tmp_path / "data")
    exported = land(running, layout)
    assert fault.fired == 1
    assert_files_on_disk(exported.record, exported.raw_dir / FILES_DIR, server_files(running))
    assert [d.status for d in server.downloads] == [429, 200]
    # Retry-After (seconds, or an HTTP date with the quirks) asks for >= 1 s, capped in tests;
    # the client's own pause between attempts is 10 ms.
    assert seen[-1] - seen[-2] >= RETRY_AFTER_CAP_S * 0.9


def test_a_download_that_stays_short_fails_naming_the_file(
    running: RunningExports, tmp_path: Path
) -> None:
    running.server.add_fault("truncate", count=FILE_ATTEMPTS, partition=0)
    layout = DataLayout(tmp_path / "data")
    with pytest.raises(DownloadFailed) as raised:
        land(running, layout)
    message = str(raised.value)
    name = server_files(running)[0].name if not running.quirks.name_absent else "partition_0"
    assert name in message and f"after {FILE_ATTEMPTS} attempts" in message
    assert_safe(message, running)
    assert_landed_nothing(layout)
    [reason] = failures(layout)
    assert name in reason
    assert_safe(reason, running)


def test_a_wrong_checksum_in_the_manifest_fails_once_and_the_next_run_lands(
    running: RunningExports, tmp_path: Path
) -> None:
    """Every download of the file disagrees with the manifest: the run fails naming the file
    and both checksums (re-downloading cannot fix a manifest); the next run's manifest is
    right."""
    running.server.add_fault("wrong_checksum", partition=0)
    layout = DataLayout(tmp_path / "data")
    with pytest.raises(DownloadFailed) as raised:
        land(running, layout)
    message = str(raised.value)
    served = server_files(running)[0]
    assert "sha256 mismatch: expected " in message and f"got {served.sha256}" in message
    assert_safe(message, running)
    assert_landed_nothing(layout)
    assert len(failures(layout)) == 1

    exported = land(running, layout)
    assert_files_on_disk(exported.record, exported.raw_dir / FILES_DIR, server_files(running))


def test_expired_urls_are_refreshed_through_a_new_manifest(
    running: RunningExports, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    running.server.file_limit_bytes = FILE_LIMIT
    running.server.add_fault("expired_urls")
    layout = DataLayout(tmp_path / "data")
    exported = land(running, layout)
    files = server_files(running)
    assert_files_on_disk(exported.record, exported.raw_dir / FILES_DIR, files)
    assert exported.record.manifest_refreshes == 1
    manifests = [r for r in running.server.requests if r.path.endswith("/files")]
    assert [r.status for r in manifests] == [200, 200]
    refused = [d for d in running.server.downloads if d.outcome == "refused"]
    assert len(refused) == len(files) and all(d.status == 403 for d in refused)
    assert "refreshing manifest" in caplog.text
    assert_safe(caplog.text, running)


def test_urls_expiring_while_the_day_downloads_are_refreshed(
    running: RunningExports, tmp_path: Path
) -> None:
    running.server.file_limit_bytes = FILE_LIMIT
    landed: list[str] = []

    def expire_after_the_first(done: DownloadedFile) -> None:
        landed.append(done.manifest.name)
        if len(landed) == 1:
            running.server.expire_urls()

    dest = tmp_path / "files"
    with client_for(running, download_concurrency=1) as client:
        exported = export_day(client, DAY, dest, on_file=expire_after_the_first)
    files = server_files(running)
    assert exported.report.manifest_refreshes == 1
    assert sorted(landed) == sorted(f.name for f in exported.manifest.files)
    for entry, served in zip(sorted(exported.report.files, key=_position), files, strict=True):
        assert (dest / entry.manifest.name).read_bytes() == served.data


def test_urls_that_stay_expired_fail_naming_the_files(
    running: RunningExports, tmp_path: Path
) -> None:
    running.server.add_fault("expired_urls", count=100)
    layout = DataLayout(tmp_path / "data")
    with pytest.raises(DownloadFailed) as raised:
        land(running, layout)
    message = str(raised.value)
    assert "403" in message and "manifest refreshes" in message
    assert_safe(message, running)
    assert_landed_nothing(layout)


def _position(done: DownloadedFile) -> tuple[int, str, str]:
    return done.manifest.sort_key


# -- the export job ----------------------------------------------------------------------------


def test_a_failed_export_ends_with_its_reason(running: RunningExports, tmp_path: Path) -> None:
    reason = "the warehouse quota for this org is exhausted"
    running.server.add_fault("export_failed", reason=reason)
    layout = DataLayout(tmp_path / "data")
    with pytest.raises(ExportFailed) as raised:
        land(running, layout)
    assert reason in str(raised.value) and "FAILED" in str(raised.value)
    assert_safe(str(raised.value), running)
    assert_landed_nothing(layout)
    assert [r for r in failures(layout) if reason in r]
    assert not any(d for d in running.server.downloads)


def test_an_export_that_never_completes_times_out_naming_its_status(
    running: RunningExports, tmp_path: Path
) -> None:
    running.server.polls_to_complete = 10_000
    with pytest.raises(ExportTimeout) as raised, client_for(running, timeout_s=0.3) as client:
        export_day(client, DAY, tmp_path / "files")
    status = running.server.exports[list(running.server.exports)[-1]].statuses[-1]
    assert f"still {status.upper()}" in str(raised.value)


# -- the API's faults --------------------------------------------------------------------------


def test_api_429s_are_waited_out_as_retry_after_asks(
    running: RunningExports, tmp_path: Path
) -> None:
    running.server.add_fault("http_429", count=3, retry_after=1, path_contains=EXPORTS)
    with client_for(running) as client:
        exported = export_day(client, DAY, tmp_path / "files")
        stats = client.api.stats.snapshot()
    assert exported.report.files
    assert stats.throttled == 3
    # Retry-After (seconds or an HTTP date) asks for >= 1 s, capped in tests: had the header
    # been ignored, each wait would be the ~10 ms backoff.
    assert stats.wait_seconds >= 3 * RETRY_AFTER_CAP_S * 0.9
    assert [r.status for r in running.server.requests].count(429) == 3


@pytest.mark.parametrize("where", ["POST", "GET /files", "GET status"])
def test_api_5xx_are_retried(running: RunningExports, tmp_path: Path, where: str) -> None:
    method, _, part = where.partition(" ")
    path = {"/files": "/files", "status": EXPORTS + "/", "": EXPORTS}[part]
    running.server.add_fault("http_5xx", count=2, status=503, method=method, path_contains=path)
    layout = DataLayout(tmp_path / "data")
    exported = land(running, layout)
    assert_files_on_disk(exported.record, exported.raw_dir / FILES_DIR, server_files(running))
    assert [r.status for r in running.server.requests].count(503) == 2


@pytest.mark.parametrize("path", [EXPORTS + "/", "/files"])
def test_a_dropped_read_is_sent_again(running: RunningExports, tmp_path: Path, path: str) -> None:
    fault = running.server.add_fault("drop", method="GET", path_contains=path)
    layout = DataLayout(tmp_path / "data")
    exported = land(running, layout)
    assert fault.fired == 1
    assert_files_on_disk(exported.record, exported.raw_dir / FILES_DIR, server_files(running))


def test_a_create_whose_answer_was_lost_is_not_sent_again(
    running: RunningExports, tmp_path: Path
) -> None:
    """The server filed the export and cut the connection: sending the POST again would file
    a second export behind the user's back, so the run fails once, saying no answer came."""
    running.server.add_fault("drop", method="POST", path_contains=EXPORTS)
    layout = DataLayout(tmp_path / "data")
    with pytest.raises(ApiError) as raised:
        land(running, layout)
    assert raised.value.status is None and "no response" in str(raised.value)
    assert len(running.server.created) == 1
    assert_safe(str(raised.value), running)
    assert len(failures(layout)) == 1


def test_expired_tokens_are_refreshed(running: RunningExports, tmp_path: Path) -> None:
    with client_for(running) as client:
        created = client.create(_request())
        running.server.expire_tokens()
        job = client.wait(created.id)
        running.server.expire_tokens()
        manifest = client.manifest(job.id)
        report = client.download_all(job.id, manifest, tmp_path / "files")
    assert [f.manifest.name for f in report.files] == [f.name for f in manifest.files]
    assert [r.status for r in running.server.requests].count(401) == 2
    assert len(running.server.auth.tokens) == 3


def test_a_scope_the_client_may_not_have_is_named(running: RunningExports, tmp_path: Path) -> None:
    running.server.lack(SCOPE)
    layout = DataLayout(tmp_path / "data")
    with pytest.raises(ApiError) as raised:
        land(running, layout)
    assert SCOPE in str(raised.value) and raised.value.status == 400
    assert not raised.value.transient
    assert not running.server.created
    assert_safe(str(raised.value), running)


def test_a_scope_lost_after_the_token_was_issued_is_named(
    running: RunningExports, tmp_path: Path
) -> None:
    with client_for(running) as client:
        created = client.create(_request())
        running.server.lack(SCOPE)
        with pytest.raises(ApiError) as raised:
            client.wait(created.id)
    assert raised.value.status == 403 and SCOPE in str(raised.value)
    assert not raised.value.transient
    assert_safe(str(raised.value), running)


def test_a_flow_failure_leaves_the_previous_day_in_place(
    running: RunningExports, tmp_path: Path
) -> None:
    layout = DataLayout(tmp_path / "data")
    first = land(running, layout)
    normalise_day(layout, DAY, run_id="run-1", log=LOG)
    running.server.add_fault("export_failed", reason="maintenance window")
    with pytest.raises(ExportError):
        land(running, layout)
    again = VerifiedExport.load(first.raw_dir)
    assert again.export_id == first.record.export_id
    assert catalog(layout, "SELECT export_id FROM exports") == [(first.record.export_id,)]
    assert [r for r in failures(layout) if "maintenance window" in r]


def _request() -> ExportRequest:
    return ExportRequest.for_day(DAY)


def test_a_small_rate_limit_budget_is_waited_out(running: RunningExports, tmp_path: Path) -> None:
    running.server.auth.budget, running.server.auth.window_s = 2, 1.0
    layout = DataLayout(tmp_path / "data")
    exported = land(running, layout)
    assert_files_on_disk(exported.record, exported.raw_dir / FILES_DIR, server_files(running))
    statuses = [r.status for r in running.server.requests]
    assert set(statuses) <= {200, 202, 429}
    # the budget bit: the client paced itself on the rate-limit headers, or waited out a 429
    assert exported.record.request_stats["wait_seconds"] > 0 or 429 in statuses


# -- one reading at a time ---------------------------------------------------------------------


@pytest.mark.parametrize("quirk", Quirks.names())
def test_each_reading_alone_lands_the_day(quirk: str, tmp_path: Path) -> None:
    """Each quirk on its own, so a reading that breaks the client is named by its test id: the
    day lands (twice for `envelope_manifest`: the second export meets the older envelope) in
    more than ten files, with every readable record in the lake and every broken one in
    quarantine."""
    server = ExportsServer(Quirks.only(quirk))
    server.seed_day(DAY, SEEDED // 3)
    server.malformed_share = MALFORMED
    server.file_limit_bytes = FILE_LIMIT // 2
    layout = DataLayout(tmp_path / "data")
    runs = ("run-1", "run-2") if quirk == "envelope_manifest" else ("run-1",)
    with serve_exports(server) as running:
        for run in runs:
            exported = land(running, layout)
            files = server_files(running)
            assert run != "run-1" or len(files) > 10
            assert_files_on_disk(exported.record, exported.raw_dir / FILES_DIR, files)
            day = normalise_day(layout, DAY, run_id=run, log=LOG)
            good, bad = good_and_bad(files)
            assert (day.rows, day.quarantined) == (len(good), len(bad))
            assert lake_rows(day.parquet_path) == good
        if quirk.startswith("csv_") or quirk in ("no_final_newline", "empty_day_file"):
            csv_layout = DataLayout(tmp_path / "csv")
            record = land_csv(running, csv_layout)
            files = server_files(running)
            raw_dir = csv_layout.raw_dir("genesys", "conversations", DAY.isoformat())
            assert_files_on_disk(record, raw_dir / FILES_DIR, files)
            day = normalise_day(csv_layout, DAY, run_id="run-csv", log=LOG)
            good, bad = good_and_bad(files)
            assert (day.rows, day.quarantined) == (len(good), len(bad))
            assert lake_rows(day.parquet_path) == good
