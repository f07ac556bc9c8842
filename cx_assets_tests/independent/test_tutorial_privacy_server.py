"""The independent tutorial privacy export server keeps docs/api-contract.md "## Privacy
(GDPR/CCPA) export requests" (and "OAuth", "Rate limits", "Errors") under every quirk and under
none: plain httpx over loopback, callbacks caught by a real HTTP receiver, the admin surface
driven from Python."""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import fields
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from cx_assets_tests.independent.tutorial_privacy_server import (
    PrivacyServer,
    Quirks,
    RunningPrivacy,
    serve_privacy,
)

pytestmark = pytest.mark.integration

REQUESTS = "/api/v2/data/privacy/requests"
RATE_HEADERS = {
    "x-ratelimit-remaining",
    "x-ratelimit-reset",
    "inin-ratelimit-count",
    "inin-ratelimit-allowed",
    "inin-ratelimit-reset",
}
STATUSES = {"QUEUED", "PROCESSING", "COMPLETED", "FAILED"}
TERMINAL = frozenset({"COMPLETED", "FAILED"})
Json = dict[str, Any]
# One transport for the whole module: building an SSL context per client costs ~80 ms.
TRANSPORT = httpx.HTTPTransport()
WEB = httpx.Client(transport=TRANSPORT, timeout=10.0)


# ---- helpers -------------------------------------------------------------------------------------
class Receiver:
    """A real HTTP server catching callbacks; `answers[path]` scripts the statuses it gives."""

    def __init__(self) -> None:
        self.got: list[tuple[str, dict[str, str], bytes]] = []
        self.answers: dict[str, list[int]] = {}
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                outer.got.append((self.path, dict(self.headers), raw))
                script = outer.answers.get(self.path, [])
                self.send_response(script.pop(0) if script else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}"
        threading.Thread(target=self.http.serve_forever, args=(0.05,), daemon=True).start()

    def posts(self, path: str) -> list[tuple[dict[str, str], bytes]]:
        return [(h, raw) for p, h, raw in self.got if p == path]

    def wait(
        self, path: str, count: int, timeout: float = 5.0
    ) -> list[tuple[dict[str, str], bytes]]:
        deadline = time.monotonic() + timeout
        while len(self.posts(path)) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.posts(path)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    catcher = Receiver()
    yield catcher
    catcher.http.shutdown()


@pytest.fixture
def obvious() -> Iterator[RunningPrivacy]:
    with serve_privacy(PrivacyServer(Quirks.obvious())) as running:
        running.server.callback_backoff_s = 0.05
        yield running


@pytest.fixture(params=["obvious", "quirky"])
def each(request: pytest.FixtureRequest) -> Iterator[RunningPrivacy]:
    quirks = Quirks.obvious() if request.param == "obvious" else Quirks()
    with serve_privacy(PrivacyServer(quirks)) as running:
        running.server.callback_backoff_s = 0.05
        yield running


def token(running: RunningPrivacy, scope: str | None = None) -> httpx.Response:
    form = {"grant_type": "client_credentials"} | ({"scope": scope} if scope else {})
    return WEB.post(
        f"{running.url}/oauth/token", data=form, auth=(running.client_id, running.client_secret)
    )


def api(running: RunningPrivacy, scope: str | None = None) -> httpx.Client:
    answer = token(running, scope)
    assert answer.status_code == 200, answer.text
    bearer = {"Authorization": f"Bearer {answer.json()['access_token']}"}
    return httpx.Client(base_url=running.url, headers=bearer, transport=TRANSPORT, timeout=10.0)


def body(**changes: Any) -> Json:
    out: Json = {
        "requestId": str(uuid.uuid4()),
        "entityType": "user",
        "entityId": "user-42",
        "format": "json",
        "dataTypes": ["profile", "notes", "tags"],
        "timeRange": {"start": "2026-01-01T00:00:00+02:00", "end": "2026-01-20T12:00:00Z"},
    }
    return out | changes


def poll(client: httpx.Client, request_id: str, until: frozenset[str] = TERMINAL) -> Json:
    for _ in range(10):
        got = client.get(f"{REQUESTS}/{request_id}")
        assert got.status_code == 200, got.text
        if got.json()["status"] in until:
            return got.json()
    raise AssertionError(f"{request_id} never reached {until}")


