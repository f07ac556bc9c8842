"""Platform data tables, export and CSV import jobs (docs/api-contract.md "Data tables:
/api/v2/flows/datatables"): an export is a snapshot taken when the job is created, downloaded
through a presigned URL on the emulator's own base URL, and its CSV round-trips every type; an
import waits for a PUT carrying every `uploadHeaders` header (else 403), then Append upserts and
ReplaceAll replaces, counting rows updated, deleted and failed; refused rows are reported one
ErrorBody each, unreadable files fail the job and change nothing, and the row limit counts the
rows the table would hold."""

from __future__ import annotations

import csv
import io
import time
from typing import Any

import httpx

from cx_assets_tests.emulator.genesys.conversations.platform_support import client

BASE = "/api/v2/flows/datatables"
CUSTOMERS = "7c2a9f10-2d3e-4f60-9b1c-000000000101"
VIPS = "7c2a9f10-2d3e-4f60-9b1c-000000000102"
SKILLS = "7c2a9f10-2d3e-4f60-9b1c-000000000104"
FAST = {"datatable_job_delay_s": 0.0}


def wait(api: httpx.Client, uri: str, deadline_s: float = 10.0) -> dict[str, Any]:
    """Poll a job until it leaves Processing/WaitingForUpload (a generous deadline)."""
    deadline = time.monotonic() + deadline_s
    while True:
        job = api.get(uri).json()
        if job["status"] not in ("Processing",) or time.monotonic() > deadline:
            return job
        time.sleep(0.02)


def export(api: httpx.Client, table_id: str) -> tuple[dict[str, Any], list[dict[str, str]]]:
    created = api.post(f"{BASE}/{table_id}/export/jobs")
    assert created.status_code == 200, created.text
    job = wait(api, created.json()["selfUri"])
    assert job["status"] == "Succeeded", job
    download = httpx.get(job["downloadURI"])  # presigned: no bearer
    assert download.status_code == 200 and download.headers["content-type"].startswith("text/csv")
    return job, list(csv.DictReader(io.StringIO(download.content.decode("utf-8"))))


def start_import(api: httpx.Client, table_id: str, mode: str) -> dict[str, Any]:
    created = api.post(f"{BASE}/{table_id}/import/csv/jobs", json={"importMode": mode})
    assert created.status_code == 200, created.text
    job = created.json()
    assert (job["status"], job["importMode"]) == ("WaitingForUpload", mode)
    return job


def run_import(api: httpx.Client, table_id: str, mode: str, text: str) -> dict[str, Any]:
    job = start_import(api, table_id, mode)
    put = httpx.put(job["uploadURI"], content=text.encode("utf-8"), headers=job["uploadHeaders"])
    assert put.status_code == 200, put.text
    return wait(api, job["selfUri"])


def full_rows(api: httpx.Client, table_id: str) -> dict[str, dict[str, Any]]:
    rows: dict[str, dict[str, Any]] = {}
    number = 1
    while True:
        params = {"pageSize": 500, "pageNumber": number, "showbrief": "false"}
        page = api.get(f"{BASE}/{table_id}/rows", params=params).json()
        rows.update({row["key"]: row for row in page["entities"]})
        if "nextUri" not in page:
            return rows
        number += 1


def test_an_export_is_the_table_as_it_was_when_the_job_was_created(emulator_factory):
    api = client(emulator_factory(datatable_job_delay_s=0.4))
    before = full_rows(api, CUSTOMERS)
    created = api.post(f"{BASE}/{CUSTOMERS}/export/jobs").json()
    assert created["status"] == "Processing" and "downloadURI" not in created
    assert api.put(f"{BASE}/{CUSTOMERS}/rows/C-000001", json={"tier": "edited"}).status_code == 200
    assert api.delete(f"{BASE}/{CUSTOMERS}/rows/C-000002").status_code == 204
    assert api.post(f"{BASE}/{CUSTOMERS}/rows", json={"key": "LATE"}).status_code == 200
    assert api.get(created["selfUri"]).json()["status"] == "Processing"
    job = wait(api, created["selfUri"])
    assert job["status"] == "Succeeded" and job["countRecordsProcessed"] == 2500
    assert job["dateCompleted"] >= job["dateCreated"]
    lines = httpx.get(job["downloadURI"]).text
    exported = {row["key"]: row for row in csv.DictReader(io.StringIO(lines))}
    assert exported.keys() == before.keys()
    assert exported["C-000001"]["tier"] == before["C-000001"]["tier"] != "edited"
    assert api.get(f"{BASE}/{CUSTOMERS}/rows").json()["total"] == 2500  # -1 +1 now
    signed = job["downloadURI"]
    assert httpx.get(signed.replace("X-Amz-Signature=", "X-Amz-Signature=0")).status_code == 403
    assert httpx.get(signed.split("?")[0]).status_code == 403


