"""Push a day's records to a customer's data-lake ingest URL in bounded, idempotent chunks.

Each chunk carries an `Idempotency-Key` derived from (dataset, day, chunk number, content hash):
a chunk re-sent after a lost answer (the transport retries 5xx and timeouts) is acknowledged but
stored once by the receiver, and a re-run that sends the same records sends the same keys.
Changed content gets a new key, so a corrected day is not swallowed as a duplicate. Retries and
their bounds come from the `ApiClient` (the one retry policy); build it with `auth=None` for a
webhook that takes no OAuth.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cx_assets.http.client import ApiClient

IDEMPOTENCY_HEADER = "Idempotency-Key"
MAX_CHUNK_SIZE = 10_000


@dataclass(frozen=True)
class SyncedChunk:
    """One delivered chunk: its number, size, key, and what the receiver acknowledged."""

    chunk: int
    records: int
    idempotency_key: str
    status: str
    sent_at: dt.datetime
    acknowledged: int | None = None


@dataclass
class SyncResult:
    """A day's delivery: every chunk sent, in order."""

    dataset: str
    day: dt.date
    chunks: list[SyncedChunk] = field(default_factory=list)

    @property
    def records(self) -> int:
        return sum(c.records for c in self.chunks)


def _canonical(records: Sequence[Mapping[str, Any]]) -> bytes:
    return json.dumps(
        list(records), sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    ).encode("utf-8")


def idempotency_key(
    dataset: str, day: dt.date, chunk: int, records: Sequence[Mapping[str, Any]]
) -> str:
    """`sha256(dataset|day|chunk|sha256(canonical JSON of the records))` as hex."""
    content = hashlib.sha256(_canonical(records)).hexdigest()
    return hashlib.sha256(f"{dataset}|{day.isoformat()}|{chunk}|{content}".encode()).hexdigest()


def sync_day(
    client: ApiClient,
    url_path: str,
    dataset: str,
    day: dt.date,
    records: Sequence[Mapping[str, Any]],
    chunk_size: int = 500,
) -> SyncResult:
    """POST `records` in chunks of `chunk_size` (see `sync_batches`)."""
    if not 1 <= chunk_size <= MAX_CHUNK_SIZE:
        raise ValueError(f"chunk_size must be 1..{MAX_CHUNK_SIZE}, got {chunk_size}")
    batches = (records[i : i + chunk_size] for i in range(0, len(records), chunk_size))
    return sync_batches(client, url_path, dataset, day, batches)


def sync_batches(
    client: ApiClient,
    url_path: str,
    dataset: str,
    day: dt.date,
    batches: Iterable[Sequence[Mapping[str, Any]]],
) -> SyncResult:
    """POST each batch to `url_path` as a `{dataset, partition, chunk, records}` chunk.

    Chunks are numbered from 0 and go out in order, one batch in memory at a time; the first one
    that still fails after the client's retries raises its `ApiError` (chunks before it were
    delivered and stay so; the same keys make a re-run safe). No batches, nothing sent.
    """
    result = SyncResult(dataset, day)
    for number, batch in enumerate(batches):
        chunk = list(batch)
        if len(chunk) > MAX_CHUNK_SIZE:
            raise ValueError(
                f"chunk {number} has {len(chunk)} records; the limit is {MAX_CHUNK_SIZE}"
            )
        if not chunk:
            continue
        key = idempotency_key(dataset, day, number, chunk)
        body = {"dataset": dataset, "partition": day.isoformat(), "chunk": number, "records": chunk}
        answer = client.post_json(url_path, body, headers={IDEMPOTENCY_HEADER: key})
        received = answer.get("received") if isinstance(answer, dict) else None
        result.chunks.append(
            SyncedChunk(
                chunk=number,
                records=len(chunk),
                idempotency_key=key,
                status="sent",
                sent_at=dt.datetime.now(dt.UTC),
                acknowledged=received if isinstance(received, int) else None,
            )
        )
    return result
