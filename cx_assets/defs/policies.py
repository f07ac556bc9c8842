"""Policies shared by every flow's assets: run-level retry and who owns them."""

import datetime as dt

import dagster as dg

#: Transient failures (a download that kept failing, a catalog lock held too long) get a fresh run
#: attempt; errors a retry cannot fix are raised as `dg.Failure(allow_retries=False)`.
TRANSIENT_RETRY = dg.RetryPolicy(
    max_retries=2, delay=2, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS
)

#: Who to ask about an asset, check or job: the team that runs the contact-centre lake. The UI
#: shows it on every asset (`owners=OWNERS`) and lets a user filter the graph by it.
OWNERS: list[str] = ["team:contact-centre-data"]

#: The daily assets are refreshed every night (their schedules run between 02:00 and 03:00 UTC,
#: the report follows by automation): older than 26 h the UI warns, older than 30 h it shows
#: the asset as failing its freshness, so a night that did not run is visible the next morning.
DAILY_FRESHNESS = dg.FreshnessPolicy.time_window(
    fail_window=dt.timedelta(hours=30), warn_window=dt.timedelta(hours=26)
)
