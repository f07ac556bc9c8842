"""Contract: the tutorial-mode privacy export client (`PrivacyClient`) and the flow steps that use
it work against the independent tutorial privacy server (written from docs/api-contract.md and
tutorial 002 by someone who had read neither the client nor the emulator), with every other
reading it offers on (`Quirks()`) and off (`Quirks.obvious()`).

What a user sees: a request filed once (also when the create is throttled or its answer lost),
followed to COMPLETED or to FAILED with its reason, the export on disk (0600) with exactly the
server's bytes, an expired download URL recovered by reading the request again, signed
callbacks accepted by the real receiver (and a replay refused), the faults the server offers
each ending as the client promises, and no subject, token or signature in any error text.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import stat
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from cx_assets.catalog import privacy as cat
from cx_assets.catalog.queries import query
from cx_assets.defs.resources import GenesysCloudResource
from cx_assets.flows.privacy import PollPolicy, run_tracking_tick
from cx_assets.flows.privacy_claims import Launch, RunState
from cx_assets.flows.privacy_requests import pick_up_requests
from cx_assets.flows.privacy_steps import StepFailed, download_export, submit_request
from cx_assets.genesys.privacy.models import (
    PrivacyCallback,
    PrivacyRequest,
    PrivacyRequestStatus,
    derive_request_id,
    validate_request,
)
from cx_assets.genesys.privacy.tutorial import (
    PRIVACY_SCOPES,
    NotReady,
    PrivacyClient,
    PrivacyRequestFailed,
)
from cx_assets.http.auth import ClientCredentialsAuth
from cx_assets.http.client import ApiClient
from cx_assets.http.errors import ApiError, ConflictError, ForbiddenError, UnreadableResponse
from cx_assets.lake.paths import DataLayout
from cx_assets.lake.privacy import PrivacyArea
from cx_assets.lake.verified_download import ChecksumMismatch
from cx_assets.receiver.privacy import CALLBACK_PATH, PrivacyInbox
from cx_assets.receiver.server import create_webhook_app
from cx_assets.receiver.signing import verify_signature
from cx_assets_tests.genesys.genesys_testkit import FAST_RETRY
from cx_assets_tests.independent.tutorial_privacy_server import (
    PrivacyServer,
    Quirks,
    RunningPrivacy,
    serve_privacy,
)
from cx_assets_tests.receiver.loopback import serve, wait_for

pytestmark = pytest.mark.integration
log = logging.getLogger(__name__)

SUBJECT = "subject-ana.lima@example.com"
VIEW, EXPORT = "data:privacy:view", "data:privacy:export"
Json = dict[str, Any]


@pytest.fixture(params=["quirks", "obvious"])
def running(request: pytest.FixtureRequest) -> Iterator[RunningPrivacy]:
    server = PrivacyServer(Quirks() if request.param == "quirks" else Quirks.obvious())
    server.callback_backoff_s = 0.05
    with serve_privacy(server) as running:
        yield running


@contextlib.contextmanager
def client_for(running: RunningPrivacy) -> Iterator[PrivacyClient]:
    """The client as a run builds it: Basic auth, the flow's scopes, one pooled transport."""
    auth = ClientCredentialsAuth(
        f"{running.url}/oauth/token",
        running.client_id,
        running.client_secret,
        scopes=PRIVACY_SCOPES,
        retry=FAST_RETRY,
    )
    with ApiClient(running.url, auth=auth, retry=FAST_RETRY, timeout=5.0) as api:
        yield PrivacyClient(api)


def asked(fmt: str = "json", **fields: Any) -> PrivacyRequest:
    body: Json = {
        "entityType": "user",
        "entityId": SUBJECT,
        "format": fmt,
        "dataTypes": ["profile", "notes", "tags"],
        "timeRange": {"start": "2024-03-01T00:00:00+02:00", "end": "2024-03-20T12:00:00Z"},
    }
    return validate_request(body | fields)


def follow(client: PrivacyClient, request_id: str, polls: int = 20) -> PrivacyRequestStatus:
    """Poll (as the tracking sensor does, without its waits) until the request is terminal."""
    seen: list[str] = []
    for _ in range(polls):
        status = client.status(request_id)
        seen.append(status.status)
        if status.terminal:
            return status
    raise AssertionError(f"{request_id} never ended: {seen}")


