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
from cx_assets.flows.context import Target
from cx_assets.genesys.auth import TOKEN_PATH
from cx_assets.genesys.conversations import endpoints as conversation_endpoints
from cx_assets.genesys.conversations.platform import DetailsJobsClient
from cx_assets.genesys.conversations.platform_endpoints import DetailsJobSettings
from cx_assets.genesys.conversations.tutorial import ConversationExportClient, ExportSettings
from cx_assets.genesys.datatables import endpoints as datatable_endpoints
from cx_assets.genesys.datatables.platform import DataTablesPlatformClient, DataTablesSettings
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
    details_page_size: int = Field(
        default=1000, ge=1, description="conversations per details-job results page (platform)"
    )
    datatable_max_rows: int = Field(
        default=5000,
        ge=1,
        description="rows a data table may hold (platform; 5000 unless Genesys raised it)",
    )
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
    def details_client(self) -> Iterator[DetailsJobsClient]:
        """A platform-mode analytics conversation details jobs client (no OAuth scope asked)."""
        with self.api_client((), flow="conversations") as api:
            yield DetailsJobsClient(
                api,
                DetailsJobSettings(
                    page_size=self.details_page_size,
                    poll_initial_s=self.poll_initial_s,
                    poll_max_s=max(self.poll_max_s, self.poll_initial_s),
                    timeout_s=self.export_timeout_s,
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

    @contextmanager
    def datatables_platform_client(self) -> Iterator[DataTablesPlatformClient]:
        """A platform-mode data tables client (Architect `/api/v2/flows/datatables`)."""
        with self.api_client((), flow="data tables") as api:
            yield DataTablesPlatformClient(
                api,
                DataTablesSettings(
                    poll_initial_s=self.poll_initial_s,
                    poll_max_s=max(self.poll_max_s, self.poll_initial_s),
                    timeout_s=self.export_timeout_s,
                    download_attempts=self.file_attempts,
                    max_rows=self.datatable_max_rows,
                ),
            )


class CatalogResource(dg.ConfigurableResource):
    """The data root: raw downloads, the Parquet lake, quarantine and catalog.duckdb."""

    data_dir: str = Field(description="Data root (CX_DATA_DIR)")

    @property
    def layout(self) -> DataLayout:
        return DataLayout(Path(self.data_dir))


def secret_from_env(name: str, emulator_default: str) -> str | dg.EnvVar:
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
        client_id=secret_from_env("GENESYS_CLIENT_ID", settings.EMULATOR_CLIENT_ID),
        client_secret=secret_from_env("GENESYS_CLIENT_SECRET", settings.EMULATOR_CLIENT_SECRET),
    )


def catalog_from_env() -> CatalogResource:
    return CatalogResource(data_dir=str(settings.data_dir()))
