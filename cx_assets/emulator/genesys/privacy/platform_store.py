"""GDPR requests of the org: filed, moved through their statuses by time, and their results.

Like the tutorial privacy store, requests live in `state_dir/gdpr/requests.json` (rewritten
atomically on every filing), so a restart keeps them and their statuses carry on from the
clock. A request's status is computed from its age, so nothing runs in the background: each
step lasts the `gdpr_step_s` the request was filed with. A completed export's results files are
written to `state_dir/gdpr/files/<id>/` the first time they are needed (deterministic bytes).
"""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cx_assets.emulator.context import EmulatorContext
from cx_assets.emulator.errors import ApiError
from cx_assets.emulator.genesys.privacy.platform_results import MEDIA_TYPE, part_name, render

BASE = "/api/v2/gdpr/requests"
#: The statuses a request passes through before it ends COMPLETED (or ERROR), per type.
STEPS: dict[str, tuple[str, ...]] = {
    "GDPR_EXPORT": ("INITIATED", "SEARCHING", "FINALIZING"),
    "GDPR_UPDATE": ("INITIATED", "SEARCHING", "UPDATING"),
    "GDPR_DELETE": ("INITIATED", "SEARCHING", "DELETING"),
}


def iso_ms(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def user_of(client_id: str) -> dict[str, str]:
    """`createdBy`: a stable user id standing for the OAuth client that filed the request."""
    user_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"cx-emulator:oauth-client:{client_id}"))
    return {"id": user_id, "selfUri": f"/api/v2/users/{user_id}"}


class GdprStore:
    """Thread-safe: routes and the `/files/…` resolver both read the records."""

    def __init__(self, ctx: EmulatorContext) -> None:
        self.ctx = ctx
        self.root = ctx.config.state_dir / "gdpr"
        self.files_dir = self.root / "files"
        self.state_path = self.root / "requests.json"
        self.root.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._records: dict[str, dict[str, Any]] = self._load()

    def _load(self) -> dict[str, dict[str, Any]]:
        if not self.state_path.exists():
            return {}
        return json.loads(self.state_path.read_text()).get("requests", {})

    def _save(self) -> None:
        text = json.dumps({"requests": self._records}, indent=1, ensure_ascii=False)
        tmp = self.state_path.with_name(f".requests.{os.getpid()}.{threading.get_ident()}.tmp")
        tmp.write_text(text)
        os.replace(tmp, self.state_path)

    def file(self, filed: dict[str, Any], client_id: str, error: bool) -> dict[str, Any]:
        """Record a new request (every POST files one: the API has no idempotency)."""
        config = self.ctx.config
        record = {
            **filed,
            "id": str(uuid.uuid4()),
            "createdAt": time.time(),
            "createdBy": client_id,
            "error": error,
            "stepS": config.gdpr_step_s,
            "parts": config.gdpr_results_files,
        }
        with self._lock:
            self._records[record["id"]] = record
            self._save()
        return record

    def get(self, request_id: str) -> dict[str, Any]:
        with self._lock:
            record = self._records.get(request_id)
        if record is None:
            raise ApiError(404, f"GDPR request {request_id} not found")
        return record

    def newest_first(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(reversed(self._records.values()))

    def status(self, record: dict[str, Any]) -> str:
        steps = STEPS[record["requestType"]]
        step_s = record["stepS"]
        age = max(0.0, time.time() - record["createdAt"])  # a clock set back shows INITIATED
        done = len(steps) if step_s == 0 else int(age / step_s)
        if done < len(steps):
            return steps[done]
        return "ERROR" if record["error"] else "COMPLETED"

    @staticmethod
    def has_results(record: dict[str, Any], status: str) -> bool:
        """A completed export has results (an update, a delete or an ERROR has none)."""
        return record["requestType"] == "GDPR_EXPORT" and status == "COMPLETED"

    def view(
        self, record: dict[str, Any], base_url: str, status: str, expired: bool = False
    ) -> dict[str, Any]:
        """The `GDPRRequest` showing `status` (computed once by the caller, so the status and
        the results URLs agree); a completed export's URLs are signed anew on each call."""
        body: dict[str, Any] = {
            "id": record["id"],
            "requestType": record["requestType"],
            "status": status,
            "createdDate": iso_ms(record["createdAt"]),
            "createdBy": user_of(record["createdBy"]),
            "subject": record["subject"],
        }
        if "replacementTerms" in record:
            body["replacementTerms"] = record["replacementTerms"]
        if self.has_results(record, status):
            urls = self._results_urls(record, base_url, expired)
            body["resultsUrl"] = urls[0]
            if len(urls) > 1:
                body["resultsUrls"] = urls
        body["selfUri"] = f"{BASE}/{record['id']}"
        return body

    def _results_urls(self, record: dict[str, Any], base_url: str, expired: bool) -> list[str]:
        self._write_results(record)
        urls = []
        for part in range(1, record["parts"] + 1):
            path = f"/files/{record['id']}/{part_name(part)}"
            urls.append(f"{base_url}{path}?{self.ctx.signer.query(path, expired=expired)}")
        return urls

    def _write_results(self, record: dict[str, Any]) -> Path:
        """The request's results folder, its files written (atomically) if not yet there."""
        folder = self.files_dir / record["id"]
        parts = record["parts"]
        for part in range(1, parts + 1):
            target = folder / part_name(part)
            if target.exists():
                continue
            folder.mkdir(parents=True, exist_ok=True)
            tmp = folder / f".{part_name(part)}.{threading.get_ident()}.tmp"
            tmp.write_bytes(render(record["id"], record["subject"], part, parts))
            os.replace(tmp, target)
        return folder

    def resolve(self, owner_id: str, name: str) -> tuple[Path, str] | None:
        """The results file behind a presigned URL: only a completed export's, only its parts."""
        with self._lock:
            record = self._records.get(owner_id)
        if record is None or not self.has_results(record, self.status(record)):
            return None
        if name not in {part_name(part) for part in range(1, record["parts"] + 1)}:
            return None
        return self._write_results(record) / name, MEDIA_TYPE

    def close(self) -> None:
        """Nothing runs in the background; every filing is already on disk."""
