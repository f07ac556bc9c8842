"""Verified privacy-request callbacks on disk: the receiver writes, the tracking sensor reads.

An accepted callback is written durably to the privacy area's inbox (atomic, 0600), where the
tracking step acts on it at its next tick; the `(requestId, t)` pair is marked seen so a replay
is refused. Refusals are only counted (`refusals.RefusalLedger`, `privacy/webhooks/refusals.json`)
and the tracking step audits a summary of them. Plain files, so the receiver never touches the
catalog (DuckDB has one writer; Dagster runs hold it), and nothing here stores the presigned
`downloadUrl`. Every folder is bounded: see `PrivacyInbox`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from cx_assets.genesys.privacy.models import PrivacyCallback
from cx_assets.lake.privacy import FILE_MODE, PrivacyArea, private_dir, write_private_json
from cx_assets.receiver.pruning import prune
from cx_assets.receiver.refusals import LEDGER_NAME

CALLBACK_PATH = "/privacy/callback"
SECRET_ENV = "CX_PRIVACY_WEBHOOK_SECRET"
#: The emulator's default secret: used only when `CX_PRIVACY_WEBHOOK_SECRET` is not set.
EMULATOR_WEBHOOK_SECRET = "emulator-webhook-secret"
#: Acted-on callbacks kept for inspection: the newest `DONE_KEEP`, none older than 30 days.
DONE_KEEP = 1000
DONE_MAX_AGE_S = 30 * 86400


def webhook_secret_from_env() -> str:
    return os.environ.get(SECRET_ENV) or EMULATOR_WEBHOOK_SECRET


@dataclass(frozen=True)
class InboxEntry:
    path: Path
    request_id: str
    status: str
    entity_type: str | None
    signed_at: int
    received_at: str


class PrivacyInbox:
    """Verified callbacks on disk: written by the receiver, consumed by the tracking sensor.

    Bounds: `inbox/` holds what the sensor has not acted on yet (the receiver refuses new ones
    beyond `limits.ReceiverLimits.max_pending`); `seen/` only markers younger than twice the
    signature tolerance (older signatures are refused as stale anyway; `forget_seen_before`);
    `done/` the newest `DONE_KEEP` files and none older than `DONE_MAX_AGE_S` (`prune_done`);
    `refusals.json` is one bounded file; `rejected/` (one note per refusal, written by earlier
    versions) is folded into the next refusal summary and removed."""

    def __init__(self, area: PrivacyArea) -> None:
        self.area = area.ensure()

    @property
    def refusals_path(self) -> Path:
        return self.area.webhooks_dir / LEDGER_NAME

    @property
    def legacy_rejections_dir(self) -> Path:
        return self.area.rejected_callbacks_dir

    def _marker(self, request_id: str, timestamp: int) -> Path:
        key = hashlib.sha256(f"{request_id}:{timestamp}".encode()).hexdigest()[:40]
        return self.area.seen_dir / f"{timestamp}-{key}"

    def accept(self, callback: PrivacyCallback, timestamp: int) -> bool:
        """Store the callback; False (nothing stored) if `(requestId, t)` was accepted before."""
        marker = self._marker(callback.request_id, timestamp)
        try:  # O_EXCL: of two concurrent deliveries exactly one wins
            os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY, FILE_MODE))
        except FileExistsError:
            return False
        entry = {
            "requestId": callback.request_id,
            "status": callback.status,
            "entityType": callback.entity_type,
            "t": timestamp,
            "receivedAt": dt.datetime.now(dt.UTC).isoformat(),
        }
        try:
            write_private_json(self.area.inbox_dir / f"{marker.name}.json", entry)
        except BaseException:
            marker.unlink(missing_ok=True)  # let the sender's retry through
            raise
        return True

    def forget_seen_before(self, timestamp: float) -> int:
        """Drop replay markers signed before `timestamp` (a signature that old is refused as
        stale anyway). Returns how many were dropped."""
        return prune(self.area.seen_dir, older_than=timestamp)

    def pending_count(self) -> int:
        folder = self.area.inbox_dir
        if not folder.is_dir():
            return 0
        with os.scandir(folder) as entries:
            return sum(1 for e in entries if e.name.endswith(".json") and e.name[0] != ".")

    def pending(self) -> list[InboxEntry]:
        """Accepted callbacks not yet acted on, oldest first."""
        entries: list[InboxEntry] = []
        for path in sorted(self.area.inbox_dir.glob("*.json")):
            data = json.loads(path.read_text())
            entries.append(
                InboxEntry(
                    path,
                    data["requestId"],
                    data["status"],
                    data.get("entityType"),
                    int(data["t"]),
                    data["receivedAt"],
                )
            )
        return entries

    def mark_done(self, entry: InboxEntry) -> None:
        private_dir(self.area.done_dir)
        os.replace(entry.path, self.area.done_dir / entry.path.name)

    def prune_done(self, now: float) -> int:
        """Keep `done/` to the newest `DONE_KEEP` files, none older than `DONE_MAX_AGE_S`."""
        return prune(self.area.done_dir, older_than=now - DONE_MAX_AGE_S, keep=DONE_KEEP)

    def legacy_rejections(self) -> int:
        """Refusal notes earlier versions wrote one per refusal, not yet audited."""
        folder = self.legacy_rejections_dir
        return len(list(folder.glob("*.json"))) if folder.is_dir() else 0

    def drop_legacy_rejections(self) -> None:
        shutil.rmtree(self.legacy_rejections_dir, ignore_errors=True)
