"""Normalise one day's raw conversation export files (JSONL or CSV) into one typed Parquet file.

Engine (chosen by measurement, see MEASURED.md): DuckDB `read_json` with a narrow, explicit
column list, in an in-memory database with a memory limit that spills to a temp folder, so a
multi-GB day stays within bounded RAM. No schema inference anywhere.

Nothing vanishes. Every input line or CSV record ends up either as a row in the Parquet file or
as a quarantine row with its source file, 1-based line number, reason and raw text. To know the
line of every record cheaply, a byte-level pre-pass copies each JSONL line with its line number
spliced in as the first member (`{"__cx_line":7,` + the rest) — a textual edit that keeps valid
JSON valid and invalid JSON invalid, costing no JSON parsing in Python (~1.3 GB/s). DuckDB
parses each file strictly (fastest); only a file that fails is parsed again with `ignore_errors`,
which turns an unreadable line into an all-NULL row, and the lines that did not come back are
the invalid ones. Raw text for quarantine rows is collected by a second, streaming walk over the
original files, only when something was rejected.

Rules: a record needs a non-empty `interactionId` and an ISO 8601 `startTimestamp` with an offset
or `Z` whose UTC day is the partition day; the first occurrence of an `interactionId` (file order,
then line) is kept and later ones are quarantined. A field whose JSON type does not match the
declared column type reads as NULL rather than rejecting the whole record.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import heapq
import io
import json
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Literal, NamedTuple

import duckdb

from cx_assets.lake.atomic import atomic_write, publish_file, temp_path_for


class Column(NamedTuple):
    name: str
    type: str  # DuckDB type, canonical spelling
    description: str


#: The lake's `conversations` schema, in file order; checks and the catalog view reuse it.
CONVERSATION_COLUMNS: tuple[Column, ...] = (
    Column("interaction_id", "VARCHAR", "Genesys interactionId; unique within a day, never null"),
    Column("conversation_date", "DATE", "UTC day of start_time (the partition day)"),
    Column("type", "VARCHAR", "inbound, outbound or internal"),
    Column("channel", "VARCHAR", "voice, chat, email, message or callback"),
    Column("start_time", "TIMESTAMPTZ", "start of the conversation, UTC"),
    Column("end_time", "TIMESTAMPTZ", "end of the conversation, UTC; null if missing/unparseable"),
    Column("duration_ms", "BIGINT", "end_time - start_time in milliseconds"),
    Column("queue_id", "VARCHAR", "ACD queue id; null for internal or abandoned calls"),
    Column("queue_name", "VARCHAR", "ACD queue name"),
    Column("wrap_up_code", "VARCHAR", "wrap-up code id; null when none was set"),
    Column("wrap_up_name", "VARCHAR", "wrap-up code name"),
    Column("talk_ms", "BIGINT", "talk time in milliseconds (durations.talkMs)"),
    Column("hold_ms", "BIGINT", "hold time in milliseconds (durations.holdMs)"),
    Column("acw_ms", "BIGINT", "after-call work in milliseconds (durations.acwMs)"),
    Column("participant_count", "INTEGER", "number of participants; null for CSV exports"),
    Column("agent_ids", "VARCHAR[]", "userIds of participants whose purpose is agent"),
    Column("export_id", "VARCHAR", "id of the export the row came from"),
    Column("source_file", "VARCHAR", "name of the raw export file the row came from"),
)

QUARANTINE_COLUMNS = ("source_file", "line", "reason", "raw")

REASON_INVALID_JSON = "invalid JSON"
REASON_NOT_OBJECT = "not a JSON object"
REASON_MISSING_ID = "missing interactionId"
REASON_MISSING_START = "missing startTimestamp"
REASON_BAD_START = "unparseable startTimestamp"
REASON_WRONG_PARTITION = "wrong partition"
REASON_DUPLICATE = "duplicate interactionId"

DEFAULT_MEMORY_LIMIT = "1GB"
READ_BUFFER = 1024 * 1024
_LINE_KEY = "__cx_line"  # spliced into each JSONL line; a name no export uses
_BOM = b"\xef\xbb\xbf"
# DuckDB sizes its per-thread read buffers from this (2x), so it bounds memory as well as lines.
_MAX_OBJECT_BYTES = 16 * 1024 * 1024
_FETCH_ROWS = 10_000
_CSV_FIELDS = {  # CSV header name -> JSON path the JSONL route reads
    "interactionId": ("interactionId",),
    "type": ("type",),
    "startTimestamp": ("startTimestamp",),
    "endTimestamp": ("endTimestamp",),
    "channelType": ("channel", "type"),
}
# ISO 8601 date-time with seconds, optional fraction and a mandatory zone (Z or offset): a
# timestamp without a zone is ambiguous, so it is rejected rather than guessed.
_ISO_TS = r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}(:?\d{2})?)"

_JSON_COLUMNS = (
    "{"
    f"'{_LINE_KEY}': 'BIGINT', "
    "'interactionId': 'VARCHAR', 'type': 'VARCHAR', "
    "'startTimestamp': 'VARCHAR', 'endTimestamp': 'VARCHAR', "
    "'channel': 'STRUCT(type VARCHAR)', "
    "'queue': 'STRUCT(id VARCHAR, name VARCHAR)', "
    "'wrapUp': 'STRUCT(code VARCHAR, name VARCHAR)', "
    "'durations': 'STRUCT(talkMs BIGINT, holdMs BIGINT, acwMs BIGINT)', "
    "'participants': 'STRUCT(purpose VARCHAR, userId VARCHAR)[]'"
    "}"
)

_SETUP_SQL = f"""
SET TimeZone = 'UTC';
SET preserve_insertion_order = false;
CREATE MACRO iso_ts(s) AS
    CASE WHEN regexp_full_match(s, '{_ISO_TS}') THEN TRY_CAST(s AS TIMESTAMPTZ) END;