def instant(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    assert moment.tzinfo is not None, text
    return moment


def signed(headers: dict[str, str], raw: bytes, secret: str) -> int:
    """The callback's `t` when its signature verifies with `secret` (else AssertionError)."""
    parts = dict(p.split("=", 1) for p in headers["X-Genesys-Signature"].split(","))
    mac = hmac.new(secret.encode(), f"{parts['t']}.".encode() + raw, hashlib.sha256)
    assert hmac.compare_digest(parts["v1"], mac.hexdigest())
    return int(parts["t"])


# ---- OAuth, scopes, rate limits ------------------------------------------------------------------
def test_token_and_scopes(obvious: RunningPrivacy) -> None:
    granted = token(obvious).json()
    assert granted["token_type"] == "bearer" and granted["expires_in"] == 3600
    assert set(granted["scope"].split()) == set(obvious.scopes.split())
    assert "x-ratelimit-remaining" not in token(obvious).headers
    wrong = WEB.post(f"{obvious.url}/oauth/token", data={"grant_type": "client_credentials"})
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    viewer = api(obvious, "data:privacy:view")
    denied = viewer.post(REQUESTS, json=body())
    assert denied.status_code == 403 and "data:privacy:write" in denied.json()["message"]
    assert set(denied.headers) >= RATE_HEADERS and obvious.server.filed_ids == []
    writer = api(obvious, "data:privacy:write")
    filed = writer.post(REQUESTS, json=body())
    assert filed.status_code == 202 and set(filed.headers) >= RATE_HEADERS
    got = writer.get(f"{REQUESTS}/{filed.json()['requestId']}")
    assert got.status_code == 403 and "data:privacy:view" in got.json()["message"]
    obvious.server.lack("data:privacy:write")
    refused = token(obvious, "data:privacy:write")
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_scope"
    assert writer.post(REQUESTS, json=body()).status_code == 403
    obvious.server.lack()
    assert WEB.get(f"{obvious.url}{REQUESTS}/{uuid.uuid4()}").status_code == 401
    obvious.server.expire_tokens()
    expired = writer.post(REQUESTS, json=body())
    assert expired.status_code == 401 and "x-ratelimit-remaining" not in expired.headers


def test_budget_is_a_429_with_retry_after(obvious: RunningPrivacy) -> None:
    obvious.server.auth.budget = 2
    client = api(obvious)
    counts = [client.get(f"{REQUESTS}/{uuid.uuid4()}") for _ in range(3)]
    assert [r.status_code for r in counts] == [404, 404, 429]
    assert counts[1].headers["x-ratelimit-remaining"] == "0"
    assert (
        counts[2].headers["retry-after"].isdigit() and "2 requests" in counts[2].json()["message"]
    )


# ---- the lifecycle under every reading -----------------------------------------------------------
def test_filed_polled_and_downloaded(each: RunningPrivacy) -> None:
    client, sent = api(each), body(requestId=str(uuid.uuid4()).upper())
    filed = client.post(REQUESTS, json=sent)
    assert filed.status_code == 202, filed.text
    queued = filed.json()
    request_id = sent["requestId"].lower()
    assert queued["requestId"] == request_id and queued["status"] == "QUEUED"
    assert set(queued["dataTypes"]) == set(sent["dataTypes"])
    assert queued.get("downloadUrl") is None and queued.get("failureReason") is None
    instant(queued["createdAt"])
    seen = [client.get(f"{REQUESTS}/{sent['requestId']}").json() for _ in range(3)]
    statuses = [s["status"] for s in seen]
    assert statuses[0] == "QUEUED" and statuses[-1] == "COMPLETED" and set(statuses) <= STATUSES
    done = seen[-1]
    tr = done["timeRange"]
    assert instant(tr["start"]) == instant(sent["timeRange"]["start"])
    assert instant(tr["end"]) == instant(sent["timeRange"]["end"])
    assert instant(done["completedAt"]) >= instant(done["createdAt"])
    assert instant(done["expiresAt"]) > instant(done["completedAt"])
    assert done["checksum"]["algorithm"] == "SHA-256"
    url = done["downloadUrl"]
    assert urlsplit(url).path == f"/files/{request_id}/export.json"
    assert {"X-Amz-Date", "X-Amz-Expires", "X-Amz-Signature"} <= dict(
        parse_qsl(urlsplit(url).query)
    ).keys()
    download = WEB.get(url)
    assert download.status_code == 200 and not RATE_HEADERS & set(download.headers)
    data = download.content
    assert int(download.headers["content-length"]) == len(data) == done["size"]
    assert hashlib.sha256(data).hexdigest() == done["checksum"]["value"].lower()
    assert data == each.server.export_bytes(request_id)
    doc = json.loads(data)
    assert doc["requestId"] == request_id
    assert doc["subject"] == {"entityType": "user", "entityId": "user-42"}
    assert instant(doc["timeRange"]["start"]) == instant(sent["timeRange"]["start"])
    assert set(doc["data"]) <= {"profile", "notes", "tags"} and len(doc["data"]["notes"]) == 2
    assert doc["data"]["notes"][0]["text"] == 'Called back, said "thanks"\nfollow-up: caf\u00e9'
    assert doc["data"].get("tags", []) == []
    assert each.server.filed_ids == [request_id]
    assert WEB.get(f"{each.url}/admin/stats").json()["privacy_requests"] == [request_id]


def test_csv_export(each: RunningPrivacy) -> None:
    client = api(each)
    sent = body(entityType="conversation", format="csv", dataTypes=["metadata", "transcript"])
    client.post(REQUESTS, json=sent)
    done = poll(client, sent["requestId"])
    data = WEB.get(done["downloadUrl"]).content
    assert hashlib.sha256(data).hexdigest() == done["checksum"]["value"].lower()
    rows = list(csv.reader(io.StringIO(data.decode(), newline="")))
    assert rows[0] == ["data_type", "record_id", "field", "value"]
    assert {r[0] for r in rows[1:]} == {"metadata", "transcript"} and len(rows) == 9
    texts = [r[3] for r in rows[1:] if r[0] == "transcript" and r[2] == "text"]
    assert texts == ["Hello, how can I help?", "My order, #4411"]


def test_export_scope_hides_the_url_not_the_checksum(each: RunningPrivacy) -> None:
    writer, viewer = api(each, "data:privacy:write"), api(each, "data:privacy:view")
    sent = body()
    writer.post(REQUESTS, json=sent)
    done = poll(viewer, sent["requestId"])
    assert done["status"] == "COMPLETED" and done.get("downloadUrl") is None
    assert len(done["checksum"]["value"]) == 64 and done["size"] > 0
    assert ("expiresAt" in done and done["expiresAt"] is not None) == each.quirks.expires_at_always
    each.server.lack("data:privacy:export")
    assert api(each).get(f"{REQUESTS}/{sent['requestId']}").json().get("downloadUrl") is None


# ---- the POST rules ------------------------------------------------------------------------------
def test_same_request_again_is_200_and_a_different_one_409(obvious: RunningPrivacy) -> None:
    client, sent = api(obvious), body(callbackUrl=None)
    assert client.post(REQUESTS, json=sent).status_code == 202
    poll(client, sent["requestId"], frozenset({"PROCESSING"}))
    again = client.post(REQUESTS, json=sent | {"requestId": sent["requestId"].upper()})
    assert again.status_code == 200 and again.json()["status"] == "PROCESSING"
    assert obvious.server.request(sent["requestId"]).polls == 2
    other = client.post(REQUESTS, json=sent | {"entityId": "someone-else"})
    assert other.status_code == 409 and "requestId" in other.json()["message"]
    assert "entityId" in other.json()["message"]
    assert obvious.server.filed_ids == [sent["requestId"]]
    assert [p.status for p in obvious.server.posts] == [202, 200, 409]


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"requestId": "not-a-uuid"}, "requestId"),
        ({"requestId": None}, "requestId is required"),
        ({"entityType": "account"}, "entityType"),
        ({"entityId": ""}, "entityId"),
        ({"entityId": "x" * 129}, "1 to 128"),
        ({"format": "xml"}, "format"),
        ({"dataTypes": []}, "dataTypes"),
        ({"dataTypes": ["profile", "profile"]}, "repeats"),
        ({"dataTypes": ["transcript"]}, "not allowed for entityType user"),
        ({"timeRange": {"start": "2026-01-01T00:00:00", "end": "2026-01-02T00:00:00Z"}}, "offset"),
        ({"timeRange": {"start": "2026-01-02T00:00:00Z", "end": "2026-01-01T00:00:00Z"}}, "after"),
        (
            {"timeRange": {"start": "2026-01-01T00:00:00Z", "end": "2026-02-01T00:00:00Z"}},
            "30 days",
        ),
        ({"callbackUrl": "ftp://hooks.example/in"}, "callbackUrl"),
        ({"callbackUrl": "/relative"}, "absolute"),
        ({"priority": "high"}, "unknown field priority"),
        ({"entityType": ["user"]}, "entityType"),
        ({"format": {"json": True}}, "format"),
        ({"dataTypes": "profile"}, "non-empty list"),
        ({"dataTypes": [["profile"]]}, "dataTypes[0]"),
        ({"timeRange": "last week"}, "timeRange must be an object"),
        ({"timeRange": {"start": "2026-01-01T00:00:00Z"}}, "timeRange.end"),
    ],
)
def test_broken_rules_are_400_naming_the_field(
    obvious: RunningPrivacy, change: Json, named: str
) -> None:
    answer = api(obvious).post(REQUESTS, json=body(**change))
    assert answer.status_code == 400 and named in answer.json()["message"], answer.text
    assert answer.json()["status"] == 400 and obvious.server.filed_ids == []


