"""Contract: `VerifiedExport.from_day_export` records what was verified (names, sizes, checksums,
partitions, attempts, retries) in file order (index partitions numerically, then by name), with
every URI stripped of its query, so the `export.json` kept beside the files carries no presigned
signature; it round-trips through disk, index partitions as integers.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from cx_assets.emulator import EmulatorServer
from cx_assets.genesys.conversations.models import ExportJob, Manifest, ManifestFile
from cx_assets.genesys.conversations.tutorial import (
    DayExport,
    DownloadedFile,
    DownloadReport,
    export_day,
)
from cx_assets.genesys.conversations.verified import RECORD_NAME, VerifiedExport
from cx_assets_tests.genesys.genesys_testkit import DAY, fast_client

BASE = "http://127.0.0.1:8765"
QUERY = "X-Amz-Date=20240101T000000Z&X-Amz-Expires=900&X-Amz-Signature=" + "f" * 64
T0 = dt.datetime(2024, 1, 2, 3, 0, tzinfo=dt.UTC)


def _entry(index: int, fmt: str = "jsonl") -> ManifestFile:
    name = f"conversations-2024-01-01-{index:04d}.{fmt}"
    return ManifestFile(
        uri=f"{BASE}/files/exp-1/{name}?{QUERY}#frag",
        name=name,
        size=100 + index,
        format=fmt,  # type: ignore[arg-type]
        checksum=f"sha256:{index:064x}",
        partition="2024-01-01",
        recordCount=index,
    )


def _day_export(tmp_path: Path, job_format: str | None = "jsonl") -> DayExport:
    entries = [_entry(1), _entry(0)]
    report = DownloadReport(
        files=[
            DownloadedFile(manifest=e, path=tmp_path / e.name, attempts=e.size - 99)
            for e in entries
        ],
        manifest_refreshes=1,
        file_retries=2,
    )
    return DayExport(
        day=DAY,
        job=ExportJob(id="exp-1", status="COMPLETED", format=job_format),
        manifest=Manifest(exportId="exp-1", files=entries),
        report=report,
        requested_at=T0,
        completed_at=T0 + dt.timedelta(seconds=5),
        finished_at=T0 + dt.timedelta(seconds=9),
    )


def _record(export: DayExport) -> VerifiedExport:
    return VerifiedExport.from_day_export(
        export, api_base_url=BASE, is_emulator=True, request_stats={"requests": 7.0}
    )


def test_uris_are_redacted_to_scheme_host_and_path(tmp_path: Path) -> None:
    record = _record(_day_export(tmp_path))
    assert [f.uri for f in record.files] == [
        f"{BASE}/files/exp-1/conversations-2024-01-01-0000.jsonl",
        f"{BASE}/files/exp-1/conversations-2024-01-01-0001.jsonl",
    ]


def test_record_keeps_what_was_verified_in_file_order(tmp_path: Path) -> None:
    record = _record(_day_export(tmp_path))
    assert record.export_id == "exp-1"
    assert record.day == DAY
    assert record.format == "jsonl"
    assert (record.manifest_refreshes, record.file_retries) == (1, 2)
    assert record.request_stats == {"requests": 7.0}
    assert [(f.name, f.size, f.sha256, f.record_count, f.attempts) for f in record.files] == [
        ("conversations-2024-01-01-0000.jsonl", 100, "0" * 64, 0, 1),
        ("conversations-2024-01-01-0001.jsonl", 101, f"{1:064x}", 1, 2),
    ]
    assert record.bytes == 201
    assert (record.requested_at, record.finished_at) == (T0, T0 + dt.timedelta(seconds=9))


def test_index_partitions_are_kept_in_numeric_order_and_round_trip(tmp_path: Path) -> None:
    """The tutorial's records: no name (derived), an integer partition, no recordCount."""
    entries = [
        ManifestFile.model_validate(
            {
                "uri": f"{BASE}/s3/{p}?{QUERY}",
                "size": p,
                "format": "jsonl",
                "checksum": f"sha256:{p:064x}",
                "partition": p,
            }
        )
        for p in (10, 2, 0)
    ]
    export = DayExport(
        day=DAY,
        job=ExportJob(id="exp-2", status="COMPLETED"),
        manifest=Manifest(files=entries),
        report=DownloadReport(
            files=[DownloadedFile(manifest=e, path=tmp_path / e.name, attempts=1) for e in entries]
        ),
        requested_at=T0,
        completed_at=T0,
        finished_at=T0,
    )
    record = _record(export)
    assert [(f.name, f.partition, f.record_count) for f in record.files] == [
        ("partition_0.jsonl", 0, None),
        ("partition_2.jsonl", 2, None),
        ("partition_10.jsonl", 10, None),
    ]
    assert record.format == "jsonl"  # the status named no format: the manifest's
    record.save(tmp_path)
    assert VerifiedExport.load(tmp_path) == record


def test_format_falls_back_to_the_manifest(tmp_path: Path) -> None:
    export = _day_export(tmp_path, job_format=None)
    assert _record(export).format == "jsonl"


def test_saved_record_round_trips_without_a_query_string(tmp_path: Path) -> None:
    record = _record(_day_export(tmp_path))
    record.save(tmp_path)
    text = (tmp_path / RECORD_NAME).read_text()
    assert "?" not in text
    assert "Signature" not in text
    assert "#frag" not in text
    assert VerifiedExport.load(tmp_path) == record


@pytest.mark.integration
def test_record_of_a_real_export_carries_no_signature(
    emulator: EmulatorServer, tmp_path: Path
) -> None:
    dest = tmp_path / "staging"
    with fast_client(emulator) as client:
        export = export_day(client, DAY, dest)
        stats = client.api.stats.as_dict()
    record = VerifiedExport.from_day_export(
        export, api_base_url=emulator.url, is_emulator=True, request_stats=stats
    )
    record.save(dest)
    text = (dest / RECORD_NAME).read_text()
    assert "X-Amz" not in text
    assert all("?" not in f.uri and f.uri.startswith(emulator.url) for f in record.files)
    assert [f.sha256 for f in record.files] == [f.sha256 for f in export.manifest.files]
    assert record.files[0].attempts == 1