CREATE TABLE meta (export_id VARCHAR, day DATE);
CREATE TABLE parsed (
    file_idx INTEGER, source_file VARCHAR, line BIGINT,
    interaction_id VARCHAR, type VARCHAR, channel VARCHAR,
    start_time TIMESTAMPTZ, end_time TIMESTAMPTZ,
    queue_id VARCHAR, queue_name VARCHAR, wrap_up_code VARCHAR, wrap_up_name VARCHAR,
    talk_ms BIGINT, hold_ms BIGINT, acw_ms BIGINT,
    participant_count INTEGER, agent_ids VARCHAR[], reason VARCHAR
);
"""

_INSERT_SQL = f"""
INSERT INTO parsed
SELECT * EXCLUDE (start_raw),
    CASE
        WHEN line IS NULL THEN NULL
        WHEN interaction_id IS NULL OR trim(interaction_id) = '' THEN '{REASON_MISSING_ID}'
        WHEN start_raw IS NULL THEN '{REASON_MISSING_START}'
        WHEN start_time IS NULL THEN '{REASON_BAD_START}'
        WHEN CAST(start_time AS DATE) <> $day THEN
            '{REASON_WRONG_PARTITION}: starts on ' || CAST(CAST(start_time AS DATE) AS VARCHAR)
            || ', partition is ' || CAST($day AS VARCHAR)
    END
FROM (
    SELECT $file_idx AS file_idx, $name AS source_file, "{_LINE_KEY}" AS line,
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
    FROM read_json($path, format = 'newline_delimited', columns = {_JSON_COLUMNS},
                   ignore_errors = @IGNORE_ERRORS@, maximum_object_size = {_MAX_OBJECT_BYTES})
)
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
    k.interaction_id::VARCHAR AS interaction_id,
    CAST(k.start_time AS DATE) AS conversation_date,
    k.type::VARCHAR AS type,
    k.channel::VARCHAR AS channel,
    k.start_time::TIMESTAMPTZ AS start_time,
    k.end_time::TIMESTAMPTZ AS end_time,
    date_diff('millisecond', k.start_time, k.end_time)::BIGINT AS duration_ms,
    k.queue_id::VARCHAR AS queue_id,
    k.queue_name::VARCHAR AS queue_name,
    k.wrap_up_code::VARCHAR AS wrap_up_code,
    k.wrap_up_name::VARCHAR AS wrap_up_name,
    k.talk_ms::BIGINT AS talk_ms,
    k.hold_ms::BIGINT AS hold_ms,
    k.acw_ms::BIGINT AS acw_ms,
    k.participant_count::INTEGER AS participant_count,
    k.agent_ids::VARCHAR[] AS agent_ids,
    m.export_id::VARCHAR AS export_id,
    k.source_file::VARCHAR AS source_file
