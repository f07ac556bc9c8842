"""Contract (against the emulator's data-lake webhook receiver): a day's records go out in
bounded chunks with a stable Idempotency-Key each; a chunk that first fails with a 5xx is
retried by the transport, and the receiver holds every record exactly once, even when the whole
day is sent again."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from cx_assets.cxone.lake_sync import idempotency_key, sync_day
from cx_assets.emulator import EmulatorServer
from cx_assets_tests.cxone.cxone_testkit import webhook_api

pytestmark = pytest.mark.integration

DAY = dt.date(2024, 2, 29)
INGEST = "/lake-webhook/ingest"
RECORDS = [{"id": f"r-{i}", "talkTime": i * 1.5} for i in range(7)]


def stored(emu: EmulatorServer) -> list[dict]:
    response = httpx.get(f"{emu.url}/admin/lake-webhook", timeout=10.0)
    response.raise_for_status()
    return response.json()["batches"]


def test_chunks_arrive_once_after_a_retried_chunk(emulator: EmulatorServer) -> None:
    emulator.add_faults("http_5xx:count=1,path_prefix=/lake-webhook")
    with webhook_api(emulator) as api:
        result = sync_day(api, INGEST, "interactions", DAY, RECORDS, chunk_size=3)
        assert api.stats.retries == 1
    assert [c.records for c in result.chunks] == [3, 3, 1]
    assert result.records == 7
    batches = stored(emulator)
    assert [(b["dataset"], b["partition"], b["chunk"], b["count"]) for b in batches] == [
        ("interactions", "2024-02-29", 0, 3),
        ("interactions", "2024-02-29", 1, 3),
        ("interactions", "2024-02-29", 2, 1),
    ]
    assert [r["id"] for b in batches for r in b["records"]] == [r["id"] for r in RECORDS]
    assert [b["idempotencyKey"] for b in batches] == [c.idempotency_key for c in result.chunks]


def test_sending_a_day_again_stores_nothing_twice(emulator: EmulatorServer) -> None:
    with webhook_api(emulator) as api:
        first = sync_day(api, INGEST, "interactions", DAY, RECORDS, chunk_size=5)
        again = sync_day(api, INGEST, "interactions", DAY, RECORDS, chunk_size=5)
    assert [c.idempotency_key for c in again.chunks] == [c.idempotency_key for c in first.chunks]
    ids = [r["id"] for b in stored(emulator) for r in b["records"]]
    assert sorted(ids) == sorted(r["id"] for r in RECORDS)


def test_keys_change_with_content_day_and_chunk() -> None:
    base = idempotency_key("interactions", DAY, 0, RECORDS[:2])
    assert base == idempotency_key("interactions", DAY, 0, [dict(r) for r in RECORDS[:2]])
    assert base != idempotency_key("interactions", DAY, 1, RECORDS[:2])
    assert base != idempotency_key("interactions", dt.date(2024, 3, 1), 0, RECORDS[:2])
    assert base != idempotency_key("interactions", DAY, 0, [RECORDS[0], {"id": "r-1"}])


def test_bad_chunk_size_is_refused_before_sending(emulator: EmulatorServer) -> None:
    with webhook_api(emulator) as api, pytest.raises(ValueError, match="chunk_size must be"):
        sync_day(api, INGEST, "interactions", DAY, RECORDS, chunk_size=0)
    assert stored(emulator) == []
