"""Chunked, adaptive, idempotent upserts of validated rows, and the read-back verification.

Rows go in chunks (`upsert=true`, no `id`), so running an import twice changes nothing the
second time. The chunk adapts to the rate-limit window: when the requests left fall below a
low-water share of the budget the chunk halves (not below `min_chunk`), so less work rides on
each request while the pacer (in the `ApiClient`) slows down; with room again it grows by half
(not above `max_chunk`). A 400 means some row of the batch is invalid: the batch is split in
halves and each half resent, until the offending rows stand alone and become `RejectedRow`s with
the server's message; every other row still goes in. Other errors propagate (429/5xx were
already retried by the `ApiClient`).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from cx_assets.genesys.datatables import endpoints
from cx_assets.genesys.datatables.casting import normalise
from cx_assets.genesys.datatables.rows import RejectedRow, ValidRow, key_of
from cx_assets.genesys.datatables.tutorial import TableSnapshot, UpsertResult
from cx_assets.http.errors import ApiError, RetriesExhausted
from cx_assets.http.pacing import RateLimitWindow

_FIELD = re.compile(r"field '([^']+)'")


class Upserter(Protocol):
    """What the import needs from `DataTablesClient` (a protocol, so the chunking and bisection
    logic is testable without a server)."""

    def upsert(self, table_id: str, rows: Sequence[Mapping[str, Any]]) -> UpsertResult: ...

    def rate_limit(self) -> tuple[RateLimitWindow | None, int | None]: ...


@dataclass(frozen=True)
class ImportSettings:
    """Chunking knobs. `low_water`/`high_water` are shares of the window's budget left."""

    chunk_size: int = 250
    min_chunk: int = 50
    max_chunk: int = 300
    low_water: float = 0.2
    high_water: float = 0.5
    shrink_factor: float = 0.5
    grow_factor: float = 1.5
    #: Rows the server may refuse one by one before the import stops: a 400 that every row
    #: gets (a server-side rule the client does not know) would otherwise cost ~2 requests
    #: per row while bisecting the whole import down to single rows.
    max_server_rejections: int = 200

    def __post_init__(self) -> None:
        limit = endpoints.DATATABLE_MAX_BATCH
        if not 1 <= self.min_chunk <= self.chunk_size <= self.max_chunk <= limit:
            raise ValueError(
                f"chunk sizes must satisfy 1 <= min_chunk ({self.min_chunk}) <= chunk_size "
                f"({self.chunk_size}) <= max_chunk ({self.max_chunk}) <= {limit}"
            )
        if not 0.0 <= self.low_water < self.high_water <= 1.0:
            raise ValueError(
                f"need 0 <= low_water ({self.low_water}) < high_water ({self.high_water}) <= 1"
            )
        if not 0.0 < self.shrink_factor < 1.0 or self.grow_factor <= 1.0:
            raise ValueError("shrink_factor must be in (0, 1) and grow_factor above 1")
        if self.max_server_rejections < 0:
            raise ValueError("max_server_rejections must not be negative")


class TooManyServerRejections(RuntimeError):
    """More rows were refused by the server than `max_server_rejections`: the 400 is likely
    not about individual rows, so bisecting on would spend the rate budget for nothing."""


class ChunkSizer:
    """Decides the next chunk size from the rate-limit window after each response.

    The budget is the server's (`inin-ratelimit-allowed`) or, when it does not say, the most
    requests ever seen remaining in a window. Unknown window: keep the current size.
    """

    def __init__(self, settings: ImportSettings) -> None:
        self.settings = settings
        self.size = settings.chunk_size
        self._budget_seen = 0

    def update(self, window: RateLimitWindow | None, budget: int | None) -> int:
        s = self.settings
        if window is None:
            return self.size
        self._budget_seen = max(self._budget_seen, window.remaining)
        total = budget or self._budget_seen
        if total <= 0:
            return self.size
        share = window.remaining / total
        if share < s.low_water:
            self.size = max(s.min_chunk, int(self.size * s.shrink_factor))
        elif share >= s.high_water:
            self.size = min(s.max_chunk, math.ceil(self.size * s.grow_factor))
        return self.size


