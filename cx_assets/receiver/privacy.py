"""Verified privacy-request callbacks on disk: the receiver writes, the tracking sensor reads.

An accepted callback is written durably to the privacy area's inbox (atomic, 0600), where the
tracking step acts on it at its next tick; the `(requestId, t)` pair is marked seen so a replay
is refused. Refusals are noted (reason only) in `webhooks/rejected/` so the tracking step can
audit them. Plain files, so the receiver never touches the catalog (DuckDB has one writer; Dagster
runs hold it), and nothing here stores the presigned `downloadUrl`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cx_assets.genesys.privacy.models import PrivacyCallback
from cx_assets.lake.privacy import FILE_MODE, PrivacyArea, private_dir, write_private_json

CALLBACK_PATH = "/privacy/callback"
SECRET_ENV = "CX_PRIVACY_WEBHOOK_SECRET"
#: The emulator's default secret: used only when `CX_PRIVACY_WEBHOOK_SECRET` is not set.
EMULATOR_WEBHOOK_SECRET = "emulator-webhook-secret"
_SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")


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
    """Verified callbacks on disk: written by the receiver, consumed by the tracking sensor."""

    def __init__(self, area: PrivacyArea) -> None:
        self.area = area.ensure()

    def _marker(self, request_id: str, timestamp: int) -> Path:
        key = hashlib.sha256(f"{request_id}:{timestamp}".encode()).hexdigest()[:40]
        return self.area.seen_dir / key

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
            write_private_json(self.area.inbox_dir / f"{timestamp}-{marker.name}.json", entry)
        except BaseException:
            marker.unlink(missing_ok=True)  # let the sender's retry through
            raise
        return True

    def note_rejection(self, reason: str, request_id: str | None, timestamp: int | None) -> None:
        note = {
            "reason": reason,
            "requestId": request_id if request_id and _SAFE_ID.fullmatch(request_id) else None,
            "t": timestamp,
            "receivedAt": dt.datetime.now(dt.UTC).isoformat(),
        }
        name = f"{time.time_ns()}-{uuid.uuid4().hex[:8]}.json"
        write_private_json(self.area.rejected_callbacks_dir / name, note)

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

    def rejections(self) -> list[tuple[Path, dict[str, Any]]]:
        folder = self.area.rejected_callbacks_dir
        return [(p, json.loads(p.read_text())) for p in sorted(folder.glob("*.json"))]

    def mark_rejection_audited(self, path: Path) -> None:
        done = private_dir(self.area.rejected_callbacks_dir / "audited")
        os.replace(path, done / path.name)
