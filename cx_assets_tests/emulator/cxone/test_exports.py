"""CXone data-export contract: every create rule answered with a 400 naming the field and limit,
the pending -> processing -> completed lifecycle, json and csv paging that yields exactly
`totalRecords` records without duplicates, stable records per day, a configurable share of
records with absent keys, the `wrong_format` and `export_failed` switches, and `/admin/stats`."""

from __future__ import annotations

import csv
import io
import time

import pytest

from cx_assets.emulator import EmulatorServer
from cx_assets_tests.emulator.cxone.cxone_support import (
    ALL_COLUMNS,
    EXPORTS,
    FAST_CXONE,
    all_json_records,
    completed_export,
    cxone_client,
    export_body,
    wait_finished,
)


@pytest.fixture
def emu(emulator_factory):
    return emulator_factory(**FAST_CXONE)


@pytest.fixture
def client(emu):
    return cxone_client(emu)


@pytest.fixture(scope="module")
def shared_client(tmp_path_factory):
    """One server for the validation cases: they never change its state."""
    with EmulatorServer(state_dir=tmp_path_factory.mktemp("cxone"), **FAST_CXONE) as emu:
        yield cxone_client(emu)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"end": "2024-04-01T00:00:00.000Z"}, "at most 90 days"),  # 91 days
        ({"end": "2024-03-31T00:00:00.001Z"}, "at most 90 days"),  # 90 days + 1 ms
        ({"end": "2023-12-31T00:00:00.000Z"}, "dateRange.end must be after dateRange.start"),
        ({"end": "2024-01-01T00:00:00.000Z"}, "dateRange.end must be after dateRange.start"),
        ({"fmt": "parquet"}, "format must be one of: json, csv, xlsx"),
        ({"columns": ["id"] * 151}, "columns has 151 names; at most 150 are allowed"),
        ({"columns": []}, "columns is required: a list of 1 to 150"),
        ({"columns": ["id", "colour"]}, "unknown column 'colour'"),
        ({"columns": ["id", "id"]}, "columns: id named more than once"),
        ({"filters": {"colour": ["blue"]}}, "filters: unknown field 'colour'"),
        ({"filters": {"medium": "voice"}}, "filters.medium must be a non-empty list"),
        ({"pageSize": 0}, "pageSize must be an integer from 1 to 10000"),
        ({"pageSize": 10_001}, "pageSize must be an integer from 1 to 10000"),
        ({"reportId": "agents"}, "reportId must be one of: interactions"),
        ({"colour": "blue"}, "unknown field 'colour'"),
        ({"start": "2024-01-01T00:00:00Z"}, "dateRange.start must be ISO 8601 UTC with milli"),
        ({"end": "2024-01-02T00:00:00.000"}, "dateRange.end must be ISO 8601 UTC with milli"),
        ({"end": "2024-01-02T00:00:00.000+00:00"}, "dateRange.end must be ISO 8601 UTC"),
        ({"start": "2024-02-30T00:00:00.000Z"}, "dateRange.start is not a real date-time"),
    ],
)
def test_create_refusals_name_field_and_limit(shared_client, changes, expected):
    response = shared_client.post(EXPORTS, json=export_body(**changes))
    assert response.status_code == 400, response.text
    assert expected in response.json()["message"]


def test_non_object_body_and_missing_date_range(shared_client):
    assert shared_client.post(EXPORTS, content=b"[1]").status_code == 400
    body = export_body()
    del body["dateRange"]
    response = shared_client.post(EXPORTS, json=body)
    assert response.status_code == 400
    assert "dateRange is required" in response.json()["message"]


def test_exactly_90_days_is_accepted_and_pages_18000_records(emulator_factory):
    client = cxone_client(emulator_factory(**{**FAST_CXONE, "cxone_records_per_day": 200}))
    export = completed_export(
        client, start="2024-01-01T00:00:00.000Z", end="2024-03-31T00:00:00.000Z"
    )
    assert export["totalRecords"] == 90 * 200
    records, pages = all_json_records(client, export["id"], page_size=5000)
    assert pages == 4 and len(records) == 18_000
    assert len({r["id"] for r in records}) == 18_000
    assert records[0]["startTime"] >= "2024-01-01T" and records[-1]["startTime"] < "2024-03-31T"


