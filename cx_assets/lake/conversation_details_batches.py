"""One day's DuckDB database for `lake/conversation_details.py`: batches of pages, then files.

Each batch of result pages runs on a cursor of its own (its temp tables are its own): DuckDB
reads every page with `json_transform` and the explicit shape, the Python fallback handles what
DuckDB rejects, the records are flattened and judged by the SQL in `conversation_details_sql.py`,
and the batch's rows go to uncompressed Parquet part files. After the last batch the day's
duplicates are found and each table's parts are streamed, in batch order, into its final file.
Pages can be added while batches run (`add_pages`), so a day is normalised as it downloads.
"""

from __future__ import annotations

import datetime as dt
import queue
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb

from cx_assets.lake import conversation_details_sql as sql
from cx_assets.lake.atomic import publish_file, temp_path_for
from cx_assets.lake.conversation_details_schema import (
    QUARANTINE_COLUMNS,
    QUARANTINE_TABLE,
    REASON_UNREADABLE,
    TABLES,
    dumps_json,
    parse_page,
    record_problem,
    reject_row,
)

_MIN_OBJECT_BYTES = 16 * 1024 * 1024
_PAGE_ERRORS = (duckdb.InvalidInputException, duckdb.ConversionException)
OUTPUTS = {**TABLES, QUARANTINE_TABLE: QUARANTINE_COLUMNS}
_PART_FORMAT = "(FORMAT parquet, COMPRESSION uncompressed)"  # read once, from the page cache
# Row groups of 32 Ki rows, not 120 Ki: each merge thread buffers one (3 GB day, segments: peak
# 177 instead of 290 MiB, no slower); zstd level 1: 30% less CPU than 3, files no bigger.
_FINAL_FORMAT = "(FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1, ROW_GROUP_SIZE 32768)"


def _quote(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"  # COPY takes no parameters; our own paths


class DayBatches:
    """One day's DuckDB database: batches run on cursors of their own, in parallel; the part
    files they write are merged into the final files in batch order."""

    def __init__(self, con: duckdb.DuckDBPyConnection, work: Path) -> None:
        self.con, self.work = con, work
        self.pages: list[Path] = []
        self.sizes: list[int] = []
        self.parts: dict[str, list[Path]] = {t: [] for t in OUTPUTS}
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

    def add_pages(self, paths: Sequence[Path]) -> list[int]:
        """Register pages (already on disk, complete) for later batches; their indices.

        Called from one thread (the one adding pages) while batches run on their cursors:
        a batch only ever names pages committed to `page_map` before it was handed out."""
        first = len(self.pages)
        sizes = [p.stat().st_size for p in paths]
        idx = list(range(first, first + len(paths)))
        names = {"i": idx, "p": [str(p) for p in paths], "n": [p.name for p in paths]}
        self.con.execute("INSERT INTO page_map SELECT unnest($i), unnest($p), unnest($n)", names)
        self.pages.extend(paths)
        self.sizes.extend(sizes)
        return idx

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
        self, cur: duckdb.DuckDBPyConnection, name: str, tables: Sequence[str] = tuple(OUTPUTS)
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
        source = sql.merged_rows(parts, drop) if parts else sql.empty_rows(OUTPUTS[table])
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
