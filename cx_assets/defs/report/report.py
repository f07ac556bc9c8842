"""`daily_contact_centre_report`: one UTC day of Genesys and CXone numbers, as metadata and HTML.

Downstream of the Genesys conversations and CXone interactions assets (by key, so this module
does not import those flows). The numbers come from `catalog.report` (SQL on the catalog), which
days are covered and flagged from `catalog.report_days`; the materialisation carries the
day-by-day chart as an inline PNG, the day's tables, links to the HTML pages
(`<data root>/reports/daily_contact_centre_report/<day>.html` and `index.html`, mode 0644 like
the lake's files) and the coverage a person reads (days covered, first and last day, days
flagged). The daemon re-materialises a day whenever a source lands it (`automation.py`). The
`audit_chain_intact` check walks the catalog's audit hash chain and names the first broken entry.
"""

import datetime as dt
import os
from pathlib import Path

import dagster as dg

from cx_assets import settings
from cx_assets.catalog.queries import audit_chain
from cx_assets.catalog.report import daily_report
from cx_assets.catalog.report_days import Coverage, DayStatus, coverage
from cx_assets.catalog.report_png import bars, chart_markdown, chart_png, png_data_uri
from cx_assets.catalog.report_render import html_page, index_page, markdown, svg_chart, svg_data_uri
from cx_assets.defs.check_results import nothing_to_compare
from cx_assets.defs.policies import DAILY_FRESHNESS, OWNERS
from cx_assets.defs.report.automation import report_automation_condition
from cx_assets.defs.resources import CatalogResource
from cx_assets.lake.atomic import atomic_write

ASSET_NAME = "daily_contact_centre_report"
GENESYS_CONVERSATIONS = dg.AssetKey("genesys_conversations")
CXONE_INTERACTIONS = dg.AssetKey("cxone_interactions")
AUDIT_CHECK = "audit_chain_intact"
SOURCES_CHECK = "sources_complete"
REPORTS_DIR = "reports"
INDEX_PAGE = "index.html"
#: Report pages are for colleagues to open, like the lake's Parquet files.
PAGE_MODE = 0o644
#: The CXone integrity threshold a day is flagged below: the same setting (and default) the
#: CXone `integrity_at_least_threshold` check holds days to.
THRESHOLD_ENV, DEFAULT_THRESHOLD = "CXONE_INTEGRITY_THRESHOLD", 0.99

report_partitions = dg.DailyPartitionsDefinition(start_date=settings.start_date(), timezone="UTC")


def integrity_threshold() -> float:
    value = os.environ.get(THRESHOLD_ENV)
    return float(value) if value else DEFAULT_THRESHOLD


def write_page(path: Path, text: str) -> None:
    """All-or-nothing, readable by colleagues (0644; a temp file starts 0600)."""
    with atomic_write(path) as out:
        os.fchmod(out.fileno(), PAGE_MODE)
        out.write(text.encode("utf-8"))


def _pages(folder: Path, cov: Coverage, today: str) -> dict[str, str]:
    days = {d.day.isoformat() for d in cov.days} | {today}
    return {d: f"{d}.html" for d in sorted(days) if d == today or (folder / f"{d}.html").exists()}


def _coverage_metadata(cov: Coverage, status: DayStatus) -> dict[str, object]:
    return {
        "day_flagged": status.flagged,
        "day_flags": "; ".join(status.flags) or "none: both sources landed and passed",
        "days_covered": len(cov.days),
        "first_day": str(cov.first_day or "none"),
        "last_day": str(cov.last_day or "none"),
        "days_flagged": len(cov.flagged),
        "flagged_days": dg.MetadataValue.md(cov.flagged_text()),
    }


def sources_check(status: DayStatus) -> dg.AssetCheckResult:
    if status.genesys is None and status.cxone is None:
        return nothing_to_compare(SOURCES_CHECK, f"no source has landed {status.day}")
    return dg.AssetCheckResult(
        check_name=SOURCES_CHECK,
        passed=not status.flagged,
        severity=dg.AssetCheckSeverity.WARN,
        description=(
            f"{status.day} flagged: {'; '.join(status.flags)}"
            if status.flagged
            else f"{status.day}: both sources landed and passed"
        ),
        metadata={"flags": "; ".join(status.flags) or "none"},
    )


