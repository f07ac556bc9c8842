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
from cx_assets.genesys import endpoints
from cx_assets.genesys.datatables import DataTablesClient
from cx_assets.genesys.exports import ConversationExportClient, ExportSettings
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
    download_concurrency: int = 4
    export_timeout_s: float = 3600.0

    def base_urls(self) -> tuple[str, str]:
        """(api_url, login_url): from the region table when a region is set."""
        if self.region:
            return genesys_base_urls(self.region)
        return self.api_url.rstrip("/"), self.login_url.rstrip("/")

    @property
    def is_emulator(self) -> bool:
        return urlsplit(self.base_urls()[0]).hostname in LOOPBACK_HOSTS

    def describe_target(self) -> str:
        api_url = self.base_urls()[0]
        kind = (
            "the built-in EMULATOR (synthetic data)" if self.is_emulator else "a real Genesys org"
        )
        return f"Genesys Cloud API {api_url} — {kind}"

    @contextmanager
    def api_client(self, scopes: Sequence[str]) -> Iterator[ApiClient]:
        """One pooled, authenticated, retried HTTP client asking for just `scopes`."""
        api_url, login_url = self.base_urls()
        retry = RetrySettings(max_attempts=self.max_attempts, max_total_s=self.max_retry_seconds)
        auth = ClientCredentialsAuth(
            token_url=f"{login_url}{endpoints.TOKEN_PATH}",
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
        with self.api_client(endpoints.EXPORT_SCOPES) as api:
            yield ConversationExportClient(
                api,
                ExportSettings(
                    download_concurrency=self.download_concurrency,
                    timeout_s=self.export_timeout_s,
                ),
            )

    @contextmanager
    def datatables_client(self, *, write: bool = False) -> Iterator[DataTablesClient]:
        """A data tables client; `write` also asks for `data-table:write` (imports)."""
        scopes = endpoints.DATATABLE_WRITE_SCOPES if write else endpoints.DATATABLE_READ_SCOPES
        with self.api_client(scopes) as api:
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
        region=region,
        api_url=api_url,
        login_url=os.environ.get("GENESYS_LOGIN_URL") or api_url,
        client_id=_secret("GENESYS_CLIENT_ID", settings.EMULATOR_CLIENT_ID),
        client_secret=_secret("GENESYS_CLIENT_SECRET", settings.EMULATOR_CLIENT_SECRET),
    )


def catalog_from_env() -> CatalogResource:
    return CatalogResource(data_dir=str(settings.data_dir()))
