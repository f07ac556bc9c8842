"""Contract: the import engine's decisions, without a server.

Chunk sizing: halve (not below min_chunk) when the requests left fall under the low-water share
of the budget, grow by half (not above max_chunk) with room, keep the size when nothing is known.
Bisection: a 400 batch is split until exactly the refused rows stand alone; they come back as
RejectedRows with the server's message and field; every other row is still sent. Other errors
propagate. Verification compares key by key (numbers numerically, dates as ISO strings).
The in-memory table below only plays the server's part for these decisions; the emulator tests
(test_datatables_emulator.py) cover the real wire.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from cx_assets.genesys.datatables.imports import (
    ChunkSizer,
    ImportSettings,
    TooManyServerRejections,
    import_rows,
    same_value,
    verify_rows,
)
from cx_assets.genesys.datatables.models import TableSchema
from cx_assets.genesys.datatables.rows import ValidRow
from cx_assets.genesys.datatables.tutorial import TableSnapshot, UpsertResult
from cx_assets.http.errors import ApiError, RetriesExhausted
from cx_assets.http.pacing import RateLimitPacer, RateLimitWindow

SCHEMA = TableSchema.model_validate(
    {
        "id": "t",
        "name": "T",
        "version": 1,
        "columns": [
            {"name": "k", "type": "string", "isPrimaryKey": True},
            {"name": "v", "type": "number", "isPrimaryKey": False},
            {"name": "d", "type": "date", "isPrimaryKey": False},
            {"name": "b", "type": "boolean", "isPrimaryKey": False},
        ],
    }
)


def rows(n: int, start: int = 1) -> list[ValidRow]:
    return [ValidRow(i, {"k": f"K{i}", "v": i}) for i in range(start, start + n)]


class FakeTable:
    """Upserts into a dict; refuses any batch holding a value in `bad` (400 naming the row and
    field, like the contract); reports scripted rate-limit windows, one per call."""

    def __init__(
        self,
        bad: set[Any] = frozenset(),  # type: ignore[assignment]
        windows: Sequence[RateLimitWindow | None] = (),
        budget: int | None = 300,
        error: ApiError | None = None,
    ) -> None:
        self.table: dict[str, dict[str, Any]] = {}
        self.bad = bad
        self.windows = list(windows)
        self.budget = budget
        self.error = error
        self.batches: list[int] = []

    def upsert(self, table_id: str, batch: Sequence[Mapping[str, Any]]) -> UpsertResult:
        self.batches.append(len(batch))
        if self.error is not None:
            raise self.error
        for position, columns in enumerate(batch, start=1):
            for name, value in columns.items():
                if value in self.bad:
                    raise ApiError(
                        400,
                        "POST",
                        f"/api/v2/datatables/{table_id}/rows",
                        f"row {position}: field '{name}' refused value {value!r}",
                    )
        counts = {"inserted": 0, "updated": 0, "unchanged": 0}
        for columns in batch:
            before = self.table.get(columns["k"])
            kind = "inserted" if before is None else "unchanged" if before == columns else "updated"
            counts[kind] += 1
            self.table[columns["k"]] = dict(columns)
        return UpsertResult(**counts, version=len(self.batches))

    def rate_limit(self) -> tuple[RateLimitWindow | None, int | None]:
        window = self.windows.pop(0) if self.windows else None
        return window, self.budget


def window(remaining: int) -> RateLimitWindow:
    return RateLimitWindow(remaining=remaining, reset_s=30.0)


def test_settings_reject_inconsistent_bounds() -> None:
    with pytest.raises(ValueError, match="min_chunk"):
        ImportSettings(chunk_size=20)
    with pytest.raises(ValueError, match="<= 1000"):
        ImportSettings(max_chunk=1500)
    with pytest.raises(ValueError, match="low_water"):
        ImportSettings(low_water=0.6, high_water=0.5)


def test_chunk_sizer_halves_to_the_floor_and_grows_back_to_the_cap() -> None:
    sizer = ChunkSizer(ImportSettings())
    sizes = [sizer.update(window(r), 300) for r in (59, 40, 20, 10, 100, 150, 150, 150, 150)]
    assert sizes == [125, 62, 50, 50, 50, 75, 113, 170, 255]
    assert sizer.update(window(300), 300) == 300  # never above max_chunk
    assert sizer.update(None, 300) == 300  # window unknown: keep


def test_chunk_sizer_without_a_budget_uses_the_most_seen_remaining() -> None:
    sizer = ChunkSizer(ImportSettings())
    assert sizer.update(window(100), None) == 300  # 100/100: room
    assert sizer.update(window(15), None) == 150  # 15/100 < 0.2


def test_import_adapts_chunks_to_the_window_after_each_response() -> None:
    fake = FakeTable(windows=[window(200), window(30), window(20), window(200)])
    outcome = import_rows(fake, "t", rows(900))
    assert fake.batches == [250, 300, 150, 75, 113, 12] and sum(fake.batches) == 900
    assert outcome.chunk_sizes == fake.batches
    assert (outcome.inserted, outcome.updated, outcome.unchanged) == (900, 0, 0)
    assert outcome.batches == 6 and outcome.bisections == 0 and outcome.rejected == []


def test_bisection_isolates_exactly_the_refused_rows_and_sends_the_rest() -> None:
    data = rows(100)
    data[16] = ValidRow(17, {"k": "K17", "v": -1})
    data[70] = ValidRow(71, {"k": "K71", "v": -1})
    fake = FakeTable(bad={-1})
    outcome = import_rows(fake, "t", data, ImportSettings(chunk_size=100, min_chunk=50))
    assert [(r.row_number, r.field) for r in outcome.rejected] == [(17, "v"), (71, "v")]
    assert outcome.rejected[0].reason == "row 1: field 'v' refused value -1"
    assert outcome.rejected[0].row == {"k": "K17", "v": -1}
    assert sorted(fake.table) == sorted(f"K{i}" for i in range(1, 101) if i not in (17, 71))
    assert outcome.inserted == 98
    assert outcome.bisections > 0 and outcome.batches == len(fake.batches)


def test_a_transient_whole_batch_400_loses_no_row() -> None:
    class OnceRefused(FakeTable):
        def upsert(self, table_id: str, batch: Sequence[Mapping[str, Any]]) -> UpsertResult:
            if not self.batches:
                self.batches.append(len(batch))
                raise ApiError(400, "POST", "/rows", "batch refused")
            return super().upsert(table_id, batch)

    fake = OnceRefused()
    outcome = import_rows(fake, "t", rows(60), ImportSettings(chunk_size=60, min_chunk=50))
    assert fake.batches == [60, 30, 30]
    assert outcome.rejected == [] and outcome.inserted == 60 and outcome.bisections == 1


@pytest.mark.parametrize(
    "error",
    [
        ApiError(409, "POST", "/rows", "conflict"),
        ApiError(403, "POST", "/rows", "missing scope data-table:write"),
        RetriesExhausted(ApiError(429, "POST", "/rows", "slow down"), attempts=8, elapsed_s=1.0),
    ],
)
def test_errors_other_than_400_propagate_without_bisecting(error: ApiError) -> None:
    fake = FakeTable(error=error)
    with pytest.raises(ApiError) as raised:
        import_rows(fake, "t", rows(10))
    assert raised.value is error
    assert fake.batches == [10]


def test_importing_twice_reports_everything_unchanged() -> None:
    fake = FakeTable()
    import_rows(fake, "t", rows(300))
    second = import_rows(fake, "t", rows(300))
    assert (second.inserted, second.updated, second.unchanged) == (0, 0, 300)


def snapshot(served: list[dict[str, Any]]) -> TableSnapshot:
    ids = [r["k"] for r in served]
    return TableSnapshot("t", SCHEMA, '"1"', served, ids, pages=1, restarts=0)


def test_verify_compares_key_by_key() -> None:
    sent = [
        ValidRow(1, {"k": "A", "v": 3, "d": "2024-03-01", "b": True}),
        ValidRow(2, {"k": "B", "v": 2.5}),
        ValidRow(3, {"k": "C", "v": 1}),
        ValidRow(4, {"k": "D", "b": True}),
    ]
    served = [
        {"k": "A", "v": 3.0, "d": "2024-03-01", "b": True, "extra": "x"},
        {"k": "B", "v": 2.0},
        {"k": "D", "b": 1},
    ]
    result = verify_rows(snapshot(served), sent)
    assert result.checked == 4
    assert result.missing == [("C",)]
    assert result.different == [("B",), ("D",)]
    assert not result.ok
    assert verify_rows(snapshot(served), sent[:1]).ok


def test_same_value_rules() -> None:
    assert same_value(3, 3.0)
    assert same_value(None, None)
    assert not same_value(True, 1)
    assert not same_value("3", 3)
    assert not same_value(None, "")


def test_pacer_exposes_window_and_budget_read_only() -> None:
    now = [0.0]
    pacer = RateLimitPacer(clock=lambda: now[0])
    assert pacer.window() is None and pacer.budget() is None
    pacer.observe(
        {
            "inin-ratelimit-count": "40",
            "inin-ratelimit-allowed": "300",
            "inin-ratelimit-reset": "20",
        }
    )
    assert pacer.window() == RateLimitWindow(remaining=260, reset_s=20.0)
    assert pacer.budget() == 300
    now[0] = 21.0
    assert pacer.window() is None  # the window passed: unknown until the next response


def test_a_400_every_row_gets_stops_the_import_instead_of_bisecting_on() -> None:
    fake = FakeTable(error=ApiError(400, "POST", "/rows", "upsert is not allowed on this table"))
    settings = ImportSettings(max_server_rejections=3)
    with pytest.raises(TooManyServerRejections, match="refused 4 rows one by one") as raised:
        import_rows(fake, "t", rows(500), settings)
    assert "upsert is not allowed on this table" in str(raised.value)
    assert len(fake.batches) < 20  # stopped early, not ~2 requests per row
