"""`POST /lake-webhook/ingest`: a stand-in for a customer's data-lake ingest URL.

Stores every batch it accepts, once per `Idempotency-Key`, in an append-only JSONL file under
state_dir (so what was synced survives a restart); `GET /admin/lake-webhook` shows it to tests.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from cx_assets.emulator.errors import ApiError, json_body

IDEMPOTENCY_HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 200


class LakeWebhookStore:
    """Accepted batches in arrival order, deduplicated by idempotency key. Thread-safe."""

    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / "lake-webhook" / "batches.jsonl"
        self._lock = threading.Lock()
        self._batches: list[dict[str, Any]] = []
        if self.path.exists():
            with self.path.open(encoding="utf-8") as lines:
                self._batches = [json.loads(line) for line in lines if line.strip()]
        self._keys = {batch["idempotencyKey"] for batch in self._batches}

    def add(self, batch: dict[str, Any]) -> bool:
        """Store a batch; False when its key was seen before (nothing stored)."""
        with self._lock:
            if batch["idempotencyKey"] in self._keys:
                return False
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as out:
                out.write(json.dumps(batch, separators=(",", ":")) + "\n")
            self._keys.add(batch["idempotencyKey"])
            self._batches.append(batch)
            return True

    def batches(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._batches)

    def clear(self) -> int:
        with self._lock:
            count = len(self._batches)
            self._batches.clear()
            self._keys.clear()
            self.path.unlink(missing_ok=True)
            return count

    def close(self) -> None:
        """Nothing held open: every batch is appended and closed as it arrives."""


def _batch(body: Any, key: str) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ApiError(400, "the body must be a JSON object {dataset, partition, chunk, records}")
    unknown = sorted(set(body) - {"dataset", "partition", "chunk", "records"})
    if unknown:
        raise ApiError(
            400, f"unknown field {unknown[0]!r}; allowed: dataset, partition, chunk, records"
        )
    for name in ("dataset", "partition"):
        if not isinstance(body.get(name), str) or not body[name]:
            raise ApiError(400, f"{name} is required: a non-empty string")
    chunk = body.get("chunk")
    if isinstance(chunk, bool) or not isinstance(chunk, int) or chunk < 0:
        raise ApiError(400, f"chunk is required: an integer >= 0; got {chunk!r}")
    records = body.get("records")
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise ApiError(400, "records is required: a list of objects")
    return {
        "dataset": body["dataset"],
        "partition": body["partition"],
        "chunk": chunk,
        "idempotencyKey": key,
        "count": len(records),
        "records": records,
    }


async def ingest(request: Request) -> JSONResponse:
    key = request.headers.get(IDEMPOTENCY_HEADER, "").strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        raise ApiError(
            400, f"the {IDEMPOTENCY_HEADER} header is required (1 to {MAX_KEY_LENGTH} characters)"
        )
    batch = _batch(await json_body(request), key)
    store: LakeWebhookStore = request.app.state.ctx.services["lake_webhook"]
    stored = store.add(batch)
    return JSONResponse({"received": batch["count"], "duplicate": not stored})


ROUTES = (Route("/ingest", ingest, methods=["POST"]),)
