"""What a platform import must send, and whether the table then holds it: pure, no I/O.

A CSV import job in `Append` mode replaces each row it names WHOLE (a property the file leaves
out has no value afterwards) and `ReplaceAll` makes the table exactly the file. So the plan is
made against an export of the table taken just before (under the table's lock): for `Append`
each source row is laid over the row stored under its key, so a source with fewer columns never
wipes the others, and only rows that add or change something are sent; a run that would change
nothing sends nothing, so running an import twice changes nothing the second time. `ReplaceAll`
sends every accepted row, unless the table already is exactly those rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cx_assets.genesys.datatables.imports import Verification
from cx_assets.genesys.datatables.platform_schema import QuarantinedRow

Row = dict[str, Any]
APPEND, REPLACE_ALL = "Append", "ReplaceAll"


@dataclass(frozen=True)
class ImportPlan:
    """`send[i]` came from source row `send_rows[i]`; `expected` is what every accepted key
    must hold afterwards (key -> full row); `rejected`: rows the table's row limit refuses."""

    send: list[Row]
    send_rows: list[int]
    send_kinds: list[str]  # per sent row: "inserted", "updated" or "unchanged" (ReplaceAll)
    expected: dict[str, Row]
    inserted: int
    updated: int
    unchanged: int
    deleted: int
    rejected: list[QuarantinedRow]


def plan_import(
    current: Mapping[str, Row],
    valid: Sequence[Row],
    row_numbers: Sequence[int],
    *,
    key: str,
    properties: Sequence[str],
    mode: str,
    max_rows: int,
    stored: int | None = None,
) -> ImportPlan:
    """The rows to send so the table ends holding `valid` (typed, key -> property values).

    `current` needs only the stored rows under `valid`'s keys (the caller reads just those from
    the export, so memory follows the source, not the table); `stored` is how many rows the
    table holds in all (default `len(current)`)."""
    total = len(current) if stored is None else stored
    send: list[Row] = []
    send_rows: list[int] = []
    expected: dict[str, Row] = {}
    rejected: list[QuarantinedRow] = []
    inserted = updated = unchanged = 0
    held = total if mode == APPEND else 0
    blank = dict.fromkeys(properties)
    for row, number in zip(valid, row_numbers, strict=True):
        k = row[key]
        old = current.get(k)
        # Append: the source's values laid over the stored row; ReplaceAll: the source's only
        new = {**blank, **(old or {}), **row} if mode == APPEND else {**blank, **row}
        if old is None:
            if held >= max_rows:
                reason = f"the table would hold more than {max_rows} rows; the limit is {max_rows}"
                rejected.append(QuarantinedRow(number, k, key, reason, dict(row)))
                continue
            held += 1
            inserted += 1
        elif _same(old, new, properties):
            unchanged += 1
        else:
            updated += 1
        expected[k] = new
        send.append(new)
        send_rows.append(number)
    # ReplaceAll deletes every stored key the source does not name
    deleted = total - sum(1 for k in expected if k in current) if mode == REPLACE_ALL else 0
    keep = list(range(len(send)))
    if mode == APPEND:  # an unchanged row need not be sent again
        keep = [i for i in keep if not _same(current.get(send[i][key]), send[i], properties)]
    elif not inserted and not updated and not deleted:
        keep = []
    kinds = [_kind(current.get(send[i][key]), send[i], properties) for i in keep]
    send, send_rows = [send[i] for i in keep], [send_rows[i] for i in keep]
    return ImportPlan(
        send, send_rows, kinds, expected, inserted, updated, unchanged, deleted, rejected
    )


def _kind(old: Row | None, new: Row, properties: Sequence[str]) -> str:
    if old is None:
        return "inserted"
    return "unchanged" if _same(old, new, properties) else "updated"


def _same(old: Row | None, new: Row, properties: Sequence[str]) -> bool:
    return old is not None and all(old.get(p) == new.get(p) for p in properties)


def verify_import(
    after: Mapping[str, Row],
    expected: Mapping[str, Row],
    *,
    properties: Sequence[str],
    exact: bool,
    unexpected: Sequence[str] = (),
) -> Verification:
    """Key by key: each expected row is in `after` with every property as planned; with
    `exact` (ReplaceAll) a key in `after` that was not expected counts as different too, as do
    `unexpected`: keys the caller found in the table outside `after` (which may hold only the
    expected keys' rows)."""
    missing = [(k,) for k in expected if k not in after]
    different = [
        (k,) for k, row in expected.items() if k in after and not _same(after[k], row, properties)
    ]
    if exact:
        different += [(k,) for k in after if k not in expected]
        different += [(k,) for k in unexpected if k not in after and k not in expected]
    return Verification(checked=len(expected), missing=missing, different=different)
