"""The NICE CXone resource: one tenant (or the emulator's CXone side), secrets via dg.EnvVar.

`api_mode` picks the client: `platform` (default) = access-key tokens, API discovery and the
Reporting API's completed contacts; `tutorial` = the first contract's analytics data exports,
which only the built-in emulator serves. Every run logs the mode, the base URL, and whether it
is the emulator.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import dagster as dg
from pydantic import Field

from cx_assets import settings
from cx_assets.cxone import discovery
from cx_assets.cxone import endpoints as cxone_endpoints
from cx_assets.cxone.contacts import DEFAULT_VERSION, MAX_TOP, ContactsSettings
from cx_assets.cxone.modes import (
    CxoneApiMode,
    CxoneModeUnavailable,
    check_cxone_mode,
    parse_cxone_mode,
)
from cx_assets.cxone.platform import (
    DEFAULT_ACCESS_KEY_REFRESH_URL,
    DEFAULT_ACCESS_KEY_TOKEN_URL,
    PlatformConnection,
    PlatformSettings,
    connect,
)
from cx_assets.cxone.platform_auth import AccessKey
from cx_assets.cxone.tutorial import CxoneExportClient, CxoneExportSettings
from cx_assets.defs.resources import LOOPBACK_HOSTS
from cx_assets.flows.cxone_platform import PullPolicy
from cx_assets.http.auth import ClientCredentialsAuth
from cx_assets.http.client import ApiClient, RetrySettings

#: The emulator serves the tutorial CXone API under this prefix of its port (docs/api-contract.md).
CXONE_EMULATOR_URL = f"{settings.EMULATOR_URL}/cxone"
#: The emulator's CXone platform issuer; its API hosts sit under it (see the host template).
CXONE_EMULATOR_ISSUER = f"{settings.EMULATOR_URL}/cxone-platform"
#: The emulator's built-in tutorial client: used only when no real credentials are set.
CXONE_EMULATOR_CLIENT_ID = "emulator-cxone-key"
CXONE_EMULATOR_CLIENT_SECRET = "emulator-cxone-secret"
#: The emulator's platform access key and app registration.
CXONE_EMULATOR_ACCESS_KEY_ID = "emulator-access-key-id"
CXONE_EMULATOR_ACCESS_KEY_SECRET = "emulator-access-key-secret"
CXONE_EMULATOR_APP_ID = "emulator-cxone-app"
CXONE_EMULATOR_APP_SECRET = "emulator-cxone-app-secret"


def emulator_host_template(issuer: str) -> str:
    """The emulator serves each discovered API host as a path under its issuer."""
    return f"{issuer.rstrip('/')}/api-{{area}}.{{domain}}"


class CxoneResource(dg.ConfigurableResource):
    """A NICE CXone tenant (or the emulator): mode, credentials, discovery, retry and paging
    knobs, the data-lake webhook, and the integrity threshold the daily checks hold days to."""

    api_mode: str = Field(
        default="platform",
        description="platform: access keys + discovery + Reporting API; tutorial: the first "
        "contract, served only by the built-in emulator (CXONE_API_MODE)",
    )
    # -- platform mode
    access_key_id: str | None = Field(default=None, description="API user's access key id")
    access_key_secret: str | None = Field(default=None, description="API user's access key secret")
    issuer_url: str = Field(
        default=discovery.DEFAULT_ISSUER_URL,
        description="OpenID issuer for discovery (CXONE_ISSUER_URL; UNVERIFIED per region)",
    )
    platform_api_url: str | None = Field(
        default=None, description="API base that replaces discovery (CXONE_API_URL)"
    )
    api_host_template: str = Field(
        default=discovery.DEFAULT_API_HOST_TEMPLATE,
        description="API base from the discovered area/domain (CXONE_API_HOST_TEMPLATE)",
    )
    auth_method: str = Field(
        default="password",
        description="password (OAuth password grant, needs the app's client id/secret) or "
        "access_key (the access-key token endpoint) (CXONE_AUTH_METHOD)",
    )
    access_key_token_url: str = DEFAULT_ACCESS_KEY_TOKEN_URL
    access_key_refresh_url: str = DEFAULT_ACCESS_KEY_REFRESH_URL
    reporting_version: str = Field(
        default=DEFAULT_VERSION, description="Reporting API version in the path (UNVERIFIED)"
    )
    contacts_page_size: int = Field(default=MAX_TOP, ge=1, le=MAX_TOP, description="`top`")
    late_updates: bool = Field(
        default=True, description="re-pull a stored recent day by updatedSince, not in full"
    )
    max_updated_since_days: int = Field(default=30, ge=1, le=30)
    late_update_days: int = Field(
        default=3, ge=0, le=30, description="days before yesterday the nightly schedule re-pulls"
    )
    # -- tutorial mode (and the app registration of the password grant)
    api_url: str = Field(default=CXONE_EMULATOR_URL, description="tutorial API base URL")
    auth_url: str = Field(default=CXONE_EMULATOR_URL, description="tutorial OAuth base URL")
    client_id: str | None = Field(default=None, description="CXONE_CLIENT_ID")
    client_secret: str | None = Field(default=None, description="CXONE_CLIENT_SECRET")
    page_size: int = Field(default=1000, ge=1, le=10_000, description="tutorial page size")
    poll_initial_s: float = 0.25
    poll_max_s: float = 5.0
    export_timeout_s: float = 1800.0
    # -- both
    request_timeout_s: float = 60.0
    max_attempts: int = 8
    max_retry_seconds: float = 300.0
    initial_backoff_s: float = 0.5
    max_retry_after_s: float = 120.0
    lake_webhook_url: str | None = Field(
        default=None, description="data-lake ingest URL; each day's valid records are POSTed"
    )
    webhook_chunk_size: int = Field(default=500, ge=1, le=10_000)
    integrity_threshold: float = Field(
        default=0.99, ge=0.0, le=1.0, description="least share of complete records per day"
    )

    @property
    def mode(self) -> CxoneApiMode:
        return parse_cxone_mode(self.api_mode)

    @property
    def base_url(self) -> str:
        """The host a run talks to first: the tutorial API, or the platform issuer."""
        if self.mode == "tutorial":
            return self.api_url.rstrip("/")
        return (self.platform_api_url or self.issuer_url).rstrip("/")

    @property
    def is_emulator(self) -> bool:
        return urlsplit(self.base_url).hostname in LOOPBACK_HOSTS

    def describe_target(self) -> str:
        kind = "the built-in EMULATOR (synthetic data)" if self.is_emulator else "a real tenant"
        return f"NICE CXone {self.base_url} in {self.mode} mode — {kind}"

    def checked_mode(self) -> CxoneApiMode:
        """The mode, or a final `dg.Failure` when it cannot run against this target."""
        try:
            return check_cxone_mode(
                self.api_mode, is_emulator=self.is_emulator, target=self.describe_target()
            )
        except CxoneModeUnavailable as exc:
            raise dg.Failure(description=str(exc), allow_retries=False) from None

    def retry_settings(self) -> RetrySettings:
        return RetrySettings(
            max_attempts=self.max_attempts,
            max_total_s=self.max_retry_seconds,
            initial_backoff_s=self.initial_backoff_s,
            max_retry_after_s=self.max_retry_after_s,
        )

    def pull_policy(self) -> PullPolicy:
        return PullPolicy(self.late_updates, self.max_updated_since_days)

    def platform_settings(self) -> PlatformSettings:
        if not self.access_key_id or not self.access_key_secret:
            raise ValueError("CXONE_ACCESS_KEY_ID and CXONE_ACCESS_KEY_SECRET must be set")
        return PlatformSettings(
            key=AccessKey(
                self.access_key_id, self.access_key_secret, self.client_id, self.client_secret
            ),
            issuer_url=self.issuer_url.rstrip("/"),
            auth_method=self.auth_method,  # checked by PlatformSettings
            api_url=self.platform_api_url,
            api_host_template=self.api_host_template,
            access_key_token_url=self.access_key_token_url,
            access_key_refresh_url=self.access_key_refresh_url,
            contacts=ContactsSettings(self.reporting_version, self.contacts_page_size),
            retry=self.retry_settings(),
            timeout_s=self.request_timeout_s,
        )

    @contextmanager
    def platform_connection(self) -> Iterator[PlatformConnection]:
        """Discovery, an access-key token and the contacts client (platform mode)."""
        with connect(self.platform_settings()) as connection:
            yield connection

    @contextmanager
    def export_client(self) -> Iterator[CxoneExportClient]:
        """A tutorial analytics-export client over one pooled, authenticated, retried client."""
        if not self.client_id or not self.client_secret:
            raise ValueError("CXONE_CLIENT_ID and CXONE_CLIENT_SECRET must be set")
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