def test_the_export_csv_round_trips_every_type(emulator_factory):
    api = client(emulator_factory(**FAST))
    job, exported = export(api, CUSTOMERS)
    served = full_rows(api, CUSTOMERS)
    assert list(exported[0]) == ["key", "tier", "credit_limit", "discount", "vip"]
    assert len(exported) == len(served) == job["countRecordsProcessed"]
    parse = {
        "credit_limit": int,
        "discount": float,
        "vip": lambda v: {"true": True, "false": False}[v],
    }
    for line in exported:
        row = served[line["key"]]
        for name, text in line.items():
            if text == "":
                assert name not in row  # no value: an empty cell, absent from the JSON map
            else:
                assert parse.get(name, str)(text) == row[name], (name, text)
    assert any(line["discount"] == "" for line in exported)
    again = run_import(api, CUSTOMERS, "ReplaceAll", httpx.get(job["downloadURI"]).text)
    assert (again["status"], again["countRecordsUpdated"]) == ("Succeeded", 2500)
    assert (again["countRecordsDeleted"], again["countRecordsFailed"]) == (0, 0)
    assert "errorInformation" not in again
    assert full_rows(api, CUSTOMERS) == served


def test_append_upserts_and_replace_all_replaces(emulator_factory):
    api = client(emulator_factory(**FAST))
    before = full_rows(api, SKILLS)
    appended = run_import(
        api,
        SKILLS,
        "Append",
        "key,queue,proficiency,weight,active\r\n"
        "billing-en,Q One,1,0.5,true\r\nsales-en,Q Two,2,1,FALSE\r\nnew-skill,Q New,3,,1\r\n",
    )
    assert (appended["status"], appended["countRecordsUpdated"]) == ("Succeeded", 3)
    assert (appended["countRecordsDeleted"], appended["countRecordsFailed"]) == (0, 0)
    after = full_rows(api, SKILLS)
    assert len(after) == len(before) + 1
    assert after["new-skill"] == {
        "key": "new-skill",
        "queue": "Q New",
        "proficiency": 3,
        "active": True,
    }
    assert after["sales-en"]["active"] is False and after["sales-en"]["weight"] == 1.0
    replaced = run_import(api, SKILLS, "ReplaceAll", "key,queue\nonly-one,Q\nonly-two,Q\n")
    assert (replaced["countRecordsUpdated"], replaced["countRecordsDeleted"]) == (2, len(after))
    assert set(full_rows(api, SKILLS)) == {"only-one", "only-two"}
    listing = api.get(f"{BASE}/{SKILLS}/import/jobs", params={"pageSize": 1}).json()
    assert (listing["total"], listing["entities"][0]["id"]) == (2, replaced["id"])
    assert api.get(listing["nextUri"]).json()["entities"][0]["id"] == appended["id"]


def test_the_upload_needs_its_signature_and_every_upload_header(emulator_factory):
    emu = emulator_factory(**FAST)
    api = client(emu)
    job = start_import(api, VIPS, "Append")
    headers: dict[str, str] = job["uploadHeaders"]
    assert headers["Content-Type"] == "text/csv"
    body = b"key,name\n+15550000001,New Caller\n"
    for name in headers:
        missing = {k: v for k, v in headers.items() if k != name}
        assert httpx.put(job["uploadURI"], content=body, headers=missing).status_code == 403
        altered = {**headers, name: headers[name] + "x"}
        refused = httpx.put(job["uploadURI"], content=body, headers=altered)
        assert refused.status_code == 403 and name in refused.json()["message"]
    unsigned = job["uploadURI"].split("?")[0]
    assert httpx.put(unsigned, content=body, headers=headers).status_code == 403
    assert api.get(job["selfUri"]).json()["status"] == "WaitingForUpload"
    assert httpx.put(job["uploadURI"], content=body, headers=headers).status_code == 200
    assert wait(api, job["selfUri"])["countRecordsUpdated"] == 1
    assert httpx.put(job["uploadURI"], content=body, headers=headers).status_code == 409
    assert emu.stats()["events"]["datatable_uploads"] == 1


