"""Normalise one UTC day of platform-mode result pages into five typed Parquet tables.

Input: `page-NNNNN.json` files, each an `AnalyticsConversationAsyncQueryResponse` exactly as
served. Output, into the caller's staging folder: `conversations`, `participants`, `sessions`,
`segments`, `metrics` and `quarantine` `.parquet`, with the schemas declared in
`lake/conversation_details_schema.py`, each written under a temp name, fsynced and renamed.

Memory stays flat in the day's size (2 cores, 1 GB day: 26 s, peak ~216 MB above the process's
own). Pages go in batches of ~4 MB, one per worker thread and DuckDB cursor at a time
(`conversation_details_batches.py`), as soon as a batch's pages are on disk: `DayNormaliser`
takes pages one by one while they download, `normalise_day` takes a folder of them;
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
import re
import shutil
import tempfile
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from types import TracebackType

import duckdb

from cx_assets.lake.conversation_details_batches import OUTPUTS, DayBatches
from cx_assets.lake.conversation_details_schema import (
    CONVERSATION_COLUMNS,
    METRIC_COLUMNS,
    PARTICIPANT_COLUMNS,
    QUARANTINE_COLUMNS,
    QUARANTINE_TABLE,
    SEGMENT_COLUMNS,
    SESSION_COLUMNS,
    TABLES,
    Column,
    DetailsNormaliseResult,
)

__all__ = ["CONVERSATION_COLUMNS", "METRIC_COLUMNS", "PARTICIPANT_COLUMNS", "QUARANTINE_COLUMNS"]
__all__ += ["SEGMENT_COLUMNS", "SESSION_COLUMNS", "TABLES", "Column", "DetailsNormaliseResult"]
__all__ += ["DayNormaliser", "normalise_day"]

PAGE_NAME = re.compile(r"page-(\d+)\.json")
#: Pages per batch, by bytes: each worker holds one batch's rows in RAM at a time.
#: 4 MiB with two workers: 1 GB day in 26 s, peak +216 MB; 8 MiB with one: 42 s, +250 MB.
BATCH_BYTES = 4 * 1024 * 1024
#: Batches worked on at once unless `threads` says otherwise, each on one DuckDB thread:
#: two single-threaded batches normalise a 1 GB day ~2x faster than one batch on two DuckDB
#: threads at the same CPU (the flattening is many small queries that do not parallelise).
DEFAULT_WORKERS = 2


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

    `threads` is the batches worked on at once, one DuckDB thread each (default: the CPUs, at
    most DEFAULT_WORKERS); `memory_limit` is DuckDB's, which spills to a folder in `out_dir`.
    """
    with DayNormaliser(day, export_id, out_dir, memory_limit=memory_limit, threads=threads) as n:
        for page in list_pages(pages_dir):
            n.add(page)
        return n.finish()


class DayNormaliser:
    """Normalise a day's pages as they arrive: `add` each complete page file in page order,
    then `finish` once (which waits for the batches and writes the files into `out_dir`).

    Batches run on worker threads while the caller goes on (DuckDB releases the GIL), so a
    download can hand over each page as it lands. Leaving the `with` block without `finish`
    (an error, a resubmitted job) drops the work and writes nothing into `out_dir`."""

    def __init__(
        self,
        day: dt.date,
        export_id: str,
        out_dir: Path,
        *,
        memory_limit: str = "1GB",
        threads: int | None = None,
    ) -> None:
        self.day, self.export_id, self.out_dir = day, export_id, out_dir
        self.memory_limit = memory_limit
        self.workers = max(1, threads or min(os.cpu_count() or 1, DEFAULT_WORKERS))
        self._pending: list[Path] = []
        self._pending_bytes = 0
        self._futures: list[Future[dict[str, Path]]] = []

    def __enter__(self) -> DayNormaliser:
        self._started = time.monotonic()
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self._work = Path(tempfile.mkdtemp(dir=self.out_dir, prefix=".details-"))
        config = {
            "memory_limit": self.memory_limit,
            "temp_directory": str(self._work / "spill"),
            "threads": 1,  # per query: the workers are the parallelism (see DEFAULT_WORKERS)
            "preserve_insertion_order": "false",  # row order is not part of the contract
        }
        self._con = duckdb.connect(config=config)
        self._pool = ThreadPoolExecutor(max_workers=self.workers)
        self._run = DayBatches(self._con, self._work)
        self._run.setup(self.day, self.export_id, self.workers)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for future in self._futures:
            future.cancel()
        self._pool.shutdown(wait=True)
        self._con.close()
        shutil.rmtree(self._work, ignore_errors=True)

    def add(self, page: Path) -> None:
        """One complete page file (the next in page order); a full batch starts at once."""
        self._pending.append(page)
        self._pending_bytes += page.stat().st_size
        if self._pending_bytes >= BATCH_BYTES:
            self._submit()

    def _submit(self) -> None:
        if self._pending:
            batch = self._run.add_pages(self._pending)
            self._futures.append(self._pool.submit(self._run.run_batch, batch))
            self._pending, self._pending_bytes = [], 0

    def finish(self) -> DetailsNormaliseResult:
        """Wait for every batch, quarantine the day's duplicates, write the final files."""
        self._submit()
        run = self._run
        for future in self._futures:
            for table, part in future.result().items():
                run.parts[table].append(part)
        # Nothing else runs now (the batches are done, so is any download feeding them): the
        # merge into the final files gets every core (1 GB day: 9 s -> 5 s on 2 cores).
        self._con.execute(f"SET threads = {max(self.workers, os.cpu_count() or 1)}")
        run.quarantine_duplicates()
        rows = {t: run.publish(t, self.out_dir) for t in OUTPUTS}
        quarantine_file = str(self.out_dir / f"{QUARANTINE_TABLE}.parquet")
        (records,) = self._con.execute(
            "SELECT count(position) FROM read_parquet(?)", [quarantine_file]
        ).fetchone() or (0,)
        quarantined = rows.pop(QUARANTINE_TABLE)
        return DetailsNormaliseResult(
            rows=rows,
            quarantined=quarantined,
            conversations_read=rows["conversations"] + int(records),
            per_page={p.name: run.per_page.get(i, 0) for i, p in enumerate(run.pages)},
            outputs={t: self.out_dir / f"{t}.parquet" for t in OUTPUTS},
            bytes_read=sum(run.sizes),
            seconds=time.monotonic() - self._started,
        )
