"""Integrity checks for the conversation export, evaluated where the data was just written."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import dagster as dg
import duckdb

from cx_assets.defs.check_results import nothing_to_compare
from cx_assets.flows.conversations_platform import DATASET, is_final
from cx_assets.genesys.conversations.verified import FILES_DIR, VerifiedExport
from cx_assets.lake.conversation_details_schema import TABLES
from cx_assets.lake.conversations_schema import CONVERSATION_COLUMNS
from cx_assets.lake.parquet_schema import parquet_columns, schema_differences
from cx_assets.lake.sql_text import sql_literal
from cx_assets.lake.verified_download import sha256_file

FILES_MATCH_MANIFEST = "files_match_manifest"
DAY_IS_FINAL = "day_is_final"
SCHEMA_CONFORMS = "schema_conforms"
ROWS_MATCH_FILES = "rows_match_files"
CONVERSATION_ID_UNIQUE = "conversation_id_unique"
#: Each lake table's declared columns; the conversations table is the same in both modes.
EXPECTED_COLUMNS = {**TABLES, DATASET: CONVERSATION_COLUMNS}
#: Ids or file names listed in a check description before the rest are left off.
LISTED_IDS = 10
#: DuckDB's limit for the checks that read a whole day (it spills past it).
CHECK_MEMORY_LIMIT = "192MB"


def for_day(day: dt.date, results: Sequence[dg.AssetCheckResult]) -> list[dg.AssetCheckResult]:
    """The results with their day: `partition` in the metadata and the day opening the
    description. The checks carry no partitions_def (a preview API that warns on every start),
    so this is what ties a result to its day in the UI (docs/decisions.md, "Check results
    name their day")."""
    key = day.isoformat()
    return [
        dg.AssetCheckResult(
            check_name=r.check_name,
            asset_key=r.asset_key,
            passed=r.passed,
            severity=r.severity,
            description=f"{key}: {r.description or ('passed' if r.passed else 'failed')}",
            metadata={"partition": key, **r.metadata},
        )
        for r in results
    ]


def files_match_manifest(raw_dir: Path, record: VerifiedExport) -> dg.AssetCheckResult:
    """Re-hash the published files: proves what is on disk now, not what was streamed."""
    if not record.files:
        return nothing_to_compare(
            FILES_MATCH_MANIFEST,
            f"export {record.export_id} lists no files: nothing to re-hash",
            files_checked=0,
        )
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
        description=(
            f"{len(problems)} of {len(record.files)} file(s) in {raw_dir / FILES_DIR} differ "
            "from the manifest: " + "; ".join(problems)
            if problems
            else f"all {len(record.files)} file(s) match the manifest"
        ),
        metadata={
            "files_checked": len(record.files),
            "bytes_checked": record.bytes,
            "problems": dg.MetadataValue.md("\n".join(f"- {p}" for p in problems) or "none"),
        },
    )


def files_match_manifest_on_disk(raw_dir: Path) -> dg.AssetCheckResult:
    """The check as its own step runs it: the record and the files as they are on disk now."""
    try:
        record = VerifiedExport.load(raw_dir)
    except FileNotFoundError:
        return dg.AssetCheckResult(
            check_name=FILES_MATCH_MANIFEST,
            passed=False,
            description=f"no verified export in {raw_dir}: materialise the export first",
            metadata={"files_checked": 0, "raw_dir": str(raw_dir)},
        )
    return files_match_manifest(raw_dir, record)


def schema_conforms(tables: dict[str, tuple[Path, int]]) -> dg.AssetCheckResult:
    """Every table the day published has exactly its declared columns and types, in order."""
    problems = []
    for name, (path, _rows) in tables.items():
        expected = [(c.name, c.type) for c in EXPECTED_COLUMNS[name]]
        problems += [f"{name}: {p}" for p in schema_differences(parquet_columns(path), expected)]
    return dg.AssetCheckResult(
        check_name=SCHEMA_CONFORMS,
        passed=not problems,
        description="; ".join(problems) or f"all {len(tables)} table(s) as declared",
        metadata={
            "tables_checked": len(tables),
            "columns_expected": len(CONVERSATION_COLUMNS),
            "problems": dg.MetadataValue.md("\n".join(f"- {p}" for p in problems) or "none"),
        },
    )


