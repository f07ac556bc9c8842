"""`data.action.updated` events from Genesys Cloud webhooks, kept in an inbox on disk.

The shared webhook receiver (`server.create_webhook_app`, route `EVENTS_PATH`) verifies
each delivery's signature with the secret this client chose when it registered the webhook
(`CX_GENESYS_WEBHOOK_SECRET`) and hands verified events to `EventInbox.accept`. The inbox is plain
files under `<data root>/webhooks/events/` so the receiver never touches the catalog (DuckDB has
one writer) and an event survives a restart of either side:

```
webhooks/events/inbox/<t>-<hash>.json     verified events not yet acted on (atomic writes)
webhooks/events/done/<t>-<hash>.json      events the events sensor has acted on
webhooks/events/seen/<t>-<hash>           signed deliveries already accepted (replay guard)
webhooks/events/refusals.json             refused deliveries, counted (`refusals.RefusalLedger`)
```

The secret itself is never written anywhere.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field

from cx_assets.lake.atomic import atomic_write
from cx_assets.receiver.pruning import prune
from cx_assets.receiver.refusals import LEDGER_NAME

EVENTS_PATH = "/genesys/events"
ACTION_UPDATED = "data.action.updated"
SECRET_ENV = "CX_GENESYS_WEBHOOK_SECRET"
#: The signing secret registered with the emulator when `CX_GENESYS_WEBHOOK_SECRET` is unset.
#: It is public (it is in this file), so `signing_secret` refuses it for a real org.
EMULATOR_EVENTS_SECRET = "cx-assets-emulator-events"
#: The contract's lower bound for a client-chosen webhook secret.
MIN_SECRET_CHARS = 8
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}
#: Acted-on events kept for inspection: the newest `DONE_KEEP`, none older than 30 days.
DONE_KEEP = 1000
DONE_MAX_AGE_S = 30 * 86400


class ActionEvent(BaseModel):
    """One delivery's body: which action changed, to which version, by whom, when."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True, frozen=True)

    event_type: Literal["data.action.updated"] = Field(alias="eventType")
    action_id: str = Field(alias="actionId", pattern=r"^[A-Za-z0-9][A-Za-z0-9_.=-]{0,127}$")
    version: int = Field(ge=0)
    actor_id: str | None = Field(default=None, alias="actorId", max_length=256)
    timestamp: str = Field(min_length=1, max_length=64)

    @property
    def event_id(self) -> str:
        """Stable across redeliveries (each is re-signed with a new `t`), unique across emulator
        resets (versions restart at 1, the update's timestamp does not)."""
        return f"{self.action_id}:v{self.version}:{self.timestamp}"


@dataclass(frozen=True)
class InboxEvent:
    path: Path
    event: ActionEvent
    signed_at: int
    received_at: str


def signing_secret(api_url: str, environ: dict[str, str] | None = None) -> str:
    """The secret webhooks are registered (and verified) with: `CX_GENESYS_WEBHOOK_SECRET`, or
    the public emulator default, which is refused for anything but a loopback (emulator) URL."""
    env = os.environ if environ is None else environ
    secret = env.get(SECRET_ENV) or ""
    if secret:
        if len(secret) < MIN_SECRET_CHARS:
            raise ValueError(f"{SECRET_ENV} must be at least {MIN_SECRET_CHARS} characters")
        return secret
    if urlsplit(api_url).hostname in _LOOPBACK:
        return EMULATOR_EVENTS_SECRET
    raise ValueError(
        f"{SECRET_ENV} must be set to register a webhook with a real org ({api_url}): "
        "the default secret is only for the emulator"
    )


def receiver_secret_from_env() -> str:
    """What the receiver verifies events with (the same variable `signing_secret` reads)."""
    return os.environ.get(SECRET_ENV) or EMULATOR_EVENTS_SECRET


def _write_json(path: Path, value: Any) -> None:
    with atomic_write(path) as fh:
        fh.write(json.dumps(value, sort_keys=True).encode())


class EventInbox:
    """Verified events on disk: written by the receiver, consumed by the events sensor.

    Bounds: `inbox/` holds what the sensor has not acted on yet (the receiver refuses new ones
    beyond `limits.ReceiverLimits.max_pending`); `seen/` only markers younger than twice the
    signature tolerance (`forget_seen_before`); `done/` the newest `DONE_KEEP` files and none
    older than `DONE_MAX_AGE_S` (`prune_done`); `refusals.json` is one bounded file;
    `rejected/` (one note per refusal, written by earlier versions) is folded into the next
    refusal summary and removed."""

    def __init__(self, data_root: Path) -> None:
        self.root = Path(data_root) / "webhooks" / "events"
        self.inbox_dir = self.root / "inbox"
        self.done_dir = self.root / "done"
        self.seen_dir = self.root / "seen"
        self.refusals_path = self.root / LEDGER_NAME
        self.legacy_rejections_dir = self.root / "rejected"

    def accept(self, body: bytes, event: ActionEvent, timestamp: int) -> bool:
        """Store the event; False (nothing stored) if this exact signed delivery was seen."""
        self.seen_dir.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256(f"{timestamp}.".encode() + body).hexdigest()[:40]
        marker = self.seen_dir / f"{timestamp}-{digest}"
        try:  # O_EXCL: of two concurrent deliveries exactly one wins
            os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
        except FileExistsError:
            return False
        entry = {
            "event": event.model_dump(mode="json", by_alias=True),
            "t": timestamp,
            "receivedAt": dt.datetime.now(dt.UTC).isoformat(),
        }
        try:
            _write_json(self.inbox_dir / f"{marker.name}.json", entry)
        except BaseException:
            marker.unlink(missing_ok=True)  # let the sender's retry through
            raise
        return True

    def forget_seen_before(self, timestamp: float) -> int:
        """Drop replay markers signed before `timestamp`: a signature that old is refused as
        stale anyway, so the guard stays small. Returns how many were dropped."""
        return prune(self.seen_dir, older_than=timestamp)

    def pending_count(self) -> int:
        if not self.inbox_dir.is_dir():
            return 0
        with os.scandir(self.inbox_dir) as entries:
            return sum(1 for e in entries if e.name.endswith(".json") and e.name[0] != ".")

    def pending(self) -> list[InboxEvent]:
        """Accepted events not yet acted on, oldest first."""
        entries = []
        for path in sorted(self.inbox_dir.glob("*.json")) if self.inbox_dir.is_dir() else []:
            data = json.loads(path.read_text())
            event = ActionEvent.model_validate(data["event"])
            entries.append(InboxEvent(path, event, int(data["t"]), str(data["receivedAt"])))
        return entries

    def mark_done(self, entry: InboxEvent) -> None:
        self.done_dir.mkdir(parents=True, exist_ok=True)
        os.replace(entry.path, self.done_dir / entry.path.name)

    def prune_done(self, now: float) -> int:
        """Keep `done/` to the newest `DONE_KEEP` files, none older than `DONE_MAX_AGE_S`."""
        return prune(self.done_dir, older_than=now - DONE_MAX_AGE_S, keep=DONE_KEEP)

    def legacy_rejections(self) -> int:
        """Refusal notes earlier versions wrote one per refusal, not yet audited."""
        folder = self.legacy_rejections_dir
        return len(list(folder.glob("*.json"))) if folder.is_dir() else 0

    def drop_legacy_rejections(self) -> None:
        shutil.rmtree(self.legacy_rejections_dir, ignore_errors=True)
