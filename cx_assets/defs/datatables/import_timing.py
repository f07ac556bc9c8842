"""How long an import took, as both API modes' assets record it."""

from cx_assets.catalog.datatable_imports import ImportRecord


def seconds(record: ImportRecord) -> float:
    """Start to record, in seconds (numeric metadata: the asset's Plots tab charts it)."""
    return round((record.finished_at - record.started_at).total_seconds(), 3)
