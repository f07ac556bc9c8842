"""CXone API discovery: the issuer's token endpoint, then the tenant's API base.

`GET {issuer}/.well-known/openid-configuration` names the token endpoint; after the first
token, `GET {issuer}/.well-known/cxone-configuration?tenantId=…` names the tenant's `area` and
`domain`, and the API base is `https://api-{area}.{domain}` (docs/api-contract.md, "NICE CXone —
platform mode"). The issuer and the host template are settings (both UNVERIFIED per region);
`CXONE_API_URL` skips the second step.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from cx_assets.http.client import ApiClient
from cx_assets.http.retry import RetrySettings

DEFAULT_ISSUER_URL = "https://cxone.niceincontact.com"
DEFAULT_API_HOST_TEMPLATE = "https://api-{area}.{domain}"
DEFAULT_DOMAIN = "niceincontact.com"
OPENID_PATH = "/.well-known/openid-configuration"
CXONE_CONFIGURATION_PATH = "/.well-known/cxone-configuration"
#: What a served `area` or `domain` may hold before it becomes part of a host name.
_HOST_PART = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$")


class DiscoveryError(RuntimeError):
    """Discovery answered something unusable; the message names the document and the field."""


def _absolute(url: Any, what: str) -> str:
    if not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https"):
        raise DiscoveryError(f"{what} is not an absolute http(s) URL: {url!r}")
    if not urlsplit(url).netloc:
        raise DiscoveryError(f"{what} has no host: {url!r}")
    return url.rstrip("/")


def _document(issuer: str, path: str, retry: RetrySettings, timeout: float, **params: str) -> Any:
    with ApiClient(issuer, auth=None, retry=retry, timeout=timeout) as api:
        return api.get_json(path, params=params or None)


def token_endpoint(issuer: str, *, retry: RetrySettings, timeout: float = 30.0) -> str:
    """The `token_endpoint` of the issuer's OpenID provider metadata."""
    body = _document(issuer, OPENID_PATH, retry, timeout)
    if not isinstance(body, dict) or "token_endpoint" not in body:
        raise DiscoveryError(f"{issuer}{OPENID_PATH} has no token_endpoint")
    return _absolute(body["token_endpoint"], f"{issuer}{OPENID_PATH} token_endpoint")


def api_base(
    issuer: str,
    tenant_id: str,
    *,
    template: str = DEFAULT_API_HOST_TEMPLATE,
    retry: RetrySettings,
    timeout: float = 30.0,
) -> str:
    """The tenant's API base: `template` filled with the served `area` and `domain`, or the
    served `api_endpoint` when there is no `area` (3P clients read either; UNVERIFIED which)."""
    where = f"{issuer}{CXONE_CONFIGURATION_PATH}"
    body = _document(issuer, CXONE_CONFIGURATION_PATH, retry, timeout, tenantId=tenant_id)
    if not isinstance(body, dict):
        raise DiscoveryError(f"{where} answered {type(body).__name__}, not an object")
    area = body.get("area")
    if area is None and body.get("api_endpoint") is not None:
        return _absolute(body["api_endpoint"], f"{where} api_endpoint")
    domain = body.get("domain") or DEFAULT_DOMAIN
    for name, value in (("area", area), ("domain", domain)):
        if not isinstance(value, str) or not _HOST_PART.match(value):
            raise DiscoveryError(f"{where} field {name} is not a host name part: {value!r}")
    return _absolute(template.format(area=area, domain=domain), "CXONE_API_HOST_TEMPLATE")
