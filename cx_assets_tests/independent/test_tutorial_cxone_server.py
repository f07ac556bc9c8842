"""The independent tutorial CXone analytics export server keeps the contract (docs/api-contract.md
"## NICE CXone analytics", "OAuth", "Rate limits", "Errors") under every quirk and under none:
plain httpx over loopback, the admin surface driven from Python."""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
import pytest

from cx_assets_tests.independent.tutorial_cxone_records import FIELDS
from cx_assets_tests.independent.tutorial_cxone_server import (
    CxoneExportServer,
    Quirks,
    RunningTutorialCxone,
    serve_cxone,
)

pytestmark = pytest.mark.integration

EXPORTS = "/api/v2/analytics/data-exports"
READ, WRITE, REPORTS = "analytics:export:read", "analytics:export:write", "reports:read"
JAN1, JAN3 = "2024-01-01T00:00:00.000Z", "2024-01-03T23:59:59.999Z"
Json = dict[str, Any]
TRANSPORT = httpx.HTTPTransport()  # one pool: building a client's TLS context costs ~70 ms
PLAIN = httpx.Client(transport=TRANSPORT)


def body(**changes: Any) -> Json:
    """The tutorial's create body (every field, `filters` as `{}`), with `changes` applied."""
    out: Json = {
        "reportId": "interactions",
        "dateRange": {"start": JAN1, "end": JAN3},
        "format": "json",
        "columns": list(FIELDS),
        "filters": {},
        "pageSize": 5000,
    }
    for key, value in changes.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = value
    return out


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.fixture(params=["quirky", "obvious"])
def running(request: pytest.FixtureRequest) -> Iterator[RunningTutorialCxone]:
    """Every quirk on (conftest's `independent_tutorial_cxone`), then every quirk off."""
    if request.param == "quirky":
        yield request.getfixturevalue("independent_tutorial_cxone")
        return
    with serve_cxone(CxoneExportServer(Quirks.obvious())) as served:
        yield served


def token(running: RunningTutorialCxone, scope: str | None = None, **form: str) -> httpx.Response:
    fields = {
        "grant_type": "client_credentials",
        "client_id": running.client_id,
        "client_secret": running.client_secret,
    }
    fields |= ({"scope": scope} if scope else {}) | form
    return PLAIN.post(running.token_url, data=fields)


def api(running: RunningTutorialCxone, scope: str | None = None) -> httpx.Client:
    answer = token(running, scope)
    assert answer.status_code == 200, answer.text
    bearer = {"Authorization": f"Bearer {answer.json()['access_token']}"}
    return httpx.Client(base_url=running.cxone_url, headers=bearer, transport=TRANSPORT)


def create(client: httpx.Client, **changes: Any) -> str:
    answer = client.post(EXPORTS, json=body(**changes))
    assert answer.status_code == 202, answer.text
    export_id = answer.json()["id"]
    assert isinstance(export_id, str) and export_id
    return export_id


def poll(client: httpx.Client, export_id: str, limit: int = 10) -> tuple[list[str], Json]:
    """Status polls until the export ends: the statuses seen and the last status body."""
    seen: list[str] = []
    for _ in range(limit):
        answer = client.get(f"{EXPORTS}/{export_id}")
        assert answer.status_code == 200, answer.text
        status = answer.json()
        seen.append(status["status"])
        if status["status"] in ("completed", "failed"):
            return seen, status
    raise AssertionError(f"export {export_id} still {seen[-1]} after {limit} polls")


def csv_records(data: bytes) -> list[Json]:
    """A CSV page read tolerantly: BOM, CRLF, quoting; an empty cell is a missing field."""
    rows = csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline=""))
    return [{k: v for k, v in row.items() if v != ""} for row in rows]


def pages(
    client: httpx.Client, export_id: str, page_size: int | None = None
) -> list[httpx.Response]:
    """Every data page, following the token however the last page spells its absence."""
    served: list[httpx.Response] = []
    next_token: str | None = None
    while len(served) < 200:
        params: dict[str, Any] = {"pageSize": page_size} if page_size else {}
        if next_token:
            params["nextPageToken"] = next_token
        answer = client.get(f"{EXPORTS}/{export_id}/data", params=params)
        assert answer.status_code == 200, answer.text
        served.append(answer)
        if answer.headers["content-type"].startswith("text/csv"):
            next_token = answer.headers.get("x-next-page-token")
        else:
            next_token = answer.json().get("nextPageToken")
        if not next_token:
            return served
    raise AssertionError("the token chain does not end")


