"""OAuth client credentials: issue bearer tokens with scopes, check them on API calls.

Platform paths authorise like Genesys does, by the permissions of the client's role
(`client_permissions`; a client not named there has every permission), never by scope: a token
without the permission gets the 403 `missing.any.permissions` naming it.

Tokens live in memory only: after a restart every client sees 401 once and fetches a new token,
which is what a real tenant does after a key rotation.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from cx_assets.emulator.errors import ApiError

TOKEN_PATH = "/oauth/token"


@dataclass(frozen=True)
class Grant:
    """What a bearer token stands for."""

    client_id: str
    scopes: frozenset[str]
    expires_at: float
    #: The permissions of the client's role; None means every permission.
    permissions: frozenset[str] | None = None


class OAuthError(Exception):
    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description


class TokenStore:
    """Clients, their allowed scopes and the tokens issued to them. Thread-safe."""

    def __init__(
        self,
        clients: Mapping[str, str],
        client_scopes: Mapping[str, tuple[str, ...]],
        known_scopes: tuple[str, ...],
        ttl_s: int,
        client_permissions: Mapping[str, tuple[str, ...]] | None = None,
    ) -> None:
        self._clients = dict(clients)
        self._client_scopes = {k: frozenset(v) for k, v in client_scopes.items()}
        self._permissions = {k: frozenset(v) for k, v in (client_permissions or {}).items()}
        self.known_scopes = frozenset(known_scopes)
        self.ttl_s = ttl_s
        self._lock = threading.Lock()
        self._tokens: dict[str, Grant] = {}

    def allowed_scopes(self, client_id: str) -> frozenset[str]:
        return self._client_scopes.get(client_id, self.known_scopes)

    def issue(self, client_id: str, secret: str, scope: str | None) -> tuple[str, Grant]:
        expected = self._clients.get(client_id)
        if expected is None or not hmac.compare_digest(expected.encode(), secret.encode()):
            raise OAuthError(401, "invalid_client", "client id or secret is wrong")
        allowed = self.allowed_scopes(client_id)
        if scope is None or not scope.strip():
            granted = allowed
        else:
            requested = frozenset(scope.split())
            refused = sorted(requested - allowed)
            if refused:
                raise OAuthError(
                    400, "invalid_scope", f"scope not allowed for this client: {' '.join(refused)}"
                )
            granted = requested
        token = secrets.token_urlsafe(32)
        permissions = self._permissions.get(client_id)
        grant = Grant(client_id, granted, time.time() + self.ttl_s, permissions)
        with self._lock:
            self._tokens[token] = grant
        return token, grant

    def lookup(self, token: str) -> Grant | None:
        """The grant of a live token; None when unknown, expired or revoked."""
        with self._lock:
            grant = self._tokens.get(token)
            if grant is not None and grant.expires_at <= time.time():
                del self._tokens[token]
                grant = None
        return grant

    def revoke_all(self) -> int:
        with self._lock:
            count = len(self._tokens)
            self._tokens.clear()
        return count


def _basic_credentials(header: str) -> tuple[str, str] | None:
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic" or not value:
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, sep, secret = decoded.partition(":")
    return (client_id, secret) if sep else None


def _oauth_error(exc: OAuthError) -> JSONResponse:
    body = {
        "error": exc.error,
        "error_description": exc.description,
        "status": exc.status,
        "message": exc.description,
    }
    headers = {"WWW-Authenticate": "Basic"} if exc.status == 401 else None
    return JSONResponse(body, status_code=exc.status, headers=headers)


async def issue_token(
    request: Request,
    tokens: TokenStore,
    *,
    accept_basic: bool = True,
    missing: str = "client credentials are missing",
) -> Response:
    """A client-credentials token response from `tokens`, or the OAuth error body.

    Credentials come by HTTP Basic (when `accept_basic`) or form fields; `missing` is the 401
    description when neither carries them.
    """
    # The token endpoint only takes application/x-www-form-urlencoded: the stdlib parses it,
    # so Starlette's request.form() (which needs python-multipart) is not required.
    form = {k: v[-1] for k, v in parse_qs((await request.body()).decode("latin-1")).items()}
    try:
        if form.get("grant_type") != "client_credentials":
            raise OAuthError(400, "unsupported_grant_type", "grant_type must be client_credentials")
        basic = request.headers.get("authorization", "") if accept_basic else ""
        creds = _basic_credentials(basic)
        if creds is None:
            client_id, secret = form.get("client_id"), form.get("client_secret")
            if client_id is None or secret is None:
                raise OAuthError(401, "invalid_client", missing)
            creds = (client_id, secret)
        token, grant = tokens.issue(creds[0], creds[1], form.get("scope"))
    except OAuthError as exc:
        return _oauth_error(exc)
    return JSONResponse(
        {
            "access_token": token,
            "token_type": "bearer",
            "expires_in": tokens.ttl_s,
            "scope": " ".join(sorted(grant.scopes)),
        },
        headers={"Cache-Control": "no-store"},
    )


async def token_endpoint(request: Request) -> Response:
    """`POST /oauth/token`: client credentials by HTTP Basic or form fields."""
    return await issue_token(request, request.app.state.ctx.tokens)


def missing_permission_message(permission: str) -> str:
    return (
        "Unable to perform the requested action. You are missing the following permission(s): "
        f"[{permission}]"
    )


def require_permission(request: Request, *any_of: str) -> Grant:
    """The caller's grant, or 403 naming the (first) permission when its role has none of them."""
    grant: Grant | None = request.scope.get("cx.grant")
    if grant is None:
        raise ApiError(401, "a bearer token is required")
    if grant.permissions is not None and not grant.permissions.intersection(any_of):
        raise ApiError(403, missing_permission_message(any_of[0]), code="missing.any.permissions")
    return grant


def require_scope(request: Request, scope: str) -> Grant:
    """The caller's grant, or 403 naming the scope it lacks (the guard already checked 401)."""
    grant: Grant | None = request.scope.get("cx.grant")
    if grant is None:
        raise ApiError(401, "a bearer token is required")
    if scope not in grant.scopes:
        raise ApiError(403, f"this token lacks the scope {scope}", code="missing.scope")
    return grant
