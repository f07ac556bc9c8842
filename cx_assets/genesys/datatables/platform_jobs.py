"""The moving parts of data table jobs: waiting for one to end, downloading an export's file,
uploading an import's file. Every presigned URL is used without credentials and never shown
with its signature (`redact_url`); a failed transfer asks the job again for a fresh URL.

An export file carries no checksum (the real API gives none), so a download is checked for what
can be checked: the bytes `Content-Length` promised (httpx raises on a short body), valid UTF-8
(a flipped byte of the emulator's `corrupt_file` never decodes) and a last line that ends (a
cut file rarely ends on a line break; a server that never writes the final line break is
accepted when a second download gives the very same bytes).
"""

from __future__ import annotations

import codecs
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import httpx

from cx_assets.genesys.datatables.platform_endpoints import DataTablesSettings
from cx_assets.genesys.datatables.platform_errors import (
    DataTableJobError,
    DataTableJobTimeout,
    ExportDownloadFailed,
)
from cx_assets.genesys.datatables.platform_models import ExportJob, ImportJob
from cx_assets.http.client import ApiClient
from cx_assets.http.errors import ApiError
from cx_assets.http.polling import PollTimeout, poll_until
from cx_assets.http.redact import redact

log = logging.getLogger(__name__)

CHUNK = 1024 * 1024
_KNOWN = ("processing", "succeeded", "failed", "waitingforupload")
J = TypeVar("J", ExportJob, ImportJob)


@dataclass(frozen=True)
class Downloaded:
    """An export file on disk, checked: its size, SHA-256 and the downloads it took."""

    size: int
    sha256: str
    attempts: int


class _Suspect(Exception):
    """A download that arrived but cannot be the whole file (or might not be)."""

    def __init__(self, reason: str, size: int = 0, sha256: str = "") -> None:
        super().__init__(reason)
        self.size, self.sha256 = size, sha256


def wait_for_end(
    fetch: Callable[[], J],
    *,
    what: str,
    table_id: str,
    settings: DataTablesSettings,
    sleep: Callable[[float], None],
) -> J:
    """Poll `fetch` until the job is Succeeded or Failed (an unknown status keeps waiting,
    logged once); `DataTableJobTimeout` after `settings.timeout_s`. `what` names table and job."""
    unknown: set[str] = set()

    def ended(job: J) -> bool:
        if job.state not in _KNOWN and job.state not in unknown:
            unknown.add(job.state)
            log.warning("%s: unknown status %r, treated as running", what, job.status)
        return job.succeeded or job.failed

    try:
        return poll_until(
            fetch,
            ended,
            initial_s=settings.poll_initial_s,
            max_s=settings.poll_max_s,
            timeout_s=settings.timeout_s,
            sleep=sleep,
        )
    except PollTimeout as timeout:
        last = timeout.last
        raise DataTableJobTimeout(
            f"{what} is still {last.status} after {settings.timeout_s:g} s (timeout_s)",
            table_id,
            last.id,
        ) from None


