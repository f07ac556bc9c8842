"""The independent tutorial data tables server keeps the contract (docs/api-contract.md "## Data
tables", "OAuth", "Rate limits", "Errors") under every quirk and under none, every quirk changes
what it serves, and every fault fires: plain httpx over loopback, the admin surface driven from
Python."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import fields
from datetime import date, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
import pytest

from cx_assets_tests.independent.tutorial_datatables_seed import CUSTOMERS, table_id
from cx_assets_tests.independent.tutorial_datatables_server import (
    DatatablesServer,
    Quirks,
    RunningDatatables,
    serve_datatables,
)

pytestmark = pytest.mark.integration

Json = dict[str, Any]
BASE = "/api/v2/datatables"
READ, WRITE = "data-table:read", "data-table:write"
CUSTOMERS_ID = table_id(0, "customer-tiers")
QUEUES_ID = table_id(0, "queue-routing")
HOLIDAYS_ID = table_id(0, "regional-holidays")
CONTACTS_ID = table_id(0, "escalation-contacts")
ETAG = re.compile(r'^"(\d+)"$')
TUTORIAL_ROW = {
    "columns": {
        "customer_id": "CUST-99281",
        "last_interaction": "2024-06-01T09:15:00Z",
        "credit_limit": 4,
    }
}


@pytest.fixture(params=["obvious", "quirky"])
def running(request: pytest.FixtureRequest) -> Iterator[RunningDatatables]:
    quirks = Quirks.obvious() if request.param == "obvious" else Quirks()
    with serve_datatables(DatatablesServer(quirks)) as served:
        yield served


def token(running: RunningDatatables, scope: str | None = None) -> httpx.Response:
    form = {"grant_type": "client_credentials"} | ({"scope": scope} if scope else {})
    return httpx.post(
        f"{running.url}/oauth/token", data=form, auth=(running.client_id, running.client_secret)
    )


OPEN: list[httpx.Client] = []


@pytest.fixture(autouse=True)
def _close_clients() -> Iterator[None]:
    yield
    while OPEN:
        OPEN.pop().close()


def api(running: RunningDatatables, scope: str | None = None) -> httpx.Client:
    """A client with a bearer token (closed after the test)."""
    answer = token(running, scope)
    assert answer.status_code == 200, answer.text
    bearer = {"Authorization": f"Bearer {answer.json()['access_token']}"}
    OPEN.append(httpx.Client(base_url=running.url, headers=bearer))
    return OPEN[-1]


def version(etag: str) -> int:
    match = ETAG.match(etag)
    assert match, f"ETag {etag!r} is not a quoted version"
    return int(match.group(1))


def read_all(client: httpx.Client, tid: str, page_size: int | None = 1000) -> Json:
    """A tolerant reader: schema first, then every page until the cursor is absent or null."""
    schema = client.get(f"{BASE}/{tid}/schema")
    assert schema.status_code == 200, schema.text
    params: Json = {} if page_size is None else {"pageSize": page_size}
    etags: list[str] = []
    rows: list[Json] = []
    while True:
        page = client.get(f"{BASE}/{tid}/rows", params=params)
        assert page.status_code == 200, page.text
        body = page.json()
        etags.append(page.headers["ETag"])
        rows.extend(body["rows"])
        if body.get("nextPageCursor") is None:
            break
        params = params | {"cursor": body["nextPageCursor"]}
    return {"schema": schema.json(), "etag": schema.headers["ETag"], "etags": etags, "rows": rows}


def rows_of(client: httpx.Client, tid: str) -> list[Json]:
    params: Json = {"pageSize": 1000}
    rows: list[Json] = []
    while True:
        body = client.get(f"{BASE}/{tid}/rows", params=params).json()
        rows.extend(body["rows"])
        if body.get("nextPageCursor") is None:
            return rows
        params["cursor"] = body["nextPageCursor"]


def by_key(rows: list[Json], column: str = "customer_id") -> dict[Any, Json]:
    return {r["columns"][column]: r["columns"] for r in rows}


def post(client: httpx.Client, tid: str, body: Any, upsert: str | None = "true") -> httpx.Response:
    params = {"upsert": upsert} if upsert is not None else {}
    return client.post(f"{BASE}/{tid}/rows", params=params, json=body)


def current(client: httpx.Client, tid: str) -> int:
    return version(client.get(f"{BASE}/{tid}/schema").headers["ETag"])


# ---- OAuth, scopes, rate limits, faults -------------------------------------------------------
def test_token_grants_the_data_table_scopes_and_refuses_bad_requests() -> None:
    with serve_datatables(DatatablesServer(Quirks.obvious())) as obvious:
        granted = token(obvious).json()
        assert granted["token_type"] == "bearer" and granted["expires_in"] == 3600
        assert set(granted["scope"].split()) == {READ, WRITE}
        assert token(obvious, READ).json()["scope"] == READ
        form = {"grant_type": "client_credentials", "client_id": obvious.client_id}
        by_form = httpx.post(
            f"{obvious.url}/oauth/token", data=form | {"client_secret": obvious.client_secret}
        )
        assert by_form.status_code == 200
        wrong = httpx.post(f"{obvious.url}/oauth/token", data=form | {"client_secret": "nope"})
        assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
        other = httpx.post(
            f"{obvious.url}/oauth/token",
            data={"grant_type": "password"},
            auth=(obvious.client_id, obvious.client_secret),
        )
        assert other.status_code == 400 and other.json()["error"] == "unsupported_grant_type"
        obvious.server.lack(WRITE)
        refused = token(obvious, f"{READ} {WRITE}")
        assert refused.status_code == 400 and refused.json()["error"] == "invalid_scope"
        assert "x-ratelimit-remaining" not in refused.headers


def test_scopes_expired_tokens_and_rate_limit_headers(running: RunningDatatables) -> None:
    reader = api(running, READ)
    listed = reader.get(BASE)
    assert listed.status_code == 200
    assert listed.headers["inin-ratelimit-allowed"] == "300"
    assert listed.headers["inin-ratelimit-count"] == "1"
    assert listed.headers["X-RateLimit-Remaining"] == "299"
    assert listed.headers["X-RateLimit-Reset"].isdigit()
    assert listed.headers["inin-ratelimit-reset"].isdigit()
    denied = post(reader, CUSTOMERS_ID, [TUTORIAL_ROW])
    assert denied.status_code == 403 and WRITE in denied.json()["message"]
    put = reader.put(f"{BASE}/{CUSTOMERS_ID}/schema", json={"columns": []})
    assert put.status_code == 403 and WRITE in put.json()["message"]
    assert running.server.upserts == [] and running.server.schema_puts == []
    full = api(running)
    running.server.lack(READ)
    lost = full.get(f"{BASE}/{CUSTOMERS_ID}/schema")
    assert lost.status_code == 403 and READ in lost.json()["message"]
    running.server.lack()
    running.server.expire_tokens()
    expired = full.get(BASE)
    assert expired.status_code == 401 and expired.json()["status"] == 401
    assert api(running).get(BASE).status_code == 200


def test_over_budget_is_a_429_with_retry_after_in_seconds(running: RunningDatatables) -> None:
    running.server.auth.budget = 2
    client = api(running)
    assert [client.get(BASE).status_code for _ in range(2)] == [200, 200]
    over = client.get(f"{BASE}/{CUSTOMERS_ID}/rows")
    assert over.status_code == 429 and over.headers["Retry-After"].isdigit()
    assert over.headers["X-RateLimit-Remaining"] == "0"
    assert "2 requests" in over.json()["message"]


def test_injected_http_faults_fire_once(running: RunningDatatables) -> None:
    client = api(running)
    fault = running.server.add_fault("http_5xx", status=502, path_contains="/rows")
    assert client.get(f"{BASE}/{CUSTOMERS_ID}/rows").status_code == 502
    assert client.get(f"{BASE}/{CUSTOMERS_ID}/rows").status_code == 200
    assert fault.fired == 1
    running.server.add_fault("http_429", retry_after=2, method="POST")
    throttled = post(client, CUSTOMERS_ID, [{"columns": {"customer_id": "C-000001"}}])
    assert throttled.status_code == 429
    after = throttled.headers["Retry-After"]
    if running.quirks.retry_after_date:
        assert parsedate_to_datetime(after).tzinfo is not None
    else:
        assert after == "2"
    assert running.server.upserts == []
    with pytest.raises(ValueError, match="unknown fault kind"):
        running.server.add_fault("teapot")


def test_dropped_and_truncated_answers(running: RunningDatatables) -> None:
    client = api(running)
    before = running.server.rows(CUSTOMERS_ID)
    running.server.add_fault("drop", method="POST")
    with pytest.raises(httpx.TransportError):
        post(client, CUSTOMERS_ID, [{"columns": {"customer_id": "NEW-1"}}])
    assert running.server.rows(CUSTOMERS_ID) == before
    assert running.server.requests[-1].cut == "before_answer"
    running.server.add_fault("drop_after_apply", method="POST")
    with pytest.raises(httpx.TransportError):
        post(client, CUSTOMERS_ID, [{"columns": {"customer_id": "NEW-2"}}])
    assert running.server.rows(CUSTOMERS_ID)[-1]["customer_id"] == "NEW-2"
    assert running.server.posted_rows(CUSTOMERS_ID) == [{"customer_id": "NEW-2"}]
    running.server.add_fault("truncate", path_contains="/rows", method="GET")
    with pytest.raises(httpx.TransportError):
        client.get(f"{BASE}/{CUSTOMERS_ID}/rows", params={"pageSize": 50})
    again = client.get(f"{BASE}/{CUSTOMERS_ID}/rows", params={"pageSize": 50})
    assert again.status_code == 200 and len(again.json()["rows"]) == 50


# ---- listing and schema -----------------------------------------------------------------------
def test_listing_names_every_table_and_finds_new_ones(running: RunningDatatables) -> None:
    client = api(running)
    listed = client.get(BASE).json()
    ids = {e["id"] for e in listed["entities"]}
    assert ids == {CUSTOMERS_ID, QUEUES_ID, HOLIDAYS_ID, CONTACTS_ID} and listed["total"] == 4
    assert {e["name"] for e in listed["entities"]} >= {"Customer Tiers", "Regional Holidays"}
    added = running.server.add_table("Late Table", [("code", "string", True)], [{"code": "A"}])
    again = client.get(BASE).json()
    assert again["total"] == 5 and added in {e["id"] for e in again["entities"]}
    assert [r["columns"] for r in rows_of(client, added)] == [{"code": "A"}]


def test_schema_names_the_key_in_column_order_with_an_etag(running: RunningDatatables) -> None:
    client = api(running)
    answer = client.get(f"{BASE}/{HOLIDAYS_ID}/schema")
    body = answer.json()
    assert version(answer.headers["ETag"]) == 7
    names = [c["name"] for c in body["columns"]]
    assert [c["name"] for c in body["columns"] if c.get("isPrimaryKey")] == ["region", "day"]
    assert set(names) == {"region", "day", "label", "open"}
    assert {c["type"] for c in body["columns"]} == {"string", "date", "boolean"}
    if not running.quirks.schema_columns_only:
        assert body["version"] == 7 and body["id"] == HOLIDAYS_ID
        assert body["name"] == "Regional Holidays"
    missing = client.get(f"{BASE}/no-such-table/schema")
    assert missing.status_code == 404
    assert {"status", "code", "message"} <= set(missing.json())
    assert "no-such-table" in missing.json()["message"]
    assert client.get(f"{BASE}/no-such-table/rows").status_code == 404
    assert post(client, "no-such-table", []).status_code == 404


# ---- rows pages -------------------------------------------------------------------------------
def test_a_full_read_gets_every_row_once_in_insertion_order(running: RunningDatatables) -> None:
    client = api(running)
    got = read_all(client, CUSTOMERS_ID)
    rows = got["rows"]
    assert len(rows) == CUSTOMERS and len({r["id"] for r in rows}) == CUSTOMERS
    assert [r["columns"]["customer_id"] for r in rows] == [
        f"C-{n:06d}" for n in range(1, CUSTOMERS + 1)
    ]
    assert set(got["etags"]) == {got["etag"]} and version(got["etag"]) == 3
    names = {c["name"] for c in got["schema"]["columns"]}
    assert all(set(r["columns"]) == names for r in rows)
    numbers = [
        r["columns"]["credit_limit"] for r in rows if r["columns"]["credit_limit"] is not None
    ]
    assert all(isinstance(n, int | float) and not isinstance(n, bool) for n in numbers)
    assert all(isinstance(r["columns"]["vip"], bool | None) for r in rows)
    days = [r["columns"]["last_interaction"] for r in rows if r["columns"]["last_interaction"]]
    if running.quirks.timestamps:
        assert all(datetime.fromisoformat(d).tzinfo is not None for d in days)
    else:
        assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", d) and date.fromisoformat(d) for d in days)
    assert any(r["columns"]["tier"] is None for r in rows)
    expected_pages = 6 if running.quirks.page_size_capped else 2
    assert len(got["etags"]) == expected_pages


def test_default_page_size_and_row_ids(running: RunningDatatables) -> None:
    client = api(running)
    queues = client.get(f"{BASE}/{QUEUES_ID}/rows").json()
    assert len(queues["rows"]) == 37
    assert bool(queues.get("nextPageCursor")) == running.quirks.empty_last_page
    if running.quirks.empty_last_page:
        rest = client.get(f"{BASE}/{QUEUES_ID}/rows", params={"cursor": queues["nextPageCursor"]})
        assert rest.json()["rows"] == [] and rest.json().get("nextPageCursor") is None
    if running.quirks.cursor_absent_on_last:
        assert "nextPageCursor" not in client.get(f"{BASE}/{CONTACTS_ID}/rows").json()
    page = client.get(f"{BASE}/{CUSTOMERS_ID}/rows").json()
    assert len(page["rows"]) == 100 and page["nextPageCursor"]
    if not running.quirks.page_size_absent:
        assert page["pageSize"] == 100
    ids = [r["id"] for r in page["rows"]]
    if not running.quirks.row_id_uuid:
        assert ids[:2] == ["C-000001", "C-000002"]
    holiday = client.get(f"{BASE}/{HOLIDAYS_ID}/rows", params={"pageSize": 1}).json()["rows"][0]
    if not running.quirks.row_id_uuid:
        assert holiday["id"] == f"{holiday['columns']['region']}|{holiday['columns']['day']}"


def test_page_size_limits_and_bad_cursors(running: RunningDatatables) -> None:
    client = api(running)
    rows = f"{BASE}/{CUSTOMERS_ID}/rows"
    for size in ("1001", "0", "ten", "-1"):
        refused = client.get(rows, params={"pageSize": size})
        assert refused.status_code == 400, size
        assert "pageSize" in refused.json()["message"] and "1000" in refused.json()["message"]
    assert client.get(rows, params={"pageSize": "1000"}).status_code == 200
    garbage = client.get(rows, params={"cursor": "not a cursor"})
    assert garbage.status_code == 400 and "cursor" in garbage.json()["message"]
    other = client.get(f"{BASE}/{QUEUES_ID}/rows", params={"pageSize": 5}).json()
    crossed = client.get(rows, params={"cursor": other["nextPageCursor"]})
    assert crossed.status_code == 400 and "another table" in crossed.json()["message"]


def test_an_empty_table_is_one_empty_last_page(running: RunningDatatables) -> None:
    client = api(running)
    page = client.get(f"{BASE}/{CONTACTS_ID}/rows")
    assert page.status_code == 200 and page.json()["rows"] == []
    assert page.json().get("nextPageCursor") is None
    assert version(page.headers["ETag"]) == 1


def test_a_concurrent_edit_mid_read_shows_only_in_the_etag(running: RunningDatatables) -> None:
    client = api(running)
    running.server.edit_during(CUSTOMERS_ID, on="rows", after=1)
    got = read_all(client, CUSTOMERS_ID)
    assert version(got["etag"]) == version(got["etags"][0]) == 3
    assert {version(e) for e in got["etags"][1:]} == {4}
    assert running.server.table(CUSTOMERS_ID).etag == '"4"'
    first = client.get(f"{BASE}/{CUSTOMERS_ID}/rows", params={"pageSize": 100}).json()
    assert running.server.edit(CUSTOMERS_ID, delete=10) == 5
    second = client.get(
        f"{BASE}/{CUSTOMERS_ID}/rows", params={"pageSize": 100, "cursor": first["nextPageCursor"]}
    )
    assert second.status_code == 200 and version(second.headers["ETag"]) == 5
    assert second.json()["rows"][0]["columns"]["customer_id"] == "C-000111"


# ---- POST rows --------------------------------------------------------------------------------
def test_upsert_counts_and_the_version(running: RunningDatatables) -> None:
    client = api(running)
    batch = [
        {"id": "ignored", "columns": {"customer_id": "C-000002", "tier": "gold"}},
        {"columns": {"customer_id": "NEW-1", "tier": "silver", "credit_limit": 10, "vip": True}},
    ]
    answer = post(client, CUSTOMERS_ID, batch)
    assert answer.status_code == 200, answer.text
    counts = answer.json()
    assert (counts["inserted"], counts["updated"], counts["unchanged"]) == (1, 1, 0)
    assert counts["version"] == 4 and version(answer.headers["ETag"]) == 4
    again = post(client, CUSTOMERS_ID, batch)
    assert (again.json()["unchanged"], again.json()["version"]) == (2, 4)
    assert version(again.headers["ETag"]) == 4 == current(client, CUSTOMERS_ID)
    rows = rows_of(client, CUSTOMERS_ID)
    assert rows[-1]["columns"]["customer_id"] == "NEW-1" and len(rows) == CUSTOMERS + 1
    assert rows[1]["columns"] == {
        "customer_id": "C-000002",
        "tier": "gold",
        "credit_limit": None,
        "vip": None,
        "last_interaction": None,
    }
    assert running.server.posted_rows(CUSTOMERS_ID) == [b["columns"] for b in batch * 2]
    assert [u.counts.inserted for u in running.server.upserts if u.counts] == [1, 0]
    same_number = post(
        client, CUSTOMERS_ID, [{"columns": batch[1]["columns"] | {"credit_limit": 10.0}}]
    )
    assert same_number.json()["unchanged"] == 1
    update_only = post(client, CUSTOMERS_ID, [{"columns": {"customer_id": "C-000002"}}])
    assert (update_only.json()["updated"], update_only.json()["version"]) == (1, 5)
    assert by_key(rows_of(client, CUSTOMERS_ID))["C-000002"]["tier"] is None


def test_without_upsert_an_existing_key_is_a_409(running: RunningDatatables) -> None:
    client = api(running)
    batch = [{"columns": {"customer_id": "NEW-9"}}, {"columns": {"customer_id": "C-000007"}}]
    for flag in (None, "false"):
        conflict = post(client, CUSTOMERS_ID, batch, upsert=flag)
        assert conflict.status_code == 409 and "C-000007" in conflict.json()["message"]
    assert current(client, CUSTOMERS_ID) == 3
    assert "NEW-9" not in by_key(rows_of(client, CUSTOMERS_ID))
    fresh = post(client, CUSTOMERS_ID, batch[:1], upsert="false")
    assert fresh.status_code == 200 and fresh.json()["inserted"] == 1
    odd = post(client, CUSTOMERS_ID, batch[:1], upsert="yes")
    assert odd.status_code == 400 and "upsert" in odd.json()["message"]


GOOD = {"columns": {"customer_id": "NEW-1", "credit_limit": 5}}
INVALID = [
    pytest.param(
        [GOOD, {"columns": {"customer_id": "C-000001", "credit_limit": "gold"}}],
        "row 2: field 'credit_limit' expects number, got string \"gold\"",  # the contract's example
        id="string-for-number",
    ),
    pytest.param(
        [{"columns": {"customer_id": "C-1", "credit_limit": "3"}}],
        "row 1: field 'credit_limit' expects number",
        id="numeric-string",
    ),
    pytest.param(
        [{"columns": {"customer_id": "C-1", "credit_limit": True}}],
        "row 1: field 'credit_limit' expects number, got boolean true",
        id="boolean-for-number",
    ),
    pytest.param(
        [{"columns": {"customer_id": "C-1", "vip": "yes"}}],
        "row 1: field 'vip' expects boolean",
        id="string-for-boolean",
    ),
    pytest.param(
        [{"columns": {"customer_id": "C-1", "last_interaction": "2024-13-01"}}],
        "row 1: field 'last_interaction' expects date",
        id="bad-date",
    ),
    pytest.param(
        [
            GOOD,
            {"columns": {"customer_id": "C-2"}},
            {"columns": {"customer_id": "C-1", "segment": "x"}},
        ],
        "row 3: field 'segment'",
        id="unknown-column",
    ),
    pytest.param([{"columns": {"tier": "gold"}}], "row 1: field 'customer_id'", id="missing-key"),
    pytest.param(
        [{"columns": {"customer_id": None}}], "row 1: field 'customer_id' is null", id="null-key"
    ),
    pytest.param([GOOD, GOOD], "row 2: key 'NEW-1' repeats row 1", id="duplicate-keys"),
    pytest.param([GOOD] * 1001, "1001 rows, at most 1000", id="too-many-rows"),
    pytest.param(GOOD, "JSON array", id="not-an-array"),
    pytest.param([{"customer_id": "C-1"}], "row 1: unknown member 'customer_id'", id="flat-row"),
]


@pytest.fixture(scope="module", params=["obvious", "quirky"])
def refusing(request: pytest.FixtureRequest) -> Iterator[RunningDatatables]:
    """One server per mode for the refused batches (they change nothing, so they can share)."""
    quirks = Quirks.obvious() if request.param == "obvious" else Quirks()
    with serve_datatables(DatatablesServer(quirks)) as served:
        yield served


@pytest.mark.parametrize(("batch", "message"), INVALID)
def test_an_invalid_row_rejects_the_whole_batch(
    refusing: RunningDatatables, batch: Any, message: str
) -> None:
    running, client = refusing, api(refusing)
    before = running.server.rows(CUSTOMERS_ID)
    refused = post(client, CUSTOMERS_ID, batch)
    assert refused.status_code == 400
    assert message in refused.json()["message"]
    assert running.server.rows(CUSTOMERS_ID) == before
    assert current(client, CUSTOMERS_ID) == 3 and running.server.posted_rows(CUSTOMERS_ID) == []


def test_the_tutorials_timestamp_for_a_date(running: RunningDatatables) -> None:
    client = api(running)
    answer = post(client, CUSTOMERS_ID, [TUTORIAL_ROW])
    if not running.quirks.timestamps:
        assert answer.status_code == 400 and "expects date" in answer.json()["message"]
        return
    assert answer.status_code == 200 and answer.json()["inserted"] == 1
    served = by_key(rows_of(client, CUSTOMERS_ID))["CUST-99281"]["last_interaction"]
    assert datetime.fromisoformat(served) == datetime.fromisoformat("2024-06-01T09:15:00+00:00")
    midnight = {"columns": {"customer_id": "C-000003", "last_interaction": "2024-03-16"}}
    assert post(client, CUSTOMERS_ID, [midnight]).status_code == 200
    same = {"columns": {"customer_id": "C-000003", "last_interaction": "2024-03-16T00:00:00Z"}}
    assert post(client, CUSTOMERS_ID, [same]).json()["unchanged"] == 1


# ---- PUT schema -------------------------------------------------------------------------------
def test_schema_put_adds_removes_and_retypes(running: RunningDatatables) -> None:
    client = api(running)
    before = by_key(rows_of(client, CUSTOMERS_ID))
    columns = [
        {"name": "customer_id", "type": "string", "isPrimaryKey": True},
        {"name": "tier", "type": "number", "isPrimaryKey": False},
        {"name": "credit_limit", "type": "string"},
        {"name": "segment", "type": "string", "isPrimaryKey": False},
        {"name": "last_interaction", "type": "date", "isPrimaryKey": False},
    ]
    answer = client.put(f"{BASE}/{CUSTOMERS_ID}/schema", json={"columns": columns})
    assert answer.status_code == 200, answer.text
    assert version(answer.headers["ETag"]) == 4 == current(client, CUSTOMERS_ID)
    if running.quirks.put_schema_no_body:
        assert answer.content == b""
    else:
        assert [c["name"] for c in answer.json()["columns"]][3] == "segment"
    after = by_key(rows_of(client, CUSTOMERS_ID))
    first = after["C-000001"]
    assert set(first) == {"customer_id", "tier", "credit_limit", "segment", "last_interaction"}
    assert first["segment"] is None and first["tier"] is None
    for key, was in before.items():
        old = was["credit_limit"]
        spelled = None if old is None else str(int(old)) if float(old).is_integer() else str(old)
        assert after[key]["credit_limit"] == spelled
        assert after[key]["last_interaction"] == was["last_interaction"]
    assert any(
        isinstance(r["credit_limit"], str) and "." in r["credit_limit"] for r in after.values()
    )
    assert running.server.schema_puts[-1].status == 200


def test_schema_put_keeps_the_key_and_counts_versions(running: RunningDatatables) -> None:
    client = api(running)
    schema = f"{BASE}/{QUEUES_ID}/schema"
    read = client.get(schema).json()
    columns = [c | {"isPrimaryKey": c.get("isPrimaryKey", False)} for c in read["columns"]]
    rekeyed = [c | {"isPrimaryKey": c["name"] == "priority"} for c in columns]
    refused = client.put(schema, json={"columns": rekeyed})
    assert refused.status_code == 400 and "primary-key" in refused.json()["message"]
    assert client.put(schema, json={"columns": []}).status_code == 400
    assert client.put(schema, content=b"{not json").status_code == 400
    assert current(client, QUEUES_ID) == 1
    same = client.put(schema, json={"columns": columns})
    assert same.status_code == 200
    assert version(same.headers["ETag"]) == (2 if running.quirks.put_always_bumps else 1)


def test_if_match_on_writes(running: RunningDatatables) -> None:
    client = api(running)
    running.server.edit_during(CUSTOMERS_ID, on="post")
    stale = {"If-Match": '"3"'}
    answer = client.post(
        f"{BASE}/{CUSTOMERS_ID}/rows", params={"upsert": "true"}, json=[GOOD], headers=stale
    )
    if running.quirks.if_match_honoured:
        assert answer.status_code == 412 and answer.headers["ETag"] == '"4"'
        assert "NEW-1" not in by_key(rows_of(client, CUSTOMERS_ID))
    else:
        assert answer.status_code == 200 and answer.json()["version"] == 5
    assert running.server.upserts[-1].if_match == '"3"'
    fresh = {"If-Match": client.get(f"{BASE}/{CUSTOMERS_ID}/schema").headers["ETag"]}
    ok = client.post(
        f"{BASE}/{CUSTOMERS_ID}/rows", params={"upsert": "true"}, json=[GOOD], headers=fresh
    )
    assert ok.status_code == 200


# ---- quirks -----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def one_server() -> Iterator[RunningDatatables]:
    """One listening server the quirk comparisons `reset` between conversations."""
    with serve_datatables() as running:
        yield running


def served(running: RunningDatatables, quirks: Quirks) -> list[Any]:
    """A fixed conversation with the freshly reset server, as the client would see it (minus
    secrets, clocks and random ids)."""
    running.server.reset(quirks)
    seen: list[Any] = []
    answer = token(running).json()
    seen.append({k: v for k, v in answer.items() if k not in ("access_token", "issued_at")})
    client = api(running)

    def keep(response: httpx.Response) -> None:
        body = response.text
        if "contextId" in body:
            body = re.sub(r'"contextId":"[^"]*"', "", body)
        seen.append((response.status_code, response.headers.get("ETag"), body))

    keep(client.get(BASE))
    for tid in (CUSTOMERS_ID, QUEUES_ID, HOLIDAYS_ID, CONTACTS_ID):
        keep(client.get(f"{BASE}/{tid}/schema"))
        params: Json = {"pageSize": 1000}
        while True:
            page = client.get(f"{BASE}/{tid}/rows", params=params)
            keep(page)
            if (cursor := page.json().get("nextPageCursor")) is None:
                break
            params["cursor"] = cursor
    keep(post(client, CUSTOMERS_ID, [TUTORIAL_ROW]))
    keep(post(client, CUSTOMERS_ID, [GOOD]))
    schema = client.get(f"{BASE}/{QUEUES_ID}/schema").json()["columns"]
    keep(client.put(f"{BASE}/{QUEUES_ID}/schema", json={"columns": schema}))
    stale = {"If-Match": '"0"'}
    keep(client.post(f"{BASE}/{QUEUES_ID}/rows", json=[], headers=stale))
    keep(client.get(f"{BASE}/nothing/schema"))
    running.server.add_fault("http_429")
    throttled = client.get(BASE)
    seen.append(throttled.headers["Retry-After"].isdigit())
    return seen


def test_the_obvious_reading_is_deterministic(one_server: RunningDatatables) -> None:
    first = served(one_server, Quirks.obvious())
    assert first == served(one_server, Quirks.obvious())
    assert len(first) == 17 and first[-1] is True  # 4 tables, 5 pages, 6 writes and errors


@pytest.mark.parametrize("name", [f.name for f in fields(Quirks)])
def test_every_quirk_changes_what_is_served(
    name: str, one_server: RunningDatatables, obvious_served: list[Any]
) -> None:
    assert served(one_server, Quirks.only(name)) != obvious_served


@pytest.fixture(scope="module")
def obvious_served(one_server: RunningDatatables) -> list[Any]:
    return served(one_server, Quirks.obvious())


def test_quirk_constructors() -> None:
    names = {f.name for f in fields(Quirks)}
    assert all(getattr(Quirks(), n) for n in names)
    assert not any(getattr(Quirks.obvious(), n) for n in names)
    only = Quirks.only("member_order")
    assert [n for n in sorted(names) if getattr(only, n)] == ["member_order"]
    with pytest.raises(ValueError, match="unknown quirk"):
        Quirks.only("nope")