def page_records(answer: httpx.Response) -> list[Json]:
    if answer.headers["content-type"].startswith("text/csv"):
        return csv_records(answer.content)
    return answer.json()["data"]


def as_text(records: list[Json]) -> list[Json]:
    return [{k: str(v) for k, v in r.items()} for r in records]


def by_id(records: list[Json]) -> list[Json]:
    return sorted(records, key=lambda r: str(r["id"]))


# ---- OAuth ------------------------------------------------------------------------------------
def test_token_takes_form_fields_only_and_refuses_bad_requests(
    running: RunningTutorialCxone,
) -> None:
    granted = token(running)
    assert granted.status_code == 200
    assert granted.json()["token_type"] == "bearer" and granted.json()["expires_in"] == 3600
    assert set(granted.json()["scope"].split()) == {READ, WRITE, REPORTS}
    assert "x-ratelimit-remaining" not in granted.headers
    assert token(running, READ).json()["scope"] == READ
    basic = PLAIN.post(
        running.token_url,
        data={"grant_type": "client_credentials"},
        auth=(running.client_id, running.client_secret),
    )
    assert basic.status_code == 401 and basic.json()["error"] == "invalid_client"
    assert "Basic" in basic.json()["error_description"]
    wrong = token(running, client_secret="nope")
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    other = token(running, grant_type="password")
    assert other.status_code == 400 and other.json()["error"] == "unsupported_grant_type"
    running.server.lack(REPORTS)
    refused = token(running, f"{READ} {REPORTS}")
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_scope"
    assert REPORTS in refused.json()["error_description"]
    assert set(token(running).json()["scope"].split()) == {READ, WRITE}


def test_expired_and_unknown_tokens_are_401_and_a_new_token_works(
    running: RunningTutorialCxone,
) -> None:
    client = api(running)
    assert client.get(f"{EXPORTS}/nope").status_code == 404
    running.server.expire_tokens()
    expired = client.get(f"{EXPORTS}/nope")
    assert expired.status_code == 401 and "expired" in expired.json()["message"]
    assert "x-ratelimit-remaining" not in expired.headers
    bare = PLAIN.get(f"{running.cxone_url}{EXPORTS}/nope")
    assert bare.status_code == 401
    assert api(running).get(f"{EXPORTS}/nope").status_code == 404


def test_a_missing_scope_is_a_403_naming_it(running: RunningTutorialCxone) -> None:
    writer, reader = api(running, WRITE), api(running, READ)
    denied = writer.get(f"{EXPORTS}/anything")
    assert denied.status_code == 403 and READ in denied.json()["message"]
    assert denied.headers["x-ratelimit-remaining"].isdigit()
    refused = reader.post(EXPORTS, json=body())
    assert refused.status_code == 403 and WRITE in refused.json()["message"]
    running.server.polls_to_complete = 0
    export_id = create(writer)
    data = reader.get(f"{EXPORTS}/{export_id}/data")
    if running.quirks.data_scope_reports_read:
        assert data.status_code == 403 and REPORTS in data.json()["message"]
    else:
        assert data.status_code == 200
    full = api(running)
    running.server.lack(READ)
    lost = full.get(f"{EXPORTS}/{export_id}")
    assert lost.status_code == 403 and READ in lost.json()["message"]


