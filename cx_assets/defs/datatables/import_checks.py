"""Checks on an import: the table holds every valid row, and every source row is accounted for."""

from __future__ import annotations

import dagster as dg

from cx_assets.genesys.datatables.imports import Verification

IMPORT_VERIFIED = "import_verified"
NOTHING_LOST = "nothing_lost"
SHOWN = 10


def import_verified(verification: Verification) -> dg.AssetCheckResult:
    """Read back after the import: a valid row missing or different in the table fails it."""
    return dg.AssetCheckResult(
        check_name=IMPORT_VERIFIED,
        passed=verification.ok,
        metadata={
            "rows_checked": verification.checked,
            "missing": len(verification.missing),
            "different": len(verification.different),
            "first_missing": _keys(verification.missing) or "none",
            "first_different": _keys(verification.different) or "none",
        },
    )


def _keys(keys: list[tuple[object, ...]]) -> str:
    """The first keys as a person reads them: `C-1, C-2`; a composite key `EU|2024-12-25`."""
    return ", ".join("|".join(map(str, key)) for key in keys[:SHOWN])


def nothing_lost(
    source_rows: int, imported: int, quarantined: int, source: str = "the source"
) -> dg.AssetCheckResult:
    """Every physical row of the source (a file's data lines, not the rows parsed from them) is
    either in the table or in quarantine, never silently dropped; a gap is named."""
    gap = source_rows - imported - quarantined
    if gap > 0:
        description = (
            f"{gap} of the {source_rows} row(s) in {source} were neither imported nor "
            f"quarantined ({imported} imported, {quarantined} quarantined)"
        )
    elif gap < 0:
        description = (
            f"{-gap} row(s) more were imported and quarantined ({imported} + {quarantined}) "
            f"than {source} holds ({source_rows}): a row was counted twice"
        )
    else:
        description = f"all {source_rows} row(s) of {source} imported or quarantined"
    return dg.AssetCheckResult(
        check_name=NOTHING_LOST,
        passed=gap == 0,
        description=description,
        metadata={
            "source_rows": source_rows,
            "imported": imported,
            "quarantined": quarantined,
            "unaccounted": gap,
        },
    )