def no_secrets(text: str, running: RunningPrivacy) -> None:
    """Neither the subject, a bearer token nor a presigned signature is in `text`."""
    assert SUBJECT not in text
    assert "X-Amz-Signature" not in text and "Signature=" not in text
    for token in running.server.auth.tokens:
        assert token not in text
    assert running.client_secret not in text


def test_a_request_is_filed_once_followed_and_its_export_lands_verified(
    running: RunningPrivacy, tmp_path: Path
) -> None:
    server = running.server
    with client_for(running) as client:
        for n, fmt in enumerate(("json", "csv")):
            request_id = derive_request_id(f"dsar-{fmt}")
            first = client.submit(request_id, asked(fmt))
            assert first.status.request_id == request_id and first.status.status == "QUEUED"
            again = client.submit(request_id, asked(fmt))  # a re-run: the same request
            assert again.status.request_id == request_id
            done = follow(client, request_id)
            assert done.status == "COMPLETED" and done.checksum is not None
            dest = tmp_path / f"export.{fmt}"
            verified = client.download(request_id, dest)

            served = server.export_bytes(request_id)
            assert served is not None and dest.read_bytes() == served
            assert verified.size == len(served) == done.size
            assert verified.sha256 == hashlib.sha256(served).hexdigest()
            assert stat.S_IMODE(dest.stat().st_mode) == 0o600
            assert [p.status for p in server.posts[2 * n :]] == [202, 200]
    assert server.filed_ids == [derive_request_id("dsar-json"), derive_request_id("dsar-csv")]
    assert [d.bearer_sent for d in server.downloads] == [False, False]


def test_a_throttled_create_files_one_request(running: RunningPrivacy) -> None:
    running.server.add_fault("http_429", count=2, method="POST", retry_after=1)
    request_id = derive_request_id("dsar-throttled")
    with client_for(running) as client:
        submitted = client.submit(request_id, asked())
        assert submitted.status.status == "QUEUED"
        assert client.api.stats.as_dict().get("retries") == 2
    assert running.server.filed_ids == [request_id]


def test_a_lost_create_answer_is_found_by_filing_again(running: RunningPrivacy) -> None:
    """The answer is lost after the server filed it: a transient error (the run is retried),
    and the retry's POST answers the request already filed instead of filing a second."""
    running.server.add_fault("drop_connection", method="POST")
    request_id = derive_request_id("dsar-lost")
    with client_for(running) as client:
        with pytest.raises(ApiError) as lost:
            client.submit(request_id, asked())
        assert lost.value.transient
        no_secrets(str(lost.value), running)
        again = client.submit(request_id, asked())
    assert again.status.request_id == request_id
    assert running.server.filed_ids == [request_id]
    assert [p.status for p in running.server.posts] == [202, 200]


def test_the_same_request_id_with_another_body_is_a_conflict_naming_it(
    running: RunningPrivacy,
) -> None:
    request_id = derive_request_id("dsar-conflict")
    with client_for(running) as client:
        client.submit(request_id, asked())
        with pytest.raises(ConflictError) as conflict:
            client.submit(request_id, asked(entityId="someone-else@example.com"))
    assert "requestId" in str(conflict.value)
    no_secrets(str(conflict.value), running)
    assert running.server.filed_ids == [request_id]


def test_a_failed_request_reports_its_reason_and_has_nothing_to_download(
    running: RunningPrivacy, tmp_path: Path
) -> None:
    reason = "the archive for this period is being restored"
    running.server.plan_next(polls=2, fail=reason)
    running.server.add_fault("export_failed", reason="privacy gateway timeout")
    first, second = derive_request_id("dsar-fail-1"), derive_request_id("dsar-fail-2")
    dest = tmp_path / "export.json"
    with client_for(running) as client:
        client.submit(first, asked())
        client.submit(second, asked())
        for request_id, why in ((first, reason), (second, "privacy gateway timeout")):
            done = follow(client, request_id)
            assert (done.status, done.failure_reason) == ("FAILED", why)
            assert done.download_url is None and done.checksum is None
            with pytest.raises(PrivacyRequestFailed) as failed:
                client.download(request_id, dest)
            assert why in str(failed.value)
            no_secrets(str(failed.value), running)
    assert not dest.exists() and list(tmp_path.iterdir()) == []


