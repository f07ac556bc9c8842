"""One tracking tick: act on verified callbacks, poll what is due, claim completed downloads.

No Dagster here, so it is tested directly. Both completion paths end in the same catalog state
(COMPLETED), and `claim_download` moves a request from there exactly once; so the webhook path,
the polling path, or both together launch one download per request.
Polling backs off exponentially per request (`next_poll_at` in the catalog): a sensor tick is
cheap, a request that has been PROCESSING for an hour is asked about every few minutes.
`PrivacyGenesys` is what every privacy step needs of a Genesys target (`GenesysCloudResource`
is one); the client is opened only if a tick needs the API.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from cx_assets.catalog import privacy as cat
from cx_assets.genesys.privacy.tutorial import PRIVACY_SCOPES, PrivacyClient
from cx_assets.http.client import ApiClient
from cx_assets.http.errors import ApiError
from cx_assets.lake.paths import DataLayout
from cx_assets.lake.privacy import PrivacyArea
from cx_assets.receiver.privacy import PrivacyInbox

log = logging.getLogger(__name__)
WEBHOOK_ACTOR = "genesys-callback"
#: The flow name the Genesys resource resolves the API mode for.
FLOW = "privacy"


class PrivacyGenesys(Protocol):
    """The Genesys target the privacy steps talk to: who we are, where, and an API client."""

    @property
    def client_id(self) -> str: ...

    @property
    def is_emulator(self) -> bool: ...

    def describe_target(self, flow: str | None = None) -> str: ...

    def base_urls(self) -> tuple[str, str]: ...

    def api_client(
        self, scopes: Sequence[str], *, flow: str
    ) -> contextlib.AbstractContextManager[ApiClient]: ...


@dataclass(frozen=True)
class PollPolicy:
    """Wait `initial_s`, then double (`factor`) after every poll, capped at `max_s`."""

    initial_s: float = 5.0
    factor: float = 2.0
    max_s: float = 300.0

    def delay(self, attempts: int) -> dt.timedelta:
        return dt.timedelta(seconds=min(self.max_s, self.initial_s * self.factor**attempts))


DEFAULT_POLL = PollPolicy()


@dataclass
class TickOutcome:
    downloads: list[str] = field(default_factory=list)
    polled: list[str] = field(default_factory=list)
    callbacks: int = 0
    rejected_callbacks: int = 0
    errors: list[str] = field(default_factory=list)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def process_callbacks(
    catalog_path: Path,
    inbox: PrivacyInbox,
    client_factory: Callable[[], PrivacyClient],
    outcome: TickOutcome,
) -> None:
    """Audit refused callbacks and apply accepted ones to their request's state."""
    for path, note in inbox.rejections():
        cat.record_callback(
            catalog_path,
            request_id=note.get("requestId") or "unknown",
            actor=WEBHOOK_ACTOR,
            accepted=False,
            details={
                "outcome": "rejected",
                "reason": note["reason"],
                "t": note.get("t"),
                "received_at": note["receivedAt"],
            },
        )
        inbox.mark_rejection_audited(path)
        outcome.rejected_callbacks += 1
    for entry in inbox.pending():
        row = cat.row_for_request_id(catalog_path, entry.request_id)
        acted = row is not None and row.status in cat.PENDING
        details = {
            "status": entry.status,
            "t": entry.signed_at,
            "received_at": entry.received_at,
            "latency_ms": round((time.time() - entry.signed_at) * 1000, 1),
            "outcome": "applied"
            if acted
            else ("unknown request" if row is None else f"no action (already {row.status})"),
        }
        if row is not None:
            details["partition_key"] = row.partition_key
        cat.record_callback(
            catalog_path,
            request_id=entry.request_id,
            actor=WEBHOOK_ACTOR,
            accepted=True,
            details=details,
        )
        if acted and row is not None:
            reason = None
            if entry.status == "FAILED":  # the callback carries no reason: ask once
                try:
                    reason = client_factory().status(entry.request_id).failure_reason
                except ApiError as exc:
                    reason = f"(reason unavailable: {exc})"
            cat.record_poll(
                catalog_path,
                partition_key=row.partition_key,
                status=entry.status,
                failure_reason=reason,
                actor=WEBHOOK_ACTOR,
                source="webhook",
                latency_ms=None,
                next_poll_at=row["next_poll_at"],
                attempts=int(row["poll_attempts"] or 0),
            )
        inbox.mark_done(entry)
        outcome.callbacks += 1


