"""The CSV an import job reads, written from validated rows (header = property names, key first).

The format is UNVERIFIED (the emulator's choice, docs/api-contract.md): UTF-8 without a BOM,
RFC 4180 quoting, CRLF line ends, booleans `true`/`false`, numbers as shortest round-trip
decimals without an exponent (as exports write them), no value as an empty cell.
`platform_csv` reads it back the same way.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from cx_assets.genesys.datatables.platform_schema import TableColumns
from cx_assets.lake.atomic import atomic_write


def write_import_csv(
    rows: Iterable[Mapping[str, Any]],
    table: TableColumns,
    path: Path,
    *,
    columns: Sequence[str] | None = None,
) -> int:
    """Write `rows` (typed values, e.g. `ImportValidation.valid`) as the CSV an import job
    reads, atomically; the number of rows written. The header is property names in table order
    (`key` first), limited to `columns` when given (a column left out is not touched by an
    Append). Booleans `true`/`false`, numbers as shortest round-trip decimals, None empty."""
    wanted = set(columns) if columns is not None else None
    unknown = sorted((wanted or set()) - set(table.names))
    if unknown:
        raise ValueError(f"{table.describe()}: columns {unknown} are not in the table")
    names = [n for n in table.names if wanted is None or n in wanted or n == table.key.name]
    count = 0
    with atomic_write(path) as fh:
        text = io.TextIOWrapper(fh, encoding="utf-8", newline="")
        writer = csv.writer(text, lineterminator="\r\n")
        writer.writerow(names)
        for row in rows:
            writer.writerow([_cell(row.get(name)) for name in names])
            count += 1
        text.flush()
        text.detach()
    return count


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 2**53:
            return str(int(value))
        return format(Decimal(repr(value)), "f")  # 1e-05 -> 0.00001: no exponent
    return str(value)
