"""What an import file does to a table, and the per-row failure detail the job reports."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from cx_assets_tests.independent.datatables_platform_csv import (
    FileInvalid,
    ParsedFile,
    Refusal,
    parse_import,
)
from cx_assets_tests.independent.datatables_platform_seed import Json, Table

if TYPE_CHECKING:
    from cx_assets_tests.independent.datatables_platform_jobs import ImportJob
    from cx_assets_tests.independent.datatables_platform_server import DataTablesServer


def finish_import(job: ImportJob, server: DataTablesServer) -> None:
    """End the job: Failed changing nothing, or Succeeded with the file applied."""
    job.completed, job.status = datetime.now(UTC), "Failed"
    job.counts = {"updated": 0, "deleted": 0, "failed": 0}
    if job.fail_message:
        job.error_info = {"message": job.fail_message, "code": "datatable.import.failed"}
        job.error_info |= {"status": 500, "details": [], "errors": []}
        return
    strict, limit = server.quirks.strict_cells, server.max_rows
    try:
        parsed = parse_import(job.upload or b"", job.table, strict=strict, max_rows=limit)
    except FileInvalid as exc:
        job.error_info = {"message": str(exc), "code": exc.code, "status": 400}
        job.error_info |= {"details": [], "errors": []}
        return
    refused = apply_file(
        job.table, job.mode, parsed, refuse_cells=server.refuse_cells, max_rows=limit,
        counts=job.counts,
    )  # fmt: skip
    if refused:
        job.error_info = records_failed(refused, server.quirks.row_detail_variant)
    if job.counts["updated"] or not refused:
        job.status = "Succeeded"


def apply_file(
    table: Table,
    mode: str,
    parsed: ParsedFile,
    *,
    refuse_cells: set[str],
    max_rows: int,
    counts: dict[str, int],
) -> list[Refusal]:
    """Apply the good rows in one step (none when every row is refused); the refusals.

    Append upserts by key, replacing a row whole; ReplaceAll makes the table exactly the
    good rows. A key twice: the later row wins, both count as updated. A string cell equal
    to one of `refuse_cells` is refused (the test switch for a row the server will not take).
    """
    refused, good = list(parsed.refused), []
    for number, row in parsed.good:
        hit = next((k for k, v in row.items() if isinstance(v, str) and v in refuse_cells), None)
        if hit is not None:
            refused.append(Refusal(number, row["key"], hit, "datatable.row.refused", "was refused"))
        else:
            good.append((number, row))
    keys = set(table.rows) if mode == "Append" else set()
    kept: list[tuple[int, Json]] = []
    for number, row in good:
        if row["key"] not in keys and len(keys) >= max_rows:
            why = f"is a new key; the table already holds {max_rows} rows"
            refused.append(Refusal(number, row["key"], "key", "datatable.row.limit.exceeded", why))
            continue
        keys.add(row["key"])
        kept.append((number, row))
    refused.sort(key=lambda r: r.row)
    counts["failed"] = len(refused)
    if refused and not kept:
        return refused
    if mode == "Append":
        for _, row in kept:
            table.rows[row["key"]] = row
    else:
        fresh = {row["key"]: row for _, row in kept}
        counts["deleted"] = sum(1 for key in table.rows if key not in fresh)
        table.rows = fresh
    counts["updated"] = len(kept)
    return refused


def records_failed(refused: list[Refusal], variant: bool) -> Json:
    """`errorInformation` for refused rows; `variant` is the other reading of the detail."""
    errors = [_entry(r, variant) for r in refused]
    body: Json = {"message": f"{len(refused)} record(s) failed"}
    body |= {"code": "datatable.import.records.failed", "status": 400, "errors": errors}
    if variant:
        body |= {"details": [{"errorCode": "records.failed", "fieldName": "file"}]}
        body["contextId"] = "independent-import"
    return body


def _entry(r: Refusal, variant: bool) -> Json:
    if not variant:
        message = f"row {r.row} (key '{r.key}'): field '{r.field}' {r.why}"
        params = {"row": str(r.row), "key": r.key, "field": r.field}
        return {"message": message, "code": r.code, "messageParams": params,
                "details": [{"fieldName": r.field, "entityId": r.key}]}  # fmt: skip
    message = f"Record {r.row} was rejected for key {r.key!r} in column {r.field!r}: {r.why}"
    return {
        "message": message,
        "code": r.code,
        "status": 400,
        "messageWithParams": "Record {row} was rejected for key {key} in column {field}",
        "messageParams": {"row": r.row, "key": r.key, "field": r.field, "reason": r.code},
        "details": [
            {"errorCode": r.code, "fieldName": r.field, "entityId": r.key, "entityName": "row"}
        ],
        "errors": [{"message": r.why, "code": r.code, "details": [], "errors": []}],
    }
