"""The normaliser's quarantine: every rejected line written out with its raw text and reason.

Nothing vanishes: a record that does not become a Parquet row becomes a quarantine row (source
file, 1-based line, reason, raw text). The rejects come from two places, merged in file then line
order: the pre-pass's early rejects and what the DuckDB load (`lake/conversations.py`) left in
its `parsed` table and `rejected` view, including the lines DuckDB could not read at all. Raw text
is collected by a second, streaming walk over the original files, only when something was
rejected, so a clean day costs nothing here.
"""

from __future__ import annotations

import contextlib
import csv
import heapq
import io
import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import BinaryIO

import duckdb

from cx_assets.lake.atomic import atomic_write
from cx_assets.lake.conversations_prepass import READ_BUFFER, Prepared, csv_rows
from cx_assets.lake.conversations_schema import REASON_INVALID_JSON, REASON_NOT_OBJECT, RawFile

_FETCH_ROWS = 10_000


def _rejects(
    con: duckdb.DuckDBPyConnection, prepared: Sequence[Prepared]
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


def write_quarantine(
    con: duckdb.DuckDBPyConnection, prepared: Sequence[Prepared], quarantine_file: Path
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
        for line, row in csv_rows(raw.path):
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