# ---- the flow ---------------------------------------------------------------------------------
def test_a_json_export_polls_to_completed_and_pages_every_record(
    running: RunningTutorialCxone,
) -> None:
    client = api(running)
    answer = client.post(EXPORTS, json=body())
    assert answer.status_code == 202
    assert ("status" in answer.json()) is not running.quirks.create_id_only
    export_id = answer.json()["id"]
    early = client.get(f"{EXPORTS}/{export_id}/data")
    assert early.status_code == 409 and "pending" in early.json()["message"]
    seen, status = poll(client, export_id)
    middle = "pending" if running.quirks.skip_processing else "processing"
    assert seen == ["pending", middle, "completed"]
    expected = running.server.expected(instant(JAN1), instant(JAN3))
    assert status["totalRecords"] == len(expected) == 36
    assert status["reportId"] == "interactions" and status["format"] == "json"
    assert instant(status["completedAt"]) >= instant(status["createdAt"])
    assert instant(status["dateRange"]["start"]) == instant(JAN1)
    served = pages(client, export_id)
    got = [r for page in served for r in page_records(page)]
    assert by_id(got) == by_id(expected)
    assert all(list(r) == [c for c in FIELDS if c in r] for r in got)  # the columns' order
    assert all(page.json()["totalRecords"] == 36 for page in served)
    assert len(served) == (3 if running.quirks.page_size_capped else 1)
    small = pages(client, export_id, page_size=10)
    assert by_id([r for p in small for r in page_records(p)]) == by_id(expected)
    assert max(len(page_records(p)) for p in small) == 10
    remaining = [int(p.headers["x-ratelimit-remaining"]) for p in served + small]
    assert remaining == sorted(remaining, reverse=True)
    assert not any(h.startswith("inin-") for p in served for h in p.headers)
    assert running.server.create_bodies == [body()]
    calls = [(c.method, c.path.rsplit("/", 1)[-1], c.status) for c in running.server.calls]
    assert calls[:3] == [
        ("POST", "token", 200),
        ("POST", "data-exports", 202),
        ("GET", "data", 409),
    ]
    followed = [c.query for c in running.server.calls if "nextPageToken=" in c.query]
    assert len(followed) == len(served) - 1 + len(small) - 1


def test_a_csv_export_pages_with_a_header_row_and_the_token_in_a_header(
    running: RunningTutorialCxone,
) -> None:
    client = api(running)
    running.server.seed_contacts(missing_share=0.5)
    export_id = create(client, format="csv", columns=["id", "medium", "startTime", "talkTime"])
    poll(client, export_id)
    served = pages(client, export_id, page_size=20)
    assert all(p.headers["content-type"].startswith("text/csv") for p in served)
    first = served[0].content.decode("utf-8-sig").splitlines()[0]
    assert first.replace('"', "") == "id,medium,startTime,talkTime"
    got = [r for page in served for r in csv_records(page.content)]
    columns = ["id", "medium", "startTime", "talkTime"]
    expected = running.server.expected(instant(JAN1), instant(JAN3), columns)
    assert by_id(got) == by_id(as_text(expected))
    assert any("startTime" not in r for r in got) and all("id" in r for r in got)


def test_filters_keep_listed_values_and_drop_records_lacking_the_field(
    running: RunningTutorialCxone,
) -> None:
    client = api(running)
    running.server.seed_contacts(missing_share=0.4)
    export_id = create(client, filters={"medium": ["voice", "sms"]}, columns=["id", "medium"])
    _, status = poll(client, export_id)
    got = [r for page in pages(client, export_id) for r in page_records(page)]
    every = running.server.expected(instant(JAN1), instant(JAN3), ["id", "medium"])
    assert by_id(got) == by_id([r for r in every if r.get("medium") in ("voice", "sms")])
    assert 0 < len(got) < len(every) and status["totalRecords"] == len(got)
    assert any("medium" not in r for r in every)


def test_records_fall_in_the_range_by_start_time(running: RunningTutorialCxone) -> None:
    client = api(running)
    running.server.seed_contacts(per_day=40, missing_share=0.3)
    morning = {"start": "2024-01-02T06:00:00.000Z", "end": "2024-01-02T12:00:00.000Z"}
    export_id = create(client, dateRange=morning, columns=["id", "startTime", "endTime"])
    poll(client, export_id)
    got = [r for page in pages(client, export_id) for r in page_records(page)]
    truth = [
        c for c in running.server.contacts(date(2024, 1, 2))
        if instant(morning["start"]) <= c.start <= instant(morning["end"])
    ]  # fmt: skip
    assert 0 < len(got) == len(truth) < 40
    starts = [instant(r["startTime"]) for r in got if "startTime" in r]
    assert all(instant(morning["start"]) <= s <= instant(morning["end"]) for s in starts)
    assert len(starts) < len(got)  # some records withhold startTime and still belong here


def test_the_same_day_always_yields_the_same_records() -> None:
    one, two = CxoneExportServer(Quirks.obvious()), CxoneExportServer(Quirks())
    two.quirks = Quirks.obvious()
    start, end = instant(JAN1), instant(JAN3)
    assert one.expected(start, end) == two.expected(start, end)
    two.seed_contacts(seed=8)
    assert one.expected(start, end) != two.expected(start, end)
    two.seed_contacts(days={date(2024, 1, 2): 40})
    assert len(two.expected(start, end)) == 12 + 40 + 12
    lacking = CxoneExportServer(Quirks.obvious())
    lacking.seed_contacts(missing_share=1.0)
    records = lacking.expected(start, end)
    assert all("id" in r and len(r) < len(FIELDS) for r in records)


