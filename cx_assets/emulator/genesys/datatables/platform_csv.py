"""The CSV of platform exports and imports (the format is UNVERIFIED: the emulator's choice).

UTF-8 (a BOM is tolerated on input), RFC 4180 quoting, CRLF out (CRLF or LF in), a header of
property names (`key` first, then by displayOrder); booleans `true`/`false`, integers and numbers
as decimal text, an empty cell = no value. A header column may also name a property by its title.
A file that cannot be read at all raises `FileProblem`: the import job fails and nothing changes.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from cx_assets.emulator.genesys.datatables.platform_seed import PlatformRow, Prop


class FileProblem(Exception):
    """Why a whole import file is refused; `code` goes into the job's errorInformation."""

    def __init__(self, message: str, code: str = "datatable.import.file.invalid") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class CsvFile:
    columns: list[Prop]  # the header, mapped to properties
    records: list[list[str]]  # data records (blank lines dropped), cells in header order


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return format(Decimal(repr(value)), "f")  # decimal text, never 1e-05
    return str(value)


def render(props: tuple[Prop, ...], rows: Iterable[PlatformRow]) -> bytes:
    """The export file: header of property names, one line per row, CRLF."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    names = [p.name for p in props]
    writer.writerow(names)
    for row in rows:
        writer.writerow([_text(row.get(name)) for name in names])
    return out.getvalue().encode("utf-8")


def _header(names: list[str], props: tuple[Prop, ...]) -> list[Prop]:
    by_name = {p.name: p for p in props}
    by_title = {p.title.casefold(): p for p in props}
    columns: list[Prop] = []
    for name in names:
        prop = by_name.get(name) or by_title.get(name.strip().casefold())
        if prop is None:
            known = ", ".join(by_name)
            raise FileProblem(f"unknown column {name!r} in the header (properties: {known})")
        if prop in columns:
            raise FileProblem(f"column {name!r} appears twice in the header")
        columns.append(prop)
    if by_name["key"] not in columns:
        raise FileProblem("the header has no 'key' column")
    return columns


def parse(data: bytes, props: tuple[Prop, ...]) -> CsvFile:
    """The uploaded file's header and records, or FileProblem saying why it cannot be read."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FileProblem(f"the file is not UTF-8 text (byte {exc.start})") from exc
    if "\x00" in text:
        raise FileProblem("the file is not CSV text (it holds NUL bytes)")
    try:
        records = [r for r in csv.reader(io.StringIO(text, newline=""), strict=True) if r]
    except csv.Error as exc:
        raise FileProblem(f"the file is not valid CSV: {exc}") from exc
    if not records:
        raise FileProblem("the file is empty: a header line naming the columns is required")
    return CsvFile(_header(records[0], props), records[1:])
