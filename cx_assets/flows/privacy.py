"""One tracking tick: act on verified callbacks, poll what is due, reconcile download claims.

No Dagster here, so it is tested directly. Both completion paths end in the same catalog state
(COMPLETED), and a download claim (`privacy_claims.reconcile`) moves a request from there
exactly once; so the webhook path, the polling path, or both together launch one download per
request, and a download run that dies hands its claim back instead of stranding the request.
Polling backs off exponentially per request (`next_poll_at` in the catalog): a sensor tick is
cheap; a tutorial request is asked about every few minutes at most, a GDPR request (which can
take days) every hour at most. Platform mode has no callbacks.
`PrivacyGenesys` is what every privacy step needs of a Genesys target (`GenesysCloudResource`
is one); the client is opened only if a tick needs the API.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from cx_assets.catalog import privacy as cat
from cx_assets.flows.crashpoints import crashpoint
from cx_assets.flows.privacy_claims import Launch, RunLedger, reconcile
from cx_assets.flows.webhook_refusals import summarise_refusals
from cx_assets.genesys.privacy.platform import GdprClient
from cx_assets.genesys.privacy.tutorial import PRIVACY_SCOPES, PrivacyClient
from cx_assets.http.client import ApiClient
from cx_assets.http.errors import ApiError
from cx_assets.lake.paths import DataLayout
from cx_assets.lake.privacy import PrivacyArea
from cx_assets.receiver.privacy import CALLBACK_PATH, PrivacyInbox

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

    def mode_for(self, flow: str) -> str: ...

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


#: Tutorial requests finish in seconds to minutes; GDPR requests "can take several days", so
#: platform polling backs off from seconds to hours (a request a day old is asked about hourly).
DEFAULT_POLL = PollPolicy()
PLATFORM_POLL = PollPolicy(initial_s=5.0, factor=2.0, max_s=3600.0)


@dataclass(frozen=True)
class StatusChange:
    """A request's status moved: what the UI is shown (the catalog has the audit entry)."""

    partition_key: str
    before: str
    after: str
    source: str


@dataclass
class TickOutcome:
    launches: list[Launch] = field(default_factory=list)
    changes: list[StatusChange] = field(default_factory=list)
    polled: list[str] = field(default_factory=list)
    callbacks: int = 0
    rejected_callbacks: int = 0
    errors: list[str] = field(default_factory=list)
    released: list[str] = field(default_factory=list)

    @property
    def downloads(self) -> list[str]:
        return [launch.partition_key for launch in self.launches]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def process_callbacks(
    catalog_path: Path,
    inbox: PrivacyInbox,
    client_factory: Callable[[], PrivacyClient],
    outcome: TickOutcome,
) -> None:
    """Audit a summary of refused callbacks (one entry, only if there were any since the last)
    and apply accepted ones to their request's state."""
    summary = summarise_refusals(
        catalog_path,
        inbox.refusals_path,
        flow=FLOW,
        route=CALLBACK_PATH,
        actor=WEBHOOK_ACTOR,
        legacy_notes=inbox.legacy_rejections(),
        drop_legacy=inbox.drop_legacy_rejections,
    )
    outcome.rejected_callbacks += summary.total if summary else 0
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
            moved = cat.record_poll(
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
            if moved:
                outcome.changes.append(StatusChange(row.partition_key, *moved, "webhook"))
        inbox.mark_done(entry)
        outcome.callbacks += 1
    inbox.prune_done(time.time())


class StatusReader(Protocol):
    """Reads a filed request's status: (status, failure reason)."""

    def __call__(self, row: cat.PrivacyRow) -> tuple[str, str | None]: ...


def poll_due(
    catalog_path: Path,
    read_status: StatusReader,
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
            status, reason = read_status(row)
        except ApiError as exc:
            # Transient trouble was retried already, and an answer that cannot be read
            # (`UnreadableResponse`) fails the same way: the error is kept against this
            # request, audited once, its backoff goes on, and the other requests are polled.
            outcome.errors.append(f"{row.partition_key}: {exc}")
            cat.record_poll_failure(
                catalog_path,
                partition_key=row.partition_key,
                error=str(exc),
                actor=actor,
                next_poll_at=now + policy.delay(attempts),
                attempts=attempts,
            )
            continue
        terminal = status in ("COMPLETED", "FAILED", "ERROR")
        moved = cat.record_poll(
            catalog_path,
            partition_key=row.partition_key,
            status=status,
            failure_reason=reason,
            actor=actor,
            source="poll",
            latency_ms=(time.monotonic() - started) * 1000,
            next_poll_at=None if terminal else now + policy.delay(attempts),
            attempts=attempts,
        )
        if moved:
            outcome.changes.append(StatusChange(row.partition_key, *moved, "poll"))
        outcome.polled.append(row.partition_key)


def track(
    catalog_path: Path,
    inbox: PrivacyInbox | None,
    client_factory: Callable[[], PrivacyClient],
    read_status: StatusReader,
    ledger: RunLedger,
    *,
    actor: str,
    policy: PollPolicy | None = None,
    now: dt.datetime | None = None,
) -> TickOutcome:
    """One tick; `launches` are the download runs to request now. `inbox` None: no callbacks
    (platform mode: the GDPR API has none)."""
    outcome = TickOutcome()
    if inbox is not None:
        process_callbacks(catalog_path, inbox, client_factory, outcome)
    poll_due(catalog_path, read_status, policy or DEFAULT_POLL, actor, outcome, now or _now())
    crashpoint("privacy.track.after_poll")
    done = reconcile(catalog_path, ledger, "download", actor=actor, now=now)
    outcome.launches, outcome.released = done.launches, done.released + done.gave_up
    return outcome


class LazyApi:
    """Opens the authenticated API client only if a tick needs it, and closes it after."""

    def __init__(self, genesys: PrivacyGenesys, stack: contextlib.ExitStack, scopes: Sequence[str]):
        self._genesys, self._stack, self._scopes = genesys, stack, scopes
        self._api: ApiClient | None = None

    def __call__(self) -> ApiClient:
        if self._api is None:
            self._api = self._stack.enter_context(self._genesys.api_client(self._scopes, flow=FLOW))
        return self._api


def run_tracking_tick(
    genesys: PrivacyGenesys,
    layout: DataLayout,
    ledger: RunLedger,
    policy: PollPolicy | None = None,
    now: dt.datetime | None = None,
) -> TickOutcome:
    """The tracking sensor's step: one `track` tick over the data root's catalog (and, in
    tutorial mode, its webhook inbox)."""
    area = PrivacyArea(layout.root)
    platform = genesys.mode_for(FLOW) == "platform"
    with contextlib.ExitStack() as stack:
        api = LazyApi(genesys, stack, () if platform else PRIVACY_SCOPES)

        def tutorial_client() -> PrivacyClient:
            return PrivacyClient(api())

        def read_status(row: cat.PrivacyRow) -> tuple[str, str | None]:
            if row["api_mode"] == "platform":
                view = GdprClient(api()).get(str(row["server_request_id"]))
                return view.status, None
            status = tutorial_client().status(row.request_id)
            return status.status, status.failure_reason

        return track(
            layout.catalog_path,
            None if platform else PrivacyInbox(area),
            tutorial_client,
            read_status,
            ledger,
            actor=genesys.client_id,
            policy=policy or (PLATFORM_POLL if platform else DEFAULT_POLL),
            now=now,
        )
