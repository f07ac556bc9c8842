"""Refuse to serve with secrets anyone can read, unless only the local emulator can reach us.

The emulator's default secrets are in this repository, so anyone could sign with them. They are
fine for `make demo` and a receiver on a loopback address beside the emulator; anywhere else
(a non-loopback bind, or a real org configured through `GENESYS_REGION`/`GENESYS_API_URL`)
`cx-assets webhooks serve` stops before listening, with one line naming the variable to set.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from urllib.parse import urlsplit

from cx_assets import settings
from cx_assets.receiver import events, privacy

LOOPBACK_NAMES = {"localhost"}


def is_loopback(host: str | None) -> bool:
    """True for `localhost`, 127.0.0.0/8 and ::1; False for anything else (0.0.0.0 included)."""
    if not host:
        return False
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def api_is_emulator(environ: Mapping[str, str]) -> bool:
    """Whether the configured Genesys API is the local emulator (no region, a loopback URL)."""
    if environ.get("GENESYS_REGION"):
        return False
    return is_loopback(urlsplit(environ.get("GENESYS_API_URL") or settings.EMULATOR_URL).hostname)


def secret_problem(host: str, environ: Mapping[str, str]) -> str | None:
    """Why the receiver must not start with these secrets on `host`, in one line; None if fine."""
    defaults = (
        (privacy.SECRET_ENV, privacy.EMULATOR_WEBHOOK_SECRET),
        (events.SECRET_ENV, events.EMULATOR_EVENTS_SECRET),
    )
    emulator_only = is_loopback(host) and api_is_emulator(environ)
    for variable, default in defaults:
        value = environ.get(variable) or ""
        if value and value != default:
            if len(value) < events.MIN_SECRET_CHARS:
                return f"{variable} must be at least {events.MIN_SECRET_CHARS} characters"
            continue
        if emulator_only:
            continue
        where = (
            f"--host {host} is not a loopback address"
            if not is_loopback(host)
            else "the configured Genesys API is not the emulator"
        )
        state = "is not set" if not value else "is the emulator's public default"
        return (
            f"{variable} {state} and {where}: set {variable} to the secret the sender signs with "
            "(the default only serves the emulator on 127.0.0.1)"
        )
    return None
