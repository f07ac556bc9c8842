"""Contract: registering a partition makes it the current state (re-registering replaces, never
duplicates), file URIs are stored without query strings, and a failure leaves only an audit
entry (redacted), never an exports row."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import pytest

from cx_assets.catalog import (
    ExportRecord,
    FileRecord,
    audit_chain,
    export_for,
    files_for,
    query,
    record_failure,
    register_export,
)
from cx_assets_tests.catalog.catalog_testkit import (
    DATASET,
    SOURCE,
    export_record,
    file_records,
)

DAY = "2024-03-01"
KEY = {"source": SOURCE, "dataset": DATASET, "partition_key": DAY}


def test_registered_export_reads_back(catalog_path: Path) -> None:
    record = export_record(DAY, "exp-1")
    register_export(catalog_path, record, file_records(DAY, "exp-1"), actor="run-1")

    stored = export_for(catalog_path, **KEY)
    assert stored is not None
    assert stored.registered_at is not None
    assert dataclasses.replace(stored, registered_at=None) == record
    assert [f.name for f in files_for(catalog_path, **KEY)] == ["part-0.jsonl", "part-1.jsonl"]


def test_reregistering_a_partition_replaces_it(catalog_path: Path) -> None:
    register_export(
        catalog_path, export_record(DAY, "exp-1"), file_records(DAY, "exp-1"), actor="a"
    )
    second = export_record(DAY, "exp-2", row_count=42)
    register_export(catalog_path, second, file_records(DAY, "exp-2", ("only.jsonl",)), actor="b")

    exports = query(catalog_path, "SELECT export_id, row_count FROM exports").rows
    files = query(catalog_path, "SELECT export_id, name FROM export_files").rows
    assert exports == [("exp-2", 42)]
    assert files == [("exp-2", "only.jsonl")]
    audit = query(catalog_path, "SELECT action, details FROM audit_log ORDER BY seq").rows
    assert [a for a, _ in audit] == ["export.registered", "export.registered"]
    assert json.loads(audit[1][1])["replaced_export_id"] == "exp-1"
    assert audit_chain(catalog_path).ok


def test_other_partitions_are_untouched(catalog_path: Path) -> None:
    register_export(
        catalog_path, export_record(DAY, "exp-1"), file_records(DAY, "exp-1"), actor="a"
    )
    other = "2024-03-02"
    register_export(
        catalog_path, export_record(other, "exp-9"), file_records(other, "exp-9"), actor="a"
    )
    register_export(
        catalog_path, export_record(DAY, "exp-2"), file_records(DAY, "exp-2"), actor="a"
    )

    rows = query(catalog_path, "SELECT partition_key, export_id FROM exports ORDER BY 1").rows
    assert rows == [(DAY, "exp-2"), (other, "exp-9")]
    assert query(catalog_path, "SELECT count(*) FROM export_files").rows == [(4,)]


def test_file_uris_are_stored_without_query_strings(catalog_path: Path) -> None:
    files = file_records(DAY, "exp-1")
    register_export(catalog_path, export_record(DAY, "exp-1"), files, actor="a")

    uris = [r[0] for r in query(catalog_path, "SELECT uri FROM export_files ORDER BY name").rows]
    assert uris == [
        "https://files.example.com/exp-1/part-0.jsonl",
        "https://files.example.com/exp-1/part-1.jsonl",
    ]
    dump = (
        query(catalog_path, "SELECT * FROM export_files").rows
        + query(catalog_path, "SELECT details FROM audit_log").rows
    )
    assert "s3cr3t" not in repr(dump)


def test_failure_writes_audit_only_and_keeps_previous_state(catalog_path: Path) -> None:
    register_export(
        catalog_path, export_record(DAY, "exp-1"), file_records(DAY, "exp-1"), actor="a"
    )

    record_failure(
        catalog_path,
        **KEY,
        export_id=None,
        reason="GET https://files.example.com/x?X-Amz-Signature=s3cr3t failed: 503",
        actor="run-2",
    )

    assert query(catalog_path, "SELECT export_id FROM exports").rows == [("exp-1",)]
    last = query(
        catalog_path, "SELECT action, entity, actor, details FROM audit_log ORDER BY seq DESC"
    ).rows[0]
    assert last[:3] == ("export.failed", f"{SOURCE}/{DATASET}/{DAY}", "run-2")
    details = json.loads(last[3])
    assert details["reason"] == "GET https://files.example.com/x failed: 503"
    assert audit_chain(catalog_path).ok


def test_failure_on_fresh_partition_leaves_no_exports_row(catalog_path: Path) -> None:
    record_failure(catalog_path, **KEY, export_id="exp-1", reason="timed out", actor="run-1")

    assert export_for(catalog_path, **KEY) is None
    assert query(catalog_path, "SELECT count(*) FROM audit_log").rows == [(1,)]


def test_request_stats_fill_counters_left_at_zero(catalog_path: Path) -> None:
    record = export_record(
        DAY,
        "exp-1",
        requests=0,
        retries=0,
        throttled=5,
        request_stats={"requests": 12, "retries": 3, "throttled": 9, "server_errors": 1},
    )
    register_export(catalog_path, record, [], actor="a")

    stored = export_for(catalog_path, **KEY)
    assert stored is not None
    assert (stored.requests, stored.retries, stored.throttled) == (12, 3, 5)
    assert stored.request_stats["server_errors"] == 1


def test_bad_input_is_rejected_before_writing(catalog_path: Path) -> None:
    with pytest.raises(ValueError, match="requested_at must be timezone-aware"):
        export_record(DAY, "exp-1", requested_at=dt.datetime(2024, 3, 1))
    with pytest.raises(ValueError, match="partition key"):
        export_record("../../etc", "exp-1")
    with pytest.raises(ValueError, match=r"do not belong to export exp-1"):
        register_export(
            catalog_path, export_record(DAY, "exp-1"), file_records(DAY, "other"), actor="a"
        )
    assert query(catalog_path, "SELECT count(*) FROM exports").rows == [(0,)]


def test_records_strip_secrets_on_construction() -> None:
    file = FileRecord(
        export_id="e",
        source=SOURCE,
        dataset=DATASET,
        partition_key=DAY,
        name="f",
        uri="https://h/p/f.jsonl?sig=s3cr3t#frag",
        size=1,
        sha256="0" * 64,
    )
    record = ExportRecord(
        export_id="e",
        source=SOURCE,
        dataset=DATASET,
        partition_key=DAY,
        status="VERIFIED",
        api_base_url="https://api.example.com/?token=s3cr3t",
    )
    assert file.uri == "https://h/p/f.jsonl"
    assert record.api_base_url == "https://api.example.com/"
