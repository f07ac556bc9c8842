"""Platform data tables fault switches (docs/api-contract.md "Emulator switches for platform data
tables"): `datatable_export_failed` and `datatable_import_failed` end the next job Failed with an
errorInformation saying why (an import changes nothing); `datatable_import_row_failures` with
`match=<text>` refuses exactly the rows holding a cell equal to it; the generic `http_429`,
`http_5xx` (path_prefix=/api/v2/flows/datatables), `drop_connection` and `expire_urls` on a
download act as elsewhere; `/admin/stats` shows the jobs with their counts."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from cx_assets.emulator.faults import FAULT_KINDS
from cx_assets_tests.emulator.genesys.conversations.platform_support import client

BASE = "/api/v2/flows/datatables"
CUSTOMERS = "7c2a9f10-2d3e-4f60-9b1c-000000000101"
SKILLS = "7c2a9f10-2d3e-4f60-9b1c-000000000104"
FAST = {"datatable_job_delay_s": 0.0}


def needs(kind: str) -> pytest.MarkDecorator:
    """These kinds must be listed in faults.FaultKind (the lead adds them there)."""
    return pytest.mark.skipif(kind not in FAULT_KINDS, reason=f"faults.py does not list {kind}")


def wait(api: httpx.Client, uri: str) -> dict[str, Any]:
    deadline = time.monotonic() + 10
    while True:
        job = api.get(uri).json()
        if job["status"] != "Processing" or time.monotonic() > deadline:
            return job
        time.sleep(0.02)


def run_import(api: httpx.Client, mode: str, text: str) -> dict[str, Any]:
    job = api.post(f"{BASE}/{SKILLS}/import/csv/jobs", json={"importMode": mode}).json()
    put = httpx.put(job["uploadURI"], content=text.encode(), headers=job["uploadHeaders"])
    assert put.status_code == 200, put.text
    return wait(api, job["selfUri"])


def total(api: httpx.Client, table_id: str = SKILLS) -> int:
    return api.get(f"{BASE}/{table_id}/rows").json()["total"]


@needs("datatable_export_failed")
def test_export_failed(emulator_factory):
    emu = emulator_factory(**FAST)
    api = client(emu)
    emu.add_faults(f"datatable_export_failed:path_prefix={BASE}/{CUSTOMERS}")
    failed = wait(api, api.post(f"{BASE}/{CUSTOMERS}/export/jobs").json()["selfUri"])
    assert failed["status"] == "Failed" and "downloadURI" not in failed
    info = failed["errorInformation"]
    assert (
        "datatable_export_failed" in info["message"] and info["code"] == "datatable.export.failed"
    )
    again = wait(api, api.post(f"{BASE}/{CUSTOMERS}/export/jobs").json()["selfUri"])
    assert again["status"] == "Succeeded"  # count=1 by default
    jobs = emu.stats()["datatable_export_jobs"]
    assert [(j["failed"], j["countRecordsProcessed"]) for j in jobs] == [
        (True, 2500),
        (False, 2500),
    ]


@needs("datatable_import_failed")
def test_import_failed_changes_nothing(emulator_factory):
    emu = emulator_factory(**FAST)
    api = client(emu)
    emu.add_faults("datatable_import_failed")
    job = run_import(api, "ReplaceAll", "key,queue\nonly,Q\n")
    assert job["status"] == "Failed"
    assert "datatable_import_failed" in job["errorInformation"]["message"]
    assert job["countRecordsUpdated"] == job["countRecordsDeleted"] == 0
    assert total(api) == 12
    assert run_import(api, "ReplaceAll", "key,queue\nonly,Q\n")["status"] == "Succeeded"
    stats = emu.stats()["datatable_import_jobs"]
    assert [(j["status"], j["countRecordsDeleted"]) for j in stats] == [
        ("Failed", 0),
        ("Succeeded", 12),
    ]


@needs("datatable_import_row_failures")
def test_import_row_failures_refuse_the_matching_rows(emulator_factory):
    emu = emulator_factory(**FAST)
    api = client(emu)
    emu.add_faults("datatable_import_row_failures:match=POISON,count=2")
    text = "key,queue\nfine-1,Q\nbad-1,POISON\nfine-2,Q\nPOISON,Q\n"
    job = run_import(api, "Append", text)
    assert (job["status"], job["countRecordsUpdated"], job["countRecordsFailed"]) == (
        "Succeeded",
        2,
        2,
    )
    errors = job["errorInformation"]["errors"]
    assert [(e["messageParams"]["row"], e["messageParams"]["field"]) for e in errors] == [
        ("2", "queue"),
        ("4", "key"),
    ]
    assert all("refused" in e["message"] for e in errors)
    # a file without the text neither fires nor uses up the fault; the next one with it does
    assert run_import(api, "Append", "key,queue\nclean,Q\n")["countRecordsFailed"] == 0
    assert run_import(api, "Append", "key,queue\nbad-2,POISON\n")["status"] == "Failed"


def test_http_429_and_5xx_on_data_table_paths(emulator_factory):
    emu = emulator_factory(**FAST)
    api = client(emu)
    emu.add_faults(f"http_429:count=1,retry_after=3,path_prefix={BASE}")
    throttled = api.get(BASE)
    assert throttled.status_code == 429 and throttled.headers["Retry-After"] == "3"
    emu.add_faults(f"http_5xx:count=1,status=502,path_prefix={BASE}/{SKILLS}/rows")
    assert api.get(BASE).status_code == 200
    assert api.get(f"{BASE}/{SKILLS}/rows").status_code == 502
    assert api.get(f"{BASE}/{SKILLS}/rows").status_code == 200


def test_a_dropped_download_an_expired_url_and_a_failing_upload(emulator_factory):
    emu = emulator_factory(**FAST)
    api = client(emu)
    job = wait(api, api.post(f"{BASE}/{CUSTOMERS}/export/jobs").json()["selfUri"])
    emu.add_faults("drop_connection:path_prefix=/files/")
    with pytest.raises(httpx.HTTPError):
        httpx.get(job["downloadURI"])
    assert httpx.get(job["downloadURI"]).text.count("\r\n") == 2501
    emu.add_faults(f"expire_urls:path_prefix={BASE}")
    assert httpx.get(api.get(job["selfUri"]).json()["downloadURI"]).status_code == 403
    assert httpx.get(api.get(job["selfUri"]).json()["downloadURI"]).status_code == 200
    created = api.post(f"{BASE}/{SKILLS}/import/csv/jobs", json={"importMode": "Append"}).json()
    emu.add_faults("http_5xx:path_prefix=/uploads/datatables")
    body, headers = b"key\nx\n", created["uploadHeaders"]
    assert httpx.put(created["uploadURI"], content=body, headers=headers).status_code == 503
    assert api.get(created["selfUri"]).json()["status"] == "WaitingForUpload"
    assert httpx.put(created["uploadURI"], content=body, headers=headers).status_code == 200