def test_thirty_days_exactly_and_unknown_ids(obvious: RunningPrivacy) -> None:
    client = api(obvious)
    for junk in (b"not json", b"[1, 2]"):
        refused = client.post(REQUESTS, content=junk, headers={"Content-Type": "application/json"})
        assert refused.status_code == 400 and "JSON object" in refused.json()["message"]
    edge = body(timeRange={"start": "2026-01-01T00:00:00Z", "end": "2026-01-31T00:00:00Z"})
    assert client.post(REQUESTS, json=edge).status_code == 202
    missing = client.get(f"{REQUESTS}/{uuid.uuid4()}")
    assert missing.status_code == 404 and missing.json()["code"] == "not.found"
    assert client.get(f"{REQUESTS}/nope").status_code == 404


# ---- failure states and faults -------------------------------------------------------------------
def test_failed_requests(each: RunningPrivacy) -> None:
    client, server = api(each), each.server
    server.add_fault("export_failed", reason="subject not found in the archive")
    first = body()
    client.post(REQUESTS, json=first)
    failed = poll(client, first["requestId"])
    assert (
        failed["status"] == "FAILED"
        and failed["failureReason"] == "subject not found in the archive"
    )
    assert failed.get("downloadUrl") is None and failed.get("checksum") is None
    instant(failed["completedAt"])
    server.plan_next(polls=1, fail="quota")
    second = body()
    client.post(REQUESTS, json=second)
    assert client.get(f"{REQUESTS}/{second['requestId']}").json()["failureReason"] == "quota"
    third = body()
    client.post(REQUESTS, json=third)
    assert poll(client, third["requestId"])["status"] == "COMPLETED"


