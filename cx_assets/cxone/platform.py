"""The CXone platform-mode connection: discovery, an access-key token, the contacts client.

`connect(settings)` runs the documented steps in order (docs/api-contract.md, "NICE CXone —
platform mode"): for the password grant, the issuer's openid document names the token endpoint;
the first token carries the tenant id; the issuer's cxone-configuration names the tenant's API
base (skipped when `api_url` is set). It yields a `PlatformConnection` whose contacts client
pages the Reporting API over one pooled, authenticated, retried HTTP client.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Literal

from cx_assets.cxone import discovery
from cx_assets.cxone.contacts import ContactsSettings, CxoneContactsClient
from cx_assets.cxone.platform_auth import AccessKey, AccessKeyAuth, PasswordGrantAuth
from cx_assets.http.auth import CachedTokenAuth
from cx_assets.http.client import ApiClient
from cx_assets.http.retry import RetrySettings

AuthMethod = Literal["password", "access_key"]
#: CX-DE / TAP-N hosts of the access-key endpoints (UNVERIFIED outside na1: configurable).
DEFAULT_ACCESS_KEY_TOKEN_URL = "https://na1.nice-incontact.com/authentication/v1/token/access-key"
DEFAULT_ACCESS_KEY_REFRESH_URL = "https://na1.nice-incontact.com/public/user/refresh"


@dataclass(frozen=True)
class PlatformSettings:
    """Everything platform mode needs to reach one tenant."""

    key: AccessKey
    issuer_url: str = discovery.DEFAULT_ISSUER_URL
    auth_method: AuthMethod = "password"
    api_url: str | None = None
    api_host_template: str = discovery.DEFAULT_API_HOST_TEMPLATE
    access_key_token_url: str = DEFAULT_ACCESS_KEY_TOKEN_URL
    access_key_refresh_url: str = DEFAULT_ACCESS_KEY_REFRESH_URL
    contacts: ContactsSettings = field(default_factory=ContactsSettings)
    retry: RetrySettings = field(default_factory=RetrySettings)
    timeout_s: float = 60.0

    def __post_init__(self) -> None:
        if self.auth_method not in ("password", "access_key"):
            raise ValueError(
                f"CXONE_AUTH_METHOD={self.auth_method!r}: must be password or access_key"
            )
        if self.auth_method == "password" and not (self.key.client_id and self.key.client_secret):
            raise ValueError(
                "the password grant needs the registered app's CXONE_CLIENT_ID and "
                "CXONE_CLIENT_SECRET (or set CXONE_AUTH_METHOD=access_key)"
            )


@dataclass(frozen=True)
class PlatformConnection:
    """An open connection: the contacts client and where it points."""

    contacts: CxoneContactsClient
    api_base: str
    token_endpoint: str
    discovered: bool

    @property
    def api(self) -> ApiClient:
        return self.contacts.api


def _auth(settings: PlatformSettings) -> CachedTokenAuth:
    common = {"retry": settings.retry, "timeout": settings.timeout_s}
    if settings.auth_method == "access_key":
        return AccessKeyAuth(
            settings.access_key_token_url,
            settings.access_key_refresh_url,
            settings.key,
            **common,
        )
    token_url = discovery.token_endpoint(
        settings.issuer_url, retry=settings.retry, timeout=settings.timeout_s
    )
    return PasswordGrantAuth(token_url, settings.key, **common)


@contextmanager
def connect(settings: PlatformSettings) -> Iterator[PlatformConnection]:
    """Discover, authenticate and yield a connection; closes every HTTP client after."""
    auth = _auth(settings)
    try:
        if settings.api_url:
            base, discovered = settings.api_url.rstrip("/"), False
        else:
            auth.token()  # the first token carries the tenant id
            tenant = getattr(auth, "tenant_id", None)
            if not tenant:
                raise discovery.DiscoveryError(
                    "the CXone token carries no tenantId claim, so the API base cannot be "
                    "discovered; set CXONE_API_URL to the tenant's API base"
                )
            base = discovery.api_base(
                settings.issuer_url,
                tenant,
                template=settings.api_host_template,
                retry=settings.retry,
                timeout=settings.timeout_s,
            )
            discovered = True
        token_url = getattr(auth, "token_url", "")
        with ApiClient(base, auth=auth, retry=settings.retry, timeout=settings.timeout_s) as api:
            yield PlatformConnection(
                CxoneContactsClient(api, settings.contacts), base, token_url, discovered
            )
    finally:
        auth.close()
