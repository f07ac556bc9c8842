"""Policies shared by every flow's assets: run-level retry and who owns them."""

import dagster as dg

#: Transient failures (a download that kept failing, a catalog lock held too long) get a fresh run
#: attempt; errors a retry cannot fix are raised as `dg.Failure(allow_retries=False)`.
TRANSIENT_RETRY = dg.RetryPolicy(
    max_retries=2, delay=2, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS
)

#: Who to ask about an asset, check or job: the team that runs the contact-centre lake. The UI
#: shows it on every asset (`owners=OWNERS`) and lets a user filter the graph by it.
OWNERS: list[str] = ["team:contact-centre-data"]