def test_polls_time_and_holding(obvious: RunningPrivacy) -> None:
    client, server = api(obvious), obvious.server
    server.plan_next(polls=5)
    slow = body()
    client.post(REQUESTS, json=slow)
    statuses = [client.get(f"{REQUESTS}/{slow['requestId']}").json()["status"] for _ in range(5)]
    assert statuses == ["QUEUED", "PROCESSING", "PROCESSING", "PROCESSING", "COMPLETED"]
    server.auto_advance = False
    held = body()
    client.post(REQUESTS, json=held)
    assert {client.get(f"{REQUESTS}/{held['requestId']}").json()["status"] for _ in range(4)} == {
        "QUEUED"
    }
    server.finish(held["requestId"])
    assert client.get(f"{REQUESTS}/{held['requestId']}").json()["status"] == "COMPLETED"
    server.auto_advance, server.step_s = True, 0.05
    timed = body()
    client.post(REQUESTS, json=timed)
    time.sleep(0.3)
    assert server.request(timed["requestId"]).status == "COMPLETED"


def test_presigned_urls_expire_and_refuse_tampering(each: RunningPrivacy) -> None:
    client, server, sent = api(each), each.server, body()
    client.post(REQUESTS, json=sent)
    url = poll(client, sent["requestId"])["downloadUrl"]
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    forged = WEB.get(url.replace(query["X-Amz-Signature"], "0" * 64))
    assert forged.status_code == 403 and "signature" in forged.json()["message"]
    longer = url.replace("X-Amz-Expires=300", "X-Amz-Expires=9999")
    assert WEB.get(longer).status_code == 403
    other = url.replace("export.json", "export.csv")
    assert WEB.get(other).status_code == 403
    server.expire_urls()
    stale = WEB.get(url)
    assert stale.status_code == 403 and "expired" in stale.json()["message"]
    fresh = client.get(f"{REQUESTS}/{sent['requestId']}").json()["downloadUrl"]
    assert WEB.get(fresh).status_code == 200
    server.url_ttl_s = 0
    instant_url = client.get(f"{REQUESTS}/{sent['requestId']}").json()["downloadUrl"]
    time.sleep(0.01)
    assert WEB.get(instant_url).status_code == 403
    with_bearer = WEB.get(fresh, headers={"Authorization": "Bearer x"})
    assert with_bearer.status_code == (400 if each.quirks.bearer_refused else 200)
    assert [d.status for d in server.downloads][-1] == with_bearer.status_code