# ---- create rules -----------------------------------------------------------------------------
BAD_BODIES: list[tuple[Any, str]] = [
    (["not", "an", "object"], "JSON object"),
    (body(extra=1), "extra"),
    (body(reportId=None), "reportId"),
    (body(reportId="agents"), "reportId"),
    (body(dateRange=None), "dateRange"),
    (body(dateRange={"start": JAN1}), "dateRange"),
    (body(dateRange={"start": "2024-01-01T00:00:00Z", "end": JAN3}), "dateRange.start"),
    (body(dateRange={"start": JAN1, "end": "2024-01-03T23:59:59.999+00:00"}), "dateRange.end"),
    (body(dateRange={"start": JAN3, "end": JAN1}), "dateRange.end must be after"),
    (body(dateRange={"start": JAN1, "end": "2024-04-02T00:00:00.000Z"}), "90 days"),
    (body(format="parquet"), "format"),
    (body(columns=[]), "columns"),
    (body(columns=["id", "colour"]), "colour"),
    (body(columns=["id", "id"]), "named once"),
    (body(filters={"colour": ["red"]}), "filters"),
    (body(filters={"medium": "voice"}), "filters.medium"),
    (body(pageSize=0), "pageSize"),
    (body(pageSize=10_001), "pageSize"),
    (body(pageSize="50"), "pageSize"),
]


def test_a_broken_create_rule_is_a_400_naming_the_field(running: RunningTutorialCxone) -> None:
    client = api(running)
    for bad, named in BAD_BODIES:
        answer = client.post(EXPORTS, json=bad)
        assert answer.status_code == 400, (bad, answer.text)
        assert named in answer.json()["message"], (bad, answer.json())
    assert running.server.created() == []
    assert client.post(EXPORTS, content=b"{nope").status_code == 400
    fine = [body(filters=None), body(pageSize=None), body(filters={"agentId": []})]
    fine += [body(pageSize=1, columns=["talkTime"], format="xlsx")]
    assert [client.post(EXPORTS, json=b).status_code for b in fine] == [202] * 4


def test_ninety_days_pass_and_the_tutorial_chunk_passes_only_its_own_way(
    running: RunningTutorialCxone,
) -> None:
    client = api(running)
    exact = {"start": JAN1, "end": "2024-03-31T00:00:00.000Z"}
    assert client.post(EXPORTS, json=body(dateRange=exact)).status_code == 202
    chunk = {"start": JAN1, "end": "2024-03-31T23:59:59.999Z"}  # start + 90 days, 23:59:59.999
    answer = client.post(EXPORTS, json=body(dateRange=chunk))
    if running.quirks.tutorial_span:
        assert answer.status_code == 202
    else:
        assert answer.status_code == 400 and "90 days" in answer.json()["message"]
    starts = [e["start"] for e in running.server.created()]
    assert starts == [JAN1] * (2 if running.quirks.tutorial_span else 1)


# ---- data endpoint failures -------------------------------------------------------------------
def test_unknown_ids_xlsx_bad_sizes_and_foreign_tokens(running: RunningTutorialCxone) -> None:
    client = api(running)
    assert client.get(f"{EXPORTS}/missing").status_code == 404
    assert client.get(f"{EXPORTS}/missing/data").status_code == 404
    running.server.polls_to_complete = 0
    first, second = create(client), create(client)
    xlsx = create(client, format="xlsx")
    assert poll(client, xlsx)[1]["status"] == "completed"
    refused = client.get(f"{EXPORTS}/{xlsx}/data")
    assert refused.status_code == 406 and "xlsx" in refused.json()["message"]
    for size in ("0", "10001", "ten"):
        bad = client.get(f"{EXPORTS}/{first}/data", params={"pageSize": size})
        assert bad.status_code == 400 and "pageSize" in bad.json()["message"]
    page = client.get(f"{EXPORTS}/{first}/data", params={"pageSize": 5}).json()
    handed = page["nextPageToken"]
    foreign = client.get(f"{EXPORTS}/{second}/data", params={"nextPageToken": handed})
    assert foreign.status_code == 400 and "nextPageToken" in foreign.json()["message"]
    garbage = client.get(f"{EXPORTS}/{first}/data", params={"nextPageToken": "made-up"})
    assert garbage.status_code == 400 and "nextPageToken" in garbage.json()["message"]
    again = [client.get(f"{EXPORTS}/{first}/data", params={"nextPageToken": handed, "pageSize": 5})]
    again.append(client.get(f"{EXPORTS}/{first}/data", params={"nextPageToken": handed}))
    assert again[0].json()["data"] == again[1].json()["data"][:5] != page["data"]


