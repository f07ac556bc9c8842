"""Data export contract: the tutorial's request (`conversation` / `full`, and the older
`conversations` / `detail`) creates an export, QUEUED → COMPLETED; the manifest is the tutorial's
bare array of `uri, size, format, checksum, partition` (the file's index) records, with the
extras `name` and `recordCount`, whose sizes, checksums and counts match the downloaded bytes;
400s name the field and limit; 404 and 409."""

from __future__ import annotations

import hashlib
import json

import httpx
import pytest

from cx_assets_tests.emulator.support import (
    api_client,
    completed_manifest,
    export_body,
    wait_for_status,
)

#: The request body exactly as the tutorial's example sends it.
TUTORIAL_BODY = {
    "type": "conversation",
    "view": "full",
    "format": "jsonl",
    "startDate": "2024-01-01T00:00:00.000Z",
    "endDate": "2024-01-02T00:00:00.000Z",
}


def test_jsonl_export_lifecycle_and_checksums(emulator):
    client = api_client(emulator)
    created = client.post("/api/v2/dataexports", json=TUTORIAL_BODY)
    assert created.status_code == 202
    export = created.json()
    assert export["id"] and export["status"] == "QUEUED"
    assert export["type"] == "conversation" and export["view"] == "full"
    done = wait_for_status(client, export["id"], "COMPLETED")
    assert done["status"] == "COMPLETED"
    assert done["completedAt"] >= done["createdAt"]

    manifest = client.get(f"/api/v2/dataexports/{export['id']}/files").json()
    [entry] = manifest  # a bare array, as in the tutorial
    assert {"uri", "size", "format", "checksum", "partition"} <= set(entry)
    assert (entry["partition"], entry["format"]) == (0, "jsonl")
    assert entry["name"] == "conversations-2024-01-01-0000.jsonl"
    body = httpx.get(entry["uri"]).content
    assert len(body) == entry["size"]
    assert entry["checksum"] == "sha256:" + hashlib.sha256(body).hexdigest()
    records = [json.loads(line) for line in body.decode().splitlines()]
    assert len(records) == entry["recordCount"] == 40
    assert all(r["startTimestamp"].startswith("2024-01-01T") for r in records)


def test_older_request_values_are_still_accepted(emulator):
    manifest = completed_manifest(api_client(emulator), type="conversations", view="detail")
    assert [f["partition"] for f in manifest] == [0]


def test_csv_export_has_header_and_one_line_per_record(emulator):
    [entry] = completed_manifest(api_client(emulator), fmt="csv")
    assert entry["format"] == "csv" and entry["name"].endswith(".csv")
    lines = httpx.get(entry["uri"]).text.splitlines()
    assert lines[0] == "interactionId,type,startTimestamp,endTimestamp,channelType"
    assert len(lines) - 1 == entry["recordCount"]


def test_window_over_two_days_numbers_the_files_of_both(emulator_factory):
    """Partitions index the export's files in order, across days and split files alike."""
    emu = emulator_factory(max_file_bytes=8 * 1024)
    manifest = completed_manifest(
        api_client(emu), startDate="2024-01-01T00:00:00Z", endDate="2024-01-03T00:00:00Z"
    )
    assert [f["partition"] for f in manifest] == list(range(len(manifest)))
    names = [f["name"] for f in manifest]
    assert names == sorted(names) and len(set(names)) == len(names)
    days = [n.removeprefix("conversations-")[:10] for n in names]
    assert days[0] == "2024-01-01" and days[-1] == "2024-01-02" and len(manifest) > 2


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"colour": "blue"}, "unknown field(s): colour"),
        ({"type": "users"}, "type must be 'conversation' or 'conversations'"),
        ({"view": "summary"}, "view must be 'full' or 'detail'"),
        ({"format": "xml"}, "format must be 'jsonl' or 'csv'"),
        ({"startDate": "yesterday"}, "startDate is not ISO 8601"),
        ({"endDate": "2024-01-02T00:00:00"}, "endDate needs an offset or Z"),
        ({"endDate": "2023-12-31T00:00:00Z"}, "endDate must be after startDate"),
        ({"endDate": "2024-03-01T00:00:00Z"}, "at most 31 days"),
    ],
)
def test_bad_requests_name_the_field_and_limit(emulator, changes, expected):
    response = api_client(emulator).post("/api/v2/dataexports", json=export_body(**changes))
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == 400 and body["code"] == "bad.request"
    assert expected in body["message"]


def test_missing_field_and_non_object_body(emulator):
    client = api_client(emulator)
    body = export_body()
    del body["startDate"]
    missing = client.post("/api/v2/dataexports", json=body)
    assert missing.status_code == 400 and "startDate is required" in missing.json()["message"]
    not_object = client.post("/api/v2/dataexports", json=[1, 2])
    assert not_object.status_code == 400 and "JSON object" in not_object.json()["message"]


def test_unknown_export_is_404(emulator):
    client = api_client(emulator)
    assert client.get("/api/v2/dataexports/no-such-id").status_code == 404
    assert client.get("/api/v2/dataexports/no-such-id/files").status_code == 404


def test_files_before_completion_is_409_naming_the_status(emulator_factory):
    emu = emulator_factory(queue_delay_s=60)
    client = api_client(emu)
    export = client.post("/api/v2/dataexports", json=export_body()).json()
    response = client.get(f"/api/v2/dataexports/{export['id']}/files")
    assert response.status_code == 409
    assert "QUEUED" in response.json()["message"]


def test_export_failed_fault_ends_failed_with_reason(emulator):
    emulator.add_faults("export_failed:count=1")
    client = api_client(emulator)
    failed = client.post("/api/v2/dataexports", json=export_body()).json()
    body = wait_for_status(client, failed["id"], "FAILED")
    assert body["status"] == "FAILED"
    assert "export_failed" in body["statusReason"]
    assert client.get(f"/api/v2/dataexports/{failed['id']}/files").status_code == 409
    # count=1: the next export succeeds
    ok = client.post("/api/v2/dataexports", json=export_body()).json()
    assert wait_for_status(client, ok["id"], "COMPLETED")["status"] == "COMPLETED"
    assert emulator.stats()["exports_created"] == 2