def conversation_id_unique(parquet_path: Path) -> dg.AssetCheckResult:
    """Each conversation appears once in the day (a duplicate would double every count)."""
    # DuckDB under a memory limit (it spills): a hash set of a 4 GB day's ids in memory cost
    # ~300 MB more than the rest of the run.
    with duckdb.connect(config={"memory_limit": CHECK_MEMORY_LIMIT}) as con:
        source = f"read_parquet({sql_literal(parquet_path)})"
        rows, ids = con.execute(
            f"SELECT count(*), count(DISTINCT conversation_id) FROM {source}"
        ).fetchone() or (0, 0)
        counts = {"rows": int(rows), "ids": int(ids)}
        duplicates = counts["rows"] - counts["ids"]
        repeated = (
            [
                r[0]
                for r in con.execute(
                    f"SELECT conversation_id FROM {source} GROUP BY 1 HAVING count(*) > 1 "
                    f"ORDER BY 1 LIMIT {LISTED_IDS}"
                ).fetchall()
            ]
            if duplicates
            else []
        )
    if not counts["rows"]:
        return nothing_to_compare(
            CONVERSATION_ID_UNIQUE, f"the day has no conversations in {parquet_path}", rows=0
        )
    return dg.AssetCheckResult(
        check_name=CONVERSATION_ID_UNIQUE,
        passed=duplicates == 0,
        description=(
            f"{duplicates} duplicate row(s) in {parquet_path}; repeated ids: "
            + ", ".join(str(i) for i in repeated)
            if duplicates
            else f"{counts['rows']} row(s), each conversation id once"
        ),
        metadata={
            "rows": counts["rows"],
            "distinct_ids": counts["ids"],
            "duplicates": duplicates,
            "repeated_ids": ", ".join(str(i) for i in repeated) or "none",
        },
    )


def day_is_final(record: VerifiedExport) -> dg.AssetCheckResult:
    """WARN while the day ends after the analytics watermark: Genesys may still add or change
    conversations of it (and reprocesses data younger than 48 h), so re-pull it later."""
    if record.data_availability is None:
        return dg.AssetCheckResult(
            check_name=DAY_IS_FINAL,
            passed=False,
            severity=dg.AssetCheckSeverity.WARN,
            description="unknown whether the day is final: tutorial mode has no "
            "data-availability watermark",
            metadata={"note": "tutorial mode has no data-availability watermark: unknown"},
        )
    final = is_final(record.day, record.data_availability)
    watermark = record.data_availability.isoformat()
    return dg.AssetCheckResult(
        check_name=DAY_IS_FINAL,
        passed=final,
        severity=dg.AssetCheckSeverity.WARN,
        description=f"final: analytics data is available up to {watermark}"
        if final
        else f"provisional: analytics data is available only up to {watermark}; "
        "re-materialise this day later",
        metadata={
            "data_availability_date": record.data_availability.isoformat(),
            "status": "final" if final else "provisional: re-materialise this day later",
        },
    )


def rows_match_files(record: VerifiedExport, rows: int, quarantined: int) -> dg.AssetCheckResult:
    """Nothing lost: rows + quarantined == records the files hold (the manifest's counts in
    tutorial mode, the conversations each served page held in platform mode)."""
    declared = [f.record_count for f in record.files]
    accounted = rows + quarantined
    uncounted = [f.name for f, c in zip(record.files, declared, strict=True) if c is None]
    if not record.files or uncounted:
        why = (
            f"the manifest gives no record count for {len(uncounted)} of {len(record.files)} "
            f"file(s) ({', '.join(uncounted[:LISTED_IDS])})"
            if uncounted
            else "the export lists no files"
        )
        return nothing_to_compare(
            ROWS_MATCH_FILES, why, rows_written=rows, rows_quarantined=quarantined
        )
    expected = sum(c for c in declared if c is not None)
    return dg.AssetCheckResult(
        check_name=ROWS_MATCH_FILES,
        passed=accounted == expected,
        description=(
            f"the files hold {expected} record(s) by the manifest, {rows} written + "
            f"{quarantined} quarantined = {accounted}"
        ),
        metadata={
            "records_in_files": expected,
            "rows_written": rows,
            "rows_quarantined": quarantined,
            "unaccounted": expected - accounted,
        },
    )