def test_status_lifecycle_pending_processing_completed(emulator_factory):
    emu = emulator_factory(cxone_queue_delay_s=0.5, cxone_run_delay_s=1.0)
    client = cxone_client(emu)
    created = client.post(EXPORTS, json=export_body())
    assert created.status_code == 202
    assert created.json()["status"] == "pending"
    export_id = created.json()["id"]
    early = client.get(f"{EXPORTS}/{export_id}/data")
    assert early.status_code == 409 and "data is served once it is completed" in early.text
    seen = []
    deadline = time.monotonic() + 30
    while not seen or (seen[-1] != "completed" and time.monotonic() < deadline):
        body = client.get(f"{EXPORTS}/{export_id}").json()
        if not seen or seen[-1] != body["status"]:
            seen.append(body["status"])
        time.sleep(0.02)
    assert seen == ["pending", "processing", "completed"]
    assert body["reportId"] == "interactions" and body["format"] == "json"
    assert body["dateRange"] == {
        "start": "2024-01-01T00:00:00.000Z",
        "end": "2024-01-02T00:00:00.000Z",
    }
    assert body["totalRecords"] == 200 and body["completedAt"] > body["createdAt"]
    assert "errorMessage" not in body


def test_unknown_export_is_404(client):
    assert client.get(f"{EXPORTS}/nope").status_code == 404
    assert client.get(f"{EXPORTS}/nope/data").status_code == 404


def test_json_paging_collects_every_record_once_with_requested_columns(client):
    columns = ["startTime", "id", "medium", "talkTime"]
    export = completed_export(client, end="2024-01-03T00:00:00.000Z", columns=columns, pageSize=7)
    assert export["totalRecords"] == 60
    records, pages = all_json_records(client, export["id"])
    assert pages == 9  # ceil(60 / 7): the export's own pageSize applies
    assert len(records) == 60 and len({r["id"] for r in records}) == 60
    assert all(list(r) == columns for r in records if len(r) == len(columns))
    starts = [r["startTime"] for r in records if "startTime" in r]
    assert starts == sorted(starts) and starts[0] >= "2024-01-01T" and starts[-1] < "2024-01-03T"
    first = client.get(f"{EXPORTS}/{export['id']}/data", params={"pageSize": 100}).json()
    assert first["totalRecords"] == 60 and first["nextPageToken"] is None


def test_csv_paging_uses_header_row_and_next_page_header(client):
    columns = ["id", "direction", "holdTime"]
    export = completed_export(client, fmt="csv", columns=columns)
    rows: list[dict[str, str]] = []
    token = None
    while True:
        params = {"pageSize": 13, **({"nextPageToken": token} if token else {})}
        response = client.get(f"{EXPORTS}/{export['id']}/data", params=params)
        assert response.headers["content-type"].startswith("text/csv")
        reader = csv.DictReader(io.StringIO(response.text))
        assert reader.fieldnames == columns
        rows.extend(reader)
        token = response.headers.get("X-Next-Page-Token")
        if token is None:
            break
    assert len(rows) == export["totalRecords"] == 30
    assert len({row["id"] for row in rows}) == 30
    assert {row["direction"] for row in rows} <= {"inbound", "outbound", ""}


def test_xlsx_is_accepted_but_not_pageable(client):
    export = completed_export(client, fmt="xlsx")
    response = client.get(f"{EXPORTS}/{export['id']}/data")
    assert response.status_code == 406
    assert "only json and csv" in response.json()["message"]


def test_bad_page_token_and_page_size_are_400(client):
    export = completed_export(client)
    other = completed_export(client)
    token_page = client.get(f"{EXPORTS}/{other['id']}/data", params={"pageSize": 5}).json()
    foreign = client.get(
        f"{EXPORTS}/{export['id']}/data", params={"nextPageToken": token_page["nextPageToken"]}
    )
    assert foreign.status_code == 400 and "nextPageToken" in foreign.json()["message"]
    garbage = client.get(f"{EXPORTS}/{export['id']}/data", params={"nextPageToken": "!!"})
    assert garbage.status_code == 400
    too_big = client.get(f"{EXPORTS}/{export['id']}/data", params={"pageSize": 10_001})
    assert too_big.status_code == 400 and "1 to 10000" in too_big.json()["message"]


def test_same_day_gives_same_records_and_part_of_a_day_a_subset(client):
    first = all_json_records(client, completed_export(client)["id"])[0]
    second = all_json_records(client, completed_export(client)["id"])[0]
    assert first == second
    part = completed_export(
        client, start="2024-01-01T06:00:00.000Z", end="2024-01-01T18:00:00.000Z"
    )
    records = all_json_records(client, part["id"])[0]
    assert 0 < len(records) < len(first)
    assert {r["id"] for r in records} < {r["id"] for r in first}
    assert all("2024-01-01T06" <= r["startTime"] < "2024-01-01T18" for r in records)


