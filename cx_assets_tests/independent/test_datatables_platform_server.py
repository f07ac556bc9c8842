"""The independent data tables server keeps the contract (plain httpx over loopback).

Paging (relative URIs, pageCount, a page past the end), rows with showbrief, permissions
before table ids, export snapshots and their CSV, import Append/ReplaceAll semantics and the
per-row detail, and the presigned upload's header check; with every quirk on and off.
"""

from __future__ import annotations

import base64
import csv
import io
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
import pytest

from cx_assets_tests.independent.datatables_platform_seed import DT, TRICKY_KEY, TRICKY_NOTE
from cx_assets_tests.independent.datatables_platform_server import (
    VIEW,
    DataTablesServer,
    Quirks,
    serve_datatables,
)
from cx_assets_tests.independent.genesys_platform_server import RunningServer

pytestmark = pytest.mark.integration
ACCOUNTS, ROUTING, EMPTY = (f"5e1f0c3a-0000-4000-8000-00000000a00{i}" for i in (1, 2, 4))
Json = dict[str, Any]


@pytest.fixture(params=["quirks", "obvious"])
def running(request: pytest.FixtureRequest) -> Iterator[RunningServer]:
    server = DataTablesServer()
    server.quirks = Quirks() if request.param == "quirks" else Quirks.obvious()
    with serve_datatables(server) as running:
        yield running


def session(running: RunningServer, client_id: str = "", secret: str = "") -> httpx.Client:
    """An httpx client on the API base with a fresh bearer token."""
    pair = f"{client_id or running.client_id}:{secret or running.client_secret}"
    basic = base64.b64encode(pair.encode()).decode()
    form = {"grant_type": "client_credentials"}
    answer = httpx.post(
        f"{running.url}/oauth/token", data=form, headers={"Authorization": f"Basic {basic}"}
    )
    token = answer.raise_for_status().json()["access_token"]
    return httpx.Client(base_url=running.url, headers={"Authorization": f"Bearer {token}"})


def poll(
    api: httpx.Client, uri: str, waiting: tuple[str, ...] = ("Processing",)
) -> tuple[Json, int]:
    """The job once its status leaves `waiting`, and how many GETs that took."""
    for polls in range(1, 20):
        job = api.get(uri).raise_for_status().json()
        if job["status"] not in waiting:
            return job, polls
    raise AssertionError(f"job {uri} never ended")


def export(api: httpx.Client, table_id: str) -> tuple[Json, list[list[str]], bytes]:
    created = api.post(f"{DT}/{table_id}/export/jobs")
    assert created.is_success and created.json()["status"] == "Processing"
    job, _ = poll(api, created.json()["selfUri"])
    assert job["status"] == "Succeeded", job
    data = httpx.get(job["downloadURI"]).raise_for_status().content
    text = data.decode("utf-8-sig")
    return job, list(csv.reader(io.StringIO(text, newline=""))), data


def import_file(api: httpx.Client, table_id: str, body: str, mode: str = "Append") -> Json:
    created = api.post(f"{DT}/{table_id}/import/csv/jobs", json={"importMode": mode})
    assert created.is_success, created.text
    job = created.json()
    assert job["status"] == "WaitingForUpload"
    put = httpx.put(job["uploadURI"], content=body.encode(), headers=job["uploadHeaders"])
    assert put.status_code == 200 and put.headers["etag"], put.text
    return poll(api, job["selfUri"], ("WaitingForUpload", "Processing"))[0]


def table_rows(api: httpx.Client, table_id: str) -> list[Json]:
    page = api.get(f"{DT}/{table_id}/rows", params={"showbrief": "false", "pageSize": 500})
    return page.raise_for_status().json()["entities"]


def test_tables_page_by_number_with_relative_uris(running: RunningServer) -> None:
    capped = running.quirks.page_size_capped
    with session(running) as api:
        answer = api.get(DT, params={"expand": "schema", "pageSize": 2})
        assert answer.headers["inin-ratelimit-count"] == "1"
        assert {"inin-ratelimit-allowed", "inin-ratelimit-reset"} <= set(answer.headers)
        first = answer.json()
        assert (first["pageNumber"], first["pageSize"], first["total"]) == (1, 2, 5)
        assert first["pageCount"] == 3 and "previousUri" not in first
        assert first["nextUri"].startswith(DT + "?") and "expand=schema" in first["nextUri"]
        seen = [t["id"] for t in first["entities"]]
        page = first
        while "nextUri" in page:
            page = api.get(page["nextUri"]).json()
            seen += [t["id"] for t in page["entities"]]
        assert page["pageNumber"] == 3 and "previousUri" in page and len(seen) == 5
        assert api.get(DT, params={"pageNumber": 4, "pageSize": 2}).json()["entities"] == []
        wide = api.get(DT, params={"pageSize": 100}).json()
        assert len(wide["entities"]) == (2 if capped else 5)
        bad = api.get(DT, params={"pageSize": 101})
        assert bad.status_code == 400 and bad.json()["details"][0]["fieldName"] == "pageSize"
        named = api.get(DT, params={"name": "*SWITCH*"}).json()["entities"]
        assert [t["name"] for t in named] == ["Feature Switches"]
        schema = api.get(f"{DT}/{ACCOUNTS}", params={"expand": "schema"}).json()["schema"]
        assert schema["required"] == ["key"] and schema["properties"]["seats"]["type"] == "integer"
        assert "schema" not in api.get(f"{DT}/{ACCOUNTS}").json()
        assert api.get(f"{DT}/no-such-table").status_code == 404


