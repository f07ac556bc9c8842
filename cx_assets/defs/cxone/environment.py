"""`CxoneResource` from `CXONE_*` variables; the emulator's CXone side when none are set.

Platform mode (the default) needs an API user's access key (`CXONE_ACCESS_KEY_ID`,
`CXONE_ACCESS_KEY_SECRET`) and, for the password grant, the registered app's
`CXONE_CLIENT_ID`/`CXONE_CLIENT_SECRET`. Without an access key it points at the emulator, with
the emulator's own key and app, and says so in every run. Tutorial mode keeps the first
contract's client-credentials settings and runs against the emulator only.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlsplit

from cx_assets.cxone import discovery
from cx_assets.cxone.modes import MODE_ENV, parse_cxone_mode
from cx_assets.defs.cxone.resource import (
    CXONE_EMULATOR_ACCESS_KEY_ID,
    CXONE_EMULATOR_ACCESS_KEY_SECRET,
    CXONE_EMULATOR_APP_ID,
    CXONE_EMULATOR_APP_SECRET,
    CXONE_EMULATOR_CLIENT_ID,
    CXONE_EMULATOR_CLIENT_SECRET,
    CXONE_EMULATOR_ISSUER,
    CXONE_EMULATOR_URL,
    CxoneResource,
    emulator_host_template,
)
from cx_assets.defs.resources import LOOPBACK_HOSTS, secret_from_env


def _env(name: str) -> str | None:
    return os.environ.get(name) or None


def _common() -> dict[str, Any]:
    threshold = _env("CXONE_INTEGRITY_THRESHOLD")
    common: dict[str, Any] = {
        "lake_webhook_url": _env("CXONE_LAKE_WEBHOOK_URL"),
        "integrity_threshold": float(threshold) if threshold else 0.99,
    }
    for name, field, cast in (
        ("CXONE_REPORTING_VERSION", "reporting_version", str),
        ("CXONE_LATE_UPDATE_DAYS", "late_update_days", int),
        ("CXONE_AUTH_METHOD", "auth_method", str),
        ("CXONE_ACCESS_KEY_TOKEN_URL", "access_key_token_url", str),
        ("CXONE_ACCESS_KEY_REFRESH_URL", "access_key_refresh_url", str),
    ):
        value = _env(name)
        if value is not None:
            common[field] = cast(value)
    return common


def emulator_platform(issuer: str = CXONE_EMULATOR_ISSUER, **overrides: Any) -> CxoneResource:
    """Platform mode against the emulator at `issuer`, with its built-in key and app."""
    issuer = issuer.rstrip("/")
    settings: dict[str, Any] = {
        "api_mode": "platform",
        "issuer_url": issuer,
        "api_host_template": emulator_host_template(issuer),
        "access_key_id": CXONE_EMULATOR_ACCESS_KEY_ID,
        "access_key_secret": CXONE_EMULATOR_ACCESS_KEY_SECRET,
        "client_id": CXONE_EMULATOR_APP_ID,
        "client_secret": CXONE_EMULATOR_APP_SECRET,
        "access_key_token_url": f"{issuer}/authentication/v1/token/access-key",
        "access_key_refresh_url": f"{issuer}/public/user/refresh",
    }
    return CxoneResource(**{**settings, **overrides})


def emulator_tutorial(api_url: str = CXONE_EMULATOR_URL, **overrides: Any) -> CxoneResource:
    """Tutorial mode against the emulator's `/cxone` side, with its built-in client."""
    settings: dict[str, Any] = {
        "api_mode": "tutorial",
        "api_url": api_url,
        "auth_url": api_url,
        "client_id": CXONE_EMULATOR_CLIENT_ID,
        "client_secret": CXONE_EMULATOR_CLIENT_SECRET,
    }
    return CxoneResource(**{**settings, **overrides})


def _tutorial_from_env() -> CxoneResource:
    api_url = _env("CXONE_API_URL") or CXONE_EMULATOR_URL
    return CxoneResource(
        api_mode="tutorial",
        api_url=api_url,
        auth_url=_env("CXONE_AUTH_URL") or api_url,
        client_id=secret_from_env("CXONE_CLIENT_ID", CXONE_EMULATOR_CLIENT_ID),
        client_secret=secret_from_env("CXONE_CLIENT_SECRET", CXONE_EMULATOR_CLIENT_SECRET),
        **_common(),
    )


def cxone_from_env() -> CxoneResource:
    """CXone from the environment; the emulator's side when no access key is set."""
    if parse_cxone_mode(_env(MODE_ENV)) == "tutorial":
        return _tutorial_from_env()
    issuer = _env("CXONE_ISSUER_URL")
    if not _env("CXONE_ACCESS_KEY_ID"):
        if issuer and urlsplit(issuer).hostname not in LOOPBACK_HOSTS:
            raise ValueError(
                "CXONE_ACCESS_KEY_ID and CXONE_ACCESS_KEY_SECRET must be set when "
                "CXONE_ISSUER_URL points at a real tenant"
            )
        return emulator_platform(issuer or CXONE_EMULATOR_ISSUER, **_common())
    return CxoneResource(
        api_mode="platform",
        issuer_url=issuer or discovery.DEFAULT_ISSUER_URL,
        platform_api_url=_env("CXONE_API_URL"),
        api_host_template=_env("CXONE_API_HOST_TEMPLATE") or discovery.DEFAULT_API_HOST_TEMPLATE,
        access_key_id=secret_from_env("CXONE_ACCESS_KEY_ID", ""),
        access_key_secret=secret_from_env("CXONE_ACCESS_KEY_SECRET", ""),
        client_id=secret_from_env("CXONE_CLIENT_ID", "") or None,
        client_secret=secret_from_env("CXONE_CLIENT_SECRET", "") or None,
        **_common(),
    )
