"""Data-lake webhook receiver contract: `POST /lake-webhook/ingest` stores each batch once per
`Idempotency-Key`, `GET /admin/lake-webhook` shows what was stored (also after a restart),
`DELETE` clears it, bad batches are 400s naming the field, and `http_5xx` makes deliveries fail."""

from __future__ import annotations

import httpx
import pytest


def _batch(chunk: int = 0, records: list | None = None) -> dict:
    records = [{"id": "a", "talkTime": 12.5}, {"id": "b"}] if records is None else records
    return {"dataset": "cxone.interactions", "partition": "2024-01-01", "chunk": chunk,
            "records": records}  # fmt: skip


def _post(emu, body, key: str | None = "key-0") -> httpx.Response:
    headers = {"Idempotency-Key": key} if key is not None else {}
    return httpx.post(f"{emu.url}/lake-webhook/ingest", json=body, headers=headers)


def _stored(emu) -> list[dict]:
    return httpx.get(f"{emu.url}/admin/lake-webhook").json()["batches"]


def test_batches_are_stored_once_per_idempotency_key(emulator):
    first = _post(emulator, _batch())
    assert first.status_code == 200 and first.json() == {"received": 2, "duplicate": False}
    again = _post(emulator, _batch())
    assert again.status_code == 200 and again.json() == {"received": 2, "duplicate": True}
    assert _post(emulator, _batch(chunk=1, records=[{"id": "c"}]), key="key-1").status_code == 200
    assert _stored(emulator) == [
        {"dataset": "cxone.interactions", "partition": "2024-01-01", "chunk": 0,
         "idempotencyKey": "key-0", "count": 2, "records": _batch()["records"]},
        {"dataset": "cxone.interactions", "partition": "2024-01-01", "chunk": 1,
         "idempotencyKey": "key-1", "count": 1, "records": [{"id": "c"}]},
    ]  # fmt: skip


def test_stored_batches_survive_a_restart_and_delete_clears_them(emulator):
    _post(emulator, _batch())
    emulator.restart()
    assert [b["idempotencyKey"] for b in _stored(emulator)] == ["key-0"]
    assert _post(emulator, _batch()).json()["duplicate"] is True  # dedup survives too
    cleared = httpx.delete(f"{emulator.url}/admin/lake-webhook")
    assert cleared.json() == {"batches": [], "cleared": 1}
    assert _stored(emulator) == []
    emulator.restart()
    assert _stored(emulator) == []


@pytest.mark.parametrize(
    ("body", "key", "expected"),
    [
        (_batch(), None, "Idempotency-Key header is required"),
        ([1, 2], "k", "the body must be a JSON object"),
        ({**_batch(), "extra": 1}, "k", "unknown field 'extra'"),
        ({**_batch(), "dataset": ""}, "k", "dataset is required"),
        ({**_batch(), "chunk": -1}, "k", "chunk is required: an integer >= 0"),
        ({**_batch(), "records": [1]}, "k", "records is required: a list of objects"),
    ],
)
def test_bad_deliveries_are_400_and_store_nothing(emulator, body, key, expected):
    response = _post(emulator, body, key=key)
    assert response.status_code == 400
    assert expected in response.json()["message"]
    assert _stored(emulator) == []


def test_http_5xx_switch_fails_deliveries(emulator):
    emulator.add_faults("http_5xx:count=1,path_prefix=/lake-webhook,status=502")
    assert _post(emulator, _batch()).status_code == 502
    assert _stored(emulator) == []
    assert _post(emulator, _batch()).status_code == 200
    assert len(_stored(emulator)) == 1