@dg.asset(
    name=ASSET_NAME,
    group_name="reports",
    partitions_def=report_partitions,
    deps=[GENESYS_CONVERSATIONS, CXONE_INTERACTIONS],
    kinds={"duckdb", "html"},
    owners=OWNERS,
    automation_condition=report_automation_condition(),
    freshness_policy=DAILY_FRESHNESS,
    check_specs=[
        dg.AssetCheckSpec(
            SOURCES_CHECK,
            asset=ASSET_NAME,
            description="Warns when the day is flagged: one source landed it and the other did "
            "not, its Genesys export is not whole (quarantined records), or its CXone integrity "
            f"is below {THRESHOLD_ENV} (default {DEFAULT_THRESHOLD:g}). Runs with every "
            "report day, also those the daemon starts.",
        )
    ],
)
def daily_contact_centre_report(
    context: dg.AssetExecutionContext, catalog: CatalogResource
) -> dg.MaterializeResult:
    """The day's contact-centre numbers: Genesys conversations by channel and type, NICE CXone
    handle times by medium, and whether both sources landed whole.

    Runs by itself: the daemon (`make dev`) re-materialises a day whenever Genesys conversations
    or CXone interactions land it, for every day (a backfill of 18 days gives 18 report days).
    Metadata: `chart` (conversations per day over every covered day, red where flagged),
    `day_flags`, `days_covered`, `first_day`, `last_day`, `days_flagged` and `html` / `overview`
    links to the pages under `<data root>/reports/daily_contact_centre_report/`. A flagged day
    (a source missing or failing) is marked in the pages and warns in `sources_complete`.
    """
    day = dt.date.fromisoformat(context.partition_key)
    layout = catalog.layout
    report = daily_report(layout.catalog_path, day)
    cov = coverage(layout.catalog_path, integrity_threshold())
    status = cov.status_of(day)
    folder = layout.root / REPORTS_DIR / ASSET_NAME
    html_path, index_path = folder / f"{day.isoformat()}.html", folder / INDEX_PAGE
    write_page(html_path, html_page(report, status=status, overview_href=INDEX_PAGE))
    big_chart = png_data_uri(chart_png(bars(cov), day, scale=2))
    write_page(index_path, index_page(cov, big_chart, _pages(folder, cov, day.isoformat())))
    completeness = {c.source: c for c in report.completeness}
    context.log.info(
        f"{day}: {report.conversations} Genesys conversations, "
        f"{report.cxone_interactions} CXone interactions; "
        f"{'FLAGGED: ' + '; '.join(status.flags) if status.flagged else 'not flagged'}; "
        f"{len(cov.days)} day(s) covered, {len(cov.flagged)} flagged; report at {html_path}"
    )
    svg_uri = svg_data_uri(svg_chart(report))
    return dg.MaterializeResult(
        metadata={
            "chart": dg.MetadataValue.md(chart_markdown(cov, day)),
            **_coverage_metadata(cov, status),
            "html": dg.MetadataValue.url(html_path.as_uri()),
            "overview": dg.MetadataValue.url(index_path.as_uri()),
            "html_file": dg.MetadataValue.path(str(html_path)),
            "report": dg.MetadataValue.md(markdown(report, chart_uri=svg_uri, status=status)),
            "genesys_conversations": report.conversations,
            "cxone_interactions": report.cxone_interactions,
            "cxone_avg_handle_s": dg.MetadataValue.float(report.cxone_avg_handle_s or 0.0),
            "genesys_completeness": dg.MetadataValue.float(
                completeness["genesys"].rate if completeness["genesys"].rate is not None else 0.0
            ),
            "cxone_completeness": dg.MetadataValue.float(
                completeness["cxone"].rate if completeness["cxone"].rate is not None else 0.0
            ),
        },
        check_results=[
            sources_check(status)
            for key in context.selected_asset_check_keys
            if key.name == SOURCES_CHECK
        ],
    )


@dg.asset_check(
    asset=daily_contact_centre_report,
    name=AUDIT_CHECK,
    description="The catalog's audit log is an unbroken hash chain; a failure names the first "
    "broken entry (edited, deleted or inserted). Runs with every report day (also those the "
    "daemon starts) and on its own with audit_chain_job; it reports, it does not fail the run.",
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
    "audit_chain_job",
    metadata={"owners": ", ".join(OWNERS)},
    selection=dg.AssetSelection.checks(audit_chain_intact),
    description="Verifies the catalog's audit hash chain (the audit_chain_intact check) without "
    "re-building any report; the check names the first broken entry. Launch it from the UI; "
    "no schedule runs it (every report day runs the same check).",
)
