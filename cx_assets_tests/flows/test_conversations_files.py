"""Contract: a tutorial-mode day's files parsed while the rest downloads are left for the lake
step with the export id and every file's SHA-256, merged into the same Parquet file and
quarantine as parsing the raw files afterwards, and taken only for exactly those files; a parse
that fails warns, leaves nothing behind and never stops the export."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from pathlib import Path
from typing import Any

import duckdb
import pytest

from cx_assets.flows.conversations_files import FilePreparer, take_parsed
from cx_assets.genesys.conversations.models import ManifestFile
from cx_assets.genesys.conversations.tutorial import DownloadedFile
from cx_assets.genesys.conversations.verified import VerifiedExport, VerifiedFileEntry
from cx_assets.lake.conversations import merge_parsed, normalise_conversations
from cx_assets.lake.conversations_schema import NormaliseResult, RawFile

DAY = dt.date(2024, 1, 1)
NOW = dt.datetime(2024, 1, 2, tzinfo=dt.UTC)
LOG = logging.getLogger("test.conversation_files")


def _record(cid: str, start: str = "2024-01-01T09:00:00Z") -> str:
    return json.dumps({"interactionId": cid, "type": "inbound", "startTimestamp": start})


def _file(folder: Path, n: int, lines: list[str]) -> DownloadedFile:
    path = folder / f"partition_{n}.jsonl"
    path.write_text("\n".join(lines) + "\n")
    content = path.read_bytes()
    manifest = ManifestFile.model_validate(
        {
            "uri": f"http://127.0.0.1:1/files/x/{path.name}",
            "size": len(content),
            "format": "jsonl",
            "checksum": "sha256:" + hashlib.sha256(content).hexdigest(),
            "partition": n,
        }
    )
    return DownloadedFile(manifest=manifest, path=path, attempts=1)


def _verified(export_id: str, files: list[DownloadedFile]) -> VerifiedExport:
    return VerifiedExport(
        export_id=export_id,
        day=DAY,
        format="jsonl",
        api_base_url="http://127.0.0.1:1",
        is_emulator=True,
        requested_at=NOW,
        completed_at=NOW,
        finished_at=NOW,
        manifest_refreshes=0,
        file_retries=0,
        request_stats={},
        files=[
            VerifiedFileEntry(
                name=f.manifest.name,
                format="jsonl",
                size=f.manifest.size,
                sha256=f.manifest.sha256,
                partition=f.manifest.partition,
                record_count=None,
                uri=f.manifest.uri,
                attempts=1,
            )
            for f in files
        ],
    )


def _raws(files: list[DownloadedFile]) -> list[RawFile]:
    return [RawFile(path=f.path, format="jsonl", name=f.manifest.name) for f in files]


def _day(raw: Path) -> list[DownloadedFile]:
    raw.mkdir()
    return [
        _file(raw, 0, [_record("a"), "{not json", _record("b")]),
        # "a" again: the later copy is a duplicate; "c" belongs to another day
        _file(raw, 1, [_record("a"), _record("c", "2024-01-02T00:00:01Z"), _record("d")]),
    ]


def _prepare(tmp_path: Path, export_id: str, files: list[DownloadedFile]) -> bool:
    with FilePreparer(DAY, tmp_path / "work", log=LOG) as preparer:
        for f in reversed(files):  # files land in any order
            preparer.on_file(f)
        return preparer.publish(_verified(export_id, files), tmp_path / "prepared")


def _contents(result: NormaliseResult) -> tuple[list[Any], list[Any]]:
    with duckdb.connect() as con:
        rows = con.execute(
            "SELECT conversation_id, source_file FROM read_parquet(?)", [str(result.out_file)]
        ).fetchall()
    assert result.quarantine_file is not None
    quarantined = [json.loads(line) for line in result.quarantine_file.read_text().splitlines()]
    return rows, [(q["source_file"], q["line"], q["reason"][:20]) for q in quarantined]


def test_files_parsed_while_downloading_merge_like_a_parse_from_raw(tmp_path: Path) -> None:
    files = _day(tmp_path / "raw")
    assert _prepare(tmp_path, "exp-1", files)

    parsed = take_parsed(tmp_path / "prepared", _verified("exp-1", files))
    assert parsed is not None
    merged = merge_parsed(
        _raws(files),
        parsed,
        export_id="exp-1",
        out_file=tmp_path / "merged" / "lake" / "c.parquet",
        quarantine_file=tmp_path / "merged" / "q" / "q.jsonl",
    )
    from_raw = normalise_conversations(
        _raws(files),
        day=DAY,
        export_id="exp-1",
        out_file=tmp_path / "raw-parse" / "lake" / "c.parquet",
        quarantine_file=tmp_path / "raw-parse" / "q" / "q.jsonl",
    )

    assert (merged.row_count, merged.quarantined) == (3, 3)
    assert _contents(merged) == _contents(from_raw)
    rows, quarantined = _contents(merged)
    assert rows == [
        ("a", "partition_0.jsonl"),
        ("b", "partition_0.jsonl"),
        ("d", "partition_1.jsonl"),
    ]
    assert [q[:2] for q in quarantined] == [
        ("partition_0.jsonl", 2),
        ("partition_1.jsonl", 1),
        ("partition_1.jsonl", 2),
    ]
    assert merged.per_file == {"partition_0.jsonl": (2, 1), "partition_1.jsonl": (1, 2)}


@pytest.mark.parametrize("other", ["export", "file"])
def test_parsed_files_of_another_export_or_file_are_removed_not_taken(
    tmp_path: Path, other: str
) -> None:
    files = _day(tmp_path / "raw")
    assert _prepare(tmp_path, "exp-1", files)
    if other == "file":  # the verified copy differs from what was parsed
        files[1] = _file(tmp_path / "raw", 1, [_record("late")])
    record = _verified("exp-2" if other == "export" else "exp-1", files)

    assert take_parsed(tmp_path / "prepared", record) is None
    assert not (tmp_path / "prepared").exists()


def test_a_parse_that_fails_warns_and_leaves_nothing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    files = _day(tmp_path / "raw")
    files[1].path.unlink()  # the parser cannot read it: as if the disk failed under it

    with caplog.at_level(logging.WARNING):
        assert not _prepare(tmp_path, "exp-1", files)

    assert "the export goes on" in caplog.text and "partition_1.jsonl" in caplog.text
    assert not (tmp_path / "prepared").exists()
    assert not any((tmp_path / "work").rglob("*.parquet"))
