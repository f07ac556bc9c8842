"""An append-only, hash-chained audit log inside the catalog.

Each entry's hash covers its own content and the previous entry's hash, so editing, deleting or
inserting an entry breaks the chain at that point. Appends run inside the caller's write
transaction: the single-writer file lock serialises processes, and the primary key on `seq`
makes a second writer in the same process fail at commit instead of forking the chain.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import duckdb

GENESIS_HASH = "0" * 64
_FETCH_ROWS = 1000


@dataclass(frozen=True)
class ChainReport:
    """Outcome of `verify_chain`: where the chain first breaks, and why, if it does."""

    ok: bool
    entries: int
    first_broken_seq: int | None = None
    reason: str | None = None
    #: The last verified entry: record it outside the catalog (a ticket, a check's metadata) and
    #: pass it back as `expect_head` to also catch a truncated tail.
    head_seq: int | None = None
    head_hash: str | None = None

    def describe(self) -> str:
        """One line for a terminal or a check: what was verified, or where it breaks."""
        if self.ok:
            head = f"; head is entry {self.head_seq} {self.head_hash}" if self.head_seq else ""
            return f"audit chain intact: {self.entries} entries verified{head}"
        return (
            f"audit chain BROKEN at entry {self.first_broken_seq}: {self.reason} "
            f"({self.entries} entries verified before it)"
        )


def canonical_json(value: Any) -> str:
    """Deterministic JSON: sorted keys, no whitespace, UTF-8 kept, no NaN."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def _json_safe(details: Mapping[str, Any]) -> Any:
    """`details` as plain JSON values (dates, paths become strings), exactly as stored."""
    return json.loads(json.dumps(dict(details), default=str, allow_nan=False))


def _iso_utc(ts: dt.datetime) -> str:
    return ts.astimezone(dt.UTC).isoformat(timespec="microseconds")


def entry_hash(
    *,
    seq: int,
    ts: dt.datetime,
    flow: str,
    action: str,
    entity: str,
    actor: str,
    details: Any,
    prev_hash: str,
) -> str:
    """sha256 hex over the canonical JSON of the entry's fields (timestamps as UTC ISO)."""
    payload = canonical_json(
        {
            "seq": seq,
            "ts": _iso_utc(ts),
            "flow": flow,
            "action": action,
            "entity": entity,
            "actor": actor,
            "details": details,
            "prev_hash": prev_hash,
        }
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def append_audit(
    con: duckdb.DuckDBPyConnection,
    *,
    flow: str,
    action: str,
    entity: str,
    actor: str,
    details: Mapping[str, Any],
) -> int:
    """Append one entry after the current last one; returns its `seq` (1, 2, 3, ...)."""
    last = con.execute("SELECT seq, entry_hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    seq, prev_hash = (1, GENESIS_HASH) if last is None else (int(last[0]) + 1, str(last[1]))
    ts = dt.datetime.now(dt.UTC)
    safe_details = _json_safe(details)
    fields = {"flow": flow, "action": action, "entity": entity, "actor": actor}
    digest = entry_hash(seq=seq, ts=ts, details=safe_details, prev_hash=prev_hash, **fields)
    con.execute(
        "INSERT INTO audit_log (seq, ts, flow, action, entity, actor, details, prev_hash, "
        "entry_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [seq, ts, flow, action, entity, actor, canonical_json(safe_details), prev_hash, digest],
    )
    return seq


def verify_chain(
    con: duckdb.DuckDBPyConnection, *, expect_head: tuple[int, str] | None = None
) -> ChainReport:
    """Walk the log in `seq` order and recompute every link; name the first broken entry.

    Finds an edited entry (its hash no longer matches its content), a deleted one (a gap in
    `seq`, or the next entry's `prev_hash` pointing at nothing), and an inserted one (a link
    whose `prev_hash` is not its predecessor's hash). A truncated tail leaves no trace inside
    the log itself: pass `expect_head=(seq, entry_hash)` recorded earlier (e.g. from a previous
    report's `head_seq`/`head_hash`) and the chain must still hold that exact entry.
    """
    cursor = con.execute(
        "SELECT seq, ts, flow, action, entity, actor, details, prev_hash, entry_hash "
        "FROM audit_log ORDER BY seq"
    )
    expected_seq, expected_prev, entries = 1, GENESIS_HASH, 0
    anchor_seen = expect_head is None
    while rows := cursor.fetchmany(_FETCH_ROWS):
        for seq, ts, flow, action, entity, actor, details, prev_hash, stored_hash in rows:
            broken = _link_problem(seq, expected_seq, prev_hash, expected_prev)
            if broken is None:
                recomputed = entry_hash(
                    seq=seq,
                    ts=ts,
                    flow=flow,
                    action=action,
                    entity=entity,
                    actor=actor,
                    details=json.loads(details),
                    prev_hash=prev_hash,
                )
                if recomputed != stored_hash:
                    broken = (seq, f"entry {seq} was edited: its hash does not match")
            if broken is None and expect_head is not None and seq == expect_head[0]:
                if stored_hash != expect_head[1]:
                    broken = (seq, f"entry {seq} is not the entry recorded as the head earlier")
                anchor_seen = True
            if broken is not None:
                return ChainReport(
                    False, entries, broken[0], broken[1], *_head(entries, expected_prev)
                )
            expected_seq, expected_prev, entries = seq + 1, stored_hash, entries + 1
    if not anchor_seen and expect_head is not None:
        return ChainReport(
            False,
            entries,
            expect_head[0],
            f"entry {expect_head[0]} (the head recorded earlier) is missing: the log was truncated",
            *_head(entries, expected_prev),
        )
    return ChainReport(True, entries, None, None, *_head(entries, expected_prev))


def _head(entries: int, last_hash: str) -> tuple[int | None, str | None]:
    return (entries, last_hash) if entries else (None, None)


def _link_problem(
    seq: int, expected_seq: int, prev_hash: str, expected_prev: str
) -> tuple[int, str] | None:
    """(first broken seq, reason) when `seq`/`prev_hash` do not continue the chain."""
    if seq < expected_seq:
        return (seq, f"entry {seq} appears more than once: an entry was duplicated")
    if seq != expected_seq:
        return (
            expected_seq,
            f"entry {expected_seq} is missing (next entry is {seq}): "
            "an entry was deleted or renumbered",
        )
    if prev_hash != expected_prev:
        return (
            seq,
            f"entry {seq} does not link to entry {seq - 1}: "
            "an entry was deleted or inserted before it",
        )
    return None