def test_a_request_not_yet_completed_is_not_ready(running: RunningPrivacy, tmp_path: Path) -> None:
    running.server.auto_advance = False
    request_id = derive_request_id("dsar-early")
    with client_for(running) as client:
        client.submit(request_id, asked())
        with pytest.raises(NotReady) as early:
            client.download(request_id, tmp_path / "export.json")
    assert "QUEUED" in str(early.value)
    assert list(tmp_path.iterdir()) == []


class UrlsExpireOnIssue(PrivacyServer):
    """Hands out the next `expired` download URLs already expired (the secret that signed them
    is rotated as they go out), as a URL whose TTL passed between the read and the download."""

    expired = 0

    def _render(self, filed: Any, may_export: bool) -> Json:
        out = super()._render(filed, may_export)
        if self.expired > 0 and out.get("downloadUrl"):
            self.expired -= 1
            self.expire_urls()
        return out


def test_an_expired_download_url_is_recovered_by_reading_the_request_again(
    running: RunningPrivacy, tmp_path: Path
) -> None:
    with serve_privacy(UrlsExpireOnIssue(running.quirks)) as other:
        server = other.server
        assert isinstance(server, UrlsExpireOnIssue)
        request_id = derive_request_id("dsar-expired")
        dest = tmp_path / "export.json"
        with client_for(other) as client:
            client.submit(request_id, asked())
            follow(client, request_id)
            server.expired = 1
            verified = client.download(request_id, dest)
            assert dest.read_bytes() == server.export_bytes(request_id)
            assert verified.size == dest.stat().st_size
            assert [d.status for d in server.downloads] == [403, 200]
            # Every URL expired: the 403 is the error, its URL without the signature.
            server.expired = 5
            with pytest.raises(ForbiddenError) as refused:
                client.download(request_id, tmp_path / "again.json")
        no_secrets(str(refused.value), other)
        assert not (tmp_path / "again.json").exists()