def test_page_tokens_expire(running: RunningTutorialCxone) -> None:
    client = api(running)
    running.server.polls_to_complete = 0
    export_id = create(client)
    handed = client.get(f"{EXPORTS}/{export_id}/data", params={"pageSize": 5}).json()
    running.server.expire_page_tokens()
    stale = client.get(
        f"{EXPORTS}/{export_id}/data", params={"nextPageToken": handed["nextPageToken"]}
    )
    assert stale.status_code == 400 and "expired" in stale.json()["message"]
    running.server.page_token_ttl_s = 0.05
    fresh = client.get(f"{EXPORTS}/{export_id}/data", params={"pageSize": 5}).json()
    time.sleep(0.1)
    late = client.get(
        f"{EXPORTS}/{export_id}/data", params={"nextPageToken": fresh["nextPageToken"]}
    )
    assert late.status_code == 400 and "nextPageToken has expired" in late.json()["message"]


def test_a_failed_export_says_why_and_has_no_data(running: RunningTutorialCxone) -> None:
    client = api(running)
    fault = running.server.add_fault("export_failed", message="report engine timed out")
    failed, healthy = create(client), create(client)
    seen, status = poll(client, failed)
    assert seen[-1] == "failed" and status["errorMessage"] == "report engine timed out"
    assert "totalRecords" not in status or status["totalRecords"] is None
    assert fault.fired == 1 and poll(client, healthy)[1]["status"] == "completed"
    no_data = client.get(f"{EXPORTS}/{failed}/data")
    assert no_data.status_code == 409 and "report engine timed out" in no_data.json()["message"]
    later = create(client)
    client.get(f"{EXPORTS}/{later}")
    running.server.fail_export(later, "cancelled by an administrator")
    assert poll(client, later)[1]["errorMessage"] == "cancelled by an administrator"
    summary = running.server.created()
    assert [e["status"] for e in summary] == ["failed", "completed", "failed"]


# ---- rate limits and faults -------------------------------------------------------------------
def test_over_budget_is_a_429_with_retry_after_seconds(running: RunningTutorialCxone) -> None:
    client = api(running)
    running.server.auth.budget = 3
    answers = [client.get(f"{EXPORTS}/x") for _ in range(4)]
    assert [a.status_code for a in answers] == [404, 404, 404, 429]
    assert [a.headers["x-ratelimit-remaining"] for a in answers] == ["2", "1", "0", "0"]
    assert 1 <= int(answers[-1].headers["retry-after"]) <= 60
    assert int(answers[-1].headers["x-ratelimit-reset"]) <= 60


def test_every_fault_fires(running: RunningTutorialCxone) -> None:
    server, client = running.server, api(running)
    server.polls_to_complete = 0
    server.add_fault("http_429", retry_after=2)
    throttled = client.get(f"{EXPORTS}/x")
    assert throttled.status_code == 429
    retry_after = throttled.headers["retry-after"]
    if running.quirks.retry_after_date:
        assert parsedate_to_datetime(retry_after) > datetime.now(UTC)
    else:
        assert retry_after == "2"
    server.add_fault("http_5xx", status=504, path_contains="/data-exports")
    assert client.get(f"{EXPORTS}/x").status_code == 504
    server.add_fault("http_5xx", path_contains="/oauth/token")
    assert token(running).status_code == 503 and token(running).status_code == 200
    server.add_fault("slow", delay_s=0.3)
    began = time.monotonic()
    assert client.get(f"{EXPORTS}/x").status_code == 404
    assert time.monotonic() - began >= 0.3
    server.add_fault("drop", method="POST")
    with pytest.raises(httpx.TransportError):
        client.post(EXPORTS, json=body())
    assert len(server.created()) == 1  # the export exists though its answer was lost
    export_id = server.created()[0]["id"]
    server.add_fault("truncate")
    with pytest.raises(httpx.TransportError):
        client.get(f"{EXPORTS}/{export_id}/data")
    whole = client.get(f"{EXPORTS}/{export_id}/data")
    assert len(whole.json()["data"]) > 0
    server.add_fault("wrong_format")
    other = client.get(f"{EXPORTS}/{export_id}/data")
    assert other.headers["content-type"].startswith("text/csv")
    assert by_id(csv_records(other.content)) == by_id(as_text(page_records(whole)))
    assert [f.fired for f in server.auth.faults] == [1] * 7
    with pytest.raises(ValueError, match="unknown fault kind"):
        server.add_fault("http_418")