FROM kept k CROSS JOIN meta m
ORDER BY k.start_time, k.interaction_id
"""


@dataclass(frozen=True)
class RawFile:
    """One verified raw export file of the day."""

    path: Path
    format: Literal["jsonl", "csv"]
    name: str
    record_count: int | None = None


@dataclass(frozen=True)
class NormaliseResult:
    row_count: int
    quarantined: int
    per_file: dict[str, tuple[int, int]]  # name -> (rows written, rows quarantined)
    out_file: Path
    quarantine_file: Path | None  # None when nothing was rejected (no file written)
    bytes_in: int


@dataclass
class _Prepared:
    """A raw file after the pre-pass: line-numbered JSONL for DuckDB plus early rejects."""

    idx: int
    raw: RawFile
    annotated: Path
    lines: int = 0
    early: list[tuple[int, str]] = field(default_factory=list)  # (line, reason), sorted
    blank: list[int] = field(default_factory=list)  # skipped whitespace-only lines


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
    """Write the day's conversations to `out_file` (Parquet) and rejects to `quarantine_file`.

    Both appear atomically (temp name + rename). The quarantine file is JSONL with columns
    source_file, line, reason, raw and is written only when something was rejected. Scratch data
    (line-numbered copies, DuckDB spill files) lives in a hidden folder beside `out_file` and is
    removed before returning, so `out_file.parent` can be published as is.
    """
    names = [f.name for f in files]
    if len(set(names)) != len(names):
        raise ValueError(f"raw file names must be unique, got {names}")
    for f in files:
        if f.format not in ("jsonl", "csv"):
            raise ValueError(f"{f.name}: format {f.format!r} is not jsonl or csv")
    out_file.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(dir=out_file.parent, prefix=".normalise-"))
    try:
        prepared = [_prepare(i, f, work) for i, f in enumerate(files)]
        with duckdb.connect(config=_duckdb_config(work, memory_limit, threads)) as con:
            _load(con, prepared, day, export_id)
            rows_per_file = _write_parquet(con, out_file)
            quarantined_per_file, wrote_quarantine = _write_quarantine(
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
        bytes_in=sum(f.path.stat().st_size for f in files),
    )


def _duckdb_config(work: Path, memory_limit: str, threads: int | None) -> dict[str, str]:
    spill = work / "duckdb-spill"
    spill.mkdir()
    config = {"memory_limit": memory_limit, "temp_directory": str(spill)}
    if threads:
        config["threads"] = str(threads)
    return config


# ---------------------------------------------------------------- pre-pass (line numbers)


def _prepare(idx: int, raw: RawFile, work: Path) -> _Prepared:
    prepared = _Prepared(idx=idx, raw=raw, annotated=work / f"{idx}.jsonl")
    with open(prepared.annotated, "wb", buffering=READ_BUFFER) as dst:
        if raw.format == "jsonl":
            _annotate_jsonl(raw.path, dst, prepared)
        else:
            _annotate_csv(raw.path, dst, prepared)
    return prepared


def _annotate_jsonl(src: Path, dst: BinaryIO, prepared: _Prepared) -> None:
    """Copy object lines with their line number spliced in; note blank and non-object lines."""
    lines = 0
    with open(src, "rb", buffering=READ_BUFFER) as fh:
        for lines, line in enumerate(fh, 1):
            body = line.strip()
            if lines == 1 and body.startswith(_BOM):
                body = body[len(_BOM) :].lstrip()
            if body[:1] == b"{":
                rest = body[1:].lstrip()
                sep = b"" if rest[:1] == b"}" else b","  # `{}` must stay valid JSON
                dst.write(b'{"%s":%d%s%s\n' % (_LINE_KEY.encode(), lines, sep, rest))
            elif body:
                prepared.early.append((lines, REASON_INVALID_JSON))  # detailed when quarantined
            else:  # a whitespace-only line holds no record (e.g. a trailing empty line)
                prepared.blank.append(lines)
    prepared.lines = lines


def _csv_rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    """(first physical line, fields) of every CSV row, header included (line 1)."""
    with open(path, encoding="utf-8", errors="replace", newline="") as fh:
        reader = csv.reader(fh)
        consumed = 0
        for row in reader:
            yield consumed + 1, row
            consumed = reader.line_num


def _annotate_csv(src: Path, dst: BinaryIO, prepared: _Prepared) -> None:
    """Turn CSV records into the JSONL shape the DuckDB route reads (only the columns CSV has)."""
    rows = _csv_rows(src)
    first = next(rows, None)
    if first is None:
        return
    header = [h.strip().lstrip("\ufeff") for h in first[1]]
    wanted = [(i, _CSV_FIELDS[h]) for i, h in enumerate(header) if h in _CSV_FIELDS]
    for line, row in rows:
        prepared.lines = line
        if not any(v.strip() for v in row):
            continue  # an empty line holds no record
        if len(row) != len(header):
            prepared.early.append((line, f"expected {len(header)} CSV fields, got {len(row)}"))
            continue
        record: dict[str, object] = {_LINE_KEY: line}
        for i, path in wanted:
            value = row[i] if row[i] != "" else None  # CSV has no null; empty means missing
            if len(path) == 1:
                record[path[0]] = value
            else:
                record[path[0]] = {path[1]: value}
        dst.write(json.dumps(record).encode() + b"\n")


# ---------------------------------------------------------------- DuckDB


def _load(
    con: duckdb.DuckDBPyConnection, prepared: Sequence[_Prepared], day: dt.date, export_id: str
) -> None:
    con.execute(_SETUP_SQL)
    con.execute("INSERT INTO meta VALUES ($export_id, $day)", {"export_id": export_id, "day": day})
    for p in prepared:
        params = {"file_idx": p.idx, "name": p.raw.name, "path": str(p.annotated), "day": day}
        try:
            # Strict parsing is ~1.8x faster than ignore_errors (measured), so clean files,
            # the common case, take it; a failed statement inserts nothing.
            con.execute(_INSERT_SQL.replace("@IGNORE_ERRORS@", "false"), params)
        except duckdb.InvalidInputException:
            con.execute(_INSERT_SQL.replace("@IGNORE_ERRORS@", "true"), params)
    con.execute(_POST_SQL)


def _write_parquet(con: duckdb.DuckDBPyConnection, out_file: Path) -> dict[int, int]:
    tmp = temp_path_for(out_file)
    target = str(tmp).replace("'", "''")  # COPY TO takes no parameters; our own path, quoted
    try:
        con.execute(f"COPY ({_OUTPUT_SELECT}) TO '{target}' (FORMAT parquet, COMPRESSION zstd)")
        publish_file(tmp, out_file)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    counts = con.execute("SELECT file_idx, count(*) FROM kept GROUP BY file_idx").fetchall()
    return {int(i): int(n) for i, n in counts}


def _rejects(
    con: duckdb.DuckDBPyConnection, prepared: Sequence[_Prepared]
) -> Iterator[tuple[int, int, str]]:
    """(file_idx, line, reason) of every rejected line, ordered by file then line."""
    unreadable = dict(
        con.execute(
            "SELECT file_idx, count(*) FROM parsed WHERE line IS NULL GROUP BY file_idx"
        ).fetchall()
    )
    queries = ["SELECT file_idx, line, reason FROM rejected"]
    for p in prepared:
        if unreadable.get(p.idx):
            # Lines DuckDB could not read came back without a line number: they are the
            # lines the pre-pass wrote that are missing from `parsed`.
            queries.append(
                f"SELECT {p.idx}, r.l, '{REASON_INVALID_JSON}' FROM range(1, {p.lines + 1}) r(l) "
                f"ANTI JOIN (SELECT line FROM parsed WHERE file_idx = {p.idx}) q ON q.line = r.l"
            )
    cursor = con.execute(" UNION ALL ".join(queries) + " ORDER BY 1, 2")
    from_duckdb = _fetch_all(cursor)
    early = ([(p.idx, line, reason) for line, reason in p.early] for p in prepared if p.early)
    early_lines = {(p.idx, line) for p in prepared for line, _ in p.early}
    early_lines.update((p.idx, line) for p in prepared for line in p.blank)
    # Lines the pre-pass did not pass on also look "missing" to the anti join: drop them there.
    from_duckdb = (r for r in from_duckdb if (r[0], r[1]) not in early_lines)
    yield from heapq.merge(from_duckdb, *early)


def _fetch_all(cursor: duckdb.DuckDBPyConnection) -> Iterator[tuple[int, int, str]]:
    while batch := cursor.fetchmany(_FETCH_ROWS):
        for idx, line, reason in batch:
            yield int(idx), int(line), str(reason)


def _write_quarantine(
    con: duckdb.DuckDBPyConnection, prepared: Sequence[_Prepared], quarantine_file: Path
) -> tuple[dict[int, int], bool]:
    """Stream rejects with their raw text into `quarantine_file`; return counts per file."""
    counts: dict[int, int] = {}
    by_idx = {p.idx: p for p in prepared}
    with contextlib.ExitStack() as stack:
        out: BinaryIO | None = None
        current: int | None = None
        walker: Iterator[tuple[int, str | bytes]] = iter(())
        for idx, line, reason in _rejects(con, prepared):
            if out is None:
                out = stack.enter_context(atomic_write(quarantine_file))
            if idx != current:
                current, walker = idx, _raw_records(by_idx[idx].raw)
            raw = _seek(walker, line)
            if reason == REASON_INVALID_JSON:
                reason = _describe_unreadable(raw)
            row = {"source_file": by_idx[idx].raw.name, "line": line, "reason": reason, "raw": raw}
            out.write(json.dumps(row, ensure_ascii=False).encode() + b"\n")
            counts[idx] = counts.get(idx, 0) + 1
    if out is None:
        quarantine_file.unlink(missing_ok=True)  # a clean re-run leaves no stale rejects
    return counts, out is not None


def _raw_records(raw: RawFile) -> Iterator[tuple[int, str | bytes]]:
    """(line, raw text) of every input record, the way the pre-pass numbered them."""
    if raw.format == "csv":
        for line, row in _csv_rows(raw.path):
            buf = io.StringIO()
            csv.writer(buf, lineterminator="").writerow(row)
            yield line, buf.getvalue()
        return
    with open(raw.path, "rb", buffering=READ_BUFFER) as fh:
        yield from enumerate(fh, 1)  # decoded only when wanted (_seek): most lines are skipped


def _seek(walker: Iterator[tuple[int, str | bytes]], line: int) -> str:
    for number, text in walker:
        if number == line:
            if isinstance(text, bytes):
                return text.rstrip(b"\r\n").decode("utf-8", errors="replace")
            return text
    return ""  # unreachable for lines the pre-pass saw; an empty raw beats losing the row


def _describe_unreadable(raw: str) -> str:
    try:
        value = json.loads(raw)
    except ValueError as exc:
        detail = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
        column = f" at column {exc.colno}" if isinstance(exc, json.JSONDecodeError) else ""
        return f"{REASON_INVALID_JSON}: {detail}{column}"
    if not isinstance(value, dict):
        return f"{REASON_NOT_OBJECT} ({type(value).__name__})"
    return f"{REASON_INVALID_JSON}: not readable with the declared column types"
