"""Resources: one per vendor plus the catalog; secrets come from the environment via dg.EnvVar.

With no credentials in the environment the Genesys resource points at the built-in emulator, and
says so in every run's log and metadata, so emulator data is never mistaken for a real org's.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import dagster as dg
from pydantic import Field

from cx_assets import settings
from cx_assets.cxone import endpoints as cxone_endpoints
from cx_assets.cxone.tutorial import CxoneExportClient, CxoneExportSettings
from cx_assets.flows.context import Target
from cx_assets.genesys.auth import TOKEN_PATH
from cx_assets.genesys.conversations import endpoints as conversation_endpoints
from cx_assets.genesys.conversations.tutorial import ConversationExportClient, ExportSettings
from cx_assets.genesys.datatables import endpoints as datatable_endpoints
from cx_assets.genesys.datatables.tutorial import DataTablesClient
from cx_assets.genesys.modes import MODE_ENV, ApiMode, ModeUnavailable, mode_for, parse_mode
from cx_assets.http.auth import ClientCredentialsAuth
from cx_assets.http.client import ApiClient, RetrySettings
from cx_assets.http.regions import genesys_base_urls
from cx_assets.lake.paths import DataLayout

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


class GenesysCloudResource(dg.ConfigurableResource):
    """A Genesys Cloud org (or the emulator): base URLs, OAuth client, retry and download knobs."""

    region: str | None = Field(
        default=None, description="e.g. mypurecloud.ie; overrides api_url/login_url"
    )
    api_url: str = Field(default=settings.EMULATOR_URL, description="API base URL")
    login_url: str = Field(default=settings.EMULATOR_URL, description="OAuth base URL")
    client_id: str = Field(description="OAuth client-credentials id")
    client_secret: str = Field(description="OAuth client-credentials secret")
    request_timeout_s: float = 60.0
    max_attempts: int = 8
    max_retry_seconds: float = 300.0
    download_concurrency: int = Field(default=4, ge=1, le=32)
    export_timeout_s: float = 3600.0
    poll_initial_s: float = Field(default=0.25, gt=0, description="first wait between polls")
    poll_max_s: float = Field(default=10.0, gt=0, description="longest wait between polls")
    file_attempts: int = Field(default=4, ge=1, description="downloads of one file before failing")
    api_mode: str = Field(
        default="platform",
        description="platform: the real Genesys Cloud Platform API v2; tutorial: the first "
        "contract, which only the built-in emulator serves (GENESYS_API_MODE)",
    )

    def base_urls(self) -> tuple[str, str]:
        """(api_url, login_url): from the region table when a region is set."""
        if self.region:
            return genesys_base_urls(self.region)
        return self.api_url.rstrip("/"), self.login_url.rstrip("/")

    @property
    def is_emulator(self) -> bool:
        return urlsplit(self.base_urls()[0]).hostname in LOOPBACK_HOSTS

    def describe_target(self, flow: str | None = None) -> str:
        """Base URL, emulator or real org, and (for a flow) the API mode it runs in."""
        api_url = self.base_urls()[0]
        kind = (
            "the built-in EMULATOR (synthetic data)" if self.is_emulator else "a real Genesys org"
        )
        mode = f" in {self.mode_for(flow)} mode" if flow else ""
        return f"Genesys Cloud API {api_url}{mode} — {kind}"

    def mode_for(self, flow: str) -> ApiMode:
        """The API mode `flow` runs in; a flow that cannot run against this target fails at
        once, before any request, with a message naming the flow, the target and the fix."""
        try:
            target = self.describe_target()
            return mode_for(self.api_mode, flow, is_emulator=self.is_emulator, target=target)
        except ModeUnavailable as exc:
            raise dg.Failure(description=str(exc), allow_retries=False) from None

    def target(self, flow: str) -> Target:
        """Which API a flow step talks to: named in its progress lines, kept in its records."""
        return Target(self.describe_target(flow), self.base_urls()[0], self.is_emulator)

    @contextmanager
    def api_client(self, scopes: Sequence[str], *, flow: str) -> Iterator[ApiClient]:
        """One pooled, authenticated, retried HTTP client for `flow`. Tutorial mode asks for
        `scopes`; platform mode asks for none (Genesys authorises by the role's permissions)."""
        if self.mode_for(flow) == "platform":
            scopes = ()
        api_url, login_url = self.base_urls()
        retry = RetrySettings(max_attempts=self.max_attempts, max_total_s=self.max_retry_seconds)
        auth = ClientCredentialsAuth(
            token_url=f"{login_url}{TOKEN_PATH}",
            client_id=self.client_id,
            client_secret=self.client_secret,
            scopes=scopes,
            retry=retry,
            timeout=self.request_timeout_s,
        )
        with ApiClient(api_url, auth=auth, retry=retry, timeout=self.request_timeout_s) as api:
            yield api

    @contextmanager
    def export_client(self) -> Iterator[ConversationExportClient]:
        """A conversation-export client over one pooled, authenticated HTTP client."""
        with self.api_client(conversation_endpoints.EXPORT_SCOPES, flow="conversations") as api:
            yield ConversationExportClient(
                api,
                ExportSettings(
                    download_concurrency=self.download_concurrency,
                    timeout_s=self.export_timeout_s,
                    poll_initial_s=self.poll_initial_s,
                    poll_max_s=self.poll_max_s,
                    file_attempts=self.file_attempts,
                ),
            )

    @contextmanager
    def datatables_client(self, *, write: bool = False) -> Iterator[DataTablesClient]:
        """A data tables client; `write` also asks for `data-table:write` (imports)."""
        scopes = (
            datatable_endpoints.DATATABLE_WRITE_SCOPES
            if write
            else datatable_endpoints.DATATABLE_READ_SCOPES
        )
        with self.api_client(scopes, flow="data tables") as api:
            yield DataTablesClient(api)


class CatalogResource(dg.ConfigurableResource):
    """The data root: raw downloads, the Parquet lake, quarantine and catalog.duckdb."""

    data_dir: str = Field(description="Data root (CX_DATA_DIR)")

    @property
    def layout(self) -> DataLayout:
        return DataLayout(Path(self.data_dir))


def _secret(name: str, emulator_default: str) -> str | dg.EnvVar:
    """The env var when set; the emulator's built-in client otherwise."""
    return dg.EnvVar(name) if os.environ.get(name) else emulator_default


def genesys_from_env() -> GenesysCloudResource:
    region = os.environ.get("GENESYS_REGION") or None
    api_url = os.environ.get("GENESYS_API_URL") or settings.EMULATOR_URL
    real = bool(region) or urlsplit(api_url).hostname not in LOOPBACK_HOSTS
    if real and not os.environ.get("GENESYS_CLIENT_ID"):
        raise ValueError(
            "GENESYS_CLIENT_ID and GENESYS_CLIENT_SECRET must be set when GENESYS_REGION or "
            "GENESYS_API_URL points at a real org"
        )
    return GenesysCloudResource(
        api_mode=parse_mode(os.environ.get(MODE_ENV)),
        region=region,
        api_url=api_url,
        login_url=os.environ.get("GENESYS_LOGIN_URL") or api_url,
        client_id=_secret("GENESYS_CLIENT_ID", settings.EMULATOR_CLIENT_ID),
        client_secret=_secret("GENESYS_CLIENT_SECRET", settings.EMULATOR_CLIENT_SECRET),
    )


def catalog_from_env() -> CatalogResource:
    return CatalogResource(data_dir=str(settings.data_dir()))


# -- NICE CXone -------------------------------------------------------------------------------

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
        client_id=_secret("CXONE_CLIENT_ID", CXONE_EMULATOR_CLIENT_ID),
        client_secret=_secret("CXONE_CLIENT_SECRET", CXONE_EMULATOR_CLIENT_SECRET),
        lake_webhook_url=os.environ.get("CXONE_LAKE_WEBHOOK_URL") or None,
        integrity_threshold=float(threshold) if threshold else 0.99,
    )
