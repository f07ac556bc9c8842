"""Retention in Dagster: the daily schedule and the op that runs `flows.privacy_retention`.

The deletion itself (files first, then the audited catalog row) lives in
`cx_assets.flows.privacy_retention`; this module only reads the run config, logs the outcome and
turns it into op metadata or a `dg.Failure` naming what could not be deleted.
The period is the run config's `retention_days`, else `CX_PRIVACY_RETENTION_DAYS`, else 30.
"""

import dagster as dg
from pydantic import Field

from cx_assets.defs.policies import OWNERS
from cx_assets.defs.resources import CatalogResource
from cx_assets.flows.privacy_retention import DEFAULT_RETENTION_DAYS, RETENTION_ENV, apply_retention


class PrivacyRetentionConfig(dg.Config):
    retention_days: float | None = Field(
        default=None,
        ge=0,
        description=f"Delete exports delivered longer ago than this; default {RETENTION_ENV} "
        f"or {DEFAULT_RETENTION_DAYS:g}.",
    )


@dg.op(
    name="delete_expired_privacy_exports",
    description="Deletes delivered privacy exports older than the retention period, audited.",
)
def delete_expired_privacy_exports(
    context: dg.OpExecutionContext, config: PrivacyRetentionConfig, catalog: CatalogResource
) -> dg.Output[dict]:
    outcome = apply_retention(catalog.layout, config.retention_days)
    days = outcome.retention_days
    context.log.info(
        f"Retention {days:g} days (delivered before {outcome.cutoff.isoformat()}): deleted "
        f"{len(outcome.deleted)}, already absent {len(outcome.already_absent)}, identifiers "
        f"purged from {len(outcome.purged)} ended request(s), {len(outcome.rejected_files)} "
        "rejected file(s) deleted"
    )
    if outcome.errors:
        raise dg.Failure(
            description="Some privacy exports could not be deleted: " + "; ".join(outcome.errors),
            metadata={"deleted": ", ".join(outcome.deleted) or "none"},
        )
    summary = {"deleted": outcome.deleted, "already_absent": outcome.already_absent}
    return dg.Output(
        summary,
        metadata={
            "retention_days": days,
            "cutoff": outcome.cutoff.isoformat(),
            "deleted": len(outcome.deleted),
            "already_absent": len(outcome.already_absent),
            "ended_requests_purged": len(outcome.purged),
            "rejected_files_deleted": len(outcome.rejected_files),
            "requests": ", ".join(outcome.deleted + outcome.already_absent) or "none",
        },
    )


@dg.job(
    name="privacy_retention_job",
    metadata={"owners": ", ".join(OWNERS)},
    description="Deletes delivered privacy exports older than the retention period (run config "
    "retention_days, else CX_PRIVACY_RETENTION_DAYS, else 30 days): files first, then the "
    "audited catalog row. A failure names every export it could not delete. Owner: "
    "team:contact-centre-data.",
)
def privacy_retention_job() -> None:
    delete_expired_privacy_exports()


privacy_retention_schedule = dg.ScheduleDefinition(
    name="privacy_retention_daily",
    cron_schedule="45 2 * * *",
    execution_timezone="UTC",
    job=privacy_retention_job,
    metadata={"owners": ", ".join(OWNERS)},
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="On by default, daily at 02:45 UTC: runs privacy_retention_job, which deletes "
    "delivered privacy exports older than the retention period (CX_PRIVACY_RETENTION_DAYS, "
    "default 30). Safe with the emulator: it touches only the local privacy area.",
)
