"""Check results shared by every flow's checks."""

from __future__ import annotations

import dagster as dg


def nothing_to_compare(check_name: str, why: str, **metadata: int | str) -> dg.AssetCheckResult:
    """A check that had nothing to compare says so as a WARN instead of passing silently:
    a green check must mean something was compared (docs/decisions.md, "Nothing to compare")."""
    return dg.AssetCheckResult(
        check_name=check_name,
        passed=False,
        severity=dg.AssetCheckSeverity.WARN,
        description=f"nothing to compare: {why}",
        metadata={"nothing_to_compare": why, **metadata},
    )
