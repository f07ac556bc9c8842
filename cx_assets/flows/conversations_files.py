"""Parse a tutorial-mode day's files while the rest of the day downloads, for the lake step.

Parsing (`lake.conversations.parse_file`) is the costly half of a tutorial day and it ran after
the whole download, over the whole day in one DuckDB database whose memory grew with the day.
So the export step hands each file, once it is verified on disk, to a `FilePreparer` that parses
it on a thread of its own into `DataLayout.prepared_dir` (`staging/prepared/genesys/
conversations/<day>/`) with `parsed.json`: the export id, every file's SHA-256 and what parsing
noted. The lake step merges those files only if that record matches the day's verified raw
record exactly; otherwise (no record, another export, a file that differs) it parses the raw
files itself. A preparation that fails costs only that: the export still lands, with a warning.
"""

from __future__ import annotations

import datetime as dt
import shutil
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from types import TracebackType

from pydantic import BaseModel, ConfigDict, ValidationError

from cx_assets.flows.context import ProgressLog
from cx_assets.genesys.conversations.tutorial import DownloadedFile
from cx_assets.genesys.conversations.verified import VerifiedExport
from cx_assets.lake.atomic import atomic_write, replace_dir
from cx_assets.lake.conversations import PARSE_MEMORY_LIMIT, ParsedFile, parse_file
from cx_assets.lake.conversations_schema import RawFile

RECORD_FILE = "parsed.json"
PARSED_DIR = "parsed"


class ParsedRecord(BaseModel):
    """What `parsed.json` says: which files were parsed (name -> SHA-256) and how."""

    model_config = ConfigDict(extra="forbid")

    export_id: str
    files: dict[str, str]
    parsed: list[ParsedFile]  # `parquet` relative to the `parsed/` folder


def file_hashes(record: VerifiedExport) -> dict[str, str]:
    return {f.name: f.sha256 for f in record.files}


class FilePreparer:
    """Parses each verified file as it lands (`on_file` is `export_day`'s hook), one at a time.

    Any error while parsing stops preparing, never the download: the lake step then parses the
    raw files itself."""

    def __init__(
        self,
        day: dt.date,
        staging: Path,
        *,
        log: ProgressLog,
        memory_limit: str = PARSE_MEMORY_LIMIT,
        threads: int | None = None,
    ) -> None:
        self.day, self.staging, self.log = day, staging, log
        self.memory_limit, self.threads = memory_limit, threads
        self.failed = False
        self._lock = threading.Lock()
        self._sha256: dict[str, str] = {}
        self._futures: dict[str, Future[ParsedFile]] = {}
        # One parser thread: parsing runs beside the downloads, not beside itself, so memory
        # is one file's worth whatever the day's size (DuckDB releases the GIL while it works).
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="genesys-parse")

    def __enter__(self) -> FilePreparer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def on_file(self, done: DownloadedFile) -> None:
        raw = RawFile(
            path=done.path,
            format=done.manifest.format,  # type: ignore[arg-type]
            name=done.manifest.name,
            record_count=done.manifest.recordCount,
        )
        with self._lock:
            if self.failed:
                return
            self._sha256[raw.name] = done.manifest.sha256
            self._futures[raw.name] = self._pool.submit(
                parse_file,
                raw,
                self.day,
                self.staging / PARSED_DIR,
                memory_limit=self.memory_limit,
                threads=self.threads,
            )

    def publish(self, record: VerifiedExport, prepared_dir: Path) -> bool:
        """Wait for the last parse and leave the parsed files of `record`'s files for the lake
        step; False (and nothing left) when they do not match `record` or parsing failed."""
        try:
            parsed = [self._futures[name].result() for name in file_hashes(record)]
            if self._sha256 != file_hashes(record) or len(parsed) != len(self._futures):
                raise ValueError("the parsed files are not the export's verified files")
            saved = ParsedRecord(
                export_id=record.export_id,
                files=dict(self._sha256),
                parsed=[p.model_copy(update={"parquet": Path(p.parquet.name)}) for p in parsed],
            )
            with atomic_write(self.staging / RECORD_FILE) as fh:
                fh.write(saved.model_dump_json().encode())
            replace_dir(self.staging, prepared_dir)
        except Exception as exc:  # a bug or a resource limit here must not fail the export
            self._give_up(exc)
            return False
        return True

    def _give_up(self, exc: Exception) -> None:
        with self._lock:
            self.failed = True
        self._pool.shutdown(wait=True, cancel_futures=True)
        shutil.rmtree(self.staging / PARSED_DIR, ignore_errors=True)
        self.log.warning(
            f"parsing {self.day} while it downloads stopped ({type(exc).__name__}: {exc}); "
            "the export goes on and the lake step parses the raw files instead"
        )


def take_parsed(prepared: Path, record: VerifiedExport) -> list[ParsedFile] | None:
    """The files parsed in `prepared` if they were made from exactly the files `record`
    verified (their paths under `prepared`); else remove whatever is there and return None.
    The caller removes `prepared` once it has merged them."""
    if not prepared.is_dir():
        return None
    try:
        saved = ParsedRecord.model_validate_json((prepared / RECORD_FILE).read_bytes())
    except (OSError, ValidationError):
        saved = None
    folder = prepared / PARSED_DIR
    if saved is None or saved.export_id != record.export_id or saved.files != file_hashes(record):
        shutil.rmtree(prepared, ignore_errors=True)
        return None
    parsed = [p.model_copy(update={"parquet": folder / p.parquet.name}) for p in saved.parsed]
    if not all(p.parquet.is_file() for p in parsed):
        shutil.rmtree(prepared, ignore_errors=True)
        return None
    return parsed
