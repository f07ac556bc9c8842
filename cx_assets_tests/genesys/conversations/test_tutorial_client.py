"""Contract: `export_day` puts one UTC day's export on disk, verified, in JSONL or CSV, one file
or many (downloaded concurrently); bad input and missing scopes fail with a message naming the
field or the scope, and bad input fails before any request is sent.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pydantic
import pytest

from cx_assets.emulator import EmulatorServer
from cx_assets.genesys.auth import TOKEN_PATH
from cx_assets.genesys.conversations import endpoints
from cx_assets.genesys.conversations.models import ExportRequest
from cx_assets.genesys.conversations.tutorial import (
    ConversationExportClient,
    ExportSettings,
    export_day,
)
from cx_assets.http.auth import ClientCredentialsAuth
from cx_assets.http.client import ApiClient
from cx_assets.http.errors import ApiError, ForbiddenError
from cx_assets_tests.emulator.emulator_fixtures import EmulatorFactory
from cx_assets_tests.genesys.genesys_testkit import (
    DAY,
    FAST_RETRY,
    assert_verified_on_disk,
    dest_listing,
    fast_client,
    resource_for,
)

pytestmark = pytest.mark.integration

SCOPE = endpoints.EXPORT_SCOPES[0]


def test_resource_client_downloads_a_day_as_served(emulator: EmulatorServer, dest: Path) -> None:
    """The client exactly as a run builds it (default waits), no faults."""
    with resource_for(emulator).export_client() as client:
        export = export_day(client, DAY, dest)
        stats = client.api.stats.snapshot()
    assert_verified_on_disk(export, dest)
    assert export.job.status == "COMPLETED"
    assert export.day == DAY
    [entry] = export.manifest.files
    assert entry.name.endswith(".jsonl")
    assert entry.partition == 0  # the tutorial's partition: the file's index
    lines = (dest / entry.name).read_bytes().splitlines()
    assert len(lines) == entry.recordCount == 40
    first = json.loads(lines[0])
    assert first["startTimestamp"].startswith(DAY.isoformat())
    assert export.requested_at <= export.completed_at <= export.finished_at
    assert (stats.retries, stats.throttled, stats.server_errors) == (0, 0, 0)
    assert export.report.file_retries == export.report.manifest_refreshes == 0
    assert emulator.stats()["exports_created"] == 1


def test_csv_export_has_header_and_one_row_per_record(emulator: EmulatorServer, dest: Path) -> None:
    with fast_client(emulator) as client:
        export = export_day(client, DAY, dest, fmt="csv")
    assert_verified_on_disk(export, dest)
    [entry] = export.manifest.files
    assert entry.format == "csv"
    assert entry.name.endswith(".csv")
    lines = (dest / entry.name).read_text().splitlines()
    assert lines[0] == "interactionId,type,startTimestamp,endTimestamp,channelType"
    assert len(lines) - 1 == entry.recordCount == 40


def test_multi_file_day_downloads_every_file_concurrently(
    emulator_factory: EmulatorFactory, dest: Path, caplog: pytest.LogCaptureFixture
) -> None:
    emulator = emulator_factory(max_file_bytes=8 * 1024)
    workers = 4
    with fast_client(emulator, download_concurrency=workers) as client:
        files = _file_count(client)
        # The first download of each worker is corrupted, so each logs a retry warning under
        # its thread name: more than one name proves the files were fetched side by side.
        emulator.add_faults(f"corrupt_file:count={workers}")
        caplog.set_level(logging.WARNING, logger="cx_assets.genesys.conversations.tutorial")
        export = export_day(client, DAY, dest)
    assert len(export.manifest.files) == files > workers
    assert_verified_on_disk(export, dest)
    assert sum(f.recordCount or 0 for f in export.manifest.files) == 40
    assert export.report.file_retries == workers
    threads = {r.threadName for r in caplog.records if "failed: " in r.getMessage()}
    assert len(threads) > 1
    assert all(name.startswith("genesys-download") for name in threads)


def test_the_request_sent_is_the_tutorials(emulator: EmulatorServer) -> None:
    """`type: conversation`, `view: full`, as the tutorial's example sends them."""
    with fast_client(emulator) as client:
        created = client.create(ExportRequest.for_day(DAY))
        echoed = client.api.get_json(endpoints.export_path(created.id))
    assert (echoed["type"], echoed["view"], echoed["format"]) == ("conversation", "full", "jsonl")
    assert echoed["startDate"] == "2024-01-01T00:00:00.000Z"


def _file_count(client: ConversationExportClient) -> int:
    """How many files the day has (the emulator caches days, so a later export matches)."""
    job = client.wait(client.create(ExportRequest.for_day(DAY)).id)
    return len(client.manifest(job.id).files)


def test_bad_format_fails_before_any_request(emulator: EmulatorServer, dest: Path) -> None:
    with fast_client(emulator) as client, pytest.raises(pydantic.ValidationError) as err:
        export_day(client, DAY, dest, fmt="xml")
    assert err.value.errors()[0]["loc"] == ("format",)
    assert "format" in str(err.value)
    assert emulator.stats()["requests"] == 0  # not even a token request
    assert dest_listing(dest) == []


def test_window_ending_before_start_fails_before_any_request(emulator: EmulatorServer) -> None:
    with fast_client(emulator) as client, pytest.raises(pydantic.ValidationError) as err:
        client.create(
            ExportRequest(startDate="2024-01-02T00:00:00Z", endDate="2024-01-01T00:00:00Z")
        )
    assert "endDate must be after startDate" in str(err.value)
    stats = emulator.stats()
    assert stats["requests"] == 0
    assert stats["exports_created"] == 0


def test_client_not_allowed_the_scope_is_told_which_scope(
    emulator_factory: EmulatorFactory, dest: Path
) -> None:
    """The run's client asks for the scope at token time: refused there, naming it."""
    emulator = emulator_factory(client_scopes={"emulator-client": ()})
    with fast_client(emulator) as client, pytest.raises(ApiError) as err:
        export_day(client, DAY, dest)
    assert SCOPE in str(err.value)
    assert emulator.stats()["exports_created"] == 0
    assert dest_listing(dest) == []


def test_token_without_the_scope_gets_403_naming_it(emulator_factory: EmulatorFactory) -> None:
    """A token granted without the scope (nothing requested): the API's 403 names the scope."""
    emulator = emulator_factory(client_scopes={"emulator-client": ()})
    auth = ClientCredentialsAuth(
        token_url=f"{emulator.url}{TOKEN_PATH}",
        client_id=emulator.client_id,
        client_secret=emulator.client_secret,
        retry=FAST_RETRY,
    )
    with ApiClient(emulator.url, auth=auth, retry=FAST_RETRY) as api:
        client = ConversationExportClient(api, ExportSettings(poll_initial_s=0.02))
        with pytest.raises(ForbiddenError) as err:
            client.create(ExportRequest.for_day(DAY))
    assert err.value.status == 403
    assert SCOPE in str(err.value)
    assert emulator.stats()["exports_created"] == 0
