"""Running one uploaded CSV into a platform table: counts and `errorInformation`.

A file that cannot be read at all (not UTF-8/CSV, no `key` column, an unknown header column,
more data rows than the table may hold) fails the job and changes nothing. Otherwise each row
the server refuses is counted in countRecordsFailed with one ErrorBody in
`errorInformation.errors`; the job Succeeds when at least one row was applied (a ReplaceAll of a
header-only file empties the table and Succeeds), and Fails, changing nothing, when every row
was refused.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cx_assets.emulator.genesys.datatables.platform_csv import FileProblem, parse
from cx_assets.emulator.genesys.datatables.platform_rows import RowProblem, csv_row
from cx_assets.emulator.genesys.datatables.platform_seed import PlatformRow
from cx_assets.emulator.genesys.datatables.platform_table import PlatformTable

RECORDS_FAILED = "datatable.import.records.failed"
#: (row number, cells, header names) -> the column the `datatable_import_row_failures` fault
#: refuses in that record, if any.
RowRefusal = Callable[[int, list[str], list[str]], "str | None"]


@dataclass
class ImportOutcome:
    status: str  # Succeeded | Failed
    updated: int = 0
    deleted: int = 0
    failed: int = 0
    error: dict[str, Any] | None = None


def file_error(message: str, code: str, status: int = 400) -> dict[str, Any]:
    """A whole-job ErrorBody."""
    return {"message": message, "code": code, "status": status, "details": [], "errors": []}


def row_error(n: int, key: str, problem: RowProblem) -> dict[str, Any]:
    """The per-row ErrorBody (the emulator's shape; the real one is UNVERIFIED)."""
    return {
        "message": f"row {n} (key '{key}'): {problem.reason}",
        "code": problem.code,
        "messageParams": {"row": str(n), "key": key, "field": problem.field},
        "details": [{"fieldName": problem.field, "entityId": key}],
    }


def run_import(
    table: PlatformTable,
    data: bytes,
    replace_all: bool,
    max_rows: int,
    refuse: RowRefusal | None = None,
) -> ImportOutcome:
    try:
        parsed = parse(data, table.props)
    except FileProblem as exc:
        return ImportOutcome("Failed", error=file_error(exc.message, exc.code))
    if len(parsed.records) > max_rows:
        message = (
            f"the file has {len(parsed.records)} data rows; {table.name} may hold at most "
            f"{max_rows} rows"
        )
        return ImportOutcome("Failed", error=file_error(message, "datatable.import.too.many.rows"))
    names = [p.name for p in parsed.columns]
    key_at = names.index("key")
    errors: list[tuple[int, dict[str, Any]]] = []
    good: list[tuple[int, PlatformRow]] = []
    for n, cells in enumerate(parsed.records, start=1):
        key = cells[key_at] if key_at < len(cells) else ""
        try:
            column = refuse(n, cells, names) if refuse is not None else None
            if column is not None:
                raise RowProblem(
                    column,
                    "datatable.row.refused",
                    f"field '{column}' value was refused by the server "
                    "(injected fault datatable_import_row_failures)",
                )
            good.append((n, csv_row(cells, parsed.columns, table.props)))
        except RowProblem as problem:
            errors.append((n, row_error(n, key, problem)))
    applied = table.import_rows([row for _, row in good], replace_all, max_rows, len(errors))
    for at in applied.over_limit:
        n, row = good[at]
        problem = RowProblem(
            "key",
            "datatable.row.limit.exceeded",
            f"the table would hold more than {max_rows} rows",
        )
        errors.append((n, row_error(n, row["key"], problem)))
    errors.sort(key=lambda item: item[0])
    information = None
    if errors:
        information = {
            "message": f"{len(errors)} record(s) failed",
            "code": RECORDS_FAILED,
            "status": 400,
            "errors": [body for _, body in errors],
        }
    if not applied.committed:
        return ImportOutcome("Failed", failed=len(errors), error=information)
    return ImportOutcome(
        "Succeeded", applied.updated, applied.deleted, len(errors), error=information
    )