def test_refused_rows_are_counted_with_one_error_body_each(emulator_factory):
    api = client(emulator_factory(**FAST))
    text = (
        "key,queue,proficiency,weight,active\n"
        "ok-1,Q,1,1.5,true\n"
        "bad-int,Q,high,1,true\n"
        f"{'k' * 257},Q,1,1,true\n"
        "extra,Q,1,1,true,surplus\n"
        ",Q,1,1,true\n"
        "bad-bool,Q,1,1,maybe\n"
        "ok-2,Q,2,2,false\n"
    )
    job = run_import(api, SKILLS, "Append", text)
    assert (job["status"], job["countRecordsUpdated"], job["countRecordsFailed"]) == (
        "Succeeded",
        2,
        5,
    )
    info = job["errorInformation"]
    assert (info["message"], info["code"]) == (
        "5 record(s) failed",
        "datatable.import.records.failed",
    )
    by_row = {e["messageParams"]["row"]: e for e in info["errors"]}
    assert list(by_row) == ["2", "3", "4", "5", "6"]
    assert by_row["2"]["messageParams"] == {"row": "2", "key": "bad-int", "field": "proficiency"}
    assert by_row["2"]["details"] == [{"fieldName": "proficiency", "entityId": "bad-int"}]
    assert by_row["2"]["message"].startswith("row 2 (key 'bad-int'): ")
    assert by_row["3"]["messageParams"]["field"] == "key" and "256" in by_row["3"]["message"]
    assert by_row["6"]["messageParams"]["field"] == "active"
    rows = full_rows(api, SKILLS)
    assert {"ok-1", "ok-2"} <= set(rows) and "bad-int" not in rows


def test_a_file_that_cannot_be_read_fails_the_job_and_changes_nothing(emulator_factory):
    api = client(emulator_factory(**FAST))
    before = full_rows(api, SKILLS)
    files = {
        "no key column": "queue,weight\nQ,1\n",
        "unknown column": "key,colour\na,red\n",
        "not UTF-8": b"key,queue\na,\xff\xfe\n",
        "all rows refused": "key,proficiency\na,x\nb,y\n",
    }
    messages: dict[str, str] = {}
    for reason, content in files.items():
        job = start_import(api, SKILLS, "ReplaceAll")
        data = content if isinstance(content, bytes) else content.encode()
        put = httpx.put(job["uploadURI"], content=data, headers=job["uploadHeaders"])
        assert put.status_code == 200
        done = wait(api, job["selfUri"])
        assert done["status"] == "Failed", reason
        assert done["countRecordsUpdated"] == done["countRecordsDeleted"] == 0
        messages[reason] = done["errorInformation"]["message"]
    assert "'key'" in messages["no key column"]
    assert "'colour'" in messages["unknown column"]
    assert "UTF-8" in messages["not UTF-8"]
    assert messages["all rows refused"] == "2 record(s) failed"
    assert full_rows(api, SKILLS) == before


def test_titles_bom_and_lf_are_read(emulator_factory):
    api = client(emulator_factory(**FAST))
    text = '\ufeffSkill,Queue,Proficiency,Active\n"quoted, skill","Q ""A""",4,True\n'
    job = run_import(api, SKILLS, "Append", text)
    assert job["countRecordsUpdated"] == 1
    row = full_rows(api, SKILLS)["quoted, skill"]
    assert row == {"key": "quoted, skill", "queue": 'Q "A"', "proficiency": 4, "active": True}


def test_the_row_limit_counts_the_rows_the_table_would_hold(emulator_factory):
    api = client(emulator_factory(**FAST, datatable_max_rows=15))
    news = "".join(f"new-{n},Q\n" for n in range(5))
    job = run_import(api, SKILLS, "Append", "key,queue\nbilling-en,Q updated\n" + news)
    assert (job["status"], job["countRecordsUpdated"], job["countRecordsFailed"]) == (
        "Succeeded",
        4,
        2,
    )
    codes = {e["code"] for e in job["errorInformation"]["errors"]}
    assert codes == {"datatable.row.limit.exceeded"}
    assert [e["messageParams"]["row"] for e in job["errorInformation"]["errors"]] == ["5", "6"]
    assert api.get(f"{BASE}/{SKILLS}/rows").json()["total"] == 15
    full = api.post(f"{BASE}/{SKILLS}/rows", json={"key": "one-more"})
    assert full.status_code == 400 and "15" in full.json()["message"]
    too_long = "key,queue\n" + "".join(f"r-{n},Q\n" for n in range(16))
    failed = run_import(api, SKILLS, "ReplaceAll", too_long)
    assert failed["status"] == "Failed" and "16 data rows" in failed["errorInformation"]["message"]
    ok = run_import(
        api, SKILLS, "ReplaceAll", "key,queue\n" + "".join(f"r-{n},Q\n" for n in range(15))
    )
    assert (ok["status"], ok["countRecordsUpdated"], ok["countRecordsDeleted"]) == (
        "Succeeded",
        15,
        15,
    )
