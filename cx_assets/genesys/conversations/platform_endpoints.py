"""Platform-mode conversation paths (analytics conversation details jobs) and the page size.

The real Genesys Cloud Platform API v2 (VENDOR_APIS.md §2.1; docs/api-contract.md "# Platform
mode"). Job ids come from the server, so they are quoted as one path segment before use. What the
contract leaves UNVERIFIED (the page-size cap, how long a job takes) is a setting here.
"""

from __future__ import annotations

from dataclasses import dataclass

from cx_assets.http.paths import path_segment

JOBS_PATH = "/api/v2/analytics/conversations/details/jobs"
AVAILABILITY_PATH = f"{JOBS_PATH}/availability"

#: Results per page. The real maximum is UNVERIFIED (estuary's connector uses 1000; the
#: emulator caps at 1000), so it is a setting with this default.
DEFAULT_PAGE_SIZE = 1000


@dataclass(frozen=True)
class DetailsJobSettings:
    """Knobs of the protocol. Poll waits start at `poll_initial_s` and double up to
    `poll_max_s`; `timeout_s` bounds the whole wait for FULFILLED."""

    page_size: int = DEFAULT_PAGE_SIZE
    poll_initial_s: float = 1.0
    poll_max_s: float = 15.0
    timeout_s: float = 3600.0
    max_pages: int = 100_000

    def __post_init__(self) -> None:
        if self.page_size < 1 or self.max_pages < 1:
            raise ValueError("page_size and max_pages must be at least 1")
        if not 0 < self.poll_initial_s <= self.poll_max_s or self.timeout_s <= 0:
            raise ValueError("need 0 < poll_initial_s <= poll_max_s and timeout_s > 0")


def job_path(job_id: str) -> str:
    return f"{JOBS_PATH}/{path_segment(job_id)}"


def results_path(job_id: str) -> str:
    return f"{job_path(job_id)}/results"
