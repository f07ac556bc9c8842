"""A sensor tick's one audit entry for a route's refused deliveries: counts since the last one.

The receiver counts refusals in a ledger file (`receiver.refusals`), never one file or entry per
refusal, so 1,000 forged calls cost the audit chain one entry, not 1,000. At most one
`webhook_refusals` entry per route per tick, and only when something was refused since the
previous one: its details hold the counts per reason since then, their total, the examples
among the ledger's last 20 that are new (time, path, reason, size), and the ledger's running
counts. Those running counts, read back from the catalog, are what "since the last summary"
means, so the entry and its watermark commit together and a crash never audits twice. A small
cache file beside the ledger lets a quiet tick skip the catalog.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from cx_assets.catalog.audit import append_audit
from cx_assets.catalog.connection import write_transaction
from cx_assets.lake.atomic import atomic_write
from cx_assets.receiver.refusals import LedgerState, read_ledger

ACTION = "webhook_refusals"
ENTITY = "webhook"
#: Refusal notes earlier versions wrote one per refusal, folded into the first summary.
LEGACY_REASON = "noted_before_counting"
_CACHE_SUFFIX = ".audited"


@dataclass(frozen=True)
class RefusalSummary:
    """What one summary entry said: refusals per reason since the previous summary."""

    path: str
    counts: dict[str, int] = field(default_factory=dict)
    sample: list[dict[str, Any]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def _last_summary(con: duckdb.DuckDBPyConnection, flow: str, route: str) -> dict[str, Any] | None:
    rows = con.execute(
        "SELECT details FROM audit_log WHERE flow = ? AND action = ? AND entity = ? "
        "AND json_extract_string(details, '$.path') = ? ORDER BY seq DESC LIMIT 1",
        [flow, ACTION, ENTITY, route],
    ).fetchall()
    return json.loads(rows[0][0]) if rows else None


def _since(state: LedgerState, last: dict[str, Any] | None) -> tuple[dict[str, int], int]:
    """Counts per reason since `last` (all of them if `last` was another ledger), and the
    running total `last` had seen."""
    if last is None or last.get("epoch") != state.epoch:
        return dict(state.counts), 0
    before = {str(k): int(v) for k, v in (last.get("cumulative") or {}).items()}
    delta = {r: n - before.get(r, 0) for r, n in state.counts.items() if n > before.get(r, 0)}
    return delta, sum(before.values())


def _cache_path(ledger_path: Path) -> Path:
    return ledger_path.with_name(ledger_path.name + _CACHE_SUFFIX)


def _cached_watermark(ledger_path: Path) -> tuple[str, int] | None:
    try:
        data = json.loads(_cache_path(ledger_path).read_text())
        return str(data["epoch"]), int(data["total"])
    except (FileNotFoundError, ValueError, KeyError, TypeError):
        return None


def _write_cache(ledger_path: Path, state: LedgerState) -> None:
    with atomic_write(_cache_path(ledger_path)) as fh:
        fh.write(json.dumps({"epoch": state.epoch, "total": state.total}).encode())


def summarise_refusals(
    catalog_path: Path,
    ledger_path: Path,
    *,
    flow: str,
    route: str,
    actor: str,
    legacy_notes: int = 0,
    drop_legacy: Callable[[], None] | None = None,
) -> RefusalSummary | None:
    """Audit refusals at `route` since the last summary, once; None when there were none.
    `legacy_notes` counts one-file-per-refusal notes of earlier versions (`drop_legacy` deletes
    them once the summary is committed)."""
    state = read_ledger(ledger_path)
    if state is None and not legacy_notes:
        return None
    if (
        state is not None
        and not legacy_notes
        and _cached_watermark(ledger_path)
        == (
            state.epoch,
            state.total,
        )
    ):
        return None  # nothing new since the summary the cache remembers: no catalog access
    with write_transaction(catalog_path) as con:
        last = _last_summary(con, flow, route)
        counts, seen_total = _since(state, last) if state else ({}, 0)
        if legacy_notes:
            counts[LEGACY_REASON] = counts.get(LEGACY_REASON, 0) + legacy_notes
        summary = None
        if counts:
            sample = [s for s in state.sample if int(s.get("n", 0)) > seen_total] if state else []
            summary = RefusalSummary(route, dict(sorted(counts.items())), sample)
            details = {
                "outcome": "refused",
                "path": route,
                "counts": summary.counts,
                "total": summary.total,
                "since": (last or {}).get("until") or (state.started_at if state else None),
                "until": state.updated_at if state else None,
                "sample": sample,
                "epoch": state.epoch if state else None,
                "cumulative": state.counts if state else {},
            }
            append_audit(con, flow=flow, action=ACTION, entity=ENTITY, actor=actor, details=details)
    if drop_legacy is not None and legacy_notes:
        drop_legacy()
    if state is not None:
        _write_cache(ledger_path, state)
    return summary
