"""Normalise one day's raw conversation export files (JSONL or CSV) into one typed Parquet file.

Engine (chosen by measurement, see MEASURED.md): DuckDB `read_json` with a narrow, explicit
column list, in two stages so memory stays flat in the day's size. `parse_file` reads ONE raw
file into a typed Parquet file of parsed rows (each with its line and reject reason), streaming
under a small memory limit; the export step runs it on each file as soon as the file is
verified, while the others still download (`flows/conversations_files.py`). `merge_parsed`
then reads the day's parsed files, drops duplicates and writes the day's Parquet file and
quarantine, spilling to a temp folder past its limit. `normalise_conversations` runs both over
files already on disk. No schema inference anywhere.

Nothing vanishes. Every input line or CSV record ends up either as a row in the Parquet file or
as a quarantine row with its source file, 1-based line number, reason and raw text. A pre-pass
(`lake/conversations_prepass.py`) numbers every record by its line without parsing JSON in
Python. DuckDB parses each file strictly (fastest); only a file that fails is parsed again with
`ignore_errors`, which turns an unreadable line into an all-NULL row, and the lines that did not
come back are the invalid ones. The rejects are written with their raw text by
`lake/conversations_quarantine.py`; the columns, reasons and records are in
`lake/conversations_schema.py`. This module holds the DuckDB statements and runs them.

Rules: a record needs a non-empty `interactionId` and an ISO 8601 `startTimestamp` with an offset
or `Z` whose UTC day is the partition day; the first occurrence of an `interactionId` (file order,
then line) is kept and later ones are quarantined. A field whose JSON type does not match the
declared column type reads as NULL rather than rejecting the whole record.
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

import duckdb
from pydantic import BaseModel, ConfigDict

from cx_assets.lake.atomic import publish_file, temp_path_for
from cx_assets.lake.conversations_prepass import LINE_KEY, Prepared, prepare
from cx_assets.lake.conversations_quarantine import write_quarantine
from cx_assets.lake.conversations_schema import (
    REASON_BAD_START,
    REASON_DUPLICATE,
    REASON_MISSING_ID,
    REASON_MISSING_START,
    REASON_WRONG_PARTITION,
    NormaliseResult,
    RawFile,
)
from cx_assets.lake.sql_text import sql_literal

#: DuckDB's limit for merging a day (it spills past it): the duplicate check is the only stage
#: that sees the whole day and it spills, so a low limit keeps a 4 GB day as small in memory as
#: a 1 GB one (merge peak 317 MB RSS at 4 GB).
DEFAULT_MEMORY_LIMIT = "256MB"
#: DuckDB's limit for parsing one file: a streaming read_json -> Parquet copy needs little more
#: than its read buffers.
PARSE_MEMORY_LIMIT = "192MB"
# DuckDB sizes its per-thread read buffers from this (2x), so it bounds memory as well as lines.
_MAX_OBJECT_BYTES = 16 * 1024 * 1024
# ISO 8601 date-time with seconds, optional fraction and a mandatory zone (Z or offset): a
# timestamp without a zone is ambiguous, so it is rejected rather than guessed.
_ISO_TS = r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}(:?\d{2})?)"

_JSON_COLUMNS = (
    "{"
    f"'{LINE_KEY}': 'BIGINT', "
    "'interactionId': 'VARCHAR', 'type': 'VARCHAR', "
    "'startTimestamp': 'VARCHAR', 'endTimestamp': 'VARCHAR', "
    "'channel': 'STRUCT(type VARCHAR)', "
    "'queue': 'STRUCT(id VARCHAR, name VARCHAR)', "
    "'wrapUp': 'STRUCT(code VARCHAR, name VARCHAR)', "
    "'durations': 'STRUCT(talkMs BIGINT, holdMs BIGINT, acwMs BIGINT)', "
    "'participants': 'STRUCT(purpose VARCHAR, userId VARCHAR)[]'"
    "}"
)

# Insertion order is kept (DuckDB's default): rows land in the export's order, file by file and
# line by line, as platform days keep the server's page order. A global sort by start time
# could not spill enough to stay under the merge limit on a 4 GB day (out of memory at 256MB
# with 2 threads, 382 MB peak and 5x slower with 1); an export is in start order already.
_SESSION_SQL = """
SET TimeZone = 'UTC';
"""

#: The parsed rows of one file, as `parse_file` writes them and `merge_parsed` reads them.
_PARSED_COLUMNS = """
    source_file VARCHAR, line BIGINT,
    interaction_id VARCHAR, type VARCHAR, channel VARCHAR,
    start_time TIMESTAMPTZ, end_time TIMESTAMPTZ,
    queue_id VARCHAR, queue_name VARCHAR, wrap_up_code VARCHAR, wrap_up_name VARCHAR,
    talk_ms BIGINT, hold_ms BIGINT, acw_ms BIGINT,
    participant_count INTEGER, agent_ids VARCHAR[], reason VARCHAR