def test_rows_are_brief_by_default_and_keys_may_hold_a_slash(running: RunningServer) -> None:
    with session(running) as api:
        brief = api.get(f"{DT}/{ROUTING}/rows", params={"pageSize": 3}).json()
        assert brief["entities"] == [{"key": "Q-01"}, {"key": "Q-02"}, {"key": "Q-03"}]
        assert brief["pageCount"] == 3 and brief["total"] == 7
        full = table_rows(api, ROUTING)
        assert "enabled" not in full[3] and full[3]["key"] == "Q-04"
        down = api.get(f"{DT}/{ROUTING}/rows", params={"sortOrder": "descending"}).json()
        assert down["entities"][0] == {"key": "Q-07"}
        one = api.get(f"{DT}/{ACCOUNTS}/rows/{quote(TRICKY_KEY, safe='')}?showbrief=false")
        assert one.json()["notes"] == TRICKY_NOTE
        assert api.get(f"{DT}/{ROUTING}/rows", params={"showbrief": "yes"}).status_code == 400
        assert api.get(f"{DT}/{ROUTING}/rows/Q-99").status_code == 404


def test_permissions_come_before_the_table_id(running: RunningServer) -> None:
    running.server.add_client("no-view", "s1", set())
    running.server.add_client("no-delete", "s2", {VIEW, "architect:datatable:edit",
                                                  "architect:datatableRow:add"})  # fmt: skip
    with session(running, "no-view", "s1") as api:
        denied = api.get(f"{DT}/no-such-table")
        assert (
            denied.status_code == 403 and "[architect:datatable:view]" in denied.json()["message"]
        )
        assert ("code" in denied.json()) is not running.quirks.bare_403
    with session(running, "no-delete", "s2") as api:
        replace = api.post(f"{DT}/{ACCOUNTS}/import/csv/jobs", json={"importMode": "ReplaceAll"})
        assert replace.status_code == 403 and "architect:datatableRow:delete" in replace.text
        append = api.post(f"{DT}/{ACCOUNTS}/import/csv/jobs", json={"importMode": "Append"})
        assert append.is_success
        bad = api.post(f"{DT}/{ACCOUNTS}/import/csv/jobs", json={"importMode": "Merge"})
        assert bad.status_code == 400 and bad.json()["details"][0]["fieldName"] == "importMode"


def test_export_is_a_snapshot_in_the_announced_csv(running: RunningServer) -> None:
    quirks = running.quirks
    with session(running) as api:
        created = api.post(f"{DT}/{ACCOUNTS}/export/jobs")
        assert created.status_code == (202 if quirks.create_2xx else 200)
        import_file(api, ACCOUNTS, "key,seats\nA-0004,1\n")  # after the snapshot
        job, polls = poll(api, created.json()["selfUri"])
        assert polls == (4 if quirks.slow_jobs else 1) and job["countRecordsProcessed"] == 5
        assert api.get(f"{DT}/{ROUTING}/export/jobs/{job['id']}").status_code == 404
        url = urlsplit(job["downloadURI"])
        assert url.hostname == ("localhost" if quirks.s3_urls else "127.0.0.1")
        assert httpx.get(job["downloadURI"], headers=api.headers).status_code == 400
        data = httpx.get(job["downloadURI"])
        assert data.headers["content-type"].startswith("text/csv")
        assert data.content.startswith(b"\xef\xbb\xbf") is quirks.bom
        assert (b"\r\n" in data.content) is not quirks.lf_lines
        records = list(csv.reader(io.StringIO(data.content.decode("utf-8-sig"), newline="")))
        header = records[0]
        assert ("Notes, free text" in header) is quirks.title_header
        name = "Seats" if quirks.title_header else "seats"
        rows = {
            r[header.index("Account" if quirks.title_header else "key")]: r for r in records[1:]
        }
        assert set(rows) == {TRICKY_KEY, "A-0002", "A-0003", "A-0004", "A-0005"}
        assert rows["A-0004"][header.index(name)] == ""  # the later import is not in it
        assert rows[TRICKY_KEY][header.index(name)] == (
            "20000.0" if quirks.integer_point_zero else "20000"
        )
        balance = header.index("Open Balance" if quirks.title_header else "open_balance")
        assert rows["A-0002"][balance] == "0.00001" and rows["A-0003"][balance] == "12345678.25"
        assert TRICKY_NOTE in rows[TRICKY_KEY]
        _, empty, _ = export(api, EMPTY)
        assert len(empty) == 1


