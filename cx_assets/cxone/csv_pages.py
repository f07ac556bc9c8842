"""Read a CSV data page of a CXone analytics export into the records a JSON page would hold.

The contract says only "`text/csv` with a header row", so a page may start with a UTF-8 byte
order mark, end its rows `\\r\\n`, quote every cell, and name the columns in any order: the header
row names each cell. An empty cell is an absent field (the contract's spelling of a missing one),
and the record fields the contract types as numbers (`holdTime`, `wrapTime`, `talkTime`, in
seconds) are read back as numbers, so a CSV export lands the same rows as a JSON one. Every
other cell stays text (an id served as `2024010100007` in JSON reads the same either way).
"""

from __future__ import annotations

import csv
import io
import math
from typing import Any

from cx_assets.cxone.endpoints import NUMBER_FIELDS


class CsvPageError(ValueError):
    """The page is not CSV with a header row; the message says what arrived (never a cell)."""


def read_csv_page(content: bytes) -> list[dict[str, Any]]:
    """The page's records, in order; a page with only a header row (or nothing) holds none."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CsvPageError("a CSV page that is not UTF-8") from None
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise CsvPageError(f"a CSV page that cannot be parsed ({exc})") from None
    rows = [row for row in rows if any(cell != "" for cell in row)]
    if not rows:
        return []
    header = [name.strip() for name in rows[0]]
    if not all(header) or len(set(header)) != len(header):
        raise CsvPageError("a CSV page whose header row has empty or repeated column names")
    records: list[dict[str, Any]] = []
    for number, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise CsvPageError(
                f"CSV row {number} has {len(row)} cell(s) for {len(header)} column(s)"
            )
        records.append(
            {name: _value(name, cell) for name, cell in zip(header, row, strict=True) if cell != ""}
        )
    return records


def _value(name: str, cell: str) -> Any:
    """A number for the numeric fields when the cell is one; the text as served otherwise."""
    if name not in NUMBER_FIELDS:
        return cell
    try:
        return int(cell)
    except ValueError:
        pass
    try:
        number = float(cell)
    except ValueError:
        return cell  # kept as served: the lake reads it as unusable and counts it missing
    return number if math.isfinite(number) else cell