"""

# COPY takes no prepared parameters: @DAY@, @NAME@ and @PATH@ are replaced by SQL literals of
# values we chose (the partition day, a verified file's name and our own path).
_PARSE_SQL = f"""
SELECT * EXCLUDE (start_raw),
    CASE
        WHEN line IS NULL THEN NULL
        WHEN interaction_id IS NULL OR trim(interaction_id) = '' THEN '{REASON_MISSING_ID}'
        WHEN start_raw IS NULL THEN '{REASON_MISSING_START}'
        WHEN start_time IS NULL THEN '{REASON_BAD_START}'
        WHEN CAST(start_time AS DATE) <> @DAY@ THEN
            '{REASON_WRONG_PARTITION}: starts on ' || CAST(CAST(start_time AS DATE) AS VARCHAR)
            || ', partition is ' || CAST(@DAY@ AS VARCHAR)
    END AS reason
FROM (
    SELECT @NAME@::VARCHAR AS source_file, "{LINE_KEY}"::BIGINT AS line,
        interactionId AS interaction_id, "type" AS type, channel."type" AS channel,
        startTimestamp AS start_raw,
        iso_ts(startTimestamp) AS start_time, iso_ts(endTimestamp) AS end_time,
        queue.id AS queue_id, queue.name AS queue_name,
        wrapUp.code AS wrap_up_code, wrapUp.name AS wrap_up_name,
        durations.talkMs AS talk_ms, durations.holdMs AS hold_ms, durations.acwMs AS acw_ms,
        CAST(len(participants) AS INTEGER) AS participant_count,
        list_transform(
            list_filter(participants, lambda p: p.purpose = 'agent' AND p.userId IS NOT NULL),
            lambda p: p.userId) AS agent_ids
    FROM read_json(@PATH@, format = 'newline_delimited', columns = {_JSON_COLUMNS},
                   ignore_errors = @IGNORE_ERRORS@, maximum_object_size = {_MAX_OBJECT_BYTES})
)
"""

_ISO_MACRO_SQL = f"""
CREATE MACRO iso_ts(s) AS
    CASE WHEN regexp_full_match(s, '{_ISO_TS}') THEN TRY_CAST(s AS TIMESTAMPTZ) END;
"""

_POST_SQL = f"""
CREATE TABLE dups AS
    SELECT interaction_id, min(file_idx::BIGINT * 4294967296 + line) AS keep_key
    FROM parsed WHERE line IS NOT NULL AND reason IS NULL
    GROUP BY interaction_id HAVING count(*) > 1;
CREATE VIEW kept AS
    SELECT p.* FROM parsed p LEFT JOIN dups d USING (interaction_id)
    WHERE p.line IS NOT NULL AND p.reason IS NULL
      AND (d.keep_key IS NULL OR p.file_idx::BIGINT * 4294967296 + p.line = d.keep_key);
CREATE VIEW rejected AS
    SELECT file_idx, line, reason FROM parsed WHERE line IS NOT NULL AND reason IS NOT NULL
    UNION ALL
    SELECT p.file_idx, p.line, '{REASON_DUPLICATE}' FROM parsed p JOIN dups d USING (interaction_id)
    WHERE p.line IS NOT NULL AND p.reason IS NULL
      AND p.file_idx::BIGINT * 4294967296 + p.line <> d.keep_key;
