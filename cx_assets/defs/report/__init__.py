"""The catalog as a product in Dagster: the daily report and the audit-chain check."""

from cx_assets.defs.report.report import (
    audit_chain_intact,
    audit_chain_job,
    daily_contact_centre_report,
)

ASSETS = [daily_contact_centre_report]
ASSET_CHECKS = [audit_chain_intact]
JOBS = [audit_chain_job]