@pytest.mark.parametrize("dated", [False, True])
def test_injected_429_and_5xx(dated: bool) -> None:
    quirks = Quirks.only("retry_after_date") if dated else Quirks.obvious()
    with serve_privacy(PrivacyServer(quirks)) as running:
        client, server = api(running), running.server
        server.add_fault("http_429", path_contains=REQUESTS, retry_after=2)
        throttled = client.post(REQUESTS, json=body())
        assert throttled.status_code == 429 and running.server.filed_ids == []
        retry_after = throttled.headers["retry-after"]
        assert retry_after.endswith("GMT") if dated else retry_after == "2"
        sent = body()
        client.post(REQUESTS, json=sent)
        fault = server.add_fault("http_5xx", status=504, path_prefix=f"{REQUESTS}/", count=2)
        answers = [client.get(f"{REQUESTS}/{sent['requestId']}").status_code for _ in range(3)]
        assert answers == [504, 504, 200] and fault.fired == 2


def test_dropped_connection_files_the_request(obvious: RunningPrivacy) -> None:
    client, server, sent = api(obvious), obvious.server, body()
    server.add_fault("drop_connection", method="POST")
    with pytest.raises(httpx.TransportError):
        client.post(REQUESTS, json=sent)
    assert server.filed_ids == [sent["requestId"]]
    again = client.post(REQUESTS, json=sent)
    assert again.status_code == 200 and server.filed_ids == [sent["requestId"]]


def test_truncated_and_corrupted_downloads(obvious: RunningPrivacy) -> None:
    client, server, sent = api(obvious), obvious.server, body()
    client.post(REQUESTS, json=sent)
    done = poll(client, sent["requestId"])
    server.add_fault("truncate_download")
    with pytest.raises(httpx.RemoteProtocolError):
        WEB.get(done["downloadUrl"])
    server.add_fault("corrupt_download")
    corrupt = WEB.get(done["downloadUrl"])
    assert len(corrupt.content) == done["size"]
    assert hashlib.sha256(corrupt.content).hexdigest() != done["checksum"]["value"]
    server.add_fault("drop_connection", path_contains="/files/")
    with pytest.raises(httpx.TransportError):
        WEB.get(done["downloadUrl"])
    whole = WEB.get(done["downloadUrl"])
    assert hashlib.sha256(whole.content).hexdigest() == done["checksum"]["value"]


def test_tokens_revoked_mid_tracking(obvious: RunningPrivacy) -> None:
    client, sent = api(obvious), body()
    client.post(REQUESTS, json=sent)
    obvious.server.add_fault("revoke_tokens", after=1)
    answers = [client.get(f"{REQUESTS}/{sent['requestId']}").status_code for _ in range(2)]
    assert answers == [200, 401]
    assert api(obvious).get(f"{REQUESTS}/{sent['requestId']}").status_code == 200
    with pytest.raises(ValueError, match="unknown fault kind"):
        obvious.server.add_fault("meteor")