def test_corrupt_cut_and_truncated_downloads_are_retried_and_never_published(
    running: RunningPrivacy, tmp_path: Path
) -> None:
    server = running.server
    request_id = derive_request_id("dsar-bytes")
    dest = tmp_path / "export.csv"
    with client_for(running) as client:
        client.submit(request_id, asked("csv"))
        follow(client, request_id)
        for fault in ("corrupt_download", "truncate_download", "drop_connection"):
            before = len(server.downloads)
            server.add_fault(fault, path_contains="/files/")
            client.download(request_id, dest, attempts=2)
            assert dest.read_bytes() == server.export_bytes(request_id), fault
            assert len(server.downloads) == before + 2, fault

        server.add_fault("corrupt_download", count=2)
        with pytest.raises(ChecksumMismatch):
            client.download(request_id, tmp_path / "never.csv", attempts=2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export.csv"]


def test_throttling_5xx_and_dropped_connections_while_following_are_retried(
    running: RunningPrivacy,
) -> None:
    server = running.server
    request_id = derive_request_id("dsar-faults")
    with client_for(running) as client:
        client.submit(request_id, asked())
        server.add_fault("http_429", count=1, method="GET", retry_after=1)
        server.add_fault("http_5xx", count=2, method="GET", status=504)
        # after the 429 and the two 504s: the answer to the fourth GET is lost
        server.add_fault("drop_connection", method="GET", path_contains="/requests/", after=3)
        done = follow(client, request_id)
        stats = client.api.stats.as_dict()
    assert done.status == "COMPLETED"
    assert (stats.get("throttled"), stats.get("server_errors")) == (1, 2)
    assert stats.get("connection_errors") == 1 and stats.get("retries") == 4
    assert server.filed_ids == [request_id]


def test_5xx_beyond_the_retry_budget_ends_as_a_transient_error(running: RunningPrivacy) -> None:
    request_id = derive_request_id("dsar-down")
    with client_for(running) as client:
        client.submit(request_id, asked())
        running.server.add_fault("http_5xx", count=50, method="GET", status=503)
        with pytest.raises(ApiError) as down:
            client.status(request_id)
    assert down.value.status == 503 and down.value.transient
    assert "gave up after 5 attempt(s)" in str(down.value)


def test_expired_and_revoked_tokens_are_replaced(running: RunningPrivacy) -> None:
    server = running.server
    request_id = derive_request_id("dsar-tokens")
    with client_for(running) as client:
        client.submit(request_id, asked())
        server.expire_tokens()
        assert client.status(request_id).request_id == request_id
        server.add_fault("revoke_tokens", after=1)
        assert follow(client, request_id).status == "COMPLETED"
    assert len(server.auth.tokens) >= 3  # the first token, and one after each revocation


def test_a_missing_scope_is_named(running: RunningPrivacy, tmp_path: Path) -> None:
    server = running.server
    request_id = derive_request_id("dsar-scopes")
    with client_for(running) as client:
        client.submit(request_id, asked())
        follow(client, request_id)
        server.lack(EXPORT)  # the token has it, the client lost it: no downloadUrl
        with pytest.raises(NotReady) as no_url:
            client.download(request_id, tmp_path / "export.json")
        assert EXPORT in str(no_url.value)
        server.lack(VIEW)
        with pytest.raises(ForbiddenError) as forbidden:
            client.status(request_id)
        assert VIEW in str(forbidden.value)
        no_secrets(str(forbidden.value), running)
    with client_for(running) as client:  # a new run asks for a scope the client lacks
        with pytest.raises(ApiError) as refused:
            client.status(request_id)
        assert VIEW in str(refused.value)
        no_secrets(str(refused.value), running)
    assert list(tmp_path.iterdir()) == []


class PathOnlyUrls(PrivacyServer):
    """`downloadUrl` as a bare `/files/...?X-Amz-...` path: the contract calls it "a presigned
    `/files/...` URL" (l. 450) without saying it names a host."""

    def _presign(self, filed: Any) -> tuple[str, Any]:
        url, expires = super()._presign(filed)
        return url[url.index("/files/") :], expires


def test_a_download_url_given_as_a_path_is_read_against_the_api_host(
    running: RunningPrivacy, tmp_path: Path
) -> None:
    with serve_privacy(PathOnlyUrls(running.quirks)) as other:
        request_id = derive_request_id("dsar-path-url")
        dest = tmp_path / "export.json"
        with client_for(other) as client:
            client.submit(request_id, asked())
            assert (follow(client, request_id).download_url or "").startswith("/files/")
            client.download(request_id, dest)
        assert dest.read_bytes() == other.server.export_bytes(request_id)
        assert [(d.status, d.bearer_sent) for d in other.server.downloads] == [(200, False)]


class BrokenStatus(PrivacyServer):
    """Answers a request object whose `status` is not one the contract names and whose `size`
    is not a number (a server this client cannot read)."""

    def _render(self, filed: Any, may_export: bool) -> Json:
        return super()._render(filed, may_export) | {"status": "DONE", "size": "big"}


def test_an_unreadable_answer_fails_once_naming_the_field(running: RunningPrivacy) -> None:
    with serve_privacy(BrokenStatus(running.quirks)) as other:
        request_id = derive_request_id("dsar-unreadable")
        with client_for(other) as client:
            with pytest.raises(UnreadableResponse) as unreadable:
                client.submit(request_id, asked())
            assert not unreadable.value.transient
            assert "status" in str(unreadable.value) and "size" in str(unreadable.value)
            gets_before = client.api.stats.as_dict().get("requests", 0)
            with pytest.raises(UnreadableResponse):
                client.status(request_id)
            assert client.api.stats.as_dict().get("requests", 0) == gets_before + 1
            no_secrets(str(unreadable.value), other)
        assert other.server.filed_ids == [request_id]


# ---- signed callbacks, caught by the real receiver --------------------------------------------
@contextlib.contextmanager
def receiver_for(running: RunningPrivacy, data_root: Path) -> Iterator[str]:
    """Our webhook receiver on loopback, verifying with the server's secret; every callback the
    server sends goes to it (`callback_target`), whatever `callbackUrl` a request named."""
    app = create_webhook_app(data_root, running.server.webhook_secret, events_secret="unused-1")
    with serve(app) as base:
        running.server.callback_target = f"{base}{CALLBACK_PATH}"
        yield f"{base}{CALLBACK_PATH}"


def test_signed_callbacks_are_accepted_and_a_replay_refused(
    running: RunningPrivacy, tmp_path: Path
) -> None:
    server = running.server
    server.auto_advance = False
    hook = {"callbackUrl": "https://compliance.example.com/genesys-webhook"}
    done, failed = derive_request_id("dsar-hook-ok"), derive_request_id("dsar-hook-failed")
    with receiver_for(running, tmp_path), client_for(running) as client:
        client.submit(done, asked(**hook))
        client.submit(failed, asked(**hook))
        server.finish(done)
        server.finish(failed, fail="subject unknown")
        inbox = PrivacyInbox(PrivacyArea(tmp_path))
        wait_for(lambda: len(inbox.pending()) == 2, "two accepted callbacks")
        wait_for(
            lambda: len(server.callback_attempts) == (4 if running.quirks.callback_replayed else 2),
            "every delivery",
        )
    got = {(e.request_id, e.status, e.entity_type) for e in inbox.pending()}
    assert got == {(done, "COMPLETED", "user"), (failed, "FAILED", "user")}
    attempts = server.callback_attempts
    assert [a.status for a in attempts if not a.replay] == [202, 202]
    assert [a.status for a in attempts if a.replay] == (
        [401, 401] if running.quirks.callback_replayed else []
    )
    # The presigned URL the callback carried is not kept anywhere in the privacy area.
    stored = " ".join(p.read_text() for p in tmp_path.rglob("*.json"))
    assert "X-Amz-Signature" not in stored and "/files/" not in stored and SUBJECT not in stored


def test_a_callback_signed_with_another_secret_is_refused_and_retried(
    running: RunningPrivacy, tmp_path: Path
) -> None:
    server = running.server
    server.auto_advance = False
    request_id = derive_request_id("dsar-hook-forged")
    with receiver_for(running, tmp_path), client_for(running) as client:
        server.webhook_secret = "not-the-shared-secret"
        client.submit(request_id, asked(callbackUrl="http://127.0.0.1:9/unused"))
        server.finish(request_id)
        wait_for(lambda: len(server.callback_attempts) == 5, "five attempts")
    assert {a.status for a in server.callback_attempts} == {401}
    assert PrivacyInbox(PrivacyArea(tmp_path)).pending() == []


class CapturedCallbacks:
    """A callback URL that keeps what arrives (raw body and signature header)."""

    def __init__(self) -> None:
        self.got: list[tuple[bytes, str]] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        self.got.append((body, headers.get("x-genesys-signature", "")))
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})


