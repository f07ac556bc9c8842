"""The independent tutorial exports server keeps the contract (docs/api-contract.md "##
Conversation exports" through "### Records", "OAuth", "Rate limits", "Errors") under every quirk
and under none: plain httpx over loopback, the admin surface driven from Python. The reader here
is written from the text too: it needs only what the text promises."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import pytest

from cx_assets_tests.independent.tutorial_exports_server import (
    ExportsServer,
    Quirks,
    RunningExports,
    serve_exports,
)

pytestmark = pytest.mark.integration

EXPORTS = "/api/v2/dataexports"
RATE_HEADERS = {
    "x-ratelimit-remaining",
    "x-ratelimit-reset",
    "inin-ratelimit-count",
    "inin-ratelimit-allowed",
    "inin-ratelimit-reset",
}
DAY1, DAY2, DAY3 = date(2024, 1, 1), date(2024, 1, 2), date(2024, 1, 3)
CHECKSUM = re.compile(r"^sha256:([0-9a-fA-F]{64})$")
READINGS = {"obvious": Quirks.obvious(), "quirky": Quirks()}
Json = dict[str, Any]
# One connection pool for every client here: building a Client's own transport costs ~40 ms.
TRANSPORT = httpx.HTTPTransport()
WEB = httpx.Client(transport=TRANSPORT, timeout=10)


def body(fmt: str = "jsonl", start: str = "2024-01-01T00:00:00.000Z", **more: Any) -> Any:
    sent = {"type": "conversation", "view": "full", "format": fmt, "startDate": start}
    return sent | {"endDate": "2024-01-03T00:00:00.000Z"} | more


@dataclass
class Api:
    """A text-only reader of the flow: token, create, poll, manifest, download."""

    running: RunningExports
    client: httpx.Client

    @property
    def server(self) -> ExportsServer:
        return self.running.server

    def create(self, sent: Any | None = None) -> str:
        answer = self.client.post(EXPORTS, json=body() if sent is None else sent)
        assert answer.status_code == 202, answer.text
        assert set(answer.headers) >= RATE_HEADERS
        return str(answer.json()["id"])

    def wait(self, export_id: str) -> list[Json]:
        seen = []
        for _ in range(20):
            answer = self.client.get(f"{EXPORTS}/{export_id}")
            assert answer.status_code == 200, answer.text
            seen.append(answer.json())
            assert seen[-1]["id"] == export_id
            if str(seen[-1]["status"]).upper() in ("COMPLETED", "FAILED"):
                return seen
        raise AssertionError(f"export {export_id} never ended: {seen[-1]}")

    def manifest(self, export_id: str) -> list[Json]:
        answer = self.client.get(f"{EXPORTS}/{export_id}/files")
        assert answer.status_code == 200, answer.text
        return file_records(answer.json())

    def done(self, sent: Any | None = None) -> tuple[str, list[Json]]:
        export_id = self.create(sent)
        assert str(self.wait(export_id)[-1]["status"]).upper() == "COMPLETED"
        return export_id, self.manifest(export_id)


def file_records(answer: Any) -> list[Json]:
    """A bare array, or the older envelope (contract: "A client also accepts ...")."""
    if isinstance(answer, dict):
        assert isinstance(answer["exportId"], str)
        answer = answer["files"]
    assert isinstance(answer, list)
    for record in answer:
        assert isinstance(record["uri"], str) and isinstance(record["size"], int)
        assert record["format"] in ("jsonl", "csv")
        assert CHECKSUM.match(record["checksum"]), record["checksum"]
        assert isinstance(record["partition"], int | str)
    return answer


def index(record: Json) -> int | str:
    partition = record["partition"]
    if isinstance(partition, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", partition):
        return partition
    return int(partition)


def verified(record: Json) -> bytes:
    """Download by the presigned URI; the bytes match `size` and `checksum`."""
    got = WEB.get(record["uri"])
    assert got.status_code == 200, got.text
    assert not RATE_HEADERS & set(got.headers)
    assert int(got.headers["content-length"]) == record["size"] == len(got.content)
    expected = CHECKSUM.match(record["checksum"])
    assert expected and expected.group(1).lower() == hashlib.sha256(got.content).hexdigest()
    return got.content


def parse(data: bytes, fmt: str) -> list[Json]:
    text = data.decode("utf-8")
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(text, newline="")))
        return [dict(r) for r in rows]
    return [json.loads(line) for line in text.split("\n") if line.strip()]


def instant(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    assert moment.tzinfo is not None and moment.utcoffset() == timedelta(0)
    return moment


def token(running: RunningExports, scope: str | None = None) -> httpx.Response:
    form = {"grant_type": "client_credentials"} | ({"scope": scope} if scope else {})
    credentials = (running.client_id, running.client_secret)
    return WEB.post(f"{running.url}/oauth/token", data=form, auth=credentials)


def connect(running: RunningExports, scope: str | None = "dataexports:read") -> Api:
    answer = token(running, scope)
    assert answer.status_code == 200, answer.text
    bearer = {"Authorization": f"Bearer {answer.json()['access_token']}"}
    client = httpx.Client(base_url=running.url, headers=bearer, transport=TRANSPORT, timeout=10)
    return Api(running, client)


@pytest.fixture(scope="module", autouse=True)
def _close_web() -> Iterator[None]:
    yield
    WEB.close()


@pytest.fixture(params=sorted(READINGS))
def api(request: pytest.FixtureRequest) -> Iterator[Api]:
    with serve_exports(ExportsServer(READINGS[request.param])) as running:
        yield connect(running)


@pytest.fixture
def obvious() -> Iterator[Api]:
    with serve_exports(ExportsServer(Quirks.obvious())) as running:
        yield connect(running)


@pytest.fixture
def quirky() -> Iterator[Api]:
    with serve_exports(ExportsServer(Quirks())) as running:
        yield connect(running)


# ---- the flow ---------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_export_files_hold_the_seeded_conversations(api: Api, fmt: str) -> None:
    api.server.seed_day(DAY2, 35)
    api.create(body("csv" if fmt == "jsonl" else "jsonl"))  # the second export is the one read
    export_id = api.create(body(fmt))
    seen = api.wait(export_id)
    assert len(seen) == api.server.polls_to_complete
    assert all(str(s["status"]).upper() not in ("COMPLETED", "FAILED") for s in seen[:-1])
    records = api.manifest(export_id)
    order = [index(r) for r in records]
    assert order == sorted(order)
    if all(isinstance(i, int) for i in order):
        assert order == list(range(len(records)))
    got: list[Json] = []
    for record in records:
        rows = parse(verified(record), record["format"])
        if "recordCount" in record:
            assert record["recordCount"] == len(rows)
        got += rows
    wanted = [c for day in (DAY1, DAY2) for c in api.server.conversations(day)]
    assert [r["interactionId"] for r in got] == [c.interaction_id for c in wanted]
    assert len(got) == 55
    for row, conv in zip(got, wanted, strict=True):
        assert row["type"] == conv.kind and instant(row["startTimestamp"]) == conv.start
        assert instant(row["endTimestamp"]) == conv.end
        channel = row["channelType"] if fmt == "csv" else row["channel"]["type"]
        assert channel == conv.channel
        if fmt == "jsonl":
            assert {"talkMs", "holdMs", "acwMs", "totalMs"} <= set(row["durations"])
            assert row["participants"][0]["purpose"] == "customer"


def test_records_are_deterministic_per_day_and_seed() -> None:
    same = ExportsServer(seed=3).conversations(DAY1)
    assert [c.interaction_id for c in same] == [
        c.interaction_id for c in ExportsServer(seed=3).conversations(DAY1)
    ]
    assert same != ExportsServer(seed=4).conversations(DAY1)
    assert same != ExportsServer(seed=3).conversations(DAY2)
    bigger = ExportsServer(seed=3)
    bigger.seed_day(DAY1, 300)
    assert len(bigger.conversations(DAY1)) == 300
    assert {c.interaction_id for c in same} <= {
        c.interaction_id for c in bigger.conversations(DAY1)
    }


def test_a_big_day_splits_into_more_than_ten_numbered_files(quirky: Api) -> None:
    quirky.server.seed_day(DAY1, 300)
    export_id, records = quirky.done(body(endDate="2024-01-02T00:00:00Z"))
    assert len(records) > 10 and all(isinstance(r["partition"], str) for r in records)
    assert [int(r["partition"]) for r in records] == list(range(len(records)))
    assert all(r["size"] <= quirky.server.split_bytes for r in records)
    rows = [row for r in records for row in parse(verified(r), "jsonl")]
    assert len(rows) == 300 and len({r["interactionId"] for r in rows}) == 300
    assert [f.partition for f in quirky.server.files(export_id)] == list(range(len(records)))


def test_the_window_picks_days_and_conversations(obvious: Api) -> None:
    sent = body(start="2024-01-01T12:00:00+02:00", endDate="2024-01-02T06:00:00Z")
    _, records = obvious.done(sent)
    assert [r["partition"] for r in records] == [0, 1]
    rows = [row for r in records for row in parse(verified(r), "jsonl")]
    low, high = datetime(2024, 1, 1, 10, tzinfo=UTC), datetime(2024, 1, 2, 6, tzinfo=UTC)
    assert rows and all(low <= instant(r["startTimestamp"]) < high for r in rows)
    everything = obvious.server.conversations(DAY1) + obvious.server.conversations(DAY2)
    assert len(rows) == sum(low <= c.start < high for c in everything)


def test_malformed_lines_are_served_for_quarantine(obvious: Api) -> None:
    obvious.server.malformed_share = 0.3
    _, records = obvious.done()
    lines = [ln for r in records for ln in verified(r).decode().split("\n") if ln]
    broken = 0
    for line in lines:
        try:
            broken += "interactionId" not in json.loads(line)
        except ValueError:
            broken += 1
    assert 0 < broken < len(lines) and sum(r["recordCount"] for r in records) == len(lines) == 40


def test_exports_survive_serving_the_server_again() -> None:
    server = ExportsServer(Quirks.obvious())
    with serve_exports(server) as first:
        export_id, _ = connect(first).done()
    with serve_exports(server) as second:
        again = connect(second)
        (record, *_) = again.manifest(export_id)
        assert record["uri"].startswith(second.url) and verified(record)


# ---- the POST body rules, 404 and 409 --------------------------------------------------------
@pytest.mark.parametrize(
    ("sent", "named"),
    [
        (body(extra=1), "unknown field extra"),
        ({k: v for k, v in body().items() if k != "view"}, "view is required"),
        (body(type="calls"), "type must be conversation"),
        (body(view="summary"), "view must be full"),
        (body(format="parquet"), "format must be jsonl or csv"),
        (body(start="2024-01-01T00:00:00"), "startDate must be ISO 8601 with an offset or Z"),
        (body(endDate="yesterday"), "endDate must be ISO 8601"),
        (body(endDate="2024-01-01T00:00:00Z"), "endDate must be after startDate"),
        (body(endDate="2024-02-02T00:00:00Z"), "at most 31 days, got 32"),
        ([body()], "the body must be a JSON object"),
    ],
)
def test_bad_bodies_are_400_naming_the_field(api: Api, sent: Any, named: str) -> None:
    answer = api.client.post(EXPORTS, json=sent)
    assert answer.status_code == 400 and named in answer.json()["message"]
    assert answer.json()["status"] == 400 and api.server.created == []


def test_older_names_and_a_31_day_window_are_accepted(obvious: Api) -> None:
    older = body(type="conversations", view="detail", endDate="2024-02-01T00:00:00.000Z")
    export_id = obvious.create(older)
    assert obvious.client.get(f"{EXPORTS}/{export_id}").json()["type"] == "conversations"
    assert obvious.server.created == [older]
    assert obvious.client.post(EXPORTS, content=b"{").status_code == 400


def test_unknown_export_is_404_and_early_files_409(api: Api) -> None:
    for path in (f"{EXPORTS}/nope", f"{EXPORTS}/nope/files"):
        missing = api.client.get(path)
        assert missing.status_code == 404 and "nope" in missing.json()["message"]
    export_id = api.create()
    early = api.client.get(f"{EXPORTS}/{export_id}/files")
    assert early.status_code == 409 and "queued" in early.json()["message"].lower()
    api.wait(export_id)
    assert api.client.get(f"{EXPORTS}/{export_id}/files").status_code == 200


def test_failed_exports_say_why_and_have_no_files(api: Api) -> None:
    fault = api.server.add_fault("export_failed", reason="disk quota exceeded")
    failed = api.create()
    last = api.wait(failed)[-1]
    assert str(last["status"]).upper() == "FAILED" and last["statusReason"] == "disk quota exceeded"
    assert fault.fired == 1
    files = api.client.get(f"{EXPORTS}/{failed}/files")
    assert files.status_code == 409 and "failed" in files.json()["message"].lower()
    later = api.create()
    api.server.fail_export(later, "cancelled by an admin")
    assert api.wait(later)[-1]["statusReason"] == "cancelled by an admin"
    assert api.done()[1]


# ---- OAuth, scopes, rate limits, API faults -----------------------------------------------
def test_token_scopes_and_expiry(api: Api) -> None:
    running = api.running
    granted = token(running).json()
    assert granted["token_type"] == "bearer" and granted["scope"] == "dataexports:read"
    assert isinstance(granted["expires_in"], int)
    assert "x-ratelimit-remaining" not in token(running).headers
    wrong = WEB.post(f"{running.url}/oauth/token", data={"grant_type": "client_credentials"})
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    api.server.expire_tokens()
    expired = api.client.get(f"{EXPORTS}/nope")
    assert expired.status_code == 401 and api.server.exports == {}
    assert WEB.get(f"{running.url}{EXPORTS}/nope").status_code == 401
    api.server.lack("dataexports:read")
    refused = token(running, "dataexports:read")
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_scope"
    scopeless = connect(running, scope=None)
    denied = scopeless.client.post(EXPORTS, json=body())
    assert denied.status_code == 403 and "dataexports:read" in denied.json()["message"]
    api.server.lack()
    assert connect(running).create()


def test_over_budget_is_429_with_retry_after(obvious: Api) -> None:
    obvious.server.auth.budget = 2
    assert obvious.client.get(f"{EXPORTS}/nope").headers["x-ratelimit-remaining"] == "1"
    assert obvious.client.get(f"{EXPORTS}/nope").headers["inin-ratelimit-count"] == "2"
    over = obvious.client.get(f"{EXPORTS}/nope")
    assert over.status_code == 429 and int(over.headers["retry-after"]) >= 1
    assert over.headers["x-ratelimit-remaining"] == "0"


@pytest.mark.parametrize("quirks", [Quirks.obvious(), Quirks.only("retry_after_date")])
def test_api_faults_fire(quirks: Quirks) -> None:
    with serve_exports(ExportsServer(quirks)) as running:
        api = connect(running)
        throttle = api.server.add_fault("http_429", retry_after=3, method="POST")
        failure = api.server.add_fault("http_5xx", status=502, path_contains="/files")
        throttled = api.client.post(EXPORTS, json=body())
        assert throttled.status_code == 429 and throttle.fired == 1
        wait = throttled.headers["retry-after"]
        if quirks.retry_after_date:
            assert parsedate_to_datetime(wait) > datetime.now(UTC) + timedelta(seconds=2)
        else:
            assert wait == "3"
        assert api.server.exports == {}
        export_id = api.create()
        api.wait(export_id)
        assert api.client.get(f"{EXPORTS}/{export_id}/files").status_code == 502
        assert api.manifest(export_id) and failure.fired == 1 and len(api.server.exports) == 1
        broken = [s.status for s in api.server.requests if s.path.endswith("/files")]
        assert broken == [502, 200]


def test_a_dropped_create_has_created_the_export(obvious: Api) -> None:
    dropped = obvious.server.add_fault("drop", method="POST")
    with pytest.raises(httpx.RemoteProtocolError):
        obvious.client.post(EXPORTS, json=body())
    assert dropped.fired == 1 and len(obvious.server.exports) == 1
    assert obvious.server.requests[-1].dropped
    (export_id,) = obvious.server.exports
    assert str(obvious.wait(export_id)[-1]["status"]).upper() == "COMPLETED"


# ---- presigned downloads and their faults -------------------------------------------------
@pytest.mark.parametrize("kind", ["download_429", "download_5xx", "download_drop", "truncate"])
def test_download_faults_fire_then_the_file_comes(obvious: Api, kind: str) -> None:
    _, records = obvious.done()
    fault = obvious.server.add_fault(kind, partition=1)
    assert verified(records[0])
    if kind in ("download_drop", "truncate"):
        with pytest.raises(httpx.RemoteProtocolError):
            WEB.get(records[1]["uri"])
    else:
        answer = WEB.get(records[1]["uri"])
        assert answer.status_code == (429 if kind == "download_429" else 503)
        assert not RATE_HEADERS & set(answer.headers) and answer.json()["message"]
        assert kind != "download_429" or answer.headers["retry-after"] == "1"
    assert fault.fired == 1 and verified(records[1])
    assert [d.outcome for d in obvious.server.downloads] == ["ok", kind, "ok"]


def test_a_corrupt_download_fails_its_checksum(api: Api) -> None:
    _, records = api.done()
    fault = api.server.add_fault("corrupt")
    got = WEB.get(records[0]["uri"])
    expected = CHECKSUM.match(records[0]["checksum"])
    assert got.status_code == 200 and len(got.content) == records[0]["size"] and expected
    assert hashlib.sha256(got.content).hexdigest() != expected.group(1).lower()
    assert fault.fired == 1 and verified(records[0])


def test_a_wrong_checksum_is_listed_once(api: Api) -> None:
    export_id, _ = api.done()
    fault = api.server.add_fault("wrong_checksum", partition=1)
    listed = api.manifest(export_id)
    data = api.server.files(export_id)[1].data
    assert listed[1]["checksum"].lower() != f"sha256:{hashlib.sha256(data).hexdigest()}"
    assert verified(listed[0]) and fault.fired == 1
    assert all(verified(r) for r in api.manifest(export_id))


def test_expired_and_tampered_urls_are_403(api: Api) -> None:
    export_id, records = api.done()
    api.server.add_fault("expired_urls")
    stale = api.manifest(export_id)
    refused = WEB.get(stale[0]["uri"])
    assert refused.status_code == 403 and "expired" in refused.json()["message"]
    api.server.expire_urls()
    assert WEB.get(records[0]["uri"]).status_code == 403
    fresh = api.manifest(export_id)
    assert [index(r) for r in fresh] == [index(r) for r in records] and verified(fresh[0])
    parts = urlsplit(fresh[0]["uri"])
    query = dict(parse_qsl(parts.query))
    longer = urlencode(query | {"X-Amz-Expires": "99999"})
    tampered = WEB.get(parts._replace(query=longer).geturl())
    assert tampered.status_code == 403 and "signature" in tampered.json()["message"]
    bare = WEB.get(parts._replace(query="").geturl())
    assert bare.status_code == 403
    api.server.url_lifetime_s = 5
    short = api.manifest(export_id)[0]
    assert verified(short)
    api.server.clock = lambda: datetime.now(UTC) + timedelta(seconds=30)
    assert WEB.get(short["uri"]).status_code == 403
    assert [d.status for d in api.server.downloads].count(403) == 5


# ---- quirks ----------------------------------------------------------------------------------
FIXED = datetime(2026, 3, 4, 5, 6, 7, 890_000, tzinfo=UTC)
SIGNATURE = re.compile(r"X-Amz-Signature=[0-9a-f]+")
RANDOM_KEYS = {"access_token", "issued_at", "organization", "contextId"}


def _normal(value: Any, base: str) -> Any:
    if isinstance(value, list) and value and all(isinstance(p, tuple) for p in value):
        return [(k, "<x>" if k in RANDOM_KEYS else _normal(v, base)) for k, v in value]
    if isinstance(value, list):
        return [_normal(v, base) for v in value]
    if isinstance(value, str):
        return SIGNATURE.sub("X-Amz-Signature=<sig>", value.replace(base, "<base>"))
    return value


def _shot(answer: httpx.Response, base: str) -> Any:
    kind = answer.headers.get("content-type", "")
    if kind.startswith("application/json"):
        content: Any = _normal(json.loads(answer.content, object_pairs_hook=list), base)
    else:
        content = answer.content
    wait = answer.headers.get("retry-after")
    wait = wait if wait is None or wait.isdigit() else "<http date>"
    return (answer.status_code, kind, wait, content)


def snapshot(quirks: Quirks) -> list[Any]:
    """Everything one scripted session is served, ids, tokens and the port normalised."""
    server = ExportsServer(quirks)
    server.clock = lambda: FIXED
    server.seed_day(DAY2, 0)
    shots: list[Any] = []
    with serve_exports(server) as running:
        base = running.url
        shots.append(_shot(token(running), base))
        api = connect(running)
        for sent in (body(endDate="2024-01-04T00:00:00.000Z"), body("csv")):
            created = api.client.post(EXPORTS, json=sent)
            export_id = created.json()["id"]
            shots.append(_shot(created, base))
            for _ in range(server.polls_to_complete):
                shots.append(_shot(api.client.get(f"{EXPORTS}/{export_id}"), base))
            listed = api.client.get(f"{EXPORTS}/{export_id}/files")
            shots.append(_shot(listed, base))
            shots += [_shot(WEB.get(r["uri"]), base) for r in file_records(listed.json())]
        shots.append(_shot(api.client.get(f"{EXPORTS}/nope"), base))
        server.add_fault("http_429")
        shots.append(_shot(api.client.get(f"{EXPORTS}/nope"), base))
        server.add_fault("download_429")
        shots.append(_shot(WEB.get(file_records(listed.json())[0]["uri"]), base))
    return shots


@pytest.fixture(scope="module")
def plain_snapshot() -> list[Any]:
    return snapshot(Quirks.obvious())


def test_snapshots_are_repeatable(plain_snapshot: list[Any]) -> None:
    assert snapshot(Quirks.obvious()) == plain_snapshot


@pytest.mark.parametrize("name", Quirks.names())
def test_every_quirk_changes_what_is_served(plain_snapshot: list[Any], name: str) -> None:
    assert snapshot(Quirks.only(name)) != plain_snapshot


def test_every_quirk_on_still_serves_both_manifest_shapes(quirky: Api) -> None:
    shapes = []
    for _ in range(2):
        export_id = quirky.create()
        quirky.wait(export_id)
        shapes.append(type(quirky.client.get(f"{EXPORTS}/{export_id}/files").json()))
    assert shapes == [list, dict]


def test_quirks_constructors() -> None:
    assert all(getattr(Quirks(), n) for n in Quirks.names())
    assert not any(getattr(Quirks.obvious(), n) for n in Quirks.names())
    assert [n for n in Quirks.names() if getattr(Quirks.only("csv_crlf"), n)] == ["csv_crlf"]
    with pytest.raises(ValueError, match="unknown quirk"):
        Quirks.only("nope")
    with pytest.raises(ValueError, match="unknown fault kind"):
        ExportsServer().add_fault("nope")