# ---- callbacks -----------------------------------------------------------------------------------
def test_callback_signed_and_retried(each: RunningPrivacy, receiver: Receiver) -> None:
    client, server = api(each), each.server
    server.webhook_secret = "shared-out-of-band"
    receiver.answers["/ok"] = [500, 503]
    sent = body(callbackUrl=f"{receiver.url}/ok")
    client.post(REQUESTS, json=sent)
    poll(client, sent["requestId"])
    posts = receiver.wait("/ok", 4 if each.quirks.callback_replayed else 3)
    ts = [signed(headers, raw, "shared-out-of-band") for headers, raw in posts[:3]]
    assert ts[0] < ts[1] < ts[2]
    headers, raw = posts[2]
    assert b" " not in raw and headers["Content-Type"] == "application/json"
    got = json.loads(raw)
    assert {k: got[k] for k in ("requestId", "status", "entityType")} == {
        "requestId": sent["requestId"],
        "status": "COMPLETED",
        "entityType": "user",
    }
    assert WEB.get(got["downloadUrl"]).status_code == 200
    # The server records an attempt once the receiver's answer is back: wait for the third.
    deadline = time.monotonic() + 10
    while sum(not a.replay for a in server.callback_attempts) < 3:
        assert time.monotonic() < deadline, "the third callback attempt was never recorded"
        time.sleep(0.02)
    assert [(a.attempt, a.delivered) for a in server.callback_attempts if not a.replay] == [
        (1, False),
        (2, False),
        (3, True),
    ]
    assert server.stats()["privacy_callbacks"] == {"attempted": 3, "delivered": 1}
    if each.quirks.callback_replayed:
        assert posts[3] == posts[2]
    with pytest.raises(AssertionError):
        signed(headers, raw, "emulator-webhook-secret")


def test_callback_on_failure_and_switches(obvious: RunningPrivacy, receiver: Receiver) -> None:
    client, server = api(obvious), obvious.server
    server.plan_next(polls=1, fail="subject unknown")
    failing = body(callbackUrl=f"{receiver.url}/failed")
    client.post(REQUESTS, json=failing)
    client.get(f"{REQUESTS}/{failing['requestId']}")
    (headers, raw), *_ = receiver.wait("/failed", 1)
    signed(headers, raw, "independent-privacy-webhook-secret")
    assert json.loads(raw) == {
        "requestId": failing["requestId"],
        "status": "FAILED",
        "downloadUrl": None,
        "entityType": "user",
    }
    server.add_fault("drop_callback")
    dropped = body(callbackUrl=f"{receiver.url}/dropped")
    client.post(REQUESTS, json=dropped)
    server.finish(dropped["requestId"])
    server.callbacks_enabled = False
    off = body(callbackUrl=f"{receiver.url}/off")
    client.post(REQUESTS, json=off)
    server.finish(off["requestId"])
    server.callbacks_enabled, server.callback_target = True, f"{receiver.url}/elsewhere"
    moved = body(callbackUrl="https://compliance.example/genesys-webhook")
    client.post(REQUESTS, json=moved)
    server.finish(moved["requestId"])
    assert len(receiver.wait("/elsewhere", 1)) == 1
    assert receiver.posts("/dropped") == [] and receiver.posts("/off") == []
    assert server.callbacks.dropped == [dropped["requestId"]]


def test_undelivered_callback_goes_out_after_a_restart(receiver: Receiver) -> None:
    server = PrivacyServer(Quirks.obvious())
    receiver.answers["/late"] = [500]
    with serve_privacy(server) as running:
        server.callback_backoff_s = 30.0
        sent = body(callbackUrl=f"{receiver.url}/late")
        api(running).post(REQUESTS, json=sent)
        server.finish(sent["requestId"])
        assert len(receiver.wait("/late", 1)) == 1
    assert list(server.callbacks.outbox) == [sent["requestId"]]
    with serve_privacy(server) as again:
        headers, raw = receiver.wait("/late", 2)[1]
        signed(headers, raw, server.webhook_secret)
        assert urlsplit(json.loads(raw)["downloadUrl"]).netloc == urlsplit(again.url).netloc
        assert WEB.get(json.loads(raw)["downloadUrl"]).status_code == 200
        deadline = time.monotonic() + 5
        while server.callbacks.outbox and time.monotonic() < deadline:
            time.sleep(0.01)
    assert server.callbacks.outbox == {}
    assert [a.delivered for a in server.callback_attempts] == [False, True]