def download_export(
    api: ApiClient,
    job: ExportJob,
    refetch: Callable[[], ExportJob],
    dest: Path,
    *,
    what: str,
    table_id: str,
    settings: DataTablesSettings,
    sleep: Callable[[float], None],
) -> Downloaded:
    """The Succeeded `job`'s file into `dest`, checked; each failed try asks the job for a fresh
    URL, up to `settings.download_attempts` tries, then `ExportDownloadFailed`."""
    failures: list[str] = []
    suspect: tuple[int, str] | None = None
    attempts = settings.download_attempts
    for attempt in range(1, attempts + 1):
        try:
            if not job.downloadURI:
                raise _Suspect("the Succeeded job gave no downloadURI")
            size, sha256 = _receive(api, job.downloadURI, dest)
            return Downloaded(size, sha256, attempt)
        except _Suspect as exc:
            if exc.sha256 and suspect == (exc.size, exc.sha256):
                log.info("%s: the same %d bytes twice; taken as the whole file", what, exc.size)
                return Downloaded(exc.size, exc.sha256, attempt)
            suspect = (exc.size, exc.sha256) if exc.sha256 else suspect
            failures.append(str(exc))
        except ApiError as exc:  # the URL refused (403: expired or altered), 5xx, no answer
            failures.append(str(exc))
        except httpx.HTTPError as exc:  # the body broke off or did not decode
            failures.append(f"the download broke off ({type(exc).__name__}: {redact(str(exc))})")
        log.warning("%s: download %d of %d failed: %s", what, attempt, attempts, failures[-1])
        if attempt < attempts:
            sleep(min(settings.poll_initial_s * 2 ** (attempt - 1), settings.poll_max_s))
            job = refetch()  # a fresh presigned URL
    dest.unlink(missing_ok=True)
    raise ExportDownloadFailed(
        f"{what}: the export file could not be downloaded whole in {attempts} attempt(s), each "
        f"with a fresh URL; last: {failures[-1]}",
        table_id,
        job.id,
    )


def _receive(api: ApiClient, url: str, dest: Path) -> tuple[int, str]:
    """One download of `url` into `dest` (overwritten): (bytes, SHA-256), or `_Suspect`."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    digest, size, last = hashlib.sha256(), 0, b""
    with api.stream_download(url) as response, open(dest, "wb") as fh:
        promised = response.headers.get("Content-Length")
        try:
            for chunk in response.iter_bytes(CHUNK):
                decoder.decode(chunk)
                fh.write(chunk)
                digest.update(chunk)
                size += len(chunk)
                last = chunk[-1:] or last
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            raise _Suspect(f"byte {size + exc.start} of the file is not UTF-8 (damaged)") from None
        raw = response.num_bytes_downloaded
    if promised is not None and promised.isdigit() and raw != int(promised):
        raise _Suspect(f"{raw} bytes arrived, Content-Length promised {promised}")
    if size == 0:
        raise _Suspect("the file is empty (an export has at least a header line)")
    if last != b"\n":
        reason = f"the file ({size} bytes) does not end with a line break: cut short?"
        raise _Suspect(reason, size, digest.hexdigest())
    return size, digest.hexdigest()


def upload_import(
    api: ApiClient,
    job: ImportJob,
    refetch: Callable[[], ImportJob],
    csv_path: Path,
    *,
    what: str,
    table_id: str,
    settings: DataTablesSettings,
    sleep: Callable[[float], None],
) -> None:
    """PUT `csv_path` to the job's `uploadURI` with every `uploadHeaders` entry as given.

    A transient failure (no answer, 429, 5xx) is sent again after asking the job (an upload that
    did arrive moves it out of WaitingForUpload), up to `settings.upload_attempts` times; a 403
    (signature or header refused) once, with the job's fresh URL and headers. Never a new job."""
    refused, attempts = False, settings.upload_attempts
    for attempt in range(1, attempts + 1):
        if not job.uploadURI:
            raise DataTableJobError(
                f"{what} gave no uploadURI to send the file to", table_id, job.id
            )
        try:
            api.put_presigned(
                job.uploadURI,
                csv_path,
                dict(job.uploadHeaders or {}),
                timeout=settings.transfer_timeout_s,
            )
            log.info("%s: uploaded %s (%d bytes)", what, csv_path.name, csv_path.stat().st_size)
            return
        except ApiError as exc:
            if exc.status == 403 and not refused:
                refused = True
            elif exc.status != 409 and not exc.transient:
                raise
            if attempt == attempts:
                raise
            log.warning("%s: upload %d of %d failed: %s", what, attempt, attempts, exc)
            if exc.transient:
                sleep(min(settings.poll_initial_s * 2 ** (attempt - 1), settings.poll_max_s))
            job = refetch()
            if job.state != "waitingforupload":
                log.info("%s: the file arrived after all (status %s)", what, job.status)
                return
            if exc.status == 409:
                raise