"""

_OUTPUT_SELECT = """
SELECT
    k.interaction_id::VARCHAR AS conversation_id,
    CAST(k.start_time AS DATE) AS conversation_date,
    k.type::VARCHAR AS originating_direction,
    k.channel::VARCHAR AS media_type,
    k.start_time::TIMESTAMPTZ AS start_time,
    k.end_time::TIMESTAMPTZ AS end_time,
    date_diff('millisecond', k.start_time, k.end_time)::BIGINT AS duration_ms,
    NULL::VARCHAR[] AS division_ids,
    k.queue_id::VARCHAR AS queue_id,
    k.queue_name::VARCHAR AS queue_name,
    k.wrap_up_code::VARCHAR AS wrap_up_code,
    k.wrap_up_name::VARCHAR AS wrap_up_name,
    NULL::BIGINT AS handle_ms,
    k.talk_ms::BIGINT AS talk_ms,
    k.hold_ms::BIGINT AS hold_ms,
    k.acw_ms::BIGINT AS acw_ms,
    NULL::BIGINT AS acd_ms,
    NULL::BIGINT AS abandon_ms,
    k.participant_count::INTEGER AS participant_count,
    k.agent_ids::VARCHAR[] AS agent_ids,
    NULL::BOOLEAN AS abandoned,
    'tutorial' AS api_mode,
    @EXPORT_ID@::VARCHAR AS export_id,
    k.source_file::VARCHAR AS source_file
FROM kept k
"""


class ParsedFile(BaseModel):
    """One raw file parsed: its typed rows in `parquet` plus what the pre-pass noted.

    Saved as JSON beside the Parquet file when the export step parses files as they land, so
    the lake step can merge them later (or in another process)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    parquet: Path
    lines: int
    early: list[tuple[int, str]]  # (line, reason) the pre-pass rejected, sorted
    blank: list[int]  # whitespace-only lines skipped
    bytes: int


def parse_file(
    raw: RawFile,
    day: dt.date,
    out_dir: Path,
    *,
    memory_limit: str = PARSE_MEMORY_LIMIT,
    threads: int | None = None,
) -> ParsedFile:
    """Parse `raw` into `out_dir/<name>.parquet` (published by rename) and describe it.

    The line-numbered copy DuckDB reads is scratch in a hidden folder of `out_dir`, removed
    before returning."""
    if raw.format not in ("jsonl", "csv"):
        raise ValueError(f"{raw.name}: format {raw.format!r} is not jsonl or csv")
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{raw.name}.parquet"
    work = Path(tempfile.mkdtemp(dir=out_dir, prefix=".parse-"))
    try:
        prepared = prepare(0, raw, work)
        with duckdb.connect(config=_duckdb_config(work, memory_limit, threads)) as con:
            con.execute(_SESSION_SQL + _ISO_MACRO_SQL)
            query = (
                _PARSE_SQL.replace("@DAY@", f"DATE {sql_literal(day.isoformat())}")
                .replace("@NAME@", sql_literal(raw.name))
                .replace("@PATH@", sql_literal(prepared.annotated))
            )
            tmp = temp_path_for(target)
            try:
                try:
                    # Strict parsing is ~1.8x faster than ignore_errors (measured), so clean
                    # files, the common case, take it; a failed COPY writes nothing usable.
                    _copy(con, query.replace("@IGNORE_ERRORS@", "false"), tmp)
                except duckdb.InvalidInputException:
                    _copy(con, query.replace("@IGNORE_ERRORS@", "true"), tmp)
                publish_file(tmp, target)
            except BaseException:
                tmp.unlink(missing_ok=True)
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return ParsedFile(
        name=raw.name,
        parquet=target,
        lines=prepared.lines,
        early=prepared.early,
        blank=prepared.blank,
        bytes=raw.path.stat().st_size,
    )


def _copy(con: duckdb.DuckDBPyConnection, query: str, tmp: Path) -> None:
    con.execute(f"COPY ({query}) TO {sql_literal(tmp)} (FORMAT parquet, COMPRESSION snappy)")


