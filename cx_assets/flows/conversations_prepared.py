"""Normalise a platform day's pages while they download, for the lake step to publish.

Normalising is the costly half of a platform day (~65 CPU-s per GB against ~13 for the
download, which mostly waits on the server), and the two steps ran one after the other. So the
export step hands each page, once it is complete on disk, to a `DayNormaliser` whose batches run
on a thread of their own, and leaves the day's tables in `DataLayout.prepared_dir`
(`staging/prepared/genesys/conversations/<day>/`) with `prepared.json`: the job id and every
page's SHA-256. The lake step, after the blocking checksum check, publishes them only if that
record matches the day's verified raw record exactly; otherwise (no record, another job, a page
that differs) it normalises the raw pages itself. A preparation that fails costs only that: the
export still lands, with a warning.
"""

from __future__ import annotations

import datetime as dt
import shutil
from contextlib import ExitStack
from pathlib import Path
from types import TracebackType

from pydantic import BaseModel, ConfigDict, ValidationError

from cx_assets.flows.context import ProgressLog
from cx_assets.genesys.conversations.platform_models import DayResults
from cx_assets.genesys.conversations.verified import VerifiedExport
from cx_assets.lake.atomic import atomic_write, replace_dir
from cx_assets.lake.conversation_details import DayNormaliser
from cx_assets.lake.conversation_details_schema import DetailsNormaliseResult

#: DuckDB's memory limit while normalising beside a download: the batches are small (4 MiB of
#: JSON each), so a low limit costs nothing but keeps the buffer pool from growing with the day
#: (1 GB day, peak RSS 353 MB at 256MB; 417 MB at the lake step's 1GB). On a faster machine
#: 256MB peaked at 370 MB (1 GB) and 398 MB (3 GB), 2 MB under the 400 MB target; 192MB gave
#: 352 and 388 MB, end to end within run-to-run noise (0.32-0.37 x the serving rate).
PREPARE_MEMORY_LIMIT = "192MB"
RECORD_FILE = "prepared.json"
TABLES_DIR = "lake"


class PreparedRecord(BaseModel):
    """What `prepared.json` says: which pages the tables were made from, and their counts."""

    model_config = ConfigDict(extra="forbid")

    export_id: str
    pages: dict[str, str]  # page file name -> SHA-256 of the bytes normalised
    rows: dict[str, int]
    quarantined: int
    conversations_read: int
    per_page: dict[str, int]
    bytes_read: int
    seconds: float

    def result(self, tables_dir: Path) -> DetailsNormaliseResult:
        outputs = [*self.rows, "quarantine"]
        return DetailsNormaliseResult(
            rows=dict(self.rows),
            quarantined=self.quarantined,
            conversations_read=self.conversations_read,
            per_page=dict(self.per_page),
            outputs={t: tables_dir / f"{t}.parquet" for t in outputs},
            bytes_read=self.bytes_read,
            seconds=self.seconds,
        )


def page_hashes(record: VerifiedExport) -> dict[str, str]:
    return {f.name: f.sha256 for f in record.files}


class PagePreparer:
    """Feeds the current job's pages to a `DayNormaliser` (`on_page` is `fetch_day`'s hook).

    A page from a new job id (the old one expired and was resubmitted) drops the work done so
    far and starts again; any error in the normaliser stops preparing, never the download."""

    def __init__(
        self,
        day: dt.date,
        staging: Path,
        *,
        log: ProgressLog,
        memory_limit: str,
        threads: int | None = None,
    ) -> None:
        self.day, self.staging, self.log = day, staging, log
        self.memory_limit, self.threads = memory_limit, threads
        self.job_id: str | None = None
        self.failed = False
        self._normaliser: DayNormaliser | None = None
        self._stack = ExitStack()

    def __enter__(self) -> PagePreparer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stack.close()

    def on_page(self, job_id: str, path: Path) -> None:
        if self.failed:
            return
        try:
            normaliser = self._normaliser
            if normaliser is None or job_id != self.job_id:
                normaliser = self._start(job_id)
            normaliser.add(path)
        except Exception as exc:  # a bug or a resource limit here must not stop the download
            self._give_up(exc)

    def _start(self, job_id: str) -> DayNormaliser:
        self._stack.close()
        shutil.rmtree(self.staging / TABLES_DIR, ignore_errors=True)
        self.job_id = job_id
        self._normaliser = self._stack.enter_context(
            DayNormaliser(
                self.day,
                job_id,
                self.staging / TABLES_DIR,
                memory_limit=self.memory_limit,
                threads=self.threads,
            )
        )
        return self._normaliser

    def _give_up(self, exc: Exception) -> None:
        self.failed = True
        self._stack.close()
        shutil.rmtree(self.staging / TABLES_DIR, ignore_errors=True)
        self.log.warning(
            f"normalising {self.day} while it downloads stopped ({type(exc).__name__}: {exc}); "
            "the download goes on and the lake step normalises the raw pages instead"
        )

    def publish(self, results: DayResults, prepared_dir: Path) -> bool:
        """Finish the tables of `results`' job and leave them for the lake step; False (and
        nothing left) when there is nothing to finish or finishing failed."""
        normaliser = self._normaliser
        if self.failed or normaliser is None or self.job_id != results.job_id:
            return False
        try:
            result = normaliser.finish()
            self._stack.close()  # the normaliser's work folder goes before the tables move
            record = PreparedRecord(
                export_id=results.job_id,
                pages={p.name: p.sha256 for p in results.pages},
                rows=result.rows,
                quarantined=result.quarantined,
                conversations_read=result.conversations_read,
                per_page=result.per_page,
                bytes_read=result.bytes_read,
                seconds=result.seconds,
            )
            with atomic_write(self.staging / RECORD_FILE) as fh:
                fh.write(record.model_dump_json().encode())
            replace_dir(self.staging, prepared_dir)
        except Exception as exc:
            self._give_up(exc)
            return False
        return True


def take_prepared(
    prepared: Path, record: VerifiedExport, into: Path
) -> DetailsNormaliseResult | None:
    """Move the tables prepared in `prepared` to `into` if they were made from exactly the
    pages `record` verified; else remove whatever is there and return None."""
    if not prepared.is_dir():
        return None
    try:
        saved = PreparedRecord.model_validate_json((prepared / RECORD_FILE).read_bytes())
    except (OSError, ValidationError):
        saved = None
    tables = prepared / TABLES_DIR
    if (
        saved is None
        or saved.export_id != record.export_id
        or saved.pages != page_hashes(record)
        or not tables.is_dir()
    ):
        shutil.rmtree(prepared, ignore_errors=True)
        return None
    tables.rename(into)
    shutil.rmtree(prepared, ignore_errors=True)
    return saved.result(into)
