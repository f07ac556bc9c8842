"""The HTTP transport shared by every vendor client: OAuth client credentials, one retry policy,
rate-limit pacing, redaction and request counters. Plain library: no Dagster here."""

from cx_assets.http.auth import ClientCredentialsAuth
from cx_assets.http.client import ApiClient
from cx_assets.http.errors import (
    ApiError,
    AuthError,
    ConflictError,
    ForbiddenError,
    NotFoundError,
    RetriesExhausted,
    UnreadableResponse,
)
from cx_assets.http.pacing import RateLimitPacer
from cx_assets.http.redact import redact, redact_url
from cx_assets.http.regions import genesys_base_urls
from cx_assets.http.retry import RetrySettings
from cx_assets.http.retry_after import parse_retry_after
from cx_assets.http.stats import RequestStats

__all__ = [
    "ApiClient",
    "ApiError",
    "AuthError",
    "ClientCredentialsAuth",
    "ConflictError",
    "ForbiddenError",
    "NotFoundError",
    "RateLimitPacer",
    "RequestStats",
    "RetriesExhausted",
    "RetrySettings",
    "UnreadableResponse",
    "genesys_base_urls",
    "parse_retry_after",
    "redact",
    "redact_url",
]
