"""Genesys conversation exports: create, wait, fetch the manifest, download every file verified.

The client knows the export protocol; it does not know where files end up in the lake. It
downloads into a folder the caller gives it (a staging folder), verifying each file's SHA-256 and
size while streaming, so the caller can publish the folder only once everything is verified.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from cx_assets.genesys.conversations import endpoints
from cx_assets.genesys.conversations.models import (
    CreatedExport,
    ExportJob,
    ExportRequest,
    Manifest,
    ManifestFile,
    read_body,
    read_manifest,
    read_response,
)
from cx_assets.http.client import ApiClient
from cx_assets.http.errors import ApiError
from cx_assets.http.polling import PollTimeout, poll_until
from cx_assets.http.retry_after import parse_retry_after
from cx_assets.lake.verified_download import (
    ChecksumMismatch,
    SizeMismatch,
    VerifiedFile,
    write_verified,
)

log = logging.getLogger(__name__)

CHUNK_SIZE = 1024 * 1024


class ExportError(RuntimeError):
    """An export that cannot be completed; the message is safe to show (no URLs' signatures)."""


class ExportFailed(ExportError):
    """The server reports the export FAILED."""


class ExportTimeout(ExportError):
    """The export did not complete within the configured time."""


class DownloadFailed(ExportError):
    """A file could not be downloaded and verified within the allowed attempts."""


@dataclass(frozen=True)
class ExportSettings:
    """Knobs of the export protocol; defaults suit the emulator and a real org alike."""

    poll_initial_s: float = 0.25
    poll_max_s: float = 10.0
    timeout_s: float = 3600.0
    download_concurrency: int = 4
    file_attempts: int = 4
    manifest_refreshes: int = 5
    retry_pause_s: float = 0.5


@dataclass(frozen=True)
class DownloadedFile:
    """A file on disk whose size and SHA-256 matched the manifest."""

    manifest: ManifestFile
    path: Path
    attempts: int


@dataclass
class DownloadReport:
    """What happened while downloading, for metadata and the catalog."""

    files: list[DownloadedFile] = field(default_factory=list)
    manifest_refreshes: int = 0
    file_retries: int = 0
    failures: list[str] = field(default_factory=list)

    @property
    def bytes(self) -> int:
        return sum(f.manifest.size for f in self.files)


class _UrlRejected(Exception):
    """The presigned URL answered 403: it expired or was revoked; a fresh manifest fixes it."""


class ConversationExportClient:
    """Talks the `/api/v2/dataexports` protocol over a shared `ApiClient`."""

    def __init__(
        self,
        api: ApiClient,
        settings: ExportSettings | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.api = api
        self.settings = settings or ExportSettings()
        self._sleep = sleep

    def create(self, request: ExportRequest) -> CreatedExport:
        """Start an export; the answer need carry only its `id` (the tutorial's promise)."""
        response = self.api.request("POST", endpoints.DATAEXPORTS_PATH, json=request.to_json())
        return read_response(response, lambda body: read_body(CreatedExport, body))

    def status(self, export_id: str) -> ExportJob:
        response = self.api.request("GET", endpoints.export_path(export_id))
        # the id is in the path: a status body without one still reads
        return read_response(response, lambda body: read_body(ExportJob, _with_id(body, export_id)))

    def wait(self, export_id: str) -> ExportJob:
        """Poll until COMPLETED with a growing, bounded interval; FAILED or timeout raise."""

        def completed(job: ExportJob) -> bool:
            if job.status == "FAILED":
                raise ExportFailed(
                    f"export {export_id} FAILED: {job.statusReason or 'no reason given'}"
                )
            return job.status == "COMPLETED"

        try:
            return poll_until(
                lambda: self.status(export_id),
                completed,
                initial_s=self.settings.poll_initial_s,
                max_s=self.settings.poll_max_s,
                timeout_s=self.settings.timeout_s,
                sleep=self._sleep,
            )
        except PollTimeout as timeout:
            raise ExportTimeout(
                f"export {export_id} still {timeout.last.status} after "
                f"{self.settings.timeout_s:.0f} s"
            ) from None

    def manifest(self, export_id: str) -> Manifest:
        """The file records, from a bare array (the tutorial) or an object with `files`."""
        response = self.api.request("GET", endpoints.export_files_path(export_id))
        return read_response(response, read_manifest)

    def download_all(
        self,
        export_id: str,
        manifest: Manifest,
        dest: Path,
        *,
        on_file: Callable[[DownloadedFile], None] | None = None,
    ) -> DownloadReport:
        """Download every manifest file into `dest`, verified; refresh the manifest on 403s.

        Files download concurrently (bounded). A checksum or size mismatch, a dropped connection
        or a 5xx retries that file (a 429 after its `Retry-After`, seconds or an HTTP date,
        capped as for API calls); a 403 means its presigned URL expired, so the batch finishes
        and a fresh manifest supplies new URLs for the files not yet done. `on_file` is told of
        each file once it is verified on disk (from a download thread; it must not raise).
        """
        dest.mkdir(parents=True, exist_ok=True)
        report = DownloadReport()
        pending: dict[str, ManifestFile] = {f.name: f for f in manifest.files}
        lock = threading.Lock()
        while pending:
            rejected: list[str] = []

            def one(entry: ManifestFile, rejected: list[str] = rejected) -> None:
                try:
                    done = self._download_file(entry, dest, report, lock)
                except _UrlRejected:
                    with lock:
                        rejected.append(entry.name)
                    return
                with lock:
                    report.files.append(done)
                    pending.pop(entry.name, None)
                if on_file is not None:
                    on_file(done)

            workers = max(1, min(self.settings.download_concurrency, len(pending)))
            with ThreadPoolExecutor(workers, thread_name_prefix="genesys-download") as pool:
                # list() re-raises the first DownloadFailed from any worker.
                list(pool.map(one, list(pending.values())))
            if not pending:
                break
            if report.manifest_refreshes >= self.settings.manifest_refreshes:
                raise DownloadFailed(
                    f"export {export_id}: presigned URLs kept being rejected (403) after "
                    f"{report.manifest_refreshes} manifest refreshes; files not done: "
                    f"{', '.join(sorted(pending))}"
                )
            report.manifest_refreshes += 1
            log.info("refreshing manifest of %s for %d file(s)", export_id, len(pending))
            fresh = {f.name: f for f in self.manifest(export_id).files}
            for name in list(pending):
                if name not in fresh:
                    raise DownloadFailed(f"export {export_id}: {name} vanished from the manifest")
                pending[name] = fresh[name]
        report.files.sort(key=lambda f: f.manifest.sort_key)
        return report

    def _download_file(
        self, entry: ManifestFile, dest: Path, report: DownloadReport, lock: threading.Lock
    ) -> DownloadedFile:
        last_error = ""
        for attempt in range(1, self.settings.file_attempts + 1):
            pause = self.settings.retry_pause_s * attempt
            try:
                verified = self._fetch(entry, dest)
                return DownloadedFile(manifest=entry, path=verified.path, attempts=attempt)
            except ApiError as exc:
                if exc.status == 403:
                    raise _UrlRejected from None
                if exc.status is not None and exc.status < 500 and exc.status != 429:
                    raise DownloadFailed(f"{entry.name}: {exc}") from None
                if exc.status == 429:  # the storage asked for a pause: seconds or an HTTP date
                    asked = parse_retry_after(
                        exc.retry_after, max_s=self.api.retry.max_retry_after_s
                    )
                    pause = max(pause, asked or 0.0)
                last_error = str(exc)
            except (ChecksumMismatch, SizeMismatch) as exc:
                last_error = str(exc)
            except httpx.TransportError as exc:
                last_error = f"{entry.name}: connection failed mid-download ({type(exc).__name__})"
            with lock:
                report.file_retries += 1
                report.failures.append(last_error)
            log.warning("attempt %d for %s failed: %s", attempt, entry.name, last_error)
            self._sleep(pause)
        raise DownloadFailed(
            f"{entry.name} failed verification after {self.settings.file_attempts} attempts; "
            f"last error: {last_error}"
        )

    def _fetch(self, entry: ManifestFile, dest: Path) -> VerifiedFile:
        with self.api.stream_download(entry.uri) as response:
            return write_verified(
                response.iter_raw(CHUNK_SIZE),
                dest / entry.name,
                expected_sha256=entry.sha256,
                expected_size=entry.size,
                name=entry.name,
            )


@dataclass(frozen=True)
class DayExport:
    """One day's export, downloaded and verified."""

    day: dt.date
    job: ExportJob
    manifest: Manifest
    report: DownloadReport
    requested_at: dt.datetime
    completed_at: dt.datetime
    finished_at: dt.datetime


def export_day(
    client: ConversationExportClient,
    day: dt.date,
    dest: Path,
    *,
    fmt: str = "jsonl",
    on_file: Callable[[DownloadedFile], None] | None = None,
    on_manifest: Callable[[Manifest], None] | None = None,
) -> DayExport:
    """Run the whole protocol for one UTC day into `dest` (a staging folder); `on_file` as in
    `download_all`; `on_manifest` hears of the manifest before its files download."""
    request = ExportRequest.for_day(day, fmt)  # type: ignore[arg-type]
    requested_at = _now()
    created = client.create(request)
    log.info("created export %s for %s", created.id, day)
    job = client.wait(created.id)
    completed_at = _now()
    manifest = client.manifest(job.id)
    _check_partitions(manifest.files, day)
    if on_manifest is not None:
        on_manifest(manifest)
    report = client.download_all(job.id, manifest, dest, on_file=on_file)
    return DayExport(day, job, manifest, report, requested_at, completed_at, _now())


def _check_partitions(files: Sequence[ManifestFile], day: dt.date) -> None:
    """A partition that names a day (older servers) must name this one; an index says nothing."""
    wrong = [f.name for f in files if f.day not in (None, day)]
    if wrong:
        raise ExportError(f"manifest files for another day than {day}: {', '.join(wrong)}")


def _with_id(body: Any, export_id: str) -> Any:
    return {"id": export_id, **body} if isinstance(body, dict) else body


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
