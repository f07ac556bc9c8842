"""Tokens of the independent CXone platform server: OAuth password/refresh grants, access keys.

Why its own module: the three token routes share one token store (so a refresh token from any
route refreshes on any route) and the same credential rules. Fixed readings where the text is
silent: client credentials by form or HTTP Basic; the grant type is checked first, then the app,
then the access key; an unknown or used refresh token is 400 `invalid_grant` on both refresh
routes; JWTs are HS256 with this server's own key (the client is promised never to verify).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from cx_assets_tests.independent.cxone_platform_quirks import Quirks

Json = dict[str, Any]


@dataclass
class Issued:
    """One token pair as issued: which route and grant produced it."""

    grant: str
    access_token: str
    refresh_token: str
    expires_at: float


def jwt(claims: Json, key: bytes) -> str:
    """An HS256 JWT: three base64url parts without padding."""

    def part(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    head = part(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = part(json.dumps(claims, separators=(",", ":")).encode())
    signature = hmac.new(key, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{part(signature)}"


def oauth_error(status: int, code: str, description: str) -> JSONResponse:
    return JSONResponse({"error": code, "error_description": description}, status_code=status)


async def read_fields(request: Request) -> dict[str, str]:
    """A JSON object or a form body as flat strings (CX-DE sends JSON, TAP-N a form)."""
    raw = await request.body()
    if "json" in request.headers.get("content-type", ""):
        try:
            data = json.loads(raw or b"{}")
        except ValueError:
            return {}
        return {k: str(v) for k, v in data.items()} if isinstance(data, dict) else {}
    return {k: v[-1] for k, v in parse_qs(raw.decode(), keep_blank_values=True).items()}


class Auth:
    """Credentials, the token store and the three token endpoints."""

    def __init__(self, quirks: Quirks) -> None:
        self.quirks = quirks
        self.issuer = ""  # set by the server once its port is known
        self.access_key_id = "independent-access-key-id"
        self.access_key_secret = "independent-access-key-secret"
        self.client_id = "independent-cxone-app"
        self.client_secret = "independent-cxone-app-secret"
        self.tenant_id = "a3b9e1d0-1111-4222-8333-00000000d0d0"
        self.token_ttl_s = 3600
        self.refresh_ttl_s = 7 * 86_400
        self.requests: Counter[str] = Counter()
        self.issued: list[Issued] = []
        self._by_access: dict[str, Issued] = {}
        self._unused_refresh: dict[str, Issued] = {}
        self._key = secrets.token_bytes(32)

    # ---- handles for tests ----------------------------------------------------------------
    def expire(self, access_token: str) -> None:
        """Make one access token expired from now on."""
        if issued := self._by_access.get(access_token):
            issued.expires_at = 0.0

    def expire_all(self) -> None:
        for issued in self.issued:
            issued.expires_at = 0.0

    def check(self, authorization: str) -> tuple[str | None, str]:
        """The valid bearer token of an API call, else None and why."""
        scheme, _, token = authorization.partition(" ")
        issued = self._by_access.get(token.strip())
        if scheme.lower() != "bearer" or not token:
            return None, "missing bearer token"
        if issued is None:
            return None, "unknown token"
        if issued.expires_at <= time.monotonic():
            return None, "token expired"
        return issued.access_token, ""

    # ---- routes ---------------------------------------------------------------------------
    async def token(self, request: Request) -> Response:
        """`POST {token_endpoint}`: password and refresh_token grants."""
        form = await read_fields(request)
        grant = form.get("grant_type", "")
        self.requests[f"token_{grant or 'none'}"] += 1
        if grant not in ("password", "refresh_token"):
            return oauth_error(400, "unsupported_grant_type", f"grant_type {grant!r}")
        client_id, client_secret = form.get("client_id", ""), form.get("client_secret", "")
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "basic":
            try:
                client_id, _, client_secret = base64.b64decode(value).decode().partition(":")
            except ValueError:
                client_id = client_secret = ""
        if (client_id, client_secret) != (self.client_id, self.client_secret):
            return oauth_error(401, "invalid_client", "unknown application credentials")
        if grant == "password":
            key = (form.get("username", ""), form.get("password", ""))
            if key != (self.access_key_id, self.access_key_secret):
                return oauth_error(401, "invalid_grant", "wrong access key id or secret")
            return JSONResponse(self._oauth_body(self._issue("password"), "Bearer"))
        if not self._use_refresh(form.get("refresh_token", "")):
            return oauth_error(400, "invalid_grant", "unknown or used refresh token")
        return JSONResponse(self._oauth_body(self._issue("refresh_token"), "Bearer"))

    async def access_key(self, request: Request) -> Response:
        """`POST {auth}/authentication/v1/token/access-key` (CX-DE), JSON or form."""
        self.requests["access_key"] += 1
        body = await read_fields(request)
        key = (body.get("accessKeyId", ""), body.get("accessKeySecret", ""))
        if key != (self.access_key_id, self.access_key_secret):
            return oauth_error(401, "invalid_grant", "wrong access key id or secret")
        kind = "bearer" if self.quirks.lowercase_bearer else "Bearer"
        answer = self._oauth_body(self._issue("access_key"), kind)
        return JSONResponse(answer | {"refresh_token_expires_in": self.refresh_ttl_s})

    async def user_refresh(self, request: Request) -> Response:
        """`POST {auth}/public/user/refresh` with `{"token": <refresh token>}`."""
        self.requests["user_refresh"] += 1
        body = await read_fields(request)
        if not self._use_refresh(body.get("token", "")):
            return oauth_error(400, "invalid_grant", "unknown or used refresh token")
        issued = self._issue("user_refresh")
        answer: Json = {
            "token": issued.access_token,
            "refreshToken": issued.refresh_token,
            "refreshTokenExpirationTimeSec": self.refresh_ttl_s,
        }
        if not self.quirks.refresh_cxde_only:
            kind = "bearer" if self.quirks.lowercase_bearer else "Bearer"
            answer |= {"access_token": issued.access_token, "token_type": kind}
            answer |= {"refresh_token": issued.refresh_token, "expires_in": self.token_ttl_s}
        if self.quirks.extra_fields:
            answer |= {"issuedAt": int(time.time()), "xIndependent": {"route": "refresh"}}
        return JSONResponse(answer)

    # ---- internals ------------------------------------------------------------------------
    def _use_refresh(self, refresh_token: str) -> bool:
        """Spend a refresh token (each works once; the old access token lives until expiry)."""
        return self._unused_refresh.pop(refresh_token, None) is not None

    def _issue(self, grant: str) -> Issued:
        now = int(time.time())
        claims: Json = {"iss": self.issuer, "sub": f"user:{self.access_key_id}", "iat": now}
        claims |= {"exp": now + self.token_ttl_s, "tenantId": self.tenant_id}
        claims |= {"jti": secrets.token_hex(8)}
        if self.quirks.extra_fields:
            claims |= {"icBUId": 4_600_000, "icClusterId": "EU1", "icAgentId": 9_000_001}
        refresh = secrets.token_urlsafe(32)
        issued = Issued(grant, jwt(claims, self._key), refresh, time.monotonic() + self.token_ttl_s)
        self.issued.append(issued)
        self._by_access[issued.access_token] = issued
        self._unused_refresh[refresh] = issued
        return issued

    def _oauth_body(self, issued: Issued, token_type: str) -> Json:
        body: Json = {"access_token": issued.access_token, "token_type": token_type}
        body |= {"expires_in": self.token_ttl_s, "refresh_token": issued.refresh_token}
        if not self.quirks.no_id_token:
            now = int(time.time())
            claims = {"iss": self.issuer, "sub": f"user:{self.access_key_id}", "iat": now}
            claims |= {"aud": self.client_id, "exp": now + self.token_ttl_s}
            body["id_token"] = jwt(claims | {"tenantId": self.tenant_id}, self._key)
        if self.quirks.extra_fields:
            body |= {"issued_at": int(time.time()), "xIndependent": {"grant": issued.grant}}
        return body
