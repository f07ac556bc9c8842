"""Contract: `GdprClient` works against the independent GDPR server (written from the contract
text by someone who had read neither the client nor the emulator), with every "other reasonable
reading" it offers on (`Quirks()`) and off (`Quirks.obvious()`).

What a user sees: a request filed exactly once even when the create is throttled or its answer
lost (found again in a listing whose pages are capped, among other people's requests); every
results file on disk with the server's bytes, whatever the URL shape, host, archive or
`Content-Length`, and the bearer token never sent to another host; ERROR, a missing permission
and a GDPR_DELETE each as the interface says.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from cx_assets.genesys.permissions import MissingPermission
from cx_assets.genesys.privacy.platform import FilingUncertain, GdprClient, GdprSettings
from cx_assets.genesys.privacy.platform_models import GdprRequestFile, validate_platform_request
from cx_assets.http.auth import ClientCredentialsAuth
from cx_assets.http.client import ApiClient
from cx_assets_tests.genesys.genesys_testkit import FAST_RETRY
from cx_assets_tests.independent.genesys_gdpr_quirks import Quirks
from cx_assets_tests.independent.genesys_gdpr_server import GdprServer, serve_gdpr
from cx_assets_tests.independent.genesys_gdpr_subjects import PEOPLE
from cx_assets_tests.independent.genesys_platform_server import RunningServer

pytestmark = pytest.mark.integration
ADA = PEOPLE[0].subject


def export_of(email: str, phone: str | None = None) -> GdprRequestFile:
    subject: dict[str, list[str]] = {"emailAddresses": [email]}
    if phone:
        subject["phoneNumbers"] = [phone]
    return validate_platform_request({"requestType": "GDPR_EXPORT", "subject": subject})


@pytest.fixture(params=["quirks", "obvious"])
def running(request: pytest.FixtureRequest) -> Iterator[RunningServer]:
    server = GdprServer(Quirks() if request.param == "quirks" else Quirks.obvious())
    server.retry_after_s = 0
    with serve_gdpr(server) as running:
        yield running


@contextlib.contextmanager
def client_for(running: RunningServer) -> Iterator[GdprClient]:
    """The client as a run builds it: Basic auth, no scope, the shared transport."""
    auth = ClientCredentialsAuth(
        f"{running.url}/oauth/token", running.client_id, running.client_secret, retry=FAST_RETRY
    )
    with ApiClient(running.url, auth=auth, retry=FAST_RETRY, timeout=5.0) as api:
        yield GdprClient(api, GdprSettings(list_page_size=25))


def file_once(client: GdprClient, request: GdprRequestFile, since: dt.datetime) -> str:
    """What the submit step does: file, and on a lost answer find the request instead."""
    try:
        return client.file(request).id
    except FilingUncertain:
        found = client.find_filed(request, since)
        assert found is not None, "the request filed before the answer was lost was not found"
        return found.id


def poll_until_done(client: GdprClient, request_id: str, polls: int = 20) -> str:
    for _ in range(polls):
        status = client.get(request_id).status
        if status in ("COMPLETED", "ERROR"):
            return status
    raise AssertionError(f"{request_id} still {status} after {polls} polls")


def test_an_export_is_filed_once_and_every_results_file_lands_verified(
    running: RunningServer, tmp_path: Path
) -> None:
    server: GdprServer = running.server
    with client_for(running) as client:
        # Three requests: in Quirks() the URL shapes and the result hosts take turns.
        for n in range(3):
            since = dt.datetime.now(dt.UTC)
            request = export_of(f"person.{n}@example.com", "+46701234567")
            request_id = file_once(client, request, since)
            assert poll_until_done(client, request_id) == "COMPLETED"
            folder = tmp_path / f"export-{n}"
            folder.mkdir()
            files = client.download_results(request_id, folder)

            served = server.result_files(request_id)
            assert [f.sha256 for f in files] == [f.sha256 for f in served]
            for got, expected in zip(files, served, strict=True):
                path = folder / got.name
                assert hashlib.sha256(path.read_bytes()).hexdigest() == expected.sha256
                assert path.read_bytes() == expected.data and got.size == len(expected.data)
                assert stat.S_IMODE(path.stat().st_mode) == 0o600
    ours = [r for r in server.filed if r.request_type == "GDPR_EXPORT"]
    assert len(ours) == 3, [r.id for r in ours]  # a throttled or dropped create filed once
    assert server.bearer_leaks == []


def test_a_lost_answer_is_found_in_a_capped_listing_among_other_requests(
    running: RunningServer,
) -> None:
    server: GdprServer = running.server
    with client_for(running) as client:
        server.drop_next()
        since = dt.datetime.now(dt.UTC)
        request = validate_platform_request(
            {"subject": {"emailAddresses": ADA["emailAddresses"][:1]}}
        )
        with pytest.raises(FilingUncertain):
            client.file(request)
        # someone else's older request for the same person is not ours
        server.add_foreign("GDPR_EXPORT", request.subject.wire(), since - dt.timedelta(days=2))
        found = client.find_filed(request, since)
        assert found is not None and found.id == server.filed[-1].id
        assert client.find_filed(request, since, exclude={found.id}) is None
        listed = [r.id for r in client.requests()]
        assert len(listed) == len(set(listed)) and found.id in listed
        assert len(listed) == len(server.filed) + (
            server.foreign_count + 1 if server.quirks.foreign_requests else 1
        )


def test_error_missing_permission_and_a_confirmed_delete(running: RunningServer) -> None:
    server: GdprServer = running.server
    with client_for(running) as client:
        server.error_next()
        since = dt.datetime.now(dt.UTC)
        failed = file_once(client, export_of("error.case@example.com"), since)
        assert poll_until_done(client, failed) == "ERROR"

        server.lack("gdpr:request:add")
        with pytest.raises(MissingPermission, match="gdpr:request:add"):
            client.file(export_of("denied@example.com"))
        server.lack()

        delete = validate_platform_request(
            {
                "requestType": "GDPR_DELETE",
                "subject": {"emailAddresses": ["gone@example.com"]},
                "confirm": "GDPR_DELETE",
            }
        )
        file_once(client, delete, dt.datetime.now(dt.UTC))
    assert [(r.request_type, r.delete_confirmed) for r in server.filed][-1] == (
        "GDPR_DELETE",
        True,
    )
    assert "denied@example.com" not in str([r.subject for r in server.filed])


def test_subjects_are_found_by_email_whatever_the_case(running: RunningServer) -> None:
    with client_for(running) as client:
        found = client.subjects("email", ADA["emailAddresses"][0].upper())
        assert found and all(ADA["name"] == s.get("name", ADA["name"]) for s in found)
        assert client.subjects("EMAIL", "nobody@example.com") == []


def test_a_cut_download_is_retried_with_fresh_urls(running: RunningServer, tmp_path: Path) -> None:
    server: GdprServer = running.server
    with client_for(running) as client:
        since = dt.datetime.now(dt.UTC)
        request_id = file_once(client, export_of("cut@example.com"), since)
        assert poll_until_done(client, request_id) == "COMPLETED"
        server.truncate_next_downloads(1)
        files = client.download_results(request_id, tmp_path)
    assert [f.sha256 for f in files] == [f.sha256 for f in server.result_files(request_id)]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f.name for f in files)
