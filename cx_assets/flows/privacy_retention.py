"""Retention: delivered privacy exports are deleted once older than the retention period.

The step `privacy_retention_job` runs daily, kept here (no Dagster) so it is tested directly.
Each expired export's folder and its declared request (it holds the subject's identifiers) are
removed first, then the catalog row gets `deleted_at` and the audit log a `deleted` entry
(request id, path, checksum; no personal data). In that order a crash between the two leaves a
file already gone, which the next run records as "already absent", never a catalog that claims a
deletion while the personal data is still on disk. Re-running deletes and audits nothing twice
(`deleted_at` is set once).

Requests that ended without an export (failed, rejected, given up, a completed delete or update)
lose their declared copy the same way, and rejected request files (and their reasons) older
than the period are deleted from `requests/rejected/`, so no copy of an identifier outlives it.

The period is the caller's `retention_days`, else `CX_PRIVACY_RETENTION_DAYS`, else 30.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from cx_assets.catalog import privacy as cat
from cx_assets.lake.paths import DataLayout
from cx_assets.lake.privacy import PrivacyArea

RETENTION_ENV = "CX_PRIVACY_RETENTION_DAYS"
DEFAULT_RETENTION_DAYS = 30.0
ACTOR = "cx-assets retention"


def retention_days_from_env() -> float:
    text = os.environ.get(RETENTION_ENV)
    if not text:
        return DEFAULT_RETENTION_DAYS
    try:
        days = float(text)
    except ValueError:
        raise ValueError(f"{RETENTION_ENV}={text!r} is not a number of days") from None
    if days < 0:
        raise ValueError(f"{RETENTION_ENV}={text!r} must be 0 or more days")
    return days


@dataclass
class RetentionOutcome:
    retention_days: float
    cutoff: dt.datetime
    deleted: list[str] = field(default_factory=list)
    already_absent: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    purged: list[str] = field(default_factory=list)  # ended without export: identifiers removed
    rejected_files: list[str] = field(default_factory=list)


def _remove_request_files(area: PrivacyArea, key: str, export_path: str | None) -> list[str]:
    """Delete the export folder and the declared request; the paths removed (data-root
    relative). Refuses a catalog path that points outside the request's own export folder."""
    folder = area.export_dir(key)
    if export_path:
        target = (area.data_root / export_path).resolve()
        if not target.is_relative_to(folder.resolve()):
            raise ValueError(f"export path {export_path!r} is outside {folder}: not deleted")
    removed: list[str] = []
    for path in [*sorted(p for p in folder.rglob("*") if p.is_file()), area.declared_path(key)]:
        if path.is_file():
            path.unlink()
            removed.append(str(path.relative_to(area.data_root)))
    shutil.rmtree(folder, ignore_errors=True)
    shutil.rmtree(area.staged_export_dir(key), ignore_errors=True)  # a download cut short
    return removed


def delete_expired_exports(
    data_root: Path,
    catalog_path: Path,
    retention_days: float,
    *,
    now: dt.datetime | None = None,
    actor: str = ACTOR,
) -> RetentionOutcome:
    """Delete every delivered export older than `retention_days` and audit each deletion."""
    cutoff = (now or dt.datetime.now(dt.UTC)) - dt.timedelta(days=retention_days)
    outcome = RetentionOutcome(retention_days, cutoff)
    area = PrivacyArea(Path(data_root))
    for row in cat.expired_exports(catalog_path, cutoff):
        try:
            removed = _remove_request_files(area, row.partition_key, row["export_path"])
        except (OSError, ValueError) as exc:
            outcome.errors.append(f"{row.partition_key}: {exc}")
            continue
        if cat.record_deleted(
            catalog_path,
            partition_key=row.partition_key,
            actor=actor,
            retention_days=retention_days,
            removed=removed,
        ):
            (outcome.deleted if removed else outcome.already_absent).append(row.partition_key)
    _purge_ended_requests(area, catalog_path, cutoff, retention_days, actor, outcome)
    _purge_rejected_files(area, cutoff, outcome)
    return outcome


def _purge_ended_requests(
    area: PrivacyArea,
    catalog_path: Path,
    cutoff: dt.datetime,
    retention_days: float,
    actor: str,
    outcome: RetentionOutcome,
) -> None:
    """Requests that ended without an export keep no copy of the identifiers past retention."""
    for row in cat.expired_requests(catalog_path, cutoff):
        try:
            removed = _remove_request_files(area, row.partition_key, None)
        except (OSError, ValueError) as exc:
            outcome.errors.append(f"{row.partition_key}: {exc}")
            continue
        if cat.record_deleted(
            catalog_path,
            partition_key=row.partition_key,
            actor=actor,
            retention_days=retention_days,
            removed=removed,
        ):
            outcome.purged.append(row.partition_key)


def _purge_rejected_files(
    area: PrivacyArea, cutoff: dt.datetime, outcome: RetentionOutcome
) -> None:
    """Rejected request files (they may hold identifiers) and their reasons, by age on disk."""
    folder = area.rejected_requests_dir
    if not folder.is_dir():
        return
    for path in sorted(p for p in folder.iterdir() if p.is_file()):
        changed = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC)
        if changed < cutoff:
            path.unlink(missing_ok=True)
            outcome.rejected_files.append(path.name)


def apply_retention(layout: DataLayout, retention_days: float | None = None) -> RetentionOutcome:
    """The retention step: `retention_days`, or the environment's period, applied to `layout`.

    Raises `ValueError` when `CX_PRIVACY_RETENTION_DAYS` is needed and not a valid period."""
    days = retention_days if retention_days is not None else retention_days_from_env()
    return delete_expired_exports(layout.root, layout.catalog_path, days)
