"""CXone platform credentials and tokens: JWT access/id tokens and single-use refresh tokens.

Access and id tokens are HS256 JWTs signed with the standard library (the client only reads
their claims, never verifies them); the tenant id is the `tenantId` claim of both. Refresh
tokens are opaque and single use: a refresh hands out a new pair. Tokens live in memory only, so
after a restart a client sees 401 once and logs in again, as after a key rotation.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any, Final

from cx_assets.emulator.cxone.platform.catalog import BUSINESS_UNIT_ID, TENANT_ID

ACCESS_KEY: Final = ("emulator-access-key-id", "emulator-access-key-secret")
APP: Final = ("emulator-cxone-app", "emulator-cxone-app-secret")
#: The API user behind the access key (the `sub` claim).
USER_ID: Final = "user:11e8ac5a-0000-4000-8000-0000000a9e47"
#: Refresh tokens are single use; this bound only keeps an abandoned one from living forever.
REFRESH_TTL_S: Final = 30 * 86_400
_JWT_SECRET: Final = b"emulator-cxone-platform-jwt"


class TokenRefused(Exception):
    """An OAuth refusal: HTTP status, `error` code and description."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def encode_jwt(claims: dict[str, Any]) -> str:
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
    signature = hmac.new(_JWT_SECRET, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64(signature)}"


def matches(given: tuple[str | None, str | None], expected: tuple[str, str]) -> bool:
    return all(
        g is not None and hmac.compare_digest(g.encode(), e.encode())
        for g, e in zip(given, expected, strict=True)
    )


@dataclass(frozen=True)
class Issued:
    """A token response's parts (the routes spell them per endpoint)."""

    access_token: str
    id_token: str
    refresh_token: str
    expires_in: int
    refresh_expires_in: int


class PlatformTokens:
    """Live access tokens (token -> tenant, expiry) and unused refresh tokens. Thread-safe."""

    def __init__(self, ttl_s: int) -> None:
        self.ttl_s = ttl_s
        self._lock = threading.Lock()
        self._access: dict[str, tuple[str, float]] = {}
        self._refresh: dict[str, tuple[str, float]] = {}

    def issue(self, issuer: str, audience: str) -> Issued:
        now = int(time.time())
        common = {
            "iss": issuer,
            "sub": USER_ID,
            "aud": audience,
            "tenantId": TENANT_ID,
            "icBUId": BUSINESS_UNIT_ID,
            "iat": now,
            "exp": now + self.ttl_s,
        }
        access = encode_jwt({**common, "jti": uuid.uuid4().hex, "role": ["API User"]})
        id_token = encode_jwt({**common, "jti": uuid.uuid4().hex, "name": "Emulator API User"})
        refresh = secrets.token_urlsafe(32)
        with self._lock:
            self._access[access] = (TENANT_ID, time.time() + self.ttl_s)
            self._refresh[refresh] = (audience, time.time() + REFRESH_TTL_S)
        return Issued(access, id_token, refresh, self.ttl_s, REFRESH_TTL_S)

    def redeem(self, refresh_token: str | None) -> str:
        """Use up a refresh token; the audience it was issued for, or 400 `invalid_grant`."""
        with self._lock:
            found = self._refresh.pop(refresh_token or "", None)
        if found is None or found[1] <= time.time():
            raise TokenRefused(400, "invalid_grant", "the refresh token is unknown or used up")
        return found[0]

    def tenant(self, access_token: str) -> str:
        """The tenant of a live access token, or 401 `invalid_token` saying why not."""
        with self._lock:
            found = self._access.get(access_token)
            if found is not None and found[1] <= time.time():
                del self._access[access_token]
                raise TokenRefused(401, "invalid_token", "the access token has expired")
        if found is None:
            raise TokenRefused(401, "invalid_token", "the access token is unknown or revoked")
        return found[0]

    def revoke_all(self) -> int:
        """Refuse every token issued so far, refresh tokens included (a key rotation)."""
        with self._lock:
            count = len(self._access) + len(self._refresh)
            self._access.clear()
            self._refresh.clear()
        return count
