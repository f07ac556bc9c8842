"""The report's day-by-day chart as a PNG small enough for Dagster to show inline.

The Dagster UI draws a markdown metadata value in place only when its text is under 1,000
characters (longer ones hide behind "Show Markdown"), and markdown images may be `data:` URIs.
So the chart is a palette PNG built by hand (no imaging library is installed): one bar per day,
conversations landed, red where the day is flagged, a marker under the partition's own day.
Solid bars compress to almost nothing (every row is stored as its difference from the row above),
which keeps a year of days under the limit; when a chart would not fit, it covers fewer days.
"""

from __future__ import annotations

import base64
import datetime as dt
import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

from cx_assets.catalog.report_days import Coverage

#: What the UI renders inline (MetadataEntry.tsx: `mdStr.length < 1000`).
INLINE_MARKDOWN_LIMIT = 1000
#: Day windows tried, widest first, until the markdown fits the inline limit.
WINDOWS = (None, 365, 120, 60, 30, 14)

WHITE, OK, FLAGGED, GAP, MARK, AXIS = range(6)
PALETTE = (
    (255, 255, 255),  # background
    (78, 121, 167),  # a whole day
    (225, 87, 89),  # a flagged day
    (220, 220, 220),  # a day no source landed (between covered days)
    (34, 34, 34),  # marker under the partition's day
    (150, 150, 150),  # baseline
)
_BAR_AREA_H, _MARK_H, _PAD = 64, 4, 2


@dataclass(frozen=True)
class Bar:
    day: dt.date
    value: int
    colour: int


def png_bytes(width: int, rows: Sequence[bytes], palette: Sequence[tuple[int, int, int]]) -> bytes:
    """An 8-bit palette PNG of `rows` (one palette index per pixel), each row stored as its
    difference from the one above (filter Up) so repeated rows cost nothing."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = bytearray()
    previous = bytes(width)
    for row in rows:
        if len(row) != width:
            raise ValueError(f"row of {len(row)} pixels in an image {width} wide")
        raw.append(2)
        raw.extend((a - b) & 0xFF for a, b in zip(row, previous, strict=True))
        previous = row
    header = struct.pack(">IIBBBBB", width, len(rows), 8, 3, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"PLTE", b"".join(bytes(c) for c in palette))
        + chunk(b"IDAT", zlib.compress(bytes(raw), 9))
        + chunk(b"IEND", b"")
    )


def bars(cov: Coverage, window: int | None = None) -> list[Bar]:
    """One bar per calendar day from the first covered day to the last (the last `window`
    days when given); a day between them that no source landed is a grey stub."""
    if not cov.days:
        return []
    first, last = cov.days[0].day, cov.days[-1].day
    if window is not None:
        first = max(first, last - dt.timedelta(days=window - 1))
    out = []
    day = first
    while day <= last:
        status = cov.get(day)
        if status is None:
            out.append(Bar(day, 0, GAP))
        else:
            out.append(Bar(day, status.conversations, FLAGGED if status.flagged else OK))
        day += dt.timedelta(days=1)
    return out


def chart_png(days: Sequence[Bar], marked: dt.date | None, *, scale: int = 1) -> bytes:
    """Bars `scale` times the inline size; `marked` gets a marker under its bar."""
    slot = max(1, min(12, 480 // max(len(days), 1))) * scale
    gap = 1 if slot >= 3 else 0
    width = max(len(days), 1) * slot + 2 * _PAD
    area = _BAR_AREA_H * scale
    peak = max((b.value for b in days), default=0) or 1
    heights = [max(2 * scale, round(area * b.value / peak)) if b.value else 2 * scale for b in days]
    rows: list[bytes] = []
    for y in range(area):
        row = bytearray(width)
        for i, bar in enumerate(days):
            if area - y <= heights[i]:
                x = _PAD + i * slot
                row[x : x + slot - gap] = bytes([bar.colour]) * (slot - gap)
        rows.append(bytes(row))
    rows.append(bytes([AXIS]) * width)
    for _ in range(_MARK_H * scale):
        row = bytearray(width)
        for i, bar in enumerate(days):
            if bar.day == marked:
                x = _PAD + i * slot
                row[x : x + max(slot - gap, 1)] = bytes([MARK]) * max(slot - gap, 1)
        rows.append(bytes(row))
    return png_bytes(width, rows, PALETTE)


def png_data_uri(data: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


def chart_markdown(cov: Coverage, marked: dt.date) -> str:
    """The inline chart with a one-line legend, under the UI's inline limit (fewer days when
    the whole range would not fit; the legend says which days are drawn)."""
    text = "no day has data yet: nothing to chart"
    for window in WINDOWS:
        days = bars(cov, window)
        if not days:
            return text
        peak = max(b.value for b in days)
        text = (
            f"![Genesys conversations per day, {days[0].day} to {days[-1].day}]"
            f"({png_data_uri(chart_png(days, marked))})\n\n"
            f"Conversations per day, {days[0].day} to {days[-1].day} (peak {peak}): blue whole, "
            f"red flagged, grey nothing landed; marker: {marked}"
        )
        if len(text) < INLINE_MARKDOWN_LIMIT:
            return text
    return text