# ---- quirks -----------------------------------------------------------------------------------
def fixed_clock() -> datetime:
    return datetime(2026, 3, 4, 5, 6, 7, 891_234, tzinfo=UTC)


def fingerprint(quirks: Quirks) -> list[Any]:
    """Everything a fixed scenario serves (ids, tokens and clock seeded), as comparable data."""
    seen: list[Any] = []
    server = CxoneExportServer(quirks, id_seed=1, clock=fixed_clock)

    def keep(answer: httpx.Response) -> httpx.Response:
        wanted = ("content-type", "x-next-page-token", "retry-after", "x-total-records")
        headers = {h: answer.headers[h] for h in wanted if h in answer.headers}
        seen.append((answer.status_code, headers, answer.content))
        return answer

    with serve_cxone(server) as served:
        keep(token(served))
        client = api(served)
        narrow = api(served, f"{READ} {WRITE}")
        exports: list[str] = []
        for fmt, size in (("json", 20), ("csv", 30)):  # 30 > the capped 25
            export_id = keep(client.post(EXPORTS, json=body(format=fmt))).json()["id"]
            exports.append(export_id)
            for _ in range(3):
                keep(client.get(f"{EXPORTS}/{export_id}"))
            for page in pages(client, export_id, page_size=size):
                keep(page)
        keep(narrow.get(f"{EXPORTS}/{exports[0]}/data"))
        chunk = {"start": JAN1, "end": "2024-03-31T23:59:59.999Z"}
        keep(client.post(EXPORTS, json=body(dateRange=chunk)))
        server.add_fault("http_429")
        keep(client.get(f"{EXPORTS}/missing"))
    return seen


@pytest.fixture(scope="module")
def obvious_print() -> list[Any]:
    return fingerprint(Quirks.obvious())


def test_the_scenario_is_deterministic(obvious_print: list[Any]) -> None:
    assert fingerprint(Quirks.obvious()) == obvious_print


@pytest.mark.parametrize("name", Quirks.names())
def test_every_quirk_changes_what_is_served(name: str, obvious_print: list[Any]) -> None:
    assert fingerprint(Quirks.only(name)) != obvious_print


def test_quirk_constructors() -> None:
    assert all(vars(Quirks()).values()) and not any(vars(Quirks.obvious()).values())
    assert [n for n, on in vars(Quirks.only("csv_bom")).items() if on] == ["csv_bom"]
    with pytest.raises(ValueError, match="unknown quirk"):
        Quirks.only("csv_bom", "nope")


def test_all_quirks_serve_the_shapes_they_name() -> None:
    """A few quirk shapes spelled out (the fingerprint test only shows that each one differs)."""
    with serve_cxone(CxoneExportServer(Quirks(), clock=fixed_clock)) as served:
        client = api(served)
        served.server.polls_to_complete = 0
        export_id = create(client)
        _, status = poll(client, export_id)
        assert status["createdAt"] == "2026-03-04T05:06:07+00:00"
        assert status["dateRange"] == {
            "start": "2024-01-01T00:00:00Z",
            "end": "2024-01-03T23:59:59Z",
        }
        assert status["errorMessage"] is None
        first = client.get(f"{EXPORTS}/{export_id}/data").json()
        assert len(first["data"]) == 25 and "+" in first["nextPageToken"]
        record = first["data"][0]
        assert isinstance(record["id"], int) or "id" not in record
        assert all(isinstance(r.get("agentId", 0), int) for r in first["data"])
        starts = [r["startTime"] for r in first["data"] if "startTime" in r]
        assert starts != sorted(starts)
        served.server.polls_to_complete = 3
        unfinished = client.get(f"{EXPORTS}/{create(client)}").json()
        assert "completedAt" not in unfinished and unfinished["totalRecords"] is None
        answers = json.loads(client.post(EXPORTS, json=body()).content)
        assert "status" not in answers and answers["id"].startswith("dx_")
