"""Privacy export request contract: each validation rule is a 400 naming the field and limit; the
same requestId with the same body answers the existing request, with another body 409; a request
moves QUEUED -> COMPLETED and its presigned download matches `checksum` and `size`; no
`downloadUrl` without `data:privacy:export`; `export_failed` gives FAILED with a reason; a restart
keeps requests (a finished one stays downloadable, an unfinished one still finishes)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import time
import uuid
from typing import Any

import httpx
import pytest

from cx_assets_tests.emulator.support import api_client, get_token

BASE = "/api/v2/data/privacy/requests"


def privacy_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "requestId": str(uuid.uuid4()),
        "entityType": "user",
        "entityId": "user-42",
        "format": "json",
        "dataTypes": ["profile", "notes"],
        "timeRange": {"start": "2024-01-01T00:00:00Z", "end": "2024-01-15T00:00:00Z"},
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


def wait_until_done(client: httpx.Client, request_id: str) -> dict[str, Any]:
    """Poll until COMPLETED or FAILED; a generous deadline, not a timing assertion."""
    deadline = time.monotonic() + 20
    while True:
        response = client.get(f"{BASE}/{request_id}")
        assert response.status_code == 200, response.text
        body = response.json()
        if body["status"] in ("COMPLETED", "FAILED") or time.monotonic() > deadline:
            return body
        time.sleep(0.02)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"colour": "blue"}, "unknown field(s): colour"),
        ({"requestId": None}, "requestId is required: a UUID"),
        ({"requestId": "not-a-uuid-but-thirty-six-chars-long"}, "requestId is not a UUID"),
        ({"entityType": "tenant"}, "entityType must be one of user, conversation, interaction"),
        ({"entityId": ""}, "entityId must be a string of 1 to 128 characters (got 0 characters)"),
        ({"entityId": "x" * 129}, "entityId must be a string of 1 to 128 characters (got 129"),
        ({"format": "xml"}, "format must be 'json' or 'csv'"),
        ({"dataTypes": []}, "dataTypes must be a non-empty list"),
        ({"dataTypes": ["notes", "notes"]}, "dataTypes must not repeat a type (repeated: notes)"),
        ({"dataTypes": ["transcript"]}, "dataTypes transcript not allowed for entityType user"),
        (
            {"entityType": "interaction", "dataTypes": ["profile"]},
            "allowed: voice, chat, email, social, callback",
        ),
        ({"timeRange": {"start": "2024-01-01T00:00:00Z"}}, "timeRange must be an object"),
        (
            {"timeRange": {"start": "yesterday", "end": "2024-01-02T00:00:00Z"}},
            "timeRange.start is not ISO 8601",
        ),
        (
            {"timeRange": {"start": "2024-01-01T00:00:00Z", "end": "2024-01-02T00:00:00"}},
            "timeRange.end needs an offset or Z",
        ),
        (
            {"timeRange": {"start": "2024-01-02T00:00:00Z", "end": "2024-01-01T00:00:00Z"}},
            "timeRange.end must be after timeRange.start",
        ),
        (
            {"timeRange": {"start": "2024-01-01T00:00:00Z", "end": "2024-01-31T00:00:01Z"}},
            "timeRange must span at most 30 days",
        ),
        ({"callbackUrl": "ftp://example.com/hook"}, "callbackUrl must be an absolute http or"),
        ({"callbackUrl": "/relative/hook"}, "callbackUrl must be an absolute http or https URL"),
    ],
)
def test_each_rule_is_a_400_naming_field_and_limit(emulator, changes, expected):
    response = api_client(emulator).post(BASE, json=privacy_body(**changes))
    assert response.status_code == 400, response.text
    assert expected in response.json()["message"]
    assert "privacy_requests" not in emulator.stats()


def test_thirty_days_exactly_and_uppercase_uuid_are_accepted(emulator):
    request_id = str(uuid.uuid4())
    window = {"start": "2024-01-01T00:00:00+02:00", "end": "2024-01-31T00:00:00+02:00"}
    response = api_client(emulator).post(
        BASE, json=privacy_body(requestId=request_id.upper(), timeRange=window)
    )
    assert response.status_code == 202, response.text
    assert response.json()["requestId"] == request_id


def test_same_body_returns_existing_request_and_other_body_is_409(emulator):
    client = api_client(emulator)
    body = privacy_body()
    first = client.post(BASE, json=body)
    assert first.status_code == 202 and first.json()["status"] == "QUEUED"
    again = client.post(BASE, json=body)
    assert again.status_code == 200
    assert again.json()["requestId"] == body["requestId"]
    assert again.json()["createdAt"] == first.json()["createdAt"]
    other = client.post(BASE, json={**body, "format": "csv"})
    assert other.status_code == 409
    assert body["requestId"] in other.json()["message"] and "format" in other.json()["message"]
    assert emulator.stats()["privacy_requests"] == [body["requestId"]]


def test_json_request_completes_with_a_verified_download(emulator):
    client = api_client(emulator)
    body = privacy_body()
    created = client.post(BASE, json=body).json()
    assert created["status"] == "QUEUED" and "downloadUrl" not in created
    done = wait_until_done(client, body["requestId"])
    assert done["status"] == "COMPLETED", done
    assert done["completedAt"] >= done["createdAt"]
    assert done["checksum"]["algorithm"] == "SHA-256"
    content = httpx.get(done["downloadUrl"]).content  # presigned: no bearer token
    assert len(content) == done["size"]
    assert hashlib.sha256(content).hexdigest() == done["checksum"]["value"]
    document = json.loads(content)
    assert document["requestId"] == body["requestId"]
    assert document["subject"] == {"entityType": "user", "entityId": "user-42"}
    assert document["timeRange"] == body["timeRange"]
    assert sorted(document["data"]) == ["notes", "profile"]
    stamps = [r["timestamp"] for records in document["data"].values() for r in records]
    assert stamps and all("2024-01-01" <= s < "2024-01-15" for s in stamps)
    tampered = done["downloadUrl"].replace("X-Amz-Signature=", "X-Amz-Signature=0")
    assert httpx.get(tampered).status_code == 403


def test_csv_export_has_the_long_columns(emulator):
    client = api_client(emulator)
    body = privacy_body(
        format="csv", entityType="conversation", dataTypes=["transcript", "analytics"]
    )
    client.post(BASE, json=body)
    done = wait_until_done(client, body["requestId"])
    content = httpx.get(done["downloadUrl"]).content
    assert hashlib.sha256(content).hexdigest() == done["checksum"]["value"]
    rows = list(csv.reader(io.StringIO(content.decode())))
    assert rows[0] == ["data_type", "record_id", "field", "value"]
    assert {row[0] for row in rows[1:]} == {"transcript", "analytics"}


def test_no_download_url_without_the_export_scope(emulator):
    body = privacy_body()
    view_only = api_client(emulator, get_token(emulator, "data:privacy:write data:privacy:view"))
    view_only.post(BASE, json=body)
    done = wait_until_done(view_only, body["requestId"])
    assert done["status"] == "COMPLETED"
    assert "downloadUrl" not in done and "expiresAt" not in done
    assert done["size"] > 0  # checksum and size still describe the export
    write_only = api_client(emulator, get_token(emulator, "data:privacy:write"))
    assert write_only.get(f"{BASE}/{body['requestId']}").status_code == 403


def test_unknown_request_is_404(emulator):
    response = api_client(emulator).get(f"{BASE}/{uuid.uuid4()}")
    assert response.status_code == 404


def test_export_failed_fault_gives_failed_with_reason(emulator):
    emulator.add_faults("export_failed:path_prefix=/api/v2/data/privacy")
    client = api_client(emulator)
    failing, fine = privacy_body(), privacy_body()
    client.post(BASE, json=failing)
    client.post(BASE, json=fine)
    failed = wait_until_done(client, failing["requestId"])
    assert failed["status"] == "FAILED"
    assert "export failed" in failed["failureReason"]
    assert "downloadUrl" not in failed and "checksum" not in failed
    assert wait_until_done(client, fine["requestId"])["status"] == "COMPLETED"


def test_status_endpoint_504_and_revoked_token_come_from_the_middleware(emulator):
    client = api_client(emulator)
    body = privacy_body()
    client.post(BASE, json=body)
    emulator.add_faults(f"http_5xx:status=504,path_prefix={BASE}/")
    assert client.get(f"{BASE}/{body['requestId']}").status_code == 504
    emulator.add_faults("revoke_tokens")
    assert client.get(f"{BASE}/{body['requestId']}").status_code == 401
    assert wait_until_done(api_client(emulator), body["requestId"])["status"] == "COMPLETED"


def test_restart_keeps_finished_and_unfinished_requests(emulator_factory):
    emu = emulator_factory(privacy_run_delay_s=0.5)
    client = api_client(emu)
    finished = privacy_body()
    client.post(BASE, json=finished)
    before = wait_until_done(client, finished["requestId"])
    assert before["status"] == "COMPLETED"
    unfinished = privacy_body(format="csv")
    assert client.post(BASE, json=unfinished).status_code == 202

    emu.restart()
    client = api_client(emu)
    after = wait_until_done(client, finished["requestId"])
    assert after["checksum"] == before["checksum"] and after["createdAt"] == before["createdAt"]
    content = httpx.get(after["downloadUrl"]).content
    assert hashlib.sha256(content).hexdigest() == after["checksum"]["value"]
    assert wait_until_done(client, unfinished["requestId"])["status"] == "COMPLETED"
    assert client.post(BASE, json=finished).status_code == 200  # still idempotent
