"""`daily_contact_centre_report`: one UTC day of Genesys and CXone numbers, as metadata and HTML.

Downstream of the Genesys conversations and CXone interactions assets (by key, so this module
does not import those flows). The numbers come from `catalog.report` (SQL on the catalog); the
materialisation carries a markdown table with the chart inline, and an HTML page is written to
`<data root>/reports/daily_contact_centre_report/<day>.html`. The `audit_chain_intact` check
walks the catalog's audit hash chain and names the first broken entry.
"""

import datetime as dt

import dagster as dg

from cx_assets import settings
from cx_assets.catalog.queries import audit_chain
from cx_assets.catalog.report import daily_report
from cx_assets.catalog.report_render import html_page, markdown, svg_chart, svg_data_uri
from cx_assets.defs.check_results import nothing_to_compare
from cx_assets.defs.resources import CatalogResource
from cx_assets.lake.atomic import atomic_write

ASSET_NAME = "daily_contact_centre_report"
GENESYS_CONVERSATIONS = dg.AssetKey("genesys_conversations")
CXONE_INTERACTIONS = dg.AssetKey("cxone_interactions")
AUDIT_CHECK = "audit_chain_intact"
REPORTS_DIR = "reports"

report_partitions = dg.DailyPartitionsDefinition(start_date=settings.start_date(), timezone="UTC")


@dg.asset(
    name=ASSET_NAME,
    group_name="reports",
    partitions_def=report_partitions,
    deps=[GENESYS_CONVERSATIONS, CXONE_INTERACTIONS],
    kinds={"duckdb", "html"},
)
def daily_contact_centre_report(
    context: dg.AssetExecutionContext, catalog: CatalogResource
) -> dg.MaterializeResult:
    """Conversations by channel and type, CXone handle times and data completeness for one day.

    Opens `<data root>/reports/daily_contact_centre_report/<day>.html` for people; the Dagster
    UI shows the same table and chart. A source with no data that day reads as zeros.
    """
    day = dt.date.fromisoformat(context.partition_key)
    layout = catalog.layout
    report = daily_report(layout.catalog_path, day)
    svg = svg_chart(report)
    html_path = layout.root / REPORTS_DIR / ASSET_NAME / f"{day.isoformat()}.html"
    with atomic_write(html_path) as out:
        out.write(html_page(report).encode("utf-8"))
    completeness = {c.source: c for c in report.completeness}
    context.log.info(
        f"{day}: {report.conversations} Genesys conversations, "
        f"{report.cxone_interactions} CXone interactions; report at {html_path}"
    )
    return dg.MaterializeResult(
        metadata={
            "report": dg.MetadataValue.md(markdown(report, chart_uri=svg_data_uri(svg))),
            "html": dg.MetadataValue.path(str(html_path)),
            "genesys_conversations": report.conversations,
            "cxone_interactions": report.cxone_interactions,
            "cxone_avg_handle_s": dg.MetadataValue.float(report.cxone_avg_handle_s or 0.0),
            "genesys_completeness": dg.MetadataValue.float(
                completeness["genesys"].rate if completeness["genesys"].rate is not None else 0.0
            ),
            "cxone_completeness": dg.MetadataValue.float(
                completeness["cxone"].rate if completeness["cxone"].rate is not None else 0.0
            ),
            "dagster/row_count": len(report.channels) + len(report.media),
        }
    )


@dg.asset_check(
    asset=daily_contact_centre_report,
    name=AUDIT_CHECK,
    description="The catalog's audit log is an unbroken hash chain; a failure names the first "
    "broken entry (edited, deleted or inserted).",
)
def audit_chain_intact(catalog: CatalogResource) -> dg.AssetCheckResult:
    report = audit_chain(catalog.layout.catalog_path)
    if report.ok and not report.entries:
        return nothing_to_compare(
            AUDIT_CHECK,
            f"the audit log in {catalog.layout.catalog_path} has no entries to verify",
            entries_verified=0,
        )
    return dg.AssetCheckResult(
        check_name=AUDIT_CHECK,
        passed=report.ok,
        description=report.describe(),
        metadata={
            "entries_verified": report.entries,
            "first_broken_seq": report.first_broken_seq if report.first_broken_seq else 0,
            "reason": report.reason or "none",
            "head": f"{report.head_seq}:{report.head_hash}" if report.head_seq else "empty log",
        },
    )


#: Run the audit check on its own (from the UI, or a schedule the lead may add).
audit_chain_job = dg.define_asset_job(
    "audit_chain_job", selection=dg.AssetSelection.checks(audit_chain_intact)
)