def test_each_callback_verifies_with_the_shared_secret_and_its_body_parses(
    running: RunningPrivacy,
) -> None:
    """`signing.verify_signature` on exactly the bytes that arrived: every attempt a
    strictly later `t`, extra members ignored, `downloadUrl` null on FAILED."""
    server = running.server
    server.auto_advance = False
    captured = CapturedCallbacks()
    with serve(captured) as base, client_for(running) as client:  # type: ignore[arg-type]
        url = f"{base}/hook"
        ok, bad = derive_request_id("dsar-raw-ok"), derive_request_id("dsar-raw-failed")
        client.submit(ok, asked(callbackUrl=url))
        client.submit(bad, asked(callbackUrl=url))
        server.finish(ok)
        server.finish(bad, fail="no data")
        wait_for(lambda: len(captured.got) >= 2, "two callbacks")
    for body, header in captured.got:
        t = verify_signature(header, body, server.webhook_secret, now=time.time())
        assert t > 0
        callback = PrivacyCallback.model_validate_json(body)
        if callback.status == "FAILED":
            assert callback.download_url is None
        else:
            assert callback.download_url and "/files/" in callback.download_url
        assert "download_url" not in repr(callback)


# ---- the flow steps: request file -> catalog -> verified export --------------------------------
class Runs:
    """The orchestrator's part (Dagster in production): one run per claim, its state kept."""

    def __init__(self) -> None:
        self.states: dict[str, RunState] = {}

    def state(self, claim: str, run_id: str | None) -> RunState:
        return self.states.get(claim, RunState.MISSING)

    def run(self, launch: Launch, step: Callable[[str, str, str], object]) -> Exception | None:
        self.states[launch.claim] = RunState.ACTIVE
        try:
            step(launch.partition_key, launch.claim, f"run-{launch.claim}")
        except Exception as exc:  # a failed run, as Dagster records it
            self.states[launch.claim] = RunState.FAILED
            return exc
        self.states[launch.claim] = RunState.SUCCESS
        return None


def genesys_for(running: RunningPrivacy) -> GenesysCloudResource:
    return GenesysCloudResource(
        api_url=running.url,
        login_url=running.url,
        client_id=running.client_id,
        client_secret=running.client_secret,
        api_mode="tutorial",
        max_attempts=5,
        max_retry_seconds=20.0,
        request_timeout_s=10.0,
    )