def test_filters_keep_only_matching_records(client):
    export = completed_export(client, end="2024-01-04T00:00:00.000Z", filters={"medium": ["voice"]})
    records = all_json_records(client, export["id"])[0]
    assert 0 < len(records) < 90
    assert {r["medium"] for r in records} == {"voice"}


def test_records_are_plausible(client):
    records = all_json_records(client, completed_export(client)["id"])[0]
    complete = [r for r in records if len(r) == len(ALL_COLUMNS)]
    assert complete
    for r in complete:
        assert r["direction"] in ("inbound", "outbound")
        assert r["medium"] in ("voice", "chat", "email", "sms")
        assert r["endTime"] > r["startTime"] and r["startTime"].endswith("Z")
        assert 0 <= r["holdTime"] <= 180 and 0 < r["wrapTime"] <= 120 and 0 < r["talkTime"] <= 600


def test_missing_field_share_follows_the_configured_rate(emulator_factory):
    emu = emulator_factory(
        cxone_queue_delay_s=0.0, cxone_run_delay_s=0.0, cxone_records_per_day=500,
        cxone_missing_rate=0.2,
    )  # fmt: skip
    client = cxone_client(emu)
    export = completed_export(client, end="2024-01-03T00:00:00.000Z")
    records = all_json_records(client, export["id"], page_size=10_000)[0]
    assert len(records) == 1000
    incomplete = [r for r in records if len(r) < len(ALL_COLUMNS)]
    assert 0.15 <= len(incomplete) / len(records) <= 0.25
    assert all("id" in r for r in records)  # the key is never the missing field
    assert all(None not in r.values() for r in records)  # absent keys, not nulls


def test_wrong_format_answers_csv_for_a_json_export_once(emu, client):
    export = completed_export(client)
    emu.add_faults("wrong_format:count=1,path_prefix=/cxone")
    wrong = client.get(f"{EXPORTS}/{export['id']}/data")
    assert wrong.status_code == 200
    assert wrong.headers["content-type"].startswith("text/csv")
    assert wrong.text.startswith(",".join(ALL_COLUMNS))
    right = client.get(f"{EXPORTS}/{export['id']}/data")
    assert right.headers["content-type"] == "application/json"
    assert len(right.json()["data"]) == 30


def test_wrong_format_answers_json_for_a_csv_export(emu, client):
    export = completed_export(client, fmt="csv")
    emu.add_faults("wrong_format:count=1")
    wrong = client.get(f"{EXPORTS}/{export['id']}/data")
    assert wrong.headers["content-type"] == "application/json"
    assert "data" in wrong.json()


def test_export_failed_switch_fails_the_next_export_only(emu, client):
    emu.add_faults("export_failed:count=1,path_prefix=/cxone")
    failed = client.post(EXPORTS, json=export_body())
    body = wait_finished(client, failed.json()["id"])
    assert body["status"] == "failed"
    assert "export_failed" in body["errorMessage"] and "totalRecords" not in body
    data = client.get(f"{EXPORTS}/{body['id']}/data")
    assert data.status_code == 409 and "is failed" in data.json()["message"]
    assert completed_export(client)["status"] == "completed"


def test_admin_stats_lists_cxone_exports_in_creation_order(emu, client):
    first = completed_export(client, fmt="csv")
    second = completed_export(
        client, start="2024-02-01T00:00:00.000Z", end="2024-02-03T00:00:00.000Z"
    )
    listed = emu.stats()["cxone_exports"]
    assert listed == [
        {"id": first["id"], "start": "2024-01-01T00:00:00.000Z",
         "end": "2024-01-02T00:00:00.000Z", "format": "csv", "status": "completed"},
        {"id": second["id"], "start": "2024-02-01T00:00:00.000Z",
         "end": "2024-02-03T00:00:00.000Z", "format": "json", "status": "completed"},
    ]  # fmt: skip


def test_exports_survive_a_restart_with_the_same_records(emu):
    client = cxone_client(emu)
    export = completed_export(client)
    before = all_json_records(client, export["id"])[0]
    emu.restart()
    client = cxone_client(emu)  # tokens live in memory: a restart needs a new one
    assert client.get(f"{EXPORTS}/{export['id']}").json()["status"] == "completed"
    assert all_json_records(client, export["id"])[0] == before
    assert [e["id"] for e in emu.stats()["cxone_exports"]] == [export["id"]]
