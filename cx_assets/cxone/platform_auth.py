"""CXone tokens for a back-end app, from an API user's access key.

Two documented ways (docs/api-contract.md, "NICE CXone — platform mode"):

- `PasswordGrantAuth`: OAuth2 password grant at the token endpoint the issuer's openid document
  names, `username` = access key id, `password` = access key secret, plus the registered app's
  `client_id`/`client_secret`; refreshed with `grant_type=refresh_token`.
- `AccessKeyAuth`: the access-key endpoint (`/authentication/v1/token/access-key`, JSON
  `{accessKeyId, accessKeySecret}`), refreshed at `/public/user/refresh` with `{token}`.

Both keep the refresh token, try it first when the access token is due, and fall back to a fresh
grant when the refresh is refused (a refresh token is single use and may lapse). Both read the
tenant id from the tokens' JWT claims (it drives API discovery); the signature is not checked:
the token is only ever sent back to the issuer's own API, which checks it.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from dataclasses import dataclass
from typing import Any

import httpx

from cx_assets.http.auth import CachedTokenAuth, IssuedToken
from cx_assets.http.errors import AuthError, error_from_response

log = logging.getLogger(__name__)

#: Claim names a CXone JWT may carry the tenant id under (3P clients read `tenantId`).
TENANT_CLAIMS = ("tenantId", "tenant_id", "tenant")


@dataclass(frozen=True)
class AccessKey:
    """An API user's access key, and the app registration the password grant also needs."""

    access_key_id: str
    access_key_secret: str
    client_id: str | None = None
    client_secret: str | None = None

    def __post_init__(self) -> None:
        if not self.access_key_id or not self.access_key_secret:
            raise ValueError("CXONE_ACCESS_KEY_ID and CXONE_ACCESS_KEY_SECRET are required")

    def __repr__(self) -> str:
        return f"AccessKey(access_key_id={self.access_key_id!r})"

    def secrets(self) -> tuple[str, ...]:
        return tuple(s for s in (self.access_key_secret, self.client_secret) if s)


def jwt_claims(token: str | None) -> dict[str, Any]:
    """The payload of a JWT, or {} when `token` is not one (never raises: claims are a hint)."""
    if not isinstance(token, str) or token.count(".") != 2:
        return {}
    payload = token.split(".")[1]
    try:
        decoded = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        claims = json.loads(decoded)
    except (binascii.Error, ValueError):
        return {}
    return claims if isinstance(claims, dict) else {}


def tenant_of(*tokens: str | None) -> str | None:
    """The first tenant id claim found in `tokens` (the id token first, then the access token)."""
    for token in tokens:
        claims = jwt_claims(token)
        for name in TENANT_CLAIMS:
            value = claims.get(name)
            if isinstance(value, str) and value:
                return value
    return None


class _AccessKeyTokens(CachedTokenAuth):
    """What both grants share: the key, the refresh token, the tenant id, the 401 message."""

    def __init__(self, key: AccessKey, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.key = key
        self.tenant_id: str | None = None
        self._refresh_token: str | None = None
        self.label = f"CXone access key {key.access_key_id!r}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(access_key_id={self.key.access_key_id!r})"

    def _secret_values(self) -> tuple[str, ...]:
        return (*self.key.secrets(), *([self._refresh_token] if self._refresh_token else []))

    def _request_token(self) -> IssuedToken:
        if self._refresh_token:
            refreshed = self._refresh(self._refresh_token)
            if refreshed is not None:
                return self._keep(refreshed)
            log.info("the CXone refresh token was refused; asking for a new token")
            self._refresh_token = None
        return self._keep(self._grant())

    def _grant(self) -> IssuedToken:
        raise NotImplementedError

    def _refresh(self, refresh_token: str) -> IssuedToken | None:
        raise NotImplementedError

    def _keep(self, issued: IssuedToken) -> IssuedToken:
        body = issued.body
        refresh = body.get("refresh_token") or body.get("refreshToken")
        self._refresh_token = refresh if isinstance(refresh, str) and refresh else None
        id_token = body.get("id_token")
        self.tenant_id = (
            tenant_of(id_token if isinstance(id_token, str) else None, issued.access_token)
            or self.tenant_id
        )
        return issued

    def _rejected(self, response: httpx.Response, url: str) -> AuthError:
        detail = error_from_response("POST", response, self.secrets()).message
        return AuthError(
            response.status_code,
            "POST",
            url,
            f"{self.label} was rejected: {detail} (check the key is active and, for the "
            "password grant, CXONE_CLIENT_ID/CXONE_CLIENT_SECRET of the registered app)",
            code="invalid_grant",
        )

    def _answer(self, response: httpx.Response, url: str) -> IssuedToken:
        if response.status_code in (400, 401, 403):
            raise self._rejected(response, url)
        return self.token_body(_normalised(response), url)


class PasswordGrantAuth(_AccessKeyTokens):
    """The OAuth2 password grant at `token_url` (from the issuer's openid document)."""

    def __init__(self, token_url: str, key: AccessKey, **kwargs: Any) -> None:
        super().__init__(key, **kwargs)
        self.token_url = token_url

    def _app(self) -> dict[str, str]:
        app = {}
        if self.key.client_id:
            app["client_id"] = self.key.client_id
        if self.key.client_secret:
            app["client_secret"] = self.key.client_secret
        return app

    def _grant(self) -> IssuedToken:
        form = {
            "grant_type": "password",
            "username": self.key.access_key_id,
            "password": self.key.access_key_secret,
            **self._app(),
        }
        return self._answer(self.post_token_request(self.token_url, data=form), self.token_url)

    def _refresh(self, refresh_token: str) -> IssuedToken | None:
        form = {"grant_type": "refresh_token", "refresh_token": refresh_token, **self._app()}
        response = self.post_token_request(self.token_url, data=form)
        if response.status_code in (400, 401):
            return None
        return self.token_body(_normalised(response), self.token_url)


class AccessKeyAuth(_AccessKeyTokens):
    """The access-key endpoint (no app registration), refreshed at `refresh_url`."""

    def __init__(self, token_url: str, refresh_url: str, key: AccessKey, **kwargs: Any) -> None:
        super().__init__(key, **kwargs)
        self.token_url = token_url
        self.refresh_url = refresh_url

    def _grant(self) -> IssuedToken:
        body = {
            "accessKeyId": self.key.access_key_id,
            "accessKeySecret": self.key.access_key_secret,
        }
        return self._answer(self.post_token_request(self.token_url, json=body), self.token_url)

    def _refresh(self, refresh_token: str) -> IssuedToken | None:
        response = self.post_token_request(self.refresh_url, json={"token": refresh_token})
        if response.status_code in (400, 401):
            return None
        return self.token_body(_normalised(response), self.refresh_url)


def _normalised(response: httpx.Response) -> httpx.Response:
    """A token answer in CX-DE's refresh spelling (`token`, `refreshToken`) read as OAuth's.

    The refresh endpoint's answer is UNVERIFIED: CX-DE documents `{token, refreshToken,
    refreshTokenExpirationTimeSec}`, TAP-N reads `access_token`/`refresh_token`/`expires_in`.
    """
    if not response.is_success:
        return response
    try:
        body = response.json()
    except ValueError:
        return response
    if not isinstance(body, dict) or "access_token" in body or "token" not in body:
        return response
    body = {**body, "access_token": body["token"]}
    if "refreshToken" in body and "refresh_token" not in body:
        body["refresh_token"] = body["refreshToken"]
    return httpx.Response(response.status_code, json=body, request=response.request)