def drop_request(layout: DataLayout, key: str, **fields: Any) -> None:
    body: Json = {
        "entityType": "conversation",
        "entityId": SUBJECT,
        "format": "json",
        "dataTypes": ["transcript", "metadata", "attachments"],
        "timeRange": {"start": "2024-02-01T00:00:00Z", "end": "2024-02-29T00:00:00Z"},
    }
    folder = PrivacyArea(layout.root).ensure().requests_dir
    (folder / f"{key}.json").write_text(json.dumps(body | fields))


def submit_dropped(genesys: GenesysCloudResource, layout: DataLayout, runs: Runs) -> list[str]:
    """A requests-sensor tick and the submit runs it asks for; the errors of failed runs."""
    picked = pick_up_requests(layout, "tutorial", genesys.client_id, runs)
    errors = []
    for launch in picked.launches:
        error = runs.run(
            launch,
            lambda key, claim, run_id: submit_request(
                genesys, layout, key, None, log, claim=claim, run_id=run_id
            ),
        )
        if error is not None:
            errors.append(str(error))
    return errors


def track_and_download(
    genesys: GenesysCloudResource, layout: DataLayout, runs: Runs, key: str, ticks: int = 40
) -> cat.PrivacyRow:
    """Tracking ticks (polls due at once) and the download runs they launch, until `key` ends."""
    for _ in range(ticks):
        outcome = run_tracking_tick(genesys, layout, runs, PollPolicy(initial_s=0.0))
        for launch in outcome.launches:
            runs.run(
                launch,
                lambda k, claim, run_id: download_export(
                    genesys, layout, k, log, claim=claim, run_id=run_id
                ),
            )
        row = cat.request_row(layout.catalog_path, key)
        if row is not None and row.status in ("DELIVERED", "FAILED", *cat.GAVE_UP_STATES):
            return row
        time.sleep(0.02)
    raise AssertionError(f"{key} did not end: {cat.request_row(layout.catalog_path, key)}")


