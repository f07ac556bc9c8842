"""Keep secrets out of text: presigned-URL signatures, bearer tokens, client secrets.

Every exception message and log line written by `cx_assets.http` passes through here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit, urlunsplit

import httpx

MASK = "***"

# The simplest rule that cannot leak: drop the whole query (and any user:password@), keep
# scheme, host, port and path. Presigned URLs carry their signature in the query.
_URL_IN_TEXT = re.compile(r"\b(https?://[^\s?#\"'<>]+)(?:[?#][^\s\"'<>]*)?", re.IGNORECASE)
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+")
_SECRET_PARAM = re.compile(
    r"(?i)\b(x-amz-signature|x-amz-credential|x-amz-security-token|signature|sig|token|"
    r"access_token|refresh_token|id_token|client_secret|password|api_key|apikey)"
    r"(=|\"\s*:\s*\")([^&\s\"',;]+)"
)
# Shorter values would mask ordinary words in messages; real secrets are long.
_MIN_SECRET_LEN = 4


def redact_url(url: str | httpx.URL) -> str:
    """`url` without query, fragment or credentials: safe to log, raise and store."""
    parts = urlsplit(str(url))
    host = parts.hostname or ""
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = f"{host}:{port}" if port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def redact(text: str, secrets: Iterable[str | None] = ()) -> str:
    """`text` with known secret values, bearer tokens and URL queries masked."""
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        if len(secret) >= _MIN_SECRET_LEN:
            text = text.replace(secret, MASK)
    text = _URL_IN_TEXT.sub(lambda m: redact_url(m.group(1)), text)
    text = _BEARER.sub(lambda m: f"{m.group(1)} {MASK}", text)
    return _SECRET_PARAM.sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}", text)
