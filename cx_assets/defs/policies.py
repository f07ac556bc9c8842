"""Run-level retry for transient failures shared by every API-bound asset."""

import dagster as dg

#: Transient failures (a download that kept failing, a catalog lock held too long) get a fresh run
#: attempt; errors a retry cannot fix are raised as `dg.Failure(allow_retries=False)`.
TRANSIENT_RETRY = dg.RetryPolicy(
    max_retries=2, delay=2, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS
)
