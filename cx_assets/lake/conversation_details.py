"""Normalise one UTC day of platform-mode result pages into five typed Parquet tables.

Input: `page-NNNNN.json` files, each an `AnalyticsConversationAsyncQueryResponse` exactly as
served. Output, into the caller's staging folder: `conversations`, `participants`, `sessions`,
`segments`, `metrics` and `quarantine` `.parquet`, with the schemas declared in
`lake/conversation_details_schema.py`, each written under a temp name, fsynced and renamed.

Memory stays flat in the day's size (2 cores: peak RSS ~290 MiB for 0.3 GB, ~335 MiB for 3 GB,
30-42 MB/s). Pages go in batches of ~8 MB, one per worker thread and DuckDB cursor at a time;
DuckDB reads a page with `json_transform` and an explicit nested shape (no inference;
`read_json` is ~15x slower on a 3 MB value), flattens each level into small temp tables and
writes the batch's rows to Parquet part files, streamed into the final files after the last
batch. What outlives a batch is a 24-byte hash and place per good record, for duplicates.

Nothing vanishes. A page DuckDB cannot read (bad syntax, a list or object where the shape wants
another) is read again with Python's `json` to find the records at fault: those, or the whole
page when it is not a JSON object, go to the quarantine with their JSON text, and the page's
other records carry on. The record rules (ids, timestamps, the day, integer metric values,
duplicates) are SQL in `lake/conversation_details_sql.py`, the same for both routes.
"""

from __future__ import annotations

import datetime as dt
import os
import queue
import re
import shutil
import tempfile
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import duckdb

from cx_assets.lake import conversation_details_sql as sql
from cx_assets.lake.atomic import publish_file, temp_path_for
from cx_assets.lake.conversation_details_schema import (
    CONVERSATION_COLUMNS,
    METRIC_COLUMNS,
    PARTICIPANT_COLUMNS,
    QUARANTINE_COLUMNS,
    QUARANTINE_TABLE,
    REASON_UNREADABLE,
    SEGMENT_COLUMNS,
    SESSION_COLUMNS,
    TABLES,
    Column,
    DetailsNormaliseResult,
    dumps_json,
    parse_page,
    record_problem,
    reject_row,
)

__all__ = ["CONVERSATION_COLUMNS", "METRIC_COLUMNS", "PARTICIPANT_COLUMNS", "QUARANTINE_COLUMNS"]
__all__ += ["SEGMENT_COLUMNS", "SESSION_COLUMNS", "TABLES", "Column", "DetailsNormaliseResult"]
__all__ += ["normalise_day"]

PAGE_NAME = re.compile(r"page-(\d+)\.json")
#: Pages per batch, by bytes: each worker holds one batch's rows in RAM at a time.
BATCH_BYTES = 8 * 1024 * 1024
#: Workers unless `threads` says otherwise; one: a second measured no faster, +76 MB (1 GB day).
DEFAULT_WORKERS = 1
_MIN_OBJECT_BYTES = 16 * 1024 * 1024
_PAGE_ERRORS = (duckdb.InvalidInputException, duckdb.ConversionException)
_OUTPUTS = {**TABLES, QUARANTINE_TABLE: QUARANTINE_COLUMNS}
_PART_FORMAT = "(FORMAT parquet, COMPRESSION uncompressed)"  # read once, from the page cache
# Row groups of 32 Ki rows, not 120 Ki: each merge thread buffers one (3 GB day, segments: peak
# 177 instead of 290 MiB, no slower); zstd level 1: 30% less CPU than 3, files no bigger.
_FINAL_FORMAT = "(FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1, ROW_GROUP_SIZE 32768)"


def list_pages(pages_dir: Path) -> list[Path]:
    """The day's page files in page order (by number, so page-100000 follows page-99999)."""
    numbered = [(PAGE_NAME.fullmatch(p.name), p) for p in pages_dir.iterdir() if p.is_file()]
    return [p for _, p in sorted((int(m[1]), p) for m, p in numbered if m)]


