"""Privacy requests by id: persisted, moved through their lifecycle, and announced by callback.

State lives in `state_dir/privacy/requests.json` (rewritten atomically) and the export files in
`state_dir/privacy/files/`, so a restart keeps every request: one still in flight finishes on
schedule afterwards, and a callback not yet delivered is sent again.

One scheduler thread finishes requests when their delays have passed (rather than a timer per
request, so a restart only has to re-read the file); callbacks go to `CallbackSender`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cx_assets.emulator.context import EmulatorContext
from cx_assets.emulator.errors import ApiError
from cx_assets.emulator.genesys.privacy.callbacks import CallbackSender, callback_body, log_dropped
from cx_assets.emulator.genesys.privacy.content import MEDIA_TYPES, render

log = logging.getLogger(__name__)

BASE = "/api/v2/data/privacy/requests"
FAILED_REASON = "export failed: the emulator's export_failed fault is set"
WRITE_FAILED_REASON = "export failed: the emulator could not write the export file"


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _differences(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    return [name for name in old if old[name] != new.get(name)]


class PrivacyStore:
    """Thread-safe: routes, the scheduler and callback workers all touch the records."""

    def __init__(self, ctx: EmulatorContext) -> None:
        self.ctx = ctx
        self.root = ctx.config.state_dir / "privacy"
        self.files_dir = self.root / "files"
        self.state_path = self.root / "requests.json"
        self.files_dir.mkdir(parents=True, exist_ok=True)
        config = ctx.config
        self.sender = CallbackSender(
            config.webhook_secret, config.callback_attempts, config.callback_backoff_s, ctx.stats
        )
        self._cond = threading.Condition(threading.RLock())
        self._closed = False
        self._records: dict[str, dict[str, Any]] = self._load()
        for record in self._records.values():
            if record["callback"] == "pending":
                self._send_callback(record)
        self._thread = threading.Thread(
            target=self._run, daemon=True, name="cx-emulator-privacy-scheduler"
        )
        self._thread.start()

    # ---- persistence -------------------------------------------------------------------------

    def _load(self) -> dict[str, dict[str, Any]]:
        if not self.state_path.exists():
            return {}
        return json.loads(self.state_path.read_text()).get("requests", {})

    def _save(self) -> None:
        with self._cond:
            if self._closed:  # a worker finishing after shutdown must not clobber a restart's state
                return
            text = json.dumps({"requests": self._records}, indent=1)
            tmp = self.state_path.with_name(f".requests.{os.getpid()}.tmp")
            tmp.write_text(text)
            os.replace(tmp, self.state_path)

    # ---- the API's operations ----------------------------------------------------------------

    def submit(
        self, request: dict[str, Any], base_url: str, fail: bool
    ) -> tuple[dict[str, Any], bool]:
        """(record, True) when filed now; (existing, False) for a repeat of the same body."""
        queue_s, run_s = self.ctx.config.privacy_delays_s
        now = time.time()
        with self._cond:
            existing = self._records.get(request["requestId"])
            if existing is not None:
                changed = _differences(existing["request"], request)
                if changed:
                    raise ApiError(
                        409,
                        f"requestId {request['requestId']} was already used with a different "
                        f"body (differs in: {', '.join(changed)}); choose a new requestId",
                    )
                return existing, False
            record: dict[str, Any] = {
                "request": request,
                "baseUrl": base_url,
                "createdAt": now,
                "startAt": now + queue_s,
                "dueAt": now + queue_s + run_s,
                "failureReason": FAILED_REASON if fail else None,
                "finishedAt": None,
                "file": None,
                "callback": None,
            }
            self._records[request["requestId"]] = record
            self._save()
            self._cond.notify_all()
        return record, True

    def find(self, request_id: str) -> dict[str, Any] | None:
        with self._cond:
            return self._records.get(request_id.lower())

    def get(self, request_id: str) -> dict[str, Any]:
        record = self.find(request_id)
        if record is None:
            raise ApiError(404, f"privacy request {request_id} not found")
        return record

    def status(self, record: dict[str, Any]) -> str:
        if record["finishedAt"] is not None:
            return "FAILED" if record["failureReason"] else "COMPLETED"
        return "QUEUED" if time.time() < record["startAt"] else "PROCESSING"

    def download_url(
        self, record: dict[str, Any], base_url: str, expired: bool = False
    ) -> tuple[str, str]:
        """A presigned `/files/…` URL for the finished export and when it expires."""
        request_id = record["request"]["requestId"]
        path = f"/files/{request_id}/{record['file']['name']}"
        signed_at = datetime.now(UTC)
        query = self.ctx.signer.query(path, now=signed_at, expired=expired)
        lifetime = timedelta(seconds=self.ctx.signer.expiry_s)
        if expired:
            lifetime -= timedelta(seconds=self.ctx.signer.expiry_s + 60)
        expires = (signed_at + lifetime).isoformat(timespec="seconds").replace("+00:00", "Z")
        return f"{base_url.rstrip('/')}{path}?{query}", expires

    def public(
        self, record: dict[str, Any], base_url: str, can_download: bool, expired: bool = False
    ) -> dict[str, Any]:
        """The request object of the contract (downloadUrl only for `can_download`)."""
        request = record["request"]
        status = self.status(record)
        body: dict[str, Any] = {
            **{k: v for k, v in request.items() if k != "callbackUrl"},
            "status": status,
            "createdAt": iso(record["createdAt"]),
        }
        if status == "FAILED":
            body["failureReason"] = record["failureReason"]
        if record["finishedAt"] is not None:
            body["completedAt"] = iso(record["finishedAt"])
        if status == "COMPLETED":
            if can_download:
                body["downloadUrl"], body["expiresAt"] = self.download_url(
                    record, base_url, expired
                )
            body["checksum"] = {"algorithm": "SHA-256", "value": record["file"]["sha256"]}
            body["size"] = record["file"]["size"]
        return body

    def resolve(self, owner_id: str, name: str) -> tuple[Path, str] | None:
        """The export file behind a presigned URL, if this store knows it."""
        with self._cond:
            record = self._records.get(owner_id)
        if record is None or record["file"] is None or record["file"]["name"] != name:
            return None
        return self.files_dir / name, MEDIA_TYPES[record["request"]["format"]]

    # ---- the lifecycle -----------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            with self._cond:
                if self._closed:
                    return
                now = time.time()
                pending = [r for r in self._records.values() if r["finishedAt"] is None]
                due = [r for r in pending if r["dueAt"] <= now]
                if not due:
                    wait = min((r["dueAt"] - now for r in pending), default=None)
                    self._cond.wait(wait)
                    continue
            for record in due:
                try:
                    self._finish(record)
                except Exception:  # keep the scheduler alive; the record is marked FAILED
                    log.exception("finishing privacy request failed")
                    with self._cond:
                        record["failureReason"] = WRITE_FAILED_REASON
                        record["finishedAt"] = time.time()
                        self._save()

    def _finish(self, record: dict[str, Any]) -> None:
        request = record["request"]
        file_info = None
        if not record["failureReason"]:
            data = render(request)
            name = f"{request['requestId']}.{request['format']}"
            tmp = self.files_dir / f".{name}.tmp"
            tmp.write_bytes(data)
            os.replace(tmp, self.files_dir / name)
            file_info = {
                "name": name,
                "size": len(data),
                "sha256": hashlib.sha256(data).hexdigest(),
            }
        with self._cond:
            record["file"] = file_info
            record["finishedAt"] = time.time()
            if request["callbackUrl"]:
                path = f"{BASE}/{request['requestId']}"
                dropped = self.ctx.faults.take("drop_callback", path) is not None
                record["callback"] = "dropped" if dropped else "pending"
            self._save()
        if record["callback"] == "dropped":
            log_dropped(self.ctx.stats, request["requestId"])
        elif record["callback"] == "pending":
            self._send_callback(record)

    def _send_callback(self, record: dict[str, Any]) -> None:
        request = record["request"]
        status = self.status(record)
        url = self.download_url(record, record["baseUrl"])[0] if status == "COMPLETED" else None
        body = callback_body(request["requestId"], status, url, request["entityType"])

        def done(outcome: str) -> None:
            with self._cond:
                record["callback"] = outcome
                self._save()

        self.sender.submit(request["requestId"], request["callbackUrl"], body, done)

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self.sender.close()
        self._thread.join(timeout=2)