def poll_due(
    catalog_path: Path,
    client_factory: Callable[[], PrivacyClient],
    policy: PollPolicy,
    actor: str,
    outcome: TickOutcome,
    now: dt.datetime,
) -> None:
    """GET the status of every pending request whose next poll is due; back off the rest."""
    for row in cat.rows_with_status(catalog_path, cat.PENDING):
        due = row["next_poll_at"]
        if due is not None and due > now:
            continue
        attempts = int(row["poll_attempts"] or 0) + 1
        started = time.monotonic()
        try:
            status = client_factory().status(row.request_id)
        except ApiError as exc:  # transient trouble was retried already; try again later
            outcome.errors.append(f"{row.partition_key}: {exc}")
            cat.record_poll(
                catalog_path,
                partition_key=row.partition_key,
                status=row.status,
                failure_reason=None,
                actor=actor,
                source="poll",
                latency_ms=None,
                next_poll_at=now + policy.delay(attempts),
                attempts=attempts,
            )
            continue
        cat.record_poll(
            catalog_path,
            partition_key=row.partition_key,
            status=status.status,
            failure_reason=status.failure_reason,
            actor=actor,
            source="poll",
            latency_ms=(time.monotonic() - started) * 1000,
            next_poll_at=None if status.terminal else now + policy.delay(attempts),
            attempts=attempts,
        )
        outcome.polled.append(row.partition_key)


def claim_completed(catalog_path: Path, actor: str, outcome: TickOutcome) -> None:
    for row in cat.rows_with_status(catalog_path, ("COMPLETED",)):
        if cat.claim_download(catalog_path, row.partition_key, actor):
            outcome.downloads.append(row.partition_key)


def track(
    catalog_path: Path,
    inbox: PrivacyInbox,
    client_factory: Callable[[], PrivacyClient],
    *,
    actor: str,
    policy: PollPolicy | None = None,
    now: dt.datetime | None = None,
) -> TickOutcome:
    """One tick; `downloads` lists the partition keys whose download must be launched now."""
    outcome = TickOutcome()
    process_callbacks(catalog_path, inbox, client_factory, outcome)
    poll_due(catalog_path, client_factory, policy or DEFAULT_POLL, actor, outcome, now or _now())
    claim_completed(catalog_path, actor, outcome)
    return outcome


class LazyClient:
    """Opens the authenticated client only if a tick needs the API, and closes it after."""

    def __init__(self, genesys: PrivacyGenesys, stack: contextlib.ExitStack) -> None:
        self._genesys, self._stack = genesys, stack
        self._client: PrivacyClient | None = None

    def __call__(self) -> PrivacyClient:
        if self._client is None:
            api = self._stack.enter_context(self._genesys.api_client(PRIVACY_SCOPES, flow=FLOW))
            self._client = PrivacyClient(api)
        return self._client


@contextlib.contextmanager
def lazy_client(genesys: PrivacyGenesys) -> Iterator[LazyClient]:
    """A client factory for `track`: opens at most one client, closed when the block ends."""
    with contextlib.ExitStack() as stack:
        yield LazyClient(genesys, stack)


def run_tracking_tick(
    genesys: PrivacyGenesys, layout: DataLayout, policy: PollPolicy = DEFAULT_POLL
) -> TickOutcome:
    """The tracking sensor's step: one `track` tick over the data root's inbox and catalog."""
    area = PrivacyArea(layout.root)
    with lazy_client(genesys) as factory:
        return track(
            layout.catalog_path,
            PrivacyInbox(area),
            factory,
            actor=genesys.client_id,
            policy=policy,
        )