def normalise_day(
    pages_dir: Path,
    day: dt.date,
    export_id: str,
    out_dir: Path,
    *,
    memory_limit: str = "1GB",
    threads: int | None = None,
) -> DetailsNormaliseResult:
    """Write the day's five tables and its quarantine into `out_dir`; see the module docstring.

    `threads` sets DuckDB's threads and the batches worked on at once (default: the CPUs, at
    most DEFAULT_WORKERS); `memory_limit` is DuckDB's, which spills to a folder in `out_dir`.
    """
    started = time.monotonic()
    pages = list_pages(pages_dir)
    sizes = [p.stat().st_size for p in pages]
    workers = max(1, threads or min(os.cpu_count() or 1, DEFAULT_WORKERS))
    out_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(dir=out_dir, prefix=".details-"))
    try:
        config = {
            "memory_limit": memory_limit,
            "temp_directory": str(work / "spill"),
            "threads": str(workers),
            "preserve_insertion_order": "false",  # row order is not part of the contract
        }
        with duckdb.connect(config=config) as con:
            run = _DayRun(con, work, pages, sizes)
            run.setup(day, export_id, workers)
            with ThreadPoolExecutor(max_workers=workers) as pool:
                for parts in pool.map(run.run_batch, _batches(sizes)):
                    for table, part in parts.items():
                        run.parts[table].append(part)
            run.quarantine_duplicates()
            rows = {t: run.publish(t, out_dir) for t in _OUTPUTS}
            (records,) = con.execute(
                "SELECT count(position) FROM read_parquet(?)", [str(out_dir / "quarantine.parquet")]
            ).fetchone() or (0,)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    quarantined = rows.pop(QUARANTINE_TABLE)
    return DetailsNormaliseResult(
        rows=rows,
        quarantined=quarantined,
        conversations_read=rows["conversations"] + int(records),
        per_page={p.name: run.per_page.get(i, 0) for i, p in enumerate(pages)},
        outputs={t: out_dir / f"{t}.parquet" for t in _OUTPUTS},
        bytes_read=sum(sizes),
        seconds=time.monotonic() - started,
    )


def _batches(sizes: Sequence[int]) -> Iterator[list[int]]:
    batch: list[int] = []
    for i in range(len(sizes)):
        batch.append(i)
        if sum(sizes[j] for j in batch) >= BATCH_BYTES or i == len(sizes) - 1:
            yield batch
            batch = []