def merge_parsed(
    files: Sequence[RawFile],
    parsed: Sequence[ParsedFile],
    *,
    export_id: str,
    out_file: Path,
    quarantine_file: Path,
    memory_limit: str = DEFAULT_MEMORY_LIMIT,
    threads: int | None = None,
) -> NormaliseResult:
    """Write the day's conversations to `out_file` (Parquet) and rejects to `quarantine_file`.

    `parsed` holds one entry per raw file of `files` (matched by name; the raw files are read
    again only for the raw text of rejected lines). Both outputs appear atomically (temp name +
    rename); the quarantine file is JSONL (source_file, line, reason, raw), written only when
    something was rejected. Scratch data (DuckDB spill files) lives in a hidden folder beside
    `out_file` and is removed before returning, so `out_file.parent` can be published as is.
    """
    by_name = {p.name: p for p in parsed}
    missing = [f.name for f in files if f.name not in by_name]
    if missing or len(by_name) != len(files):
        raise ValueError(f"parsed files do not match the raw files (missing: {missing})")
    prepared = [
        Prepared(
            idx=idx,
            raw=raw,
            annotated=by_name[raw.name].parquet,
            lines=by_name[raw.name].lines,
            early=list(by_name[raw.name].early),
            blank=list(by_name[raw.name].blank),
        )
        for idx, raw in enumerate(files)
    ]
    out_file.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(dir=out_file.parent, prefix=".normalise-"))
    try:
        with duckdb.connect(config=_duckdb_config(work, memory_limit, threads)) as con:
            con.execute(_SESSION_SQL)
            con.execute(_parsed_view(prepared))
            con.execute(_POST_SQL)
            rows_per_file = _write_parquet(con, out_file, export_id)
            quarantined_per_file, wrote_quarantine = write_quarantine(
                con, prepared, quarantine_file
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    per_file = {
        p.raw.name: (rows_per_file.get(p.idx, 0), quarantined_per_file.get(p.idx, 0))
        for p in prepared
    }
    return NormaliseResult(
        row_count=sum(r for r, _ in per_file.values()),
        quarantined=sum(q for _, q in per_file.values()),
        per_file=per_file,
        out_file=out_file,
        quarantine_file=quarantine_file if wrote_quarantine else None,
        bytes_in=sum(p.bytes for p in parsed),
    )


def normalise_conversations(
    files: Sequence[RawFile],
    *,
    day: dt.date,
    export_id: str,
    out_file: Path,
    quarantine_file: Path,
    memory_limit: str = DEFAULT_MEMORY_LIMIT,
    threads: int | None = None,
) -> NormaliseResult:
    """`parse_file` on each of `files`, then `merge_parsed`: the whole day from files on disk."""
    names = [f.name for f in files]
    if len(set(names)) != len(names):
        raise ValueError(f"raw file names must be unique, got {names}")
    for f in files:
        if f.format not in ("jsonl", "csv"):
            raise ValueError(f"{f.name}: format {f.format!r} is not jsonl or csv")
    out_file.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(dir=out_file.parent, prefix=".parsed-"))
    try:
        parsed = [parse_file(f, day, work, threads=threads) for f in files]
        return merge_parsed(
            files,
            parsed,
            export_id=export_id,
            out_file=out_file,
            quarantine_file=quarantine_file,
            memory_limit=memory_limit,
            threads=threads,
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _parsed_view(prepared: Sequence[Prepared]) -> str:
    """`parsed`: every file's parsed rows with the file's position in the day (`file_idx`)."""
    if not prepared:
        return f"CREATE TABLE parsed (file_idx INTEGER, {_PARSED_COLUMNS})"
    selects = [
        f"SELECT {p.idx}::INTEGER AS file_idx, * FROM read_parquet({sql_literal(p.annotated)})"
        for p in prepared
    ]
    return "CREATE VIEW parsed AS " + " UNION ALL ".join(selects)


def _duckdb_config(work: Path, memory_limit: str, threads: int | None) -> dict[str, str]:
    spill = work / "duckdb-spill"
    spill.mkdir()
    config = {"memory_limit": memory_limit, "temp_directory": str(spill)}
    if threads:
        config["threads"] = str(threads)
    return config


def _write_parquet(
    con: duckdb.DuckDBPyConnection, out_file: Path, export_id: str
) -> dict[int, int]:
    tmp = temp_path_for(out_file)
    select = _OUTPUT_SELECT.replace("@EXPORT_ID@", sql_literal(export_id))
    try:
        con.execute(f"COPY ({select}) TO {sql_literal(tmp)} (FORMAT parquet, COMPRESSION zstd)")
        publish_file(tmp, out_file)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    counts = con.execute("SELECT file_idx, count(*) FROM kept GROUP BY file_idx").fetchall()
    return {int(i): int(n) for i, n in counts}
