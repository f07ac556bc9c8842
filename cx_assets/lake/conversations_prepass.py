"""The normaliser's pre-pass: every raw record numbered by its line, before DuckDB reads it.

DuckDB cannot say which line a record came from, and quarantine rows must. So each JSONL line is
copied with its line number spliced in as the first member (`{"__cx_line":7,` + the rest): a
textual edit that keeps valid JSON valid and invalid JSON invalid, costing no JSON parsing in
Python (~1.3 GB/s). CSV records are turned into the same JSONL shape. Lines that cannot hold a
record (not an object, ragged CSV) are noted as early rejects here; blank lines are skipped.
`csv_rows` is shared with the quarantine writer so both number CSV records the same way.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from cx_assets.lake.conversations_schema import REASON_INVALID_JSON, RawFile

READ_BUFFER = 1024 * 1024
LINE_KEY = "__cx_line"  # spliced into each JSONL line; a name no export uses
_BOM = b"\xef\xbb\xbf"
_CSV_FIELDS = {  # CSV header name -> JSON path the JSONL route reads
    "interactionId": ("interactionId",),
    "type": ("type",),
    "startTimestamp": ("startTimestamp",),
    "endTimestamp": ("endTimestamp",),
    "channelType": ("channel", "type"),
}


@dataclass
class Prepared:
    """A raw file after the pre-pass: line-numbered JSONL for DuckDB plus early rejects."""

    idx: int
    raw: RawFile
    annotated: Path
    lines: int = 0
    early: list[tuple[int, str]] = field(default_factory=list)  # (line, reason), sorted
    blank: list[int] = field(default_factory=list)  # skipped whitespace-only lines


def prepare(idx: int, raw: RawFile, work: Path) -> Prepared:
    prepared = Prepared(idx=idx, raw=raw, annotated=work / f"{idx}.jsonl")
    with open(prepared.annotated, "wb", buffering=READ_BUFFER) as dst:
        if raw.format == "jsonl":
            _annotate_jsonl(raw.path, dst, prepared)
        else:
            _annotate_csv(raw.path, dst, prepared)
    return prepared


def _annotate_jsonl(src: Path, dst: BinaryIO, prepared: Prepared) -> None:
    """Copy object lines with their line number spliced in; note blank and non-object lines."""
    lines = 0
    with open(src, "rb", buffering=READ_BUFFER) as fh:
        for lines, line in enumerate(fh, 1):
            body = line.strip()
            if lines == 1 and body.startswith(_BOM):
                body = body[len(_BOM) :].lstrip()
            if body[:1] == b"{":
                rest = body[1:].lstrip()
                sep = b"" if rest[:1] == b"}" else b","  # `{}` must stay valid JSON
                dst.write(b'{"%s":%d%s%s\n' % (LINE_KEY.encode(), lines, sep, rest))
            elif body:
                prepared.early.append((lines, REASON_INVALID_JSON))  # detailed when quarantined
            else:  # a whitespace-only line holds no record (e.g. a trailing empty line)
                prepared.blank.append(lines)
    prepared.lines = lines


def csv_rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    """(first physical line, fields) of every CSV row, header included (line 1)."""
    with open(path, encoding="utf-8", errors="replace", newline="") as fh:
        reader = csv.reader(fh)
        consumed = 0
        for row in reader:
            yield consumed + 1, row
            consumed = reader.line_num


def _annotate_csv(src: Path, dst: BinaryIO, prepared: Prepared) -> None:
    """Turn CSV records into the JSONL shape the DuckDB route reads (only the columns CSV has)."""
    rows = csv_rows(src)
    first = next(rows, None)
    if first is None:
        return
    header = [h.strip().lstrip("\ufeff") for h in first[1]]
    wanted = [(i, _CSV_FIELDS[h]) for i, h in enumerate(header) if h in _CSV_FIELDS]
    for line, row in rows:
        prepared.lines = line
        if not any(v.strip() for v in row):
            continue  # an empty line holds no record
        if len(row) != len(header):
            prepared.early.append((line, f"expected {len(header)} CSV fields, got {len(row)}"))
            continue
        record: dict[str, object] = {LINE_KEY: line}
        for i, path in wanted:
            value = row[i] if row[i] != "" else None  # CSV has no null; empty means missing
            if len(path) == 1:
                record[path[0]] = value
            else:
                record[path[0]] = {path[1]: value}
        dst.write(json.dumps(record).encode() + b"\n")