def test_flow_request_file_to_a_delivered_export_by_polling(
    running: RunningPrivacy, tmp_path: Path
) -> None:
    layout, runs, genesys = DataLayout(tmp_path), Runs(), genesys_for(running)
    drop_request(layout, "dsar-flow")
    assert submit_dropped(genesys, layout, runs) == []
    request_id = derive_request_id("dsar-flow")
    assert running.server.filed_ids == [request_id]
    row = track_and_download(genesys, layout, runs, "dsar-flow")

    assert row.status == "DELIVERED" and row["completion_source"] == "poll"
    path = layout.root / row["export_path"]
    assert path.read_bytes() == running.server.export_bytes(request_id)
    assert row["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    document = json.loads(path.read_bytes())
    assert row["record_count"] == sum(len(v) for v in document["data"].values()) == 4
    trail = [e["action"] for e in cat.trail(layout.catalog_path, request_id)]
    assert trail.count("submitted") == 1 and trail[-2:] == ["downloaded", "verified"]
    # The catalog (state and audit) holds neither the subject nor a presigned signature.
    dump = str(query(layout.catalog_path, "SELECT * FROM privacy_requests").rows) + str(
        query(layout.catalog_path, "SELECT details FROM audit_log").rows
    )
    assert SUBJECT not in dump and "X-Amz-" not in dump
    # A second delivery run finds it delivered and downloads nothing.
    downloads = len(running.server.downloads)
    again = download_export(genesys, layout, "dsar-flow", log)
    assert again.sha256 == row["sha256"] and len(running.server.downloads) == downloads


def test_flow_webhook_completes_a_request_without_waiting_for_a_poll(
    running: RunningPrivacy, tmp_path: Path
) -> None:
    server = running.server
    server.auto_advance = False
    layout, runs, genesys = DataLayout(tmp_path), Runs(), genesys_for(running)
    with receiver_for(running, tmp_path) as hook:
        drop_request(layout, "dsar-webhook", format="csv", callbackUrl=hook)
        assert submit_dropped(genesys, layout, runs) == []
        request_id = derive_request_id("dsar-webhook")
        server.finish(request_id)
        wait_for(lambda: PrivacyInbox(PrivacyArea(tmp_path)).pending(), "the callback")
        row = track_and_download(genesys, layout, runs, "dsar-webhook", ticks=3)
    assert row.status == "DELIVERED" and row["completion_source"] == "webhook"
    path = layout.root / row["export_path"]
    assert path.name == "export.csv" and path.read_bytes() == server.export_bytes(request_id)
    assert row["record_count"] == 4  # two transcript and two metadata records, no attachments


def test_flow_a_failed_request_is_recorded_with_its_reason(
    running: RunningPrivacy, tmp_path: Path
) -> None:
    running.server.add_fault("export_failed", reason="retention hold on this subject")
    layout, runs, genesys = DataLayout(tmp_path), Runs(), genesys_for(running)
    drop_request(layout, "dsar-flow-failed")
    assert submit_dropped(genesys, layout, runs) == []
    row = track_and_download(genesys, layout, runs, "dsar-flow-failed")
    assert row.status == "FAILED"
    assert row["failure_reason"] == "retention hold on this subject"
    assert running.server.downloads == []
    with pytest.raises(StepFailed) as failed:
        download_export(genesys, layout, "dsar-flow-failed", log)
    assert "retention hold" in str(failed.value) and not failed.value.retriable
    assert SUBJECT not in str(failed.value)


def test_flow_a_lost_create_answer_is_filed_once_by_the_run_retry(
    running: RunningPrivacy, tmp_path: Path
) -> None:
    running.server.add_fault("drop_connection", method="POST")
    layout, runs, genesys = DataLayout(tmp_path), Runs(), genesys_for(running)
    drop_request(layout, "dsar-flow-lost")
    [error] = submit_dropped(genesys, layout, runs)
    assert "no response" in error and SUBJECT not in error
    # The failed run hands its claim back; the next tick's run files nothing new.
    for _ in range(3):
        if cat.request_row(layout.catalog_path, "dsar-flow-lost").status == "SUBMITTED":
            break
        submit_dropped(genesys, layout, runs)
    request_id = derive_request_id("dsar-flow-lost")
    assert running.server.filed_ids == [request_id]
    assert [p.status for p in running.server.posts] == [202, 200]
    row = track_and_download(genesys, layout, runs, "dsar-flow-lost")
    assert row.status == "DELIVERED"


class UnreadableWhenCompleted(PrivacyServer):
    """A COMPLETED request whose `size` is not a number: nothing a retry can fix."""

    def _render(self, filed: Any, may_export: bool) -> Json:
        out = super()._render(filed, may_export)
        return out | {"size": "big"} if out["status"] == "COMPLETED" else out


def test_flow_an_unreadable_answer_fails_the_download_once(
    running: RunningPrivacy, tmp_path: Path
) -> None:
    with serve_privacy(UnreadableWhenCompleted(running.quirks)) as other:
        server = other.server
        server.auto_advance = False
        layout, runs, genesys = DataLayout(tmp_path), Runs(), genesys_for(other)
        with receiver_for(other, tmp_path) as hook:
            drop_request(layout, "dsar-unreadable", callbackUrl=hook)
            assert submit_dropped(genesys, layout, runs) == []
            server.finish(derive_request_id("dsar-unreadable"))
            wait_for(lambda: PrivacyInbox(PrivacyArea(tmp_path)).pending(), "the callback")
            outcome = run_tracking_tick(genesys, layout, runs, PollPolicy(initial_s=0.0))
        [launch] = outcome.launches
        error = runs.run(
            launch,
            lambda k, claim, run_id: download_export(
                genesys, layout, k, log, claim=claim, run_id=run_id
            ),
        )
    assert isinstance(error, StepFailed) and not error.retriable
    assert "size" in str(error) and SUBJECT not in str(error)
    assert server.downloads == []
    assert not PrivacyArea(tmp_path).export_path("dsar-unreadable", "json").exists()


def test_flow_a_failed_callback_takes_its_reason_from_the_request(
    running: RunningPrivacy, tmp_path: Path
) -> None:
    server = running.server
    server.auto_advance = False
    layout, runs, genesys = DataLayout(tmp_path), Runs(), genesys_for(running)
    with receiver_for(running, tmp_path) as hook:
        drop_request(layout, "dsar-hook-fails", callbackUrl=hook)
        assert submit_dropped(genesys, layout, runs) == []
        server.finish(derive_request_id("dsar-hook-fails"), fail="subject under legal hold")
        wait_for(lambda: PrivacyInbox(PrivacyArea(tmp_path)).pending(), "the callback")
        row = track_and_download(genesys, layout, runs, "dsar-hook-fails", ticks=1)
    assert row.status == "FAILED" and row["completion_source"] == "webhook"
    assert row["failure_reason"] == "subject under legal hold"
    assert server.downloads == []
