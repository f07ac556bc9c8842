"""Client for Genesys Cloud privacy export requests (docs/api-contract.md, "Privacy").

Submission is idempotent: the requestId is the caller's (derived from the partition key), and the
server answers a repeat with the existing request, so a retried run never files a second one.
Downloads are streamed to the privacy area and published only when size and SHA-256 match.
Every answer is read through `read_model`, so one the status model cannot read fails once as
`UnreadableResponse` naming the field, never quoting a value (it may be a presigned URL).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

import httpx

from cx_assets.genesys.privacy.models import PrivacyRequest, PrivacyRequestStatus
from cx_assets.http.client import ApiClient
from cx_assets.http.errors import ApiError, ForbiddenError
from cx_assets.http.paths import path_segment
from cx_assets.http.reading import read_model
from cx_assets.lake.privacy import FILE_MODE
from cx_assets.lake.verified_download import READ_CHUNK, VerifiedFile, write_verified

log = logging.getLogger(__name__)

PRIVACY_REQUESTS_PATH = "/api/v2/data/privacy/requests"
PRIVACY_SCOPES: tuple[str, ...] = (
    "data:privacy:write",
    "data:privacy:view",
    "data:privacy:export",
)


class PrivacyRequestFailed(RuntimeError):
    """The server marked the request FAILED; the message carries its `failureReason`."""


class NotReady(RuntimeError):
    """The request has not completed yet (nothing to download)."""


@dataclass(frozen=True)
class Submission:
    status: PrivacyRequestStatus
    latency_ms: float


def request_path(request_id: str) -> str:
    return f"{PRIVACY_REQUESTS_PATH}/{path_segment(request_id)}"


class PrivacyClient:
    """Submit, track and download privacy requests over one authenticated `ApiClient`."""

    def __init__(self, api: ApiClient) -> None:
        self.api = api

    def submit(self, request_id: str, request: PrivacyRequest) -> Submission:
        """POST the request; a repeat of the same body returns the existing request.

        Raises `ConflictError` (409) when the requestId was filed with a different body."""
        started = time.monotonic()
        response = self.api.request(
            "POST", PRIVACY_REQUESTS_PATH, json=request.wire_body(request_id)
        )
        status = read_model(PrivacyRequestStatus, response, "a privacy request")
        return Submission(status, (time.monotonic() - started) * 1000)

    def status(self, request_id: str) -> PrivacyRequestStatus:
        """The request as the server has it now; `UnreadableResponse` if it cannot be read."""
        response = self.api.request("GET", request_path(request_id))
        return read_model(PrivacyRequestStatus, response, "a privacy request")

    def download(self, request_id: str, dest: Path, *, attempts: int = 3) -> VerifiedFile:
        """Stream the completed export to `dest` (0600), verified against the server's checksum.

        A fresh status is read before each attempt, so an expired presigned URL (403) or a
        corrupt transfer is retried with a new URL. FAILED raises `PrivacyRequestFailed`; not
        yet completed raises `NotReady`.
        """
        last: Exception | None = None
        for _ in range(max(1, attempts)):
            status = self.status(request_id)
            if status.status == "FAILED":
                raise PrivacyRequestFailed(
                    f"privacy request {request_id} FAILED: {status.failure_reason or 'no reason'}"
                )
            if status.status != "COMPLETED":
                raise NotReady(f"privacy request {request_id} is {status.status}, not COMPLETED")
            if not status.download_url or status.checksum is None:
                raise NotReady(
                    f"privacy request {request_id} is COMPLETED but has no downloadUrl/checksum "
                    "(does the token have data:privacy:export?)"
                )
            if status.checksum.algorithm.upper().replace("-", "") != "SHA256":
                raise ValueError(f"unsupported checksum algorithm {status.checksum.algorithm!r}")
            try:
                with self.api.stream_download(self._absolute(status.download_url)) as response:
                    verified = write_verified(
                        response.iter_bytes(READ_CHUNK),
                        dest,
                        expected_sha256=status.checksum.value,
                        expected_size=status.size,
                        name=f"privacy export {request_id}",
                    )
                dest.chmod(FILE_MODE)
                return verified
            except ForbiddenError as exc:  # expired or tampered URL: a fresh status signs anew
                last = exc
            except (ApiError, ValueError, OSError, httpx.TransportError) as exc:
                last = exc
            log.warning("privacy export %s download attempt failed: %s", request_id, last)
        assert last is not None
        raise last

    def _absolute(self, url: str) -> str:
        """`downloadUrl` as an absolute URL: the contract calls it "a presigned `/files/...` URL",
        so a bare path is read against the API's base URL (no token is sent either way)."""
        return urljoin(f"{self.api.base_url}/", url)