# ---- every quirk changes what is served ----------------------------------------------------------
def observe(running: RunningPrivacy, receiver: Receiver, run: int) -> Json:
    """One scenario; each key is something a quirk may change."""
    server, client, seen = running.server, api(running), {}
    raw_token = token(running).json()
    seen["token"] = ([k for k in raw_token if k != "access_token"], raw_token["scope"])
    server.add_fault("http_429", path_contains="/nowhere-but-here")
    seen["retry_after"] = client.get(f"{REQUESTS}/nowhere-but-here").headers["retry-after"][-3:]
    path = f"/run-{run}"
    sent = body(dataTypes=["profile", "tags"], callbackUrl=f"{receiver.url}{path}")
    queued = client.post(REQUESTS, json=sent).json()
    seen["queued_keys"] = list(queued)
    seen["created"] = "".join("0" if c.isdigit() else c for c in queued["createdAt"])
    seen["data_types"] = queued["dataTypes"]
    seen["time_range"] = list(queued["timeRange"].items())
    polled = [client.get(f"{REQUESTS}/{sent['requestId']}").json() for _ in range(3)]
    seen["statuses"] = [p["status"] for p in polled]
    done = polled[-1]
    url = done["downloadUrl"]
    seen["checksum_lower"] = done["checksum"]["value"] == done["checksum"]["value"].lower()
    seen["url_query"] = [k for k, _ in parse_qsl(urlsplit(url).query)]
    seen["url_host"] = urlsplit(url).hostname
    download = WEB.get(url)
    seen["content_type"] = download.headers["content-type"]
    seen["json_lines"] = download.content.count(b"\n")
    seen["json_data"] = list(json.loads(download.content)["data"])
    seen["bearer_download"] = WEB.get(url, headers={"Authorization": "Bearer x"}).status_code
    viewer = api(running, "data:privacy:view")
    as_viewer = viewer.get(f"{REQUESTS}/{sent['requestId']}").json()
    seen["expires_without_export"] = as_viewer.get("expiresAt") is not None
    table = body(format="csv", dataTypes=["profile"])
    client.post(REQUESTS, json=table)
    server.finish(table["requestId"])
    data = server.export_bytes(table["requestId"]) or b""
    seen["csv_crlf"], seen["csv_header"] = b"\r\n" in data, data.splitlines()[0]
    deadline = time.monotonic() + 5
    while sent["requestId"] in server.callbacks.outbox and time.monotonic() < deadline:
        time.sleep(0.005)
    posts = receiver.posts(path)
    seen["callback_keys"], seen["callback_posts"] = list(json.loads(posts[0][1])), len(posts)
    return seen


SHOWS: dict[str, set[str]] = {
    "extra_members": {"queued_keys"},
    "token_extras": {"token"},
    "retry_after_date": {"retry_after"},
    "nulls_for_absent": {"queued_keys"},
    "timestamps_offset": {"created"},
    "timestamps_no_millis": {"created"},
    "time_range_utc": {"time_range"},
    "key_order": {"queued_keys", "time_range"},
    "data_types_reordered": {"data_types"},
    "processing_unseen": {"statuses"},
    "expires_at_always": {"expires_without_export"},
    "checksum_upper": {"checksum_lower"},
    "url_extra_params": {"url_query"},
    "url_other_host": {"url_host"},
    "bearer_refused": {"bearer_download"},
    "download_octet_stream": {"content_type"},
    "json_pretty": {"json_lines"},
    "empty_types_omitted": {"json_data"},
    "csv_crlf": {"csv_crlf"},
    "csv_quote_all": {"csv_header"},
    "callback_extras": {"callback_keys"},
    "callback_replayed": {"callback_posts"},
}


def test_every_quirk_changes_what_is_served(receiver: Receiver) -> None:
    assert set(SHOWS) == {f.name for f in fields(Quirks)}
    with serve_privacy(PrivacyServer(Quirks.obvious())) as running:
        plain = observe(running, receiver, 0)
        for run, name in enumerate(SHOWS, start=1):
            running.server.quirks = Quirks.only(name)
            odd = observe(running, receiver, run)
            changed = {key for key in plain if odd[key] != plain[key]}
            assert changed == SHOWS[name], (name, {k: (plain[k], odd[k]) for k in changed})


def test_quirk_switches() -> None:
    assert not any(vars(Quirks.obvious()).values()) and all(vars(Quirks()).values())
    assert [k for k, v in vars(Quirks.only("csv_crlf")).items() if v] == ["csv_crlf"]
    with pytest.raises(ValueError, match="nope"):
        Quirks.only("nope")
