"""Contract: `register_range` records one CXone export job and its days in one transaction, a
re-run of a day replaces only that day's metrics row, every registration appends a `cxone` /
`export` audit entry (export id, range, counts, integrity, latency, metrics SHA-256) that keeps
the chain intact, and `record_sync` keeps one row per delivered chunk of a day."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from cx_assets.catalog.cxone import (
    CxoneDayRecord,
    CxoneExportRecord,
    CxoneSyncChunk,
    CxoneSyncRecord,
    day_metrics,
    metrics_sha256,
    record_sync,
    register_range,
)
from cx_assets.catalog.queries import audit_chain, query

T0 = dt.datetime(2024, 6, 1, 12, 0, tzinfo=dt.UTC)
D1, D2, D3 = dt.date(2024, 1, 1), dt.date(2024, 1, 2), dt.date(2024, 1, 3)


def export(export_id: str, first: dt.date, last: dt.date, records: int = 30) -> CxoneExportRecord:
    return CxoneExportRecord(
        export_id=export_id,
        range_start=first,
        range_end=last,
        days=(last - first).days + 1,
        records=records,
        pages=2,
        total_reported=records,
        latency_s=1.5,
        requests=6,
        throttled=1,
        created_at=T0,
        finished_at=T0 + dt.timedelta(seconds=2),
    )


def day(export_id: str, when: dt.date, total: int = 10, valid: int = 9) -> CxoneDayRecord:
    return CxoneDayRecord(
        day=when,
        export_id=export_id,
        total=total,
        valid=valid,
        integrity_rate=valid / total if total else 1.0,
        missing_by_field={"agentId": total - valid},
        path=f"/lake/cxone/interactions/date={when}/part.parquet",
        bytes=1234,
        sha256="ab" * 32,
    )


def test_register_range_writes_export_days_and_audit(catalog_path: Path) -> None:
    days = [day("e1", D1), day("e1", D2, total=20, valid=20), day("e1", D3, total=0, valid=0)]
    seq = register_range(catalog_path, export("e1", D1, D3), days, actor="test")
    assert seq == 1
    rows = query(catalog_path, "SELECT export_id, days, records, throttled FROM cxone_exports")
    assert rows.rows == [("e1", 3, 30, 1)]
    stored = day_metrics(catalog_path, D1, D3)
    assert [(d.day, d.total, d.valid) for d in stored] == [(D1, 10, 9), (D2, 20, 20), (D3, 0, 0)]
    assert stored[0].missing_by_field == {"agentId": 1}
    assert stored[0].registered_at is not None
    audit = query(catalog_path, "SELECT flow, action, entity, details FROM audit_log").rows
    flow, action, entity, details = audit[0]
    assert (flow, action, entity) == (
        "cxone",
        "export",
        "cxone/interactions/2024-01-01..2024-01-03",
    )
    details = json.loads(details)
    assert details["export_id"] == "e1"
    assert details["range"] == {"start": "2024-01-01", "end": "2024-01-03"}
    assert (details["records"], details["valid"]) == (30, 29)
    assert details["integrity_rate"] == pytest.approx(29 / 30)
    assert details["latency_s"] == 1.5
    assert details["metrics_sha256"] == metrics_sha256(days)
    assert audit_chain(catalog_path).ok


def test_rerun_of_one_day_replaces_only_that_day(catalog_path: Path) -> None:
    register_range(
        catalog_path, export("e1", D1, D3), [day("e1", d) for d in (D1, D2, D3)], actor="t"
    )
    register_range(catalog_path, export("e2", D2, D2, records=5), [day("e2", D2, 5, 5)], actor="t")
    stored = {d.day: (d.export_id, d.total) for d in day_metrics(catalog_path, D1, D3)}
    assert stored == {D1: ("e1", 10), D2: ("e2", 5), D3: ("e1", 10)}
    exports = query(catalog_path, "SELECT export_id FROM cxone_exports ORDER BY 1").rows
    assert exports == [("e1",), ("e2",)]
    chain = audit_chain(catalog_path)
    assert (chain.ok, chain.entries) == (True, 2)


def test_days_outside_the_export_are_refused(catalog_path: Path) -> None:
    with pytest.raises(ValueError, match=r"days \['2024-01-03'\] do not belong to export e1"):
        register_range(catalog_path, export("e1", D1, D2), [day("e1", D3)], actor="t")
    assert (
        not catalog_path.exists() or query(catalog_path, "SELECT * FROM cxone_exports").rows == []
    )


def test_record_sync_replaces_the_days_chunks(catalog_path: Path) -> None:
    def result(sizes: list[int]) -> CxoneSyncRecord:
        chunks = [
            CxoneSyncChunk(
                chunk=i, records=n, idempotency_key=f"key-{i}-{n}", status="sent", sent_at=T0
            )
            for i, n in enumerate(sizes)
        ]
        return CxoneSyncRecord(dataset="interactions", day=D1, chunks=chunks)

    record_sync(catalog_path, result([500, 500, 17]), actor="t")
    record_sync(catalog_path, result([500, 20]), actor="t")
    rows = query(
        catalog_path, "SELECT day, chunk, records, idempotency_key FROM cxone_syncs ORDER BY chunk"
    ).rows
    assert rows == [(D1, 0, 500, "key-0-500"), (D1, 1, 20, "key-1-20")]
    actions = query(catalog_path, "SELECT action FROM audit_log ORDER BY seq").rows
    assert actions == [("sync",), ("sync",)]
