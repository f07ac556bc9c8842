"""The independent GDPR server keeps the contract text (plain httpx over loopback).

Filing and validation, status paths, results URLs in every shape and on every host, zip and
chunked files, listings in every envelope and order, subjects search, permissions, throttling,
the dropped POST, and the admin surface; with the quirks on, off and one at a time.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import json
import re
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest

from cx_assets_tests.independent.genesys_gdpr_server import (
    ADD,
    REQUESTS,
    SUBJECT_VIEW,
    SUBJECTS,
    VIEW,
    GdprServer,
    Quirks,
    RunningServer,
    serve_gdpr,
)
from cx_assets_tests.independent.genesys_gdpr_subjects import PEOPLE

pytestmark = pytest.mark.integration
Json = dict[str, Any]
EXPORT: Json = {"requestType": "GDPR_EXPORT", "subject": {"phoneNumbers": ["+46701234567"]}}
ISO_MS_Z = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


@dataclass
class Api:
    """A running server and an httpx client on it holding a bearer token."""

    running: RunningServer
    http: httpx.Client

    @property
    def server(self) -> GdprServer:
        server: GdprServer = self.running.server  # type: ignore[assignment]
        return server

    def file(self, body: Json | None = None, confirmed: bool = False) -> httpx.Response:
        query = f"?deleteConfirmed={'true' if confirmed else 'false'}"
        return self.http.post(REQUESTS + query, json=EXPORT if body is None else body)

    def poll(self, request_id: str) -> Json:
        answer = self.http.get(f"{REQUESTS}/{request_id}")
        assert answer.status_code == 200, answer.text
        return answer.json()

    def statuses(self, request_id: str) -> list[str]:
        """Every status a poll shows until a terminal one."""
        seen: list[str] = []
        while not seen or seen[-1] not in ("COMPLETED", "ERROR"):
            seen.append(self.poll(request_id)["status"])
            assert len(seen) < 20, seen
        return seen

    def completed(self, body: Json | None = None) -> Json:
        created = self.file(body)
        assert created.is_success, created.text
        self.statuses(created.json()["id"])
        return self.poll(created.json()["id"])


Start = Callable[..., Api]


@pytest.fixture
def start() -> Iterator[Start]:
    """`start(quirks, **attributes)`: a fresh server with those quirks and knobs, and a client."""
    with contextlib.ExitStack() as stack:

        def begin(quirks: Quirks | None = None, **attributes: Any) -> Api:
            server = GdprServer(quirks or Quirks.obvious())
            for name, value in attributes.items():
                assert hasattr(server, name), name
                setattr(server, name, value)
            running = stack.enter_context(serve_gdpr(server))
            http = stack.enter_context(httpx.Client(base_url=running.url, timeout=10))
            http.headers["Authorization"] = f"Bearer {token(running)}"
            return Api(running, http)

        yield begin


def token(running: RunningServer) -> str:
    pair = f"{running.client_id}:{running.client_secret}".encode()
    headers = {"Authorization": f"Basic {base64.b64encode(pair).decode()}"}
    form = {"grant_type": "client_credentials"}
    answer = httpx.post(f"{running.url}/oauth/token", data=form, headers=headers)
    return str(answer.raise_for_status().json()["access_token"])


def urls_of(request: Json) -> list[str]:
    """The union of `resultsUrl` and `resultsUrls`, deduplicated, in order."""
    both = [request.get("resultsUrl"), *request.get("resultsUrls", [])]
    return list(dict.fromkeys(u for u in both if u))


def unknown_keys(value: Any, known: set[str]) -> set[str]:
    """Every `x…` key anywhere in `value` (the server's unknown members all start with x)."""
    if isinstance(value, dict):
        found = {k for k in value if k.startswith("x") and k not in known}
        return found.union(*(unknown_keys(v, known) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(unknown_keys(v, known) for v in value))
    return set()


# ---- filing and status ----------------------------------------------------------------------
def test_obvious_export_is_filed_polled_and_downloaded(start: Start) -> None:
    api = start()
    created = api.file()
    assert created.status_code == 200
    body = created.json()
    assert body["status"] == "INITIATED" and body["requestType"] == "GDPR_EXPORT"
    assert body["subject"] == EXPORT["subject"] and ISO_MS_Z.fullmatch(body["createdDate"])
    assert body["createdBy"]["id"] and body["selfUri"] == f"{REQUESTS}/{body['id']}"
    assert "resultsUrl" not in body and "resultsUrls" not in body
    assert api.statuses(body["id"]) == ["SEARCHING", "COMPLETED"]
    done = api.poll(body["id"])
    assert "resultsUrl" not in done and len(done["resultsUrls"]) == 2
    expected = api.server.result_files(body["id"])
    for url, file in zip(done["resultsUrls"], expected, strict=True):
        assert urlsplit(url).hostname == "127.0.0.1" and "X-Amz-Signature" in url
        got = httpx.get(url)
        assert got.status_code == 200 and got.headers["content-type"] == "application/json"
        assert int(got.headers["content-length"]) == len(got.content)
        assert hashlib.sha256(got.content).hexdigest() == file.sha256
        doc = got.json()
        assert doc["gdprRequestId"] == body["id"] and len(doc["records"]) == 3
    assert api.server.filed_ids == [body["id"]] and api.server.posts == 1


def test_rate_limit_headers_on_every_api_answer(start: Start) -> None:
    api = start()
    answer = api.file()
    assert answer.headers["inin-ratelimit-allowed"] == "300"
    assert answer.headers["inin-ratelimit-count"] == "1"
    assert int(answer.headers["inin-ratelimit-reset"]) >= 1
    assert not [h for h in answer.headers if h.lower().startswith("x-ratelimit")]


@pytest.mark.parametrize(
    ("body", "confirmed", "path"),
    [
        (EXPORT, False, ["SEARCHING", "COMPLETED"]),
        (
            {
                "requestType": "GDPR_UPDATE",
                "subject": {"emailAddresses": ["ada.lindqvist@example.com"]},
                "replacementTerms": [
                    {
                        "type": "EMAIL",
                        "existingValue": "ada.lindqvist@example.com",
                        "updatedValue": "a@b.example",
                    }
                ],
            },
            False,
            ["SEARCHING", "UPDATING", "COMPLETED"],
        ),
        (
            {"requestType": "GDPR_DELETE", "subject": {"name": "Bram Visser"}},
            True,
            ["SEARCHING", "DELETING", "COMPLETED"],
        ),
    ],
)
def test_status_paths_per_type(start: Start, body: Json, confirmed: bool, path: list[str]) -> None:
    api = start()
    created = api.file(body, confirmed)
    assert created.status_code == 200, created.text
    assert api.statuses(created.json()["id"]) == path
    done = api.poll(created.json()["id"])
    has_results = bool(urls_of(done))
    assert has_results == (body["requestType"] == "GDPR_EXPORT")
    if body.get("replacementTerms"):
        assert done["replacementTerms"] == body["replacementTerms"]


def test_all_statuses_pass_through_every_listed_value(start: Start) -> None:
    api = start(Quirks.only("all_statuses"))
    created = api.file({"requestType": "GDPR_DELETE", "subject": {"name": "X"}}, confirmed=True)
    assert created.json()["status"] == "INITIATED"
    every = ["SEARCHING", "UPDATING", "DELETING", "FINALIZING", "COMPLETED"]
    assert api.statuses(created.json()["id"]) == every


@pytest.mark.parametrize(
    ("query", "body", "field"),
    [
        ("", {**EXPORT, "replacementTerms": []}, "replacementTerms"),
        ("", {"requestType": "GDPR_EXPORT", "subject": {}}, "subject"),
        ("", {"requestType": "GDPR_EXPORT", "subject": {"phoneNumbers": [""]}}, "subject"),
        ("", {"requestType": "GDPR_EXPORT", "subject": {"phone": ["+4670"]}}, "subject.phone"),
        ("", {"requestType": "GDPR_EXPORT", "subject": {"phoneNumbers": "+4670"}}, None),
        ("", {"requestType": "GDPR_PURGE", "subject": {"name": "A"}}, "requestType"),
        ("", {**EXPORT, "status": "COMPLETED"}, "status"),
        ("", {"requestType": "GDPR_UPDATE", "subject": {"name": "A"}}, "replacementTerms"),
        ("", {**EXPORT, "subject": {"socialHandle": {"type": "MYSPACE", "value": "a"}}}, None),
        ("?deleteConfirmed=yes", EXPORT, "deleteConfirmed"),
    ],
)
def test_invalid_bodies_are_400_and_file_nothing(
    start: Start, query: str, body: Json, field: str | None
) -> None:
    api = start()
    for quirks in (Quirks.obvious(), Quirks.only("extra_fields", "bare_403")):
        api.server.quirks = quirks
        answer = api.http.post(REQUESTS + query, json=body)
        assert answer.status_code == 400, answer.text
        error = answer.json()
        assert error["status"] == 400 and error["code"] == "bad.request"
        if field and field != "deleteConfirmed":
            assert error["message"] == "Invalid data"
        if field:
            assert error["details"][0]["fieldName"] == field
        assert api.server.filed == []


def test_delete_confirmation_is_a_switch(start: Start) -> None:
    delete = {"requestType": "GDPR_DELETE", "subject": {"name": "Chiara Russo"}}
    strict = start(Quirks.only("delete_needs_confirmation"))
    refused = strict.file(delete)
    assert refused.status_code == 400 and refused.json()["details"][0]["fieldName"]
    assert strict.file(delete, confirmed=True).status_code == 200
    assert [r.delete_confirmed for r in strict.server.filed] == [True]
    lenient = start()
    assert lenient.file(delete).status_code == 200


def test_unknown_request_id_is_404(start: Start) -> None:
    api = start(Quirks())
    answer = api.http.get(f"{REQUESTS}/00000000-0000-4000-8000-000000000000")
    assert answer.status_code == 404 and answer.json()["status"] == 404


def test_create_answers_202_then_201(start: Start) -> None:
    api = start(Quirks.only("create_2xx"))
    assert [api.file().status_code for _ in range(3)] == [202, 201, 202]
    api.server.create_statuses = (201,)
    assert api.file().status_code == 201


# ---- results URLs -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("quirk", "files", "members", "count"),
    [
        (None, 1, {"resultsUrl"}, 1),
        (None, 2, {"resultsUrls"}, 2),
        ("urls_list_only", 1, {"resultsUrls"}, 1),
        ("urls_list_only", 3, {"resultsUrls"}, 3),
        ("url_single_only", 3, {"resultsUrl"}, 1),
        ("url_repeated", 1, {"resultsUrl", "resultsUrls"}, 1),
        ("url_repeated", 2, {"resultsUrl", "resultsUrls"}, 2),
    ],
)
def test_results_url_shapes(
    start: Start, quirk: str | None, files: int, members: set[str], count: int
) -> None:
    api = start(Quirks.only(quirk) if quirk else Quirks.obvious(), results_files=files)
    done = api.completed()
    assert {k for k in done if k.startswith("results")} == members
    if quirk == "url_repeated":
        assert done["resultsUrl"] == done["resultsUrls"][0]
    urls = urls_of(done)
    assert len(urls) == count == len(api.server.result_files(done["id"]))
    records = [r for u in urls for r in httpx.get(u).raise_for_status().json()["records"]]
    assert len(records) == 3 * count


def test_url_shapes_take_turns_when_several_are_on(start: Start) -> None:
    api = start(Quirks.only("urls_list_only", "url_single_only", "url_repeated"))
    shapes = [frozenset(k for k in api.completed() if k.startswith("results")) for _ in range(4)]
    assert shapes == [
        {"resultsUrls"},
        {"resultsUrl"},
        {"resultsUrl", "resultsUrls"},
        {"resultsUrls"},
    ]


def test_presigned_on_the_api_host_ignores_a_bearer_and_expires(start: Start) -> None:
    api = start(results_files=1)
    done = api.completed()
    (url,) = urls_of(done)
    assert api.http.get(url).status_code == 200  # the bearer goes along: ignored
    parts = urlsplit(url)
    tampered = urlunsplit(parts._replace(query=parts.query.replace("X-Amz-Date=", "X-Amz-Date=1")))
    assert httpx.get(tampered).status_code == 403
    api.server.expire_urls()
    assert httpx.get(url).status_code == 403
    (fresh,) = urls_of(api.poll(done["id"]))
    assert fresh != url and httpx.get(fresh).status_code == 200


def test_results_on_the_other_host_refuse_a_bearer(start: Start) -> None:
    api = start(Quirks.only("results_other_host"), results_files=1)
    (url,) = urls_of(api.completed())
    assert urlsplit(url).hostname == "localhost" and "X-Amz-Credential" in url
    assert httpx.get(url).status_code == 200
    leaked = httpx.get(url, headers={"Authorization": "Bearer abc"})
    assert leaked.status_code == 400 and leaked.text.startswith("<?xml")
    assert api.server.bearer_leaks == [urlsplit(url).path]
    on_api_host = url.replace("//localhost:", "//127.0.0.1:")
    assert httpx.get(on_api_host).status_code == 404
    api.server.expire_urls()
    assert httpx.get(url).status_code == 403
    bearers = [(d.host, d.status, d.bearer_sent) for d in api.server.results.downloads]
    assert bearers[:2] == [("localhost", 200, False), ("localhost", 400, True)]


def test_results_on_the_api_host_need_the_bearer(start: Start) -> None:
    api = start(Quirks.only("results_need_bearer"), results_files=1)
    done = api.completed()
    (url,) = urls_of(done)
    assert urlsplit(url).hostname == "127.0.0.1" and "Signature" not in url
    assert httpx.get(url).status_code == 401
    got = api.http.get(url)
    assert got.status_code == 200 and "inin-ratelimit-count" in got.headers
    assert got.content == api.server.result_files(done["id"])[0].data
    api.server.lack(VIEW)
    assert api.http.get(url).status_code == 403
    api.server.lack()
    api.server.expire_urls()
    assert api.http.get(url).status_code == 403
    (fresh,) = urls_of(api.poll(done["id"]))
    assert api.http.get(fresh).status_code == 200


def test_result_hosts_take_turns(start: Start) -> None:
    api = start(Quirks.only("results_other_host", "results_need_bearer"), results_files=1)
    hosts = [urlsplit(urls_of(api.completed())[0]) for _ in range(2)]
    assert [h.hostname for h in hosts] == ["localhost", "127.0.0.1"]
    assert hosts[1].path.startswith(REQUESTS)


def test_zip_results_hold_one_json_document(start: Start) -> None:
    api = start(Quirks.only("zip_results"), results_files=1)
    done = api.completed()
    got = httpx.get(urls_of(done)[0])
    assert got.headers["content-type"] == "application/zip" and got.content[:2] == b"PK"
    with zipfile.ZipFile(io.BytesIO(got.content)) as archive:
        (name,) = archive.namelist()
        doc = json.loads(archive.read(name))
    assert doc["gdprRequestId"] == done["id"] and doc["files"] == 1
    assert got.content == api.server.result_files(done["id"])[0].data  # deterministic


def test_chunked_results_have_no_content_length(start: Start) -> None:
    api = start(Quirks.only("chunked_results"), results_files=1, pad_bytes=100_000)
    done = api.completed()
    with httpx.stream("GET", urls_of(done)[0]) as got:
        assert "content-length" not in got.headers
        assert got.headers["transfer-encoding"] == "chunked"
        data = got.read()
    assert len(data) > 100_000 and data == api.server.result_files(done["id"])[0].data


@pytest.mark.parametrize("quirks", [Quirks.obvious(), Quirks.only("chunked_results")])
def test_truncated_download_breaks_the_connection(start: Start, quirks: Quirks) -> None:
    api = start(quirks, results_files=1)
    (url,) = urls_of(api.completed())
    api.server.truncate_next_downloads()
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.get(url)
    assert httpx.get(url).status_code == 200


# ---- errors, admin, faults --------------------------------------------------------------------
@pytest.mark.parametrize("bare", [True, False])
def test_error_next_ends_in_error(start: Start, bare: bool) -> None:
    api = start(Quirks.only("extra_fields", *(["error_bare"] if bare else [])))
    api.server.error_next()
    failed = api.file().json()["id"]
    assert api.statuses(failed)[-1] == "ERROR"
    body = api.poll(failed)
    assert not urls_of(body)
    assert ("errorMessage" in body) is not bare
    assert bool(unknown_keys(body, set())) is not bare and ("name" in body) is not bare
    assert api.statuses(api.file().json()["id"])[-1] == "COMPLETED"
    assert [r.fate for r in api.server.filed] == ["ERROR", "COMPLETED"]


def test_admin_over_http(start: Start) -> None:
    api = start(Quirks.only("extra_fields"))
    admin = f"{api.running.url}/admin/gdpr"
    assert httpx.post(f"{admin}/error-next", json={"count": 1}).status_code == 200
    api.server.auto_advance = False
    first = api.file().json()["id"]
    second = api.file({"requestType": "GDPR_DELETE", "subject": {"name": "D"}}).json()["id"]
    assert api.poll(first)["status"] == "INITIATED" == api.poll(first)["status"]
    listing = httpx.get(f"{admin}/requests").json()
    assert listing["count"] == 2 and [r["id"] for r in listing["requests"]] == [first, second]
    assert [r["requestType"] for r in listing["requests"]] == ["GDPR_EXPORT", "GDPR_DELETE"]
    assert listing["requests"][0]["subject"] == EXPORT["subject"]
    assert httpx.post(f"{admin}/finish-all").status_code == 200
    assert [api.poll(i)["status"] for i in (first, second)] == ["ERROR", "COMPLETED"]
    lacking = httpx.post(f"{admin}/permissions", json={"lacking": [ADD]})
    assert lacking.json()["permissions"] == sorted([VIEW, SUBJECT_VIEW])
    assert api.file().status_code == 403
    assert httpx.post(f"{admin}/permissions", json={"lacking": ["nope"]}).status_code == 400
    assert httpx.post(f"{admin}/permissions", json={"lacking": []}).status_code == 200
    assert api.file().status_code == 200
    assert httpx.post(f"{admin}/expire-urls").json()["generation"] == 2


def test_finish_all_and_time_steps(start: Start) -> None:
    api = start(auto_advance=False)
    held = api.file().json()["id"]
    assert [api.poll(held)["status"] for _ in range(3)] == ["INITIATED"] * 3
    api.server.finish_all()
    assert api.poll(held)["status"] == "COMPLETED"
    api.server.step_s = 0.05
    timed = api.file().json()["id"]
    time.sleep(0.2)
    assert api.poll(timed)["status"] == "COMPLETED"


@pytest.mark.parametrize(
    ("permission", "call"),
    [
        (ADD, lambda api: api.file()),
        (VIEW, lambda api: api.http.get(REQUESTS)),
        (VIEW, lambda api: api.http.get(f"{REQUESTS}/some-id")),
        (SUBJECT_VIEW, lambda api: api.http.get(SUBJECTS, params={"searchType": "NAME"})),
    ],
)
@pytest.mark.parametrize("bare", [True, False])
def test_missing_permission_is_403_naming_it(
    start: Start, permission: str, call: Callable[[Api], httpx.Response], bare: bool
) -> None:
    api = start(Quirks.only("bare_403") if bare else Quirks.obvious())
    api.server.lack(permission)
    answer = call(api)
    assert answer.status_code == 403 and f"[{permission}]" in answer.json()["message"]
    assert ("code" in answer.json()) is not bare
    assert api.server.filed == []
    api.server.lack()
    assert call(api).status_code != 403


def test_throttle_once_then_success(start: Start) -> None:
    api = start(Quirks.only("throttle_once"), retry_after_s=2)
    throttled = api.file()
    assert throttled.status_code == 429 and throttled.headers["Retry-After"] == "2"
    assert throttled.json()["code"] == "too.many.requests.retry.after"
    assert "[2]" in throttled.json()["message"] and api.server.filed == []
    assert api.file().status_code == 200 and len(api.server.filed) == 1
    assert api.file().status_code == 200


def test_shared_faults_reach_gdpr_paths(start: Start) -> None:
    api = start()
    api.server.add_fault("http_429", path_contains="/api/v2/gdpr", retry_after=1)
    api.server.add_fault("http_5xx", path_contains="/api/v2/gdpr/subjects", status=503)
    assert api.http.get(REQUESTS).status_code == 429
    assert api.http.get(REQUESTS).status_code == 200
    subjects = {"searchType": "NAME", "searchValue": "Ada Lindqvist"}
    assert api.http.get(SUBJECTS, params=subjects).status_code == 503
    assert api.http.get(SUBJECTS, params=subjects).status_code == 200


def test_dropped_create_files_the_request_without_an_answer(start: Start) -> None:
    api = start(Quirks.only("drop_after_create"))
    before = datetime.now().astimezone()
    with pytest.raises(httpx.RemoteProtocolError):
        api.file()
    (lost,) = api.server.filed
    assert lost.dropped and lost.request_type == "GDPR_EXPORT"
    listing = api.http.get(REQUESTS).json()["entities"]
    assert [e["id"] for e in listing] == [lost.id]
    assert datetime.fromisoformat(listing[0]["createdDate"]) >= before.replace(microsecond=0)
    assert api.file().status_code == 200  # only once
    api.server.drop_next()
    with pytest.raises(httpx.RemoteProtocolError):
        api.file()
    assert [r.dropped for r in api.server.filed] == [True, False, True]


# ---- listings ---------------------------------------------------------------------------------
def read_all(api: Api, page_size: int = 25) -> tuple[list[Json], list[Json]]:
    """Every entity (by pageCount when present, else until a short page) and every envelope."""
    entities, pages, number = [], [], 1
    while True:
        page = api.http.get(REQUESTS, params={"pageSize": page_size, "pageNumber": number})
        assert page.status_code == 200, page.text
        body = page.json()
        pages.append(body)
        entities += body["entities"]
        if "pageCount" in body:
            if number >= body["pageCount"]:
                return entities, pages
        elif len(body["entities"]) < body["pageSize"]:
            return entities, pages
        number += 1


@pytest.mark.parametrize(
    ("quirk", "counts"),
    [
        (None, {"total", "pageCount", "lastUri"}),
        ("list_total_only", {"total"}),
        ("list_no_counts", set()),
    ],
)
def test_listing_envelopes(start: Start, quirk: str | None, counts: set[str]) -> None:
    api = start(Quirks.only(quirk) if quirk else Quirks.obvious())
    ids = [api.file().json()["id"] for _ in range(7)]
    entities, pages = read_all(api, page_size=3)
    assert [e["id"] for e in entities] == ids[::-1]  # newest first
    assert len(pages) == 3
    for page in pages:
        assert {"total", "pageCount", "lastUri"} & set(page) == counts
        assert page["pageSize"] == 3 and page["firstUri"].startswith(REQUESTS)
    assert pages[0]["nextUri"].endswith("pageNumber=2") and "previousUri" not in pages[0]
    if counts:
        assert pages[0]["total"] == 7
    if "pageCount" in counts:
        assert pages[0]["pageCount"] == 3
    past = api.http.get(REQUESTS, params={"pageSize": 3, "pageNumber": 9}).json()
    assert past["entities"] == []


def test_listing_with_the_both_count_quirks_has_neither(start: Start) -> None:
    api = start(Quirks.only("list_total_only", "list_no_counts"))
    api.file()
    page = api.http.get(REQUESTS).json()
    assert "total" not in page and "pageCount" not in page


def test_listing_oldest_first_and_page_size_limits(start: Start) -> None:
    api = start(Quirks.only("list_oldest_first"))
    ids = [api.file().json()["id"] for _ in range(3)]
    assert [e["id"] for e in api.http.get(REQUESTS).json()["entities"]] == ids
    too_big = api.http.get(REQUESTS, params={"pageSize": 101})
    assert too_big.status_code == 400 and too_big.json()["details"][0]["fieldName"] == "pageSize"
    assert api.http.get(REQUESTS, params={"pageNumber": 0}).status_code == 400
    assert api.http.get(REQUESTS, params={"pageSize": 100}).status_code == 200


def test_page_size_cap_says_so(start: Start) -> None:
    api = start(Quirks.only("page_size_capped", "list_no_counts"), page_cap=4)
    ids = {api.file().json()["id"] for _ in range(9)}
    first = api.http.get(REQUESTS, params={"pageSize": 500}).json()
    assert first["pageSize"] == 4 and len(first["entities"]) == 4
    entities, pages = read_all(api, page_size=25)
    assert {e["id"] for e in entities} == ids and len(pages) == 3


def test_foreign_requests_are_older_and_in_the_listing(start: Start) -> None:
    api = start(Quirks.only("foreign_requests"))
    mine = api.file().json()["id"]
    entities, pages = read_all(api)
    assert len(entities) == 31 and entities[0]["id"] == mine and len(pages) == 2
    started = api.server.started
    others = [e for e in entities if e["id"] != mine]
    assert all(datetime.fromisoformat(e["createdDate"]) < started for e in others)
    same = [e for e in others if e["subject"] == EXPORT["subject"]]
    assert ("GDPR_EXPORT", "COMPLETED") in {(e["requestType"], e["status"]) for e in same}
    assert {e["status"] for e in others} == {"COMPLETED", "ERROR", "SEARCHING"}
    assert api.server.filed_ids == [mine]
    assert api.poll(others[0]["id"])["id"] == others[0]["id"]
    api.server.quirks = Quirks.obvious()
    assert [e["id"] for e in api.http.get(REQUESTS).json()["entities"]] == [mine]


def test_add_foreign_shows_whatever_the_quirks(start: Start) -> None:
    api = start()
    old = api.server.add_foreign("GDPR_EXPORT", EXPORT["subject"], api.server.started, "SEARCHING")
    assert api.poll(old.id)["status"] == "SEARCHING" == api.poll(old.id)["status"]
    assert api.server.filed == []


# ---- shapes of a request ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("quirks", "pattern"),
    [
        (("created_no_millis",), r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"),
        (("created_offset",), r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00"),
        (("created_no_millis", "created_offset"), r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00"),
    ],
)
def test_created_date_readings(start: Start, quirks: tuple[str, ...], pattern: str) -> None:
    api = start(Quirks.only(*quirks))
    body = api.file().json()
    assert re.fullmatch(pattern, body["createdDate"]), body["createdDate"]
    shown = datetime.fromisoformat(body["createdDate"].replace("Z", "+00:00"))
    filed = api.server.filed[0].created
    assert shown <= filed and (filed - shown).total_seconds() < 1  # truncated, never rounded


def test_created_by_missing(start: Start) -> None:
    api = start(Quirks.only("no_created_by"))
    assert "createdBy" not in api.file().json()
    assert "createdBy" not in api.http.get(REQUESTS).json()["entities"][0]


def test_subject_echo_readings(start: Start) -> None:
    emails = ["Ada@Lindqvist.example", "x@y.example"]
    subject = {"emailAddresses": emails, "phoneNumbers": ["+1", "+2"]}
    body = {"requestType": "GDPR_EXPORT", "subject": subject}
    assert start().file(body).json()["subject"] == subject
    reordered = start(Quirks.only("subject_reordered")).file(body).json()["subject"]
    assert reordered == {"emailAddresses": emails[::-1], "phoneNumbers": ["+2", "+1"]}
    cased = start(Quirks.only("subject_email_case")).file(body).json()["subject"]
    assert cased["emailAddresses"] == ["aDA@lINDQVIST.EXAMPLE", "X@Y.EXAMPLE"]
    assert cased["phoneNumbers"] == subject["phoneNumbers"]


def test_extra_fields_everywhere_and_nowhere(start: Start) -> None:
    quiet = start()
    done = quiet.completed()
    page = quiet.http.get(REQUESTS).json()
    error = quiet.http.get(SUBJECTS).json()
    dara = {"searchType": "NAME", "searchValue": "Dara O'Neill"}
    subjects = quiet.http.get(SUBJECTS, params=dara)
    assert unknown_keys([done, page, error, subjects.json()], set()) == set()
    assert "name" not in done
    loud = start(Quirks.only("extra_fields"))
    done = loud.completed()
    assert {"xIndependentRequest", "xIndependentSubject"} <= unknown_keys(done, set())
    assert "name" in done
    assert "xIndependentPage" in loud.http.get(REQUESTS).json()
    assert "xIndependentError" in loud.http.get(SUBJECTS).json()
    found = loud.http.get(SUBJECTS, params={"searchType": "NAME", "searchValue": "dara o'neill"})
    assert "xIndependentSource" in found.json()["entities"][0]


def test_every_quirk_on_still_serves_a_readable_export(start: Start) -> None:
    api = start(Quirks())
    assert api.file().status_code == 429
    with pytest.raises(httpx.RemoteProtocolError):
        api.file()
    created = api.file()
    assert created.status_code in (201, 202)
    mine = {r.id for r in api.server.filed}
    api.server.finish_all()
    done = api.poll(created.json()["id"])
    assert done["status"] == "COMPLETED" and "createdBy" not in done
    bearer = {"Authorization": api.http.headers["Authorization"]}
    for url in urls_of(done):
        got = httpx.get(url, headers={} if urlsplit(url).hostname == "localhost" else bearer)
        assert got.status_code == 200 and got.content[:2] == b"PK"
    entities, pages = read_all(api, page_size=25)
    assert mine <= {e["id"] for e in entities} and len(entities) == 32
    assert all(p["pageSize"] == 10 for p in pages)


# ---- subjects search --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("search_type", "value", "name"),
    [
        ("EMAIL", "ADA@lindqvist.EXAMPLE", "Ada Lindqvist"),
        ("PHONE", "+31 612 345 678", "Bram Visser"),
        ("NAME", "chiara russo", "Chiara Russo"),
        ("ADDRESS", "1 main street, dublin 2", "Dara O'Neill"),
    ],
)
def test_subjects_search_matches_case_insensitively(
    start: Start, search_type: str, value: str, name: str
) -> None:
    api = start()
    answer = api.http.get(SUBJECTS, params={"searchType": search_type, "searchValue": value})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["total"] == 1 and body["pageCount"] == 1
    (entity,) = body["entities"]
    assert entity["name"] == name
    assert set(entity) == {"name", "emailAddresses", "phoneNumbers", "addresses"}


def test_subjects_search_refusals_and_misses(start: Start) -> None:
    api = start()
    for params in ({"searchValue": "x"}, {"searchType": "SHOE", "searchValue": "x"}):
        answer = api.http.get(SUBJECTS, params=params)
        assert answer.status_code == 400
        assert answer.json()["details"][0]["fieldName"] == "searchType"
    empty = api.http.get(SUBJECTS, params={"searchType": "EMAIL", "searchValue": " "})
    assert empty.status_code == 400 and empty.json()["details"][0]["fieldName"] == "searchValue"
    miss = api.http.get(SUBJECTS, params={"searchType": "EMAIL", "searchValue": "no@one.example"})
    assert miss.status_code == 200 and miss.json()["entities"] == []
    social = {"searchType": "TWITTER", "searchValue": "@ADALIND"}
    assert api.http.get(SUBJECTS, params=social).json()["entities"][0]["name"] == "Ada Lindqvist"
    api.server.quirks = Quirks.only("basic_search_types_only")
    assert api.http.get(SUBJECTS, params=social).status_code == 400
    external = {"searchType": "EXTERNAL_ID", "searchValue": PEOPLE[0].subject["externalId"]}
    assert api.http.get(SUBJECTS, params=external).status_code == 400


def test_subjects_with_extra_members_and_per_source(start: Start) -> None:
    params = {"searchType": "EMAIL", "searchValue": "bram.visser@example.nl"}
    full = start(Quirks.only("subject_extra_members")).http.get(SUBJECTS, params=params).json()
    (entity,) = full["entities"]
    assert {"userId", "externalContactId", "dialerContactId", "socialHandle"} <= set(entity)
    split = start(Quirks.only("subjects_per_source")).http.get(SUBJECTS, params=params).json()
    assert len(split["entities"]) == 2 and split["total"] == 2
    contact, dialer = split["entities"]
    assert "externalContactId" in contact and "phoneNumbers" not in contact
    assert dialer["dialerContactId"]["id"] and "emailAddresses" not in dialer


def test_quirk_helpers() -> None:
    assert not any(vars(Quirks.obvious()).values()) and all(vars(Quirks()).values())
    assert {k for k, v in vars(Quirks.only("zip_results")).items() if v} == {"zip_results"}
    with pytest.raises(ValueError, match="zip_result"):
        Quirks.only("zip_result")
    group = ("urls_list_only", "url_repeated")
    assert [Quirks().take_turn(group, n) for n in (1, 2, 3)] == [*group, group[0]]
    assert Quirks.obvious().take_turn(group, 1) is None
