"""Integrity checks for the conversation export, evaluated where the data was just written."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from cx_assets.genesys.conversations.verified import FILES_DIR, VerifiedExport
from cx_assets.lake.conversations_schema import CONVERSATION_COLUMNS, NormaliseResult
from cx_assets.lake.parquet_schema import parquet_columns, schema_differences
from cx_assets.lake.verified_download import sha256_file

FILES_MATCH_MANIFEST = "files_match_manifest"
SCHEMA_CONFORMS = "schema_conforms"
ROWS_MATCH_FILES = "rows_match_files"


def files_match_manifest(raw_dir: Path, record: VerifiedExport) -> dg.AssetCheckResult:
    """Re-hash the published files: proves what is on disk now, not what was streamed."""
    problems: list[str] = []
    for entry in record.files:
        path = raw_dir / FILES_DIR / entry.name
        if not path.exists():
            problems.append(f"{entry.name}: missing")
            continue
        size = path.stat().st_size
        if size != entry.size:
            problems.append(f"{entry.name}: size {size}, manifest says {entry.size}")
            continue
        actual = sha256_file(path)
        if actual != entry.sha256:
            problems.append(f"{entry.name}: sha256 {actual}, manifest says {entry.sha256}")
    return dg.AssetCheckResult(
        check_name=FILES_MATCH_MANIFEST,
        passed=not problems,
        metadata={
            "files_checked": len(record.files),
            "bytes_checked": record.bytes,
            "problems": dg.MetadataValue.md("\n".join(f"- {p}" for p in problems) or "none"),
        },
    )


def schema_conforms(parquet_path: Path) -> dg.AssetCheckResult:
    expected = [(c.name, c.type) for c in CONVERSATION_COLUMNS]
    problems = schema_differences(parquet_columns(parquet_path), expected)
    return dg.AssetCheckResult(
        check_name=SCHEMA_CONFORMS,
        passed=not problems,
        metadata={
            "columns_expected": len(expected),
            "problems": dg.MetadataValue.md("\n".join(f"- {p}" for p in problems) or "none"),
        },
    )


def rows_match_files(record: VerifiedExport, result: NormaliseResult) -> dg.AssetCheckResult:
    """Nothing lost: rows + quarantined == records the manifest says the files hold."""
    declared = [f.record_count for f in record.files]
    accounted = result.row_count + result.quarantined
    if any(c is None for c in declared):
        return dg.AssetCheckResult(
            check_name=ROWS_MATCH_FILES,
            passed=True,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={"note": "the manifest gives no record counts", "rows": result.row_count},
        )
    expected = sum(c for c in declared if c is not None)
    return dg.AssetCheckResult(
        check_name=ROWS_MATCH_FILES,
        passed=accounted == expected,
        metadata={
            "records_in_files": expected,
            "rows_written": result.row_count,
            "rows_quarantined": result.quarantined,
            "unaccounted": expected - accounted,
        },
    )
