"""Which days the report covers, and which of them a source left missing or failing.

A day is covered when either source has landed it: a Genesys conversations export registered in
`exports`, or a CXone day in `cxone_day_metrics`. A covered day is flagged when one source landed
it and the other did not, when its Genesys export is not VERIFIED or quarantined records, or when
its CXone integrity is below the threshold the CXone check holds days to. The flags come from the
same figures the checks judge, read from the catalog, so a flag never depends on which run (one
day or a 90-day range) landed the day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import duckdb

from cx_assets.catalog.connection import LOCK_TIMEOUT_S, read_connection

GENESYS_DAYS_SQL = (
    "SELECT CAST(partition_key AS DATE) AS day, status, row_count, quarantined_count "
    "FROM exports WHERE source = 'genesys' AND dataset = 'conversations'"
)
CXONE_DAYS_SQL = "SELECT day, total, valid, integrity_rate FROM cxone_day_metrics"
#: Days listed by name in a metadata entry before "and N more".
LISTED_DAYS = 20


@dataclass(frozen=True)
class GenesysDay:
    status: str
    conversations: int
    quarantined: int


@dataclass(frozen=True)
class CxoneDay:
    interactions: int
    valid: int
    integrity: float


@dataclass(frozen=True)
class DayStatus:
    """One covered day: what each source landed (None: nothing) and why it is flagged."""

    day: dt.date
    genesys: GenesysDay | None
    cxone: CxoneDay | None
    flags: tuple[str, ...]

    @property
    def flagged(self) -> bool:
        return bool(self.flags)

    @property
    def conversations(self) -> int:
        return self.genesys.conversations if self.genesys else 0


@dataclass(frozen=True)
class Coverage:
    """Every covered day, oldest first."""

    days: tuple[DayStatus, ...]
    threshold: float

    @property
    def first_day(self) -> dt.date | None:
        return self.days[0].day if self.days else None

    @property
    def last_day(self) -> dt.date | None:
        return self.days[-1].day if self.days else None

    @property
    def flagged(self) -> tuple[DayStatus, ...]:
        return tuple(d for d in self.days if d.flagged)

    def get(self, day: dt.date) -> DayStatus | None:
        return next((d for d in self.days if d.day == day), None)

    def status_of(self, day: dt.date) -> DayStatus:
        """`day`'s status; a day neither source landed is flagged as such."""
        return self.get(day) or DayStatus(day, None, None, ("no source has landed this day",))

    def flagged_text(self) -> str:
        """The flagged days with their reasons, one a line, for a metadata entry."""
        shown = [f"{d.day}: {'; '.join(d.flags)}" for d in self.flagged[:LISTED_DAYS]]
        more = len(self.flagged) - len(shown)
        return "\n".join(shown + ([f"... and {more} more"] if more else [])) or "none"


def day_flags(genesys: GenesysDay | None, cxone: CxoneDay | None, threshold: float) -> list[str]:
    """Why a day is not whole, in words a person reads; empty when both sources are fine."""
    flags = []
    if genesys is None:
        flags.append("genesys: no conversations landed")
    else:
        if genesys.status != "VERIFIED":
            flags.append(f"genesys: export {genesys.status}, not VERIFIED")
        if genesys.quarantined:
            flags.append(f"genesys: {genesys.quarantined} record(s) quarantined")
    if cxone is None:
        flags.append("cxone: no interactions landed")
    elif cxone.interactions and cxone.integrity < threshold:
        flags.append(
            f"cxone: integrity {cxone.integrity:.4f} below {threshold:g} "
            f"({cxone.valid} of {cxone.interactions} complete)"
        )
    return flags


def _table_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    row = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'main' AND table_name = ?",
        [name],
    ).fetchone()
    return bool(row and row[0])


def build_coverage(con: duckdb.DuckDBPyConnection, threshold: float) -> Coverage:
    """Every day either source landed, with its flags, from an open catalog connection."""
    genesys: dict[dt.date, GenesysDay] = {}
    if _table_exists(con, "exports"):
        for day, status, rows, quarantined in con.execute(GENESYS_DAYS_SQL).fetchall():
            genesys[day] = GenesysDay(str(status), int(rows or 0), int(quarantined or 0))
    cxone: dict[dt.date, CxoneDay] = {}
    if _table_exists(con, "cxone_day_metrics"):
        for day, total, valid, rate in con.execute(CXONE_DAYS_SQL).fetchall():
            cxone[day] = CxoneDay(int(total), int(valid), float(rate))
    days = tuple(
        DayStatus(
            day,
            genesys.get(day),
            cxone.get(day),
            tuple(day_flags(genesys.get(day), cxone.get(day), threshold)),
        )
        for day in sorted(genesys.keys() | cxone.keys())
    )
    return Coverage(days, threshold)


def coverage(
    catalog_path: Path | str, threshold: float, *, timeout_s: float = LOCK_TIMEOUT_S
) -> Coverage:
    """The covered days from the catalog file (a missing catalog covers no day)."""
    with read_connection(catalog_path, timeout_s=timeout_s) as con:
        return build_coverage(con, threshold)
