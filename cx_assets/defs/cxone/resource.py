"""The NICE CXone resource: one tenant (or the emulator's CXone side), secrets via dg.EnvVar."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import dagster as dg
from pydantic import Field

from cx_assets import settings
from cx_assets.cxone import endpoints as cxone_endpoints
from cx_assets.cxone.tutorial import CxoneExportClient, CxoneExportSettings
from cx_assets.defs.resources import LOOPBACK_HOSTS, secret_from_env
from cx_assets.http.auth import ClientCredentialsAuth
from cx_assets.http.client import ApiClient, RetrySettings

#: The emulator serves CXone under this prefix of its port (docs/api-contract.md).
CXONE_EMULATOR_URL = f"{settings.EMULATOR_URL}/cxone"
#: The emulator's built-in CXone client: used only when no real credentials are set.
CXONE_EMULATOR_CLIENT_ID = "emulator-cxone-key"
CXONE_EMULATOR_CLIENT_SECRET = "emulator-cxone-secret"


class CxoneResource(dg.ConfigurableResource):
    """A NICE CXone tenant (or the emulator): API and auth hosts, OAuth client, retry, export
    and data-lake webhook knobs, and the integrity threshold the daily checks hold days to."""

    api_url: str = Field(default=CXONE_EMULATOR_URL, description="site-specific API base URL")
    auth_url: str = Field(default=CXONE_EMULATOR_URL, description="OAuth base URL")
    client_id: str = Field(description="OAuth client-credentials id (CXONE_CLIENT_ID)")
    client_secret: str = Field(description="OAuth client-credentials secret")
    request_timeout_s: float = 60.0
    max_attempts: int = 8
    max_retry_seconds: float = 300.0
    initial_backoff_s: float = 0.5
    max_retry_after_s: float = 120.0
    poll_initial_s: float = 0.25
    poll_max_s: float = 5.0
    export_timeout_s: float = 1800.0
    page_size: int = Field(default=1000, ge=1, le=10_000)
    lake_webhook_url: str | None = Field(
        default=None, description="data-lake ingest URL; each day's valid records are POSTed"
    )
    webhook_chunk_size: int = Field(default=500, ge=1, le=10_000)
    integrity_threshold: float = Field(
        default=0.99, ge=0.0, le=1.0, description="least share of complete records per day"
    )

    @property
    def is_emulator(self) -> bool:
        return urlsplit(self.api_url).hostname in LOOPBACK_HOSTS

    def describe_target(self) -> str:
        kind = "the built-in EMULATOR (synthetic data)" if self.is_emulator else "a real tenant"
        return f"NICE CXone API {self.api_url.rstrip('/')} — {kind}"

    def retry_settings(self) -> RetrySettings:
        return RetrySettings(
            max_attempts=self.max_attempts,
            max_total_s=self.max_retry_seconds,
            initial_backoff_s=self.initial_backoff_s,
            max_retry_after_s=self.max_retry_after_s,
        )

    @contextmanager
    def export_client(self) -> Iterator[CxoneExportClient]:
        """An analytics-export client over one pooled, authenticated, retried HTTP client."""
        retry = self.retry_settings()
        auth = ClientCredentialsAuth(
            token_url=f"{self.auth_url.rstrip('/')}{cxone_endpoints.TOKEN_PATH}",
            client_id=self.client_id,
            client_secret=self.client_secret,
            scopes=cxone_endpoints.EXPORT_SCOPES,
            retry=retry,
            timeout=self.request_timeout_s,
            credentials_in="form",  # CXone refuses HTTP Basic at its token endpoint
        )
        export_settings = CxoneExportSettings(
            poll_initial_s=self.poll_initial_s,
            poll_max_s=self.poll_max_s,
            timeout_s=self.export_timeout_s,
            page_size=self.page_size,
        )
        with ApiClient(
            self.api_url.rstrip("/"), auth=auth, retry=retry, timeout=self.request_timeout_s
        ) as api:
            yield CxoneExportClient(api, export_settings)

    @contextmanager
    def webhook_client(self) -> Iterator[tuple[ApiClient, str]]:
        """(client, path) for the data-lake webhook: no OAuth, the same retry policy."""
        if not self.lake_webhook_url:
            raise ValueError("lake_webhook_url is not set (CXONE_LAKE_WEBHOOK_URL)")
        parts = urlsplit(self.lake_webhook_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("lake_webhook_url must be an absolute http(s) URL")
        path = parts.path or "/"
        if parts.query:
            path = f"{path}?{parts.query}"
        base = f"{parts.scheme}://{parts.netloc}"
        with ApiClient(
            base, auth=None, retry=self.retry_settings(), timeout=self.request_timeout_s
        ) as api:
            yield api, path


def cxone_from_env() -> CxoneResource:
    """CXone from `CXONE_*` variables; the emulator's CXone side when none are set."""
    api_url = os.environ.get("CXONE_API_URL") or CXONE_EMULATOR_URL
    if urlsplit(api_url).hostname not in LOOPBACK_HOSTS and not os.environ.get("CXONE_CLIENT_ID"):
        raise ValueError(
            "CXONE_CLIENT_ID and CXONE_CLIENT_SECRET must be set when CXONE_API_URL points at a "
            "real tenant"
        )
    threshold = os.environ.get("CXONE_INTEGRITY_THRESHOLD")
    return CxoneResource(
        api_url=api_url,
        auth_url=os.environ.get("CXONE_AUTH_URL") or api_url,
        client_id=secret_from_env("CXONE_CLIENT_ID", CXONE_EMULATOR_CLIENT_ID),
        client_secret=secret_from_env("CXONE_CLIENT_SECRET", CXONE_EMULATOR_CLIENT_SECRET),
        lake_webhook_url=os.environ.get("CXONE_LAKE_WEBHOOK_URL") or None,
        integrity_threshold=float(threshold) if threshold else 0.99,
    )
