"""The data tables flow's import sources: read the rows of an import's source file (CSV, JSON
Lines or Parquet) before they are validated against the table and sent.

Nothing is guessed and nothing vanishes. CSV cells stay strings (the import's validation casts
losslessly against the table schema, not this reader); JSON values keep their JSON types; Parquet
columns report a vendor-style type so a retyped column is caught before any request. A record
that cannot be read as a row (a ragged CSV line, a JSONL line that is not a JSON object) becomes
an `unreadable` quarantine row with its row number, never a silent skip.

A file that cannot be read safely at all fails whole with `SourceUnreadable` naming the file, the
physical line and the reason, before anything is sent: a byte that is not UTF-8, an unclosed or
stray quote (which would otherwise swallow the lines after it into one cell), a field longer than
`max_field_chars`. Retrying cannot fix such a file, so callers fail without retry.

`SourceRows.physical_rows` counts the file's data records as its lines delimit them, counted
beside the parse (not from the rows it produced), so `nothing_lost` compares what was sent and
quarantined with what the file holds.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from cx_assets.lake.datatables import QuarantineRow

CSV_SUFFIXES = (".csv",)
JSONL_SUFFIXES = (".jsonl", ".ndjson")
PARQUET_SUFFIXES = (".parquet",)
ALLOWED_SUFFIXES = (*CSV_SUFFIXES, *JSONL_SUFFIXES, *PARQUET_SUFFIXES)

#: The longest cell a CSV or JSONL source may hold, in characters. The contract's data table
#: limits name only the key (256 characters, checked per row by the import's validation, which
#: quarantines a longer key); for other cells it gives none, so this is our bound: far above
#: any real cell, below the csv module's own 131,072, so a field this long is a swallowed file
#: (an unclosed quote) or hostile input, refused before it is held in memory several times.
DEFAULT_MAX_FIELD_CHARS = 65_536

REASON_RAGGED = "ragged CSV row"
REASON_INVALID_JSON = "invalid JSON"
REASON_NOT_OBJECT = "not a JSON object"


class SourceUnreadable(ValueError):
    """A source file that cannot be read safely; names the file, the line and the reason."""

    def __init__(self, path: Path, line: int | None, reason: str) -> None:
        where = f"line {line}: " if line is not None else ""
        super().__init__(f"import source {path}: {where}{reason}")
        self.path, self.line, self.reason = path, line, reason


@dataclass(frozen=True)
class SourceRows:
    """The readable rows of a source, in file order, and what could not be read.

    Attributes:
        rows: one dict per row, column name -> value.
        columns: every column name, in first-seen order.
        column_types: vendor-style types (string/number/boolean/date) when the file carries
            types (Parquet), else None.
        unreadable: records that are not rows, ready for quarantine.
        row_numbers: the 1-based source row number of each entry of `rows` (CSV: data records,
            header excluded; JSONL: line numbers; Parquet: row index + 1). Defaults to 1..n.
        physical_rows: the records the file holds, counted from its lines (CSV: records as
            the lines delimit them, header and blank lines excluded, quoted newlines accounted
            for; JSONL: non-empty lines; Parquet: the file's row count). Defaults to
            rows + unreadable (a query's result has no file to count).
    """

    rows: list[dict[str, Any]]
    columns: list[str]
    column_types: dict[str, str] | None
    unreadable: list[QuarantineRow]
    row_numbers: list[int] = field(default_factory=list)
    physical_rows: int | None = None

    def __post_init__(self) -> None:
        if not self.row_numbers:
            object.__setattr__(self, "row_numbers", list(range(1, len(self.rows) + 1)))
        if len(self.row_numbers) != len(self.rows):
            raise ValueError(
                f"{len(self.row_numbers)} row numbers for {len(self.rows)} rows: they must align"
            )
        if self.physical_rows is None:
            object.__setattr__(self, "physical_rows", len(self.rows) + len(self.unreadable))

    @property
    def physical_count(self) -> int:
        return int(self.physical_rows or 0)


def read_source_rows(path: Path, *, max_field_chars: int = DEFAULT_MAX_FIELD_CHARS) -> SourceRows:
    """Read `path` by its suffix (.csv, .jsonl/.ndjson, .parquet; case-insensitive).

    Raises:
        SourceUnreadable: a byte that is not UTF-8 (or NUL), an unclosed or stray quote, a
            field longer than `max_field_chars`, a JSONL string left open (file, line and reason
            named); an unknown suffix (naming the allowed ones), a CSV without a header or with
            a repeated header name, a Parquet column of a type no data table column has.
        FileNotFoundError: `path` does not exist.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in ALLOWED_SUFFIXES:
        raise SourceUnreadable(
            path,
            None,
            f"suffix {path.suffix or '(none)'!r} is not supported; "
            f"use one of {', '.join(ALLOWED_SUFFIXES)}",
        )
    if not path.is_file():
        raise FileNotFoundError(f"import source {path} does not exist")
    if suffix in CSV_SUFFIXES:
        return _read_csv(path, max_field_chars)
    if suffix in JSONL_SUFFIXES:
        return _read_jsonl(path, max_field_chars)
    return _read_parquet(path)


class _Lines:
    """The file's physical lines, decoded one by one.

    By hand because a text-mode file decodes in 8 KB chunks: its UnicodeDecodeError names a
    byte offset in a chunk, not the line a person can open. Reading bytes per line keeps the
    line number exact. `number` is the count of lines handed out so far (1-based after the
    first); a UTF-8 byte-order mark on the first line is dropped (Excel writes one).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.number = 0
        self.last = ""

    def __iter__(self) -> Iterator[str]:
        with open(self.path, "rb") as fh:
            for raw in fh:
                self.number += 1
                try:
                    text = raw.decode("utf-8")
                except UnicodeDecodeError as exc:
                    raise SourceUnreadable(
                        self.path,
                        self.number,
                        f"byte 0x{raw[exc.start]:02x} at column {exc.start + 1} is not UTF-8 "
                        "(save the file as UTF-8)",
                    ) from None
                if "\x00" in text:  # valid UTF-8, but no data table cell holds it
                    column = text.index("\x00") + 1
                    raise SourceUnreadable(self.path, self.number, f"NUL byte at column {column}")
                if self.number == 1:
                    text = text.removeprefix("\ufeff")
                self.last = text
                yield text


def _too_long(
    path: Path, line: int, name: str, length: int | None, limit: int, *, csv_file: bool = True
) -> SourceUnreadable:
    size = f"{name} is {length} characters," if length is not None else f"{name} is"
    hint = "; an unclosed quote earlier in the record would look the same" if csv_file else ""
    return SourceUnreadable(
        path,
        line,
        f"over-long field: {size} longer than the limit of {limit} characters "
        f"(CX_DATATABLE_IMPORT_MAX_FIELD_CHARS){hint}",
    )


def _csv_error(
    path: Path, exc: csv.Error, start: int, line: int, max_field_chars: int
) -> SourceUnreadable:
    """The csv module's error as a reason a person can act on, at the record's first line."""
    message = str(exc)
    if message == "unexpected end of data":
        return SourceUnreadable(
            path, start, f"unclosed quote: the quoted field opened here is still open at the "
            f"end of the file (line {line})"
        )  # fmt: skip
    if "field larger than field limit" in message:
        return _too_long(path, start, "a field of the record starting here", None, max_field_chars)
    if "expected after" in message:
        spans = f", in the record starting on line {start}" if start != line else ""
        return SourceUnreadable(
            path,
            start,
            f"stray quote on line {line}{spans}: text follows the quote that closes a quoted "
            "field (an unclosed quote where the record starts would look the same)",
        )
    return SourceUnreadable(path, line, f"not readable as CSV: {message}")


def _ends_in_quote(lines: list[str]) -> list[bool]:
    """For each physical line of a record: whether a quoted field is still open at its end.

    By hand because the csv module keeps this state to itself: with RFC 4180 quoting (a field
    quoted whole, a quote inside it doubled) a field is open exactly while the record's count of
    quote characters so far is odd. Where that reading and the parser's disagree on where a
    record ends, the file has a quote inside an unquoted field, and the rows it would give
    depend on the reader: the file is refused rather than guessed.
    """
    open_states, count = [], 0
    for text in lines:
        count += text.count('"')
        open_states.append(count % 2 == 1)
    return open_states


def _read_csv(path: Path, max_field_chars: int) -> SourceRows:
    rows: list[dict[str, Any]] = []
    numbers: list[int] = []
    unreadable: list[QuarantineRow] = []
    lines = _Lines(path)
    # The module-wide limit is only ever raised (never lowered under another reader's feet);
    # our own `max_field_chars` is checked per cell below.
    if csv.field_size_limit() <= max_field_chars:
        csv.field_size_limit(max_field_chars + 1)
    # strict: a quote left open at the end of the file, or text after a closing quote, is an
    # error instead of a cell that silently ran on (the default swallows to EOF).
    buffer: list[str] = []  # the physical lines of the record being read
    reader = csv.reader(_recording(lines, buffer), strict=True)
    header_done, width, header = False, 0, []
    record, physical, consumed = 0, 0, 0
    while True:
        start = consumed + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise _csv_error(path, exc, start, lines.number, max_field_chars) from None
        span, consumed = reader.line_num - consumed, reader.line_num
        record_lines = buffer[:]
        buffer.clear()
        open_at_end = _ends_in_quote(record_lines)
        if open_at_end[-1] or any(not state for state in open_at_end[:-1]):
            raise SourceUnreadable(
                path,
                start,
                "unbalanced quote: a quote inside an unquoted field, or a quoted field that "
                "does not close where the record does (quote a whole field and double any "
                'quote inside it: "5"" screen")',
            )
        if not header_done:
            header_done, header, width = True, cells, len(cells)
            _check_header(path, header)
            continue
        if not cells:  # a blank line is not a record
            continue
        # A record as the lines delimit it (the quote parity above agrees with the parser on
        # where it ends), counted before its cells decide whether it is a row or quarantined.
        physical += 1
        record += 1
        if len(cells) != width and span > 1:
            raise SourceUnreadable(
                path,
                start,
                f"unclosed quote: a quoted field opened on line {start} runs over {span} lines "
                f"to line {consumed} and leaves {len(cells)} field(s) where the header has "
                f"{width}",
            )
        for index, cell in enumerate(cells):
            if len(cell) > max_field_chars:
                name = repr(header[index]) if index < width else f"column {index + 1}"
                raise _too_long(path, start, f"field {name}", len(cell), max_field_chars)
        if len(cells) != width:
            unreadable.append(
                QuarantineRow(
                    row_number=record,
                    field=None,
                    reason=(
                        f"{REASON_RAGGED}: {len(cells)} field(s), the header has {width} "
                        f"(line {reader.line_num})"
                    ),
                    row_json=json.dumps(cells, ensure_ascii=False),
                )
            )
            continue
        rows.append(dict(zip(header, cells, strict=True)))
        numbers.append(record)
    if not header_done:
        raise SourceUnreadable(path, None, "a CSV file needs a header line")
    return SourceRows(rows, list(header), None, unreadable, numbers, physical)


def _recording(lines: _Lines, buffer: list[str]) -> Iterator[str]:
    """`lines`, each also kept in `buffer` until the record it belongs to is judged."""
    for text in lines:
        buffer.append(text)
        yield text


def _check_header(path: Path, header: list[str]) -> None:
    if not header or header == [""]:
        raise SourceUnreadable(path, 1, "a CSV file needs a header line")
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise SourceUnreadable(path, 1, f"header names {repeated} occur more than once")


def _longest(value: Any) -> int:
    """The length of the longest string in a JSON value (nested ones included)."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, dict):
        return max((max(len(k), _longest(v)) for k, v in value.items()), default=0)
    if isinstance(value, list):
        return max((_longest(v) for v in value), default=0)
    return 0


def _read_jsonl(path: Path, max_field_chars: int) -> SourceRows:
    rows: list[dict[str, Any]] = []
    numbers: list[int] = []
    unreadable: list[QuarantineRow] = []
    columns: dict[str, None] = {}  # insertion-ordered set
    physical = 0
    lines = _Lines(path)
    for text in lines:
        line_number = lines.number
        text = text.rstrip("\r\n")
        if not text.strip():
            continue
        physical += 1
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            if exc.msg.startswith("Unterminated string"):
                raise SourceUnreadable(
                    path, line_number, f"unclosed quote: the string at column {exc.colno} is "
                    "never closed"
                ) from None  # fmt: skip
            reason = f"{REASON_INVALID_JSON}: {exc.msg} at column {exc.colno}"
            unreadable.append(QuarantineRow(line_number, None, reason, json.dumps(text)))
            continue
        if not isinstance(value, dict):
            reason = f"{REASON_NOT_OBJECT}: got {type(value).__name__}"
            unreadable.append(QuarantineRow(line_number, None, reason, json.dumps(text)))
            continue
        for name, cell in value.items():
            length = max(len(name), _longest(cell))
            if length > max_field_chars:
                raise _too_long(
                    path, line_number, f"field {name!r}", length, max_field_chars, csv_file=False
                )
        columns.update(dict.fromkeys(value))
        rows.append(value)
        numbers.append(line_number)
    return SourceRows(rows, list(columns), None, unreadable, numbers, physical)


def _vendor_type(path: Path, name: str, dtype: pl.DataType) -> str:
    if dtype == pl.String or dtype == pl.Categorical or dtype == pl.Enum:
        return "string"
    if dtype == pl.Boolean:
        return "boolean"
    if dtype == pl.Date:
        return "date"
    if dtype.is_numeric():
        return "number"
    raise SourceUnreadable(
        path,
        None,
        f"column {name!r} is {dtype} in the Parquet file; a data table column is a string, "
        "number, boolean or date",
    )


def _read_parquet(path: Path) -> SourceRows:
    frame = pl.read_parquet(path)
    types = {name: _vendor_type(path, name, dtype) for name, dtype in frame.schema.items()}
    # Decimals come out as decimal.Decimal and categoricals as their labels; plain Python
    # floats and strings are what the row validation (and JSON) understand.
    casts = [
        pl.col(name).cast(pl.Float64 if types[name] == "number" else pl.String)
        for name, dtype in frame.schema.items()
        if isinstance(dtype, pl.Decimal) or dtype in (pl.Categorical, pl.Enum)
    ]
    if casts:
        frame = frame.with_columns(casts)
    (physical,) = pl.scan_parquet(path).select(pl.len()).collect().row(0)  # the file's count
    return SourceRows(frame.to_dicts(), list(frame.columns), types, [], [], int(physical))