def test_append_upserts_and_replace_all_leaves_exactly_the_file(running: RunningServer) -> None:
    with session(running) as api:
        body = "key,Priority,weight\nQ-01,5,\nQ-99,1,9.5\nQ-01,4,1.5\n"
        job = import_file(api, ROUTING, body)
        assert job["status"] == "Succeeded" and job["importMode"] == "Append"
        assert (job["countRecordsUpdated"], job["countRecordsDeleted"]) == (3, 0)
        rows = {r["key"]: r for r in table_rows(api, ROUTING)}
        assert rows["Q-01"] == {"key": "Q-01", "priority": 4, "weight": 1.5}  # replaced whole
        assert rows["Q-99"] == {"key": "Q-99", "priority": 1, "weight": 9.5}
        assert len(rows) == 8 and list(rows)[-1] == "Q-99"
        job = import_file(
            api, ROUTING, "\ufeffkey,enabled\r\nQ-02,TRUE\r\n\r\nNEW,0\r\n", "ReplaceAll"
        )
        assert (job["countRecordsUpdated"], job["countRecordsDeleted"]) == (2, 7)
        assert table_rows(api, ROUTING) == [
            {"key": "Q-02", "enabled": True},
            {"key": "NEW", "enabled": False},
        ]
        job = import_file(api, ROUTING, "key,enabled\n", "ReplaceAll")
        assert job["status"] == "Succeeded" and table_rows(api, ROUTING) == []


def test_refused_rows_are_reported_per_row(running: RunningServer) -> None:
    variant = running.quirks.row_detail_variant
    running.server.refuse_cells = {"blocked"}
    with session(running) as api:
        body = (
            'key,contact,level\n+1,ok,2\n+2,"multi\nline",high\n+3,blocked,1\n,nokey,1\n+4,x,3.0\n'
        )
        job = import_file(api, "5e1f0c3a-0000-4000-8000-00000000a003", body)
        assert job["status"] == "Succeeded"
        errors = job["errorInformation"]["errors"]
        rows = [e["messageParams"]["row"] for e in errors]
        strict = running.quirks.strict_cells
        expected = [2, 3, 4, 5] if strict else [2, 3, 4]
        assert rows == (expected if variant else [str(r) for r in expected])
        assert [e["code"] for e in errors][:3] == [
            "invalid.value.type",
            "datatable.row.refused",
            "key.missing",
        ]
        assert job["countRecordsFailed"] == len(expected) and job["countRecordsUpdated"] == 5 - len(
            expected
        )
        job = import_file(api, "5e1f0c3a-0000-4000-8000-00000000a003", "key,contact\n+9,blocked\n")
        assert job["status"] == "Failed" and job["countRecordsUpdated"] == 0
        assert "+9" not in {
            r["key"] for r in table_rows(api, "5e1f0c3a-0000-4000-8000-00000000a003")
        }
        job = import_file(api, ROUTING, "key,colour\nQ-01,red\n")
        assert (
            job["status"] == "Failed"
            and job["errorInformation"]["code"] == "datatable.import.file.invalid"
        )


def test_upload_needs_every_header_value_for_value(running: RunningServer) -> None:
    with session(running) as api:
        job = api.post(f"{DT}/{ROUTING}/import/csv/jobs", json={"importMode": "Append"}).json()
        headers: dict[str, str] = dict(job["uploadHeaders"])
        assert len(headers) >= 3
        name = next(n for n in headers if n.lower() != "content-type")
        wrong = {**headers, name: headers[name] + "x"}
        refused = httpx.put(job["uploadURI"], content=b"key\nQ-50\n", headers=wrong)
        assert refused.status_code == 403 and name in refused.json()["message"]
        missing = {k: v for k, v in headers.items() if k != name}
        assert (
            httpx.put(job["uploadURI"], content=b"key\nQ-50\n", headers=missing).status_code == 403
        )
        with_token = {**headers, "Authorization": api.headers["authorization"]}
        assert (
            httpx.put(job["uploadURI"], content=b"key\nQ-50\n", headers=with_token).status_code
            == 400
        )
        altered = job["uploadURI"].replace("X-Amz-Signature=", "X-Amz-Signature=0")
        assert httpx.put(altered, content=b"key\nQ-50\n", headers=headers).status_code == 403
        chunked = httpx.put(job["uploadURI"], content=iter([b"key\n", b"Q-50\n"]), headers=headers)
        assert chunked.status_code == (411 if running.quirks.upload_needs_length else 200)
        assert api.get(job["selfUri"]).json()["status"] in (
            "WaitingForUpload",
            "Processing",
            "Succeeded",
        )
        again = httpx.put(job["uploadURI"], content=b"key\nQ-50\n", headers=headers)
        assert again.status_code == (200 if running.quirks.upload_needs_length else 409)
        done, _ = poll(api, job["selfUri"], ("WaitingForUpload", "Processing"))
        assert done["status"] == "Succeeded" and done["countRecordsUpdated"] == 1
        listed = api.get(f"{DT}/{ROUTING}/import/jobs").json()
        assert listed["entities"][0]["id"] == job["id"] and listed["total"] == 1