def _quote(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"  # COPY takes no parameters; our own paths


class _DayRun:
    """One day's DuckDB database: batches run on cursors of their own, in parallel; the part
    files they write are merged into the final files in batch order."""

    def __init__(
        self, con: duckdb.DuckDBPyConnection, work: Path, pages: list[Path], sizes: list[int]
    ):
        self.con, self.work, self.pages, self.sizes = con, work, pages, sizes
        self.parts: dict[str, list[Path]] = {t: [] for t in _OUTPUTS}
        self.per_page: dict[int, int] = {}
        self.lines: dict[int, Path] = {}  # page -> JSON lines the fallback handed DuckDB
        self._cursors: queue.SimpleQueue[duckdb.DuckDBPyConnection] = queue.SimpleQueue()
        self.duplicates = False

    def setup(self, day: dt.date, export_id: str, workers: int) -> None:
        self.con.execute(sql.SETUP)
        for _ in range(workers):
            cur = self.con.cursor()  # a connection of its own: its temp tables are its own
            cur.execute("SET TimeZone = 'UTC'")
            self._cursors.put(cur)
        self.con.execute("INSERT INTO meta VALUES (?, ?)", [export_id, day])
        names = {"i": list(range(len(self.pages))), "p": [str(p) for p in self.pages]}
        names["n"] = [p.name for p in self.pages]
        self.con.execute("INSERT INTO page_map SELECT unnest($i), unnest($p), unnest($n)", names)

    def _max_bytes(self, idx: Sequence[int]) -> int:
        largest = max((self.sizes[i] for i in idx), default=0)
        return max(_MIN_OBJECT_BYTES, 1 << (largest + 1).bit_length())

    def run_batch(self, batch: list[int]) -> dict[str, Path]:
        """Read, judge and write one batch on a cursor of its own; returns its part files."""
        cur = self._cursors.get()
        try:
            return self._run_batch(cur, batch)
        finally:
            self._cursors.put(cur)

    def _run_batch(self, cur: duckdb.DuckDBPyConnection, batch: list[int]) -> dict[str, Path]:
        cur.execute(sql.NEW_BATCH)
        fast: list[int] = []
        slow: list[int] = []
        for i in batch:
            (fast if not self._blank(i) and self._read(cur, i) else slow).append(i)
        # Several JSON values in one file, or a list/object DuckDB would read as NULL: let
        # Python find the records (or say why the page as a whole cannot be read).
        bad = [int(r[0]) for r in cur.execute(sql.BAD_PAGES).fetchall()]
        counts = cur.execute(sql.PAGE_COUNTS).fetchall()
        cur.execute(sql.DROP_PAGES, {"pages": bad})
        fast = [i for i in fast if i not in bad]
        slow += bad
        self.per_page.update((int(i), int(n)) for i, n in counts if int(i) in fast)
        for i in sorted(slow):
            self._fallback(cur, i)
        for statement in (sql.FLATTEN, sql.JUDGE, sql.REJECT):
            cur.execute(statement)
        self._raw_texts(cur, [int(r[0]) for r in cur.execute(sql.REJECTED_PAGES).fetchall()])
        return self._write_parts(cur, f"{batch[0]:06d}")

    def _raw_texts(self, cur: duckdb.DuckDBPyConnection, rejected: list[int]) -> None:
        """Add the JSON text of every record in b_rej to b_quar."""
        if from_pages := [i for i in rejected if i not in self.lines]:
            cur.execute(sql.RAW_FROM_PAGES, self._page_params(from_pages))
        for i in [i for i in rejected if i in self.lines]:
            params = {"path": str(self.lines[i]), "page_idx": i, "max_bytes": self._max_bytes([i])}
            cur.execute(sql.RAW_FROM_LINES, params)

    def _page_params(self, idx: Sequence[int]) -> dict[str, Any]:
        return {"paths": [str(self.pages[i]) for i in idx], "max_bytes": self._max_bytes(idx)}

    def _read(self, cur: duckdb.DuckDBPyConnection, i: int) -> bool:
        """One page per statement: its parse trees (~10x its size) are all alive at once."""
        try:
            cur.execute(sql.READ_PAGES, self._page_params([i]))
        except _PAGE_ERRORS:
            return False  # a failed statement inserts nothing
        return True

    def _blank(self, i: int) -> bool:
        """An empty or whitespace-only file reads as no rows in DuckDB: not a page."""
        return self.sizes[i] < 64 and not self.pages[i].read_bytes().strip()

    def _write_parts(
        self, cur: duckdb.DuckDBPyConnection, name: str, tables: Sequence[str] = tuple(_OUTPUTS)
    ) -> dict[str, Path]:
        parts: dict[str, Path] = {}
        for table in tables:
            part = self.work / f"{table}-{name}.parquet"
            copy = f"COPY ({sql.batch_rows(table)}) TO {_quote(part)} {_PART_FORMAT}"
            (count,) = cur.execute(copy).fetchone() or (0,)
            if count:
                parts[table] = part
            else:
                part.unlink(missing_ok=True)
        return parts

    def quarantine_duplicates(self) -> None:
        """Find the day's duplicate conversationIds; their records become one quarantine part."""
        self.con.execute("SET TimeZone = 'UTC'")
        self.con.execute(sql.DAY_DUPLICATES)
        rejected = [int(r[0]) for r in self.con.execute(sql.REJECTED_PAGES).fetchall()]
        if rejected:
            self._raw_texts(self.con, rejected)
            parts = self._write_parts(self.con, "duplicates", [QUARANTINE_TABLE])
            self.parts[QUARANTINE_TABLE].extend(parts.values())
            self.duplicates = True

    def publish(self, table: str, out_dir: Path) -> int:
        """Stream the table's parts into `<table>.parquet` (temp name, fsync, rename)."""
        final = out_dir / f"{table}.parquet"
        tmp = temp_path_for(final)
        parts = [_quote(p) for p in self.parts[table]]
        drop = self.duplicates and table != QUARANTINE_TABLE
        source = sql.merged_rows(parts, drop) if parts else sql.empty_rows(_OUTPUTS[table])
        try:
            (count,) = self.con.execute(
                f"COPY ({source}) TO {_quote(tmp)} {_FINAL_FORMAT}"
            ).fetchone() or (0,)
            publish_file(tmp, final)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return int(count)

    def _fallback(self, cur: duckdb.DuckDBPyConnection, i: int) -> None:
        """Read a page DuckDB rejected with Python; hand DuckDB its good records one per line."""
        raw = self.pages[i].read_bytes()
        rejects: list[dict[str, Any]] = []
        page_problem, records = parse_page(raw)
        if page_problem is not None:
            text = raw.decode("utf-8", errors="replace")
            rejects.append({"page_idx": i, "pos": None, "reason": page_problem, "raw": text})
        else:
            lines_path = self.lines[i] = self.work / f"page-{i}.jsonl"
            written: dict[int, Any] = {}
            with open(lines_path, "wb") as fh:
                for pos, record in enumerate(records):
                    if (problem := record_problem(record)) is None:
                        fh.write(dumps_json({"pos": pos, "c": record}) + b"\n")
                        written[pos] = record
                    else:
                        rejects.append(reject_row(i, pos, problem, record))
            params = {"path": str(lines_path), "page_idx": i, "max_bytes": self._max_bytes([i])}
            cur.execute(sql.INSERT_LINES, params)
            found = cur.execute("SELECT pos FROM b_conv WHERE page_idx = ?", [i]).fetchall()
            for pos in sorted(written.keys() - {r[0] for r in found}):
                rejects.append(reject_row(i, pos, REASON_UNREADABLE, written[pos]))  # e.g. \ud800
        self.per_page[i] = len(records)
        if rejects:
            q_path = self.work / f"page-{i}.quarantine.jsonl"
            q_path.write_bytes(b"".join(dumps_json(r) + b"\n" for r in rejects))
            escaped = 8 * len(raw)  # a control character in `raw` becomes \u0000 in JSON
            params = {"path": str(q_path), "max_bytes": max(self._max_bytes([i]), escaped)}
            cur.execute(sql.INSERT_QUARANTINE_LINES, params)