@dataclass
class ImportOutcome:
    """What an import did. `chunk_sizes` lists every rows POST in order (bisection halves
    included), as the server saw them; `batches` counts them."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[RejectedRow] = field(default_factory=list)
    chunk_sizes: list[int] = field(default_factory=list)
    batches: int = 0
    bisections: int = 0
    version: int | None = None

    def _add(self, result: UpsertResult) -> None:
        self.inserted += result.inserted
        self.updated += result.updated
        self.unchanged += result.unchanged
        if result.version is not None:
            self.version = result.version


def import_rows(
    client: Upserter,
    table_id: str,
    rows: Sequence[ValidRow],
    settings: ImportSettings = ImportSettings(),  # frozen dataclass: a safe shared default
) -> ImportOutcome:
    """Upsert `rows` in adaptive chunks; rows the server refuses come back in `rejected`."""
    outcome = ImportOutcome()
    sizer = ChunkSizer(settings)
    start = 0
    while start < len(rows):
        chunk = list(rows[start : start + sizer.size])
        start += len(chunk)
        _send(client, table_id, chunk, outcome, settings.max_server_rejections)
        sizer.update(*client.rate_limit())
    return outcome


def _send(
    client: Upserter,
    table_id: str,
    chunk: list[ValidRow],
    outcome: ImportOutcome,
    max_rejections: int,
) -> None:
    """Send `chunk`; on a 400 bisect it (depth-first, in row order) down to single rows."""
    pending = [chunk]
    while pending:
        batch = pending.pop()
        outcome.batches += 1
        outcome.chunk_sizes.append(len(batch))
        try:
            result = client.upsert(table_id, [row.columns for row in batch])
        except ApiError as exc:
            if exc.status != 400 or isinstance(exc, RetriesExhausted):
                raise
            if len(batch) == 1:
                outcome.rejected.append(_refused(batch[0], exc.message))
                if len(outcome.rejected) > max_rejections:
                    raise TooManyServerRejections(
                        f"data table {table_id}: the server refused {len(outcome.rejected)} "
                        f"rows one by one (more than max_server_rejections={max_rejections}); "
                        f"stopping. {outcome.inserted + outcome.updated + outcome.unchanged} "
                        f"rows were already upserted (a re-run is idempotent). Last refusal: "
                        f"{exc.message}"
                    ) from None
                continue
            outcome.bisections += 1
            middle = len(batch) // 2
            pending.extend([batch[middle:], batch[:middle]])  # the first half is sent first
            continue
        outcome._add(result)


def _refused(row: ValidRow, message: str) -> RejectedRow:
    found = _FIELD.search(message)
    return RejectedRow(
        row_number=row.row_number,
        field=found.group(1) if found else None,
        reason=message,
        row=dict(row.columns),
    )


# -- verification ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verification:
    """The read-back: `missing` and `different` hold primary-key tuples of valid rows."""

    checked: int
    missing: list[tuple[Any, ...]]
    different: list[tuple[Any, ...]]

    @property
    def ok(self) -> bool:
        return not self.missing and not self.different


def verify_rows(snapshot: TableSnapshot, rows: Sequence[ValidRow]) -> Verification:
    """Every row in `rows` is in `snapshot` with the values sent (only the columns sent are
    compared; numbers numerically, dates as ISO strings, a boolean never equals a number)."""
    key = snapshot.schema.primary_key
    served = {key_of(row, key): row for row in snapshot.rows}
    missing: list[tuple[Any, ...]] = []
    different: list[tuple[Any, ...]] = []
    for row in rows:
        identity = key_of(row.columns, key)
        found = served.get(identity)
        if found is None:
            missing.append(identity)
        elif any(not same_value(v, found.get(k)) for k, v in row.columns.items()):
            different.append(identity)
    return Verification(len(rows), missing, different)


def same_value(sent: Any, served: Any) -> bool:
    """Equality as the table means it: 3 == 3.0, date(2024, 3, 1) == "2024-03-01", True != 1."""
    if isinstance(sent, bool) or isinstance(served, bool):
        return type(sent) is type(served) and sent == served
    if isinstance(sent, dt.date) or isinstance(served, dt.date):
        return normalise(sent) == normalise(served)
    if isinstance(sent, int | float) and isinstance(served, int | float):
        return sent == served
    return type(sent) is type(served) and sent == served
