"""CSV for the independent data tables server: export files and reading import files.

The contract marks the CSV format UNVERIFIED, so exports take the other readings the `Quirks`
allow (titles in the header, BOM, LF, columns by name, TRUE/FALSE, `20000.0`, every cell
quoted) while keeping RFC 4180 and never writing an exponent. Imports read what the contract
promises: BOM or not, CRLF or LF, blank lines skipped, header by name then title.
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from cx_assets_tests.independent.datatables_platform_seed import Json, Prop, Table, display_order

if TYPE_CHECKING:
    from cx_assets_tests.independent.datatables_platform_server import Quirks

MAX_KEY = 256
STRICT_INT, STRICT_NUM = re.compile(r"-?\d+"), re.compile(r"-?\d+(\.\d+)?")
LOOSE_INT = re.compile(r"[+-]?\d+(\.0*)?")


def export_columns(table: Table, quirks: Quirks) -> list[Prop]:
    """Key first then by displayOrder (none given: last); `sorted_columns`: by name."""
    if quirks.sorted_columns:
        return sorted(table.props, key=lambda p: p.name)
    orders = display_order(table, quirks)
    rest = [p for p in table.props if p.name != "key"]
    rest.sort(key=lambda p: (orders[p.name] is None, orders[p.name] or 0))
    return [p for p in table.props if p.name == "key"] + rest


def cell(prop: Prop, value: Any, quirks: Quirks) -> str:
    """One export cell: empty = no value; numbers as plain decimal text."""
    if value is None:
        return ""
    if prop.type == "boolean":
        text = "true" if value else "false"
        return text.upper() if quirks.upper_booleans else text
    if prop.type == "integer":
        return f"{int(value)}.0" if quirks.integer_point_zero else str(int(value))
    if prop.type == "number":
        return format(Decimal(repr(float(value))), "f")
    return str(value)


def export_csv(table: Table, rows: list[Json], quirks: Quirks) -> bytes:
    """The export file of `rows` (a snapshot) under the current quirks."""
    columns, out = export_columns(table, quirks), io.StringIO()
    quoting = csv.QUOTE_ALL if quirks.quote_all else csv.QUOTE_MINIMAL
    writer = csv.writer(out, lineterminator="\n" if quirks.lf_lines else "\r\n", quoting=quoting)
    writer.writerow([p.title if quirks.title_header else p.name for p in columns])
    for row in rows:
        writer.writerow([cell(p, row.get(p.name), quirks) for p in columns])
    return ("\ufeff" if quirks.bom else "").encode() + out.getvalue().encode()


class FileInvalid(ValueError):
    """The whole file is refused: the job fails and changes nothing."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Refusal:
    """One refused data record (`row` is 1-based, the header not counted)."""

    row: int
    key: str
    field: str
    code: str
    why: str


@dataclass
class ParsedFile:
    good: list[tuple[int, Json]] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)


def typed(prop: Prop, text: str, strict: bool) -> Any:
    """The typed value of a non-empty cell; ValueError saying why not."""
    if prop.type == "string":
        return text
    if prop.type == "boolean":
        lowered = text.strip().lower()
        if lowered in ("true", "1", "false", "0"):
            return lowered in ("true", "1")
        raise ValueError("is not boolean")
    if prop.type == "integer":
        if (STRICT_INT if strict else LOOSE_INT).fullmatch(text.strip()):
            return int(Decimal(text.strip()))
        raise ValueError("is not integer")
    if strict and not STRICT_NUM.fullmatch(text.strip()):
        raise ValueError("is not number (plain decimal text, no exponent)")
    try:
        number = float(text)
    except ValueError:
        raise ValueError("is not number") from None
    if not math.isfinite(number):
        raise ValueError("is not a finite number")
    return number


def header_map(header: list[str], table: Table) -> list[Prop]:
    """Header cells to properties: by name first, then by title (case-insensitive)."""
    by_name = {p.name: p for p in table.props}
    by_title = {p.title.lower(): p for p in table.props}
    props: list[Prop] = []
    for raw in header:
        prop = by_name.get(raw) or by_title.get(raw.lower())
        if prop is None:
            raise FileInvalid("datatable.import.file.invalid", f"unknown header column {raw!r}")
        if prop in props:
            raise FileInvalid("datatable.import.file.invalid", f"repeated header column {raw!r}")
        props.append(prop)
    if by_name["key"] not in props:
        raise FileInvalid("datatable.import.file.invalid", "the header has no 'key' column")
    return props


def read_records(data: bytes) -> list[list[str]]:
    """The non-blank records of a UTF-8 CSV (BOM allowed); FileInvalid when unreadable."""
    if b"\x00" in data:
        raise FileInvalid("datatable.import.file.invalid", "the file holds NUL bytes")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FileInvalid("datatable.import.file.invalid", "the file is not UTF-8") from None
    try:
        records = [r for r in csv.reader(io.StringIO(text, newline=""), strict=True) if r]
    except csv.Error as exc:
        raise FileInvalid("datatable.import.file.invalid", f"not parseable as CSV: {exc}") from None
    if not records:
        raise FileInvalid("datatable.import.file.invalid", "the file is empty (no header)")
    return records


def parse_import(data: bytes, table: Table, *, strict: bool, max_rows: int) -> ParsedFile:
    """Every data record typed or refused, in file order."""
    records = read_records(data)
    props, parsed = header_map(records[0], table), ParsedFile()
    if len(records) - 1 > max_rows:
        message = f"{len(records) - 1} data rows; a table holds at most {max_rows}"
        raise FileInvalid("datatable.import.too.many.rows", message)
    at = next(i for i, p in enumerate(props) if p.name == "key")
    for number, record in enumerate(records[1:], start=1):
        key = record[at] if len(record) > at else ""
        refusal = _refusal(number, record, props, key, strict)
        if isinstance(refusal, Refusal):
            parsed.refused.append(refusal)
        else:
            parsed.good.append((number, refusal))
    return parsed


def _refusal(number: int, record: list[str], props: list[Prop], key: str, strict: bool) -> Any:
    """The row as typed values, or the Refusal for its first fault."""
    if len(record) > len(props):
        extra = f"column {len(props) + 1}"
        return Refusal(number, key, extra, "unknown.field", "is a cell the header does not name")
    if key == "":
        return Refusal(number, key, "key", "key.missing", "is empty")
    if len(key) > MAX_KEY:
        why = f"is {len(key)} characters; the limit is {MAX_KEY}"
        return Refusal(number, key, "key", "key.too.long", why)
    row: Json = {}
    for prop, text in zip(props, record, strict=False):
        if text == "":
            continue
        try:
            row[prop.name] = typed(prop, text, strict)
        except ValueError as exc:
            return Refusal(number, key, prop.name, "invalid.value.type", f"value {text!r} {exc}")
    return row
