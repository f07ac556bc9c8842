"""The daily contact-centre report: one day's numbers by SQL from the catalog.

Per UTC day: Genesys conversations by channel and type (`conversations` view), NICE CXone
interactions and handle times by medium (`cxone.interactions`; handle = talk + hold + wrap,
seconds), and data completeness (Genesys rows vs quarantined from `exports`, CXone integrity from
`cxone_day_metrics`). A source with no data that day gives zeros, never an error. Turning a
`DailyReport` into markdown, an SVG chart and an HTML page is `report_render.py`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import duckdb

from cx_assets.catalog.connection import LOCK_TIMEOUT_S, read_connection

GENESYS_VIEW = ("main", "conversations")
CXONE_VIEW = ("cxone", "interactions")
UNKNOWN = "unknown"

CONVERSATIONS_SQL = (
    "SELECT coalesce(media_type, 'unknown') AS channel, "
    "coalesce(originating_direction, 'unknown') AS type, "
    "count(*) AS conversations FROM conversations WHERE conversation_date = ? "
    "GROUP BY ALL ORDER BY channel, type"
)
#: A CXone record belongs to the day of its start (or, without one, its end), as the lake
#: places it.
CXONE_SQL = (
    "SELECT coalesce(medium, 'unknown') AS medium, count(*) AS interactions, "
    "avg(talk_time + hold_time + wrap_time) AS avg_handle_s, avg(talk_time) AS avg_talk_s, "
    "avg(hold_time) AS avg_hold_s, avg(wrap_time) AS avg_wrap_s, "
    "sum(talk_time + hold_time + wrap_time) AS handle_s "
    "FROM cxone.interactions WHERE CAST(coalesce(start_time, end_time) AS DATE) = ? "
    "GROUP BY ALL ORDER BY medium"
)
GENESYS_COMPLETENESS_SQL = (
    "SELECT status, row_count, quarantined_count FROM exports "
    "WHERE source = 'genesys' AND dataset = 'conversations' AND partition_key = ?"
)
CXONE_COMPLETENESS_SQL = "SELECT total, valid, integrity_rate FROM cxone_day_metrics WHERE day = ?"


@dataclass(frozen=True)
class ChannelRow:
    channel: str
    type: str
    conversations: int


@dataclass(frozen=True)
class MediumRow:
    medium: str
    interactions: int
    avg_handle_s: float | None
    avg_talk_s: float | None
    avg_hold_s: float | None
    avg_wrap_s: float | None
    handle_s: float | None


@dataclass(frozen=True)
class Completeness:
    """How whole a source's day is: `rate` = good records / records received (None: no data)."""

    source: str
    registered: bool
    received: int
    good: int
    rate: float | None
    status: str | None = None


@dataclass(frozen=True)
class DailyReport:
    day: dt.date
    channels: tuple[ChannelRow, ...]
    media: tuple[MediumRow, ...]
    completeness: tuple[Completeness, ...]

    @property
    def conversations(self) -> int:
        return sum(r.conversations for r in self.channels)

    @property
    def cxone_interactions(self) -> int:
        return sum(m.interactions for m in self.media)

    @property
    def cxone_avg_handle_s(self) -> float | None:
        """Average handle time over every medium, weighted by interactions."""
        timed = [m for m in self.media if m.handle_s is not None]
        count = sum(m.interactions for m in timed)
        return sum(m.handle_s or 0.0 for m in timed) / count if count else None

    def by_channel(self) -> dict[str, dict[str, int]]:
        """channel -> type -> conversations."""
        out: dict[str, dict[str, int]] = {}
        for row in self.channels:
            out.setdefault(row.channel, {})[row.type] = row.conversations
        return out


def _view_exists(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> bool:
    row = con.execute(
        "SELECT count(*) FROM duckdb_views() WHERE schema_name = ? AND view_name = ?",
        [schema, name],
    ).fetchone()
    return bool(row and row[0])


def _table_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    row = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'main' AND table_name = ?",
        [name],
    ).fetchone()
    return bool(row and row[0])


def build_report(con: duckdb.DuckDBPyConnection, day: dt.date) -> DailyReport:
    """The day's numbers from an open catalog connection (read-only is enough)."""
    channels: list[ChannelRow] = []
    if _view_exists(con, *GENESYS_VIEW):
        channels = [ChannelRow(*r) for r in con.execute(CONVERSATIONS_SQL, [day]).fetchall()]
    media: list[MediumRow] = []
    if _view_exists(con, *CXONE_VIEW):
        media = [MediumRow(*r) for r in con.execute(CXONE_SQL, [day]).fetchall()]
    completeness = []
    row = None
    if _table_exists(con, "exports"):
        row = con.execute(GENESYS_COMPLETENESS_SQL, [day.isoformat()]).fetchone()
    if row is None:
        completeness.append(Completeness("genesys", False, 0, 0, None))
    else:
        status, rows, quarantined = row
        received = int(rows) + int(quarantined)
        rate = rows / received if received else 1.0
        completeness.append(Completeness("genesys", True, received, int(rows), rate, status))
    row = None
    if _table_exists(con, "cxone_day_metrics"):
        row = con.execute(CXONE_COMPLETENESS_SQL, [day]).fetchone()
    if row is None:
        completeness.append(Completeness("cxone", False, 0, 0, None))
    else:
        total, valid, rate = row
        completeness.append(Completeness("cxone", True, int(total), int(valid), float(rate)))
    return DailyReport(day, tuple(channels), tuple(media), tuple(completeness))


def daily_report(
    catalog_path: Path | str, day: dt.date, *, timeout_s: float = LOCK_TIMEOUT_S
) -> DailyReport:
    """The day's report from the catalog file (a missing catalog reads as an empty day)."""
    with read_connection(catalog_path, timeout_s=timeout_s) as con:
        return build_report(con, day)
