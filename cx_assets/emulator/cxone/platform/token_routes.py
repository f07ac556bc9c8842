"""The three ways to a CXone platform token: OAuth `/auth/token` (password and refresh grants),
the Data Extraction docs' access-key endpoint, and its `/public/user/refresh`."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from cx_assets.emulator.auth import _basic_credentials
from cx_assets.emulator.cxone.platform.discovery import TOKEN_PATH
from cx_assets.emulator.cxone.platform.tokens import (
    ACCESS_KEY,
    APP,
    Issued,
    TokenRefused,
    matches,
)
from cx_assets.emulator.cxone.platform.wire import error, fields, issuer, service

ACCESS_KEY_PATH = "/authentication/v1/token/access-key"
USER_REFRESH_PATH = "/public/user/refresh"
#: The audience of tokens from the access-key endpoint (no app is involved there).
ACCESS_KEY_AUDIENCE = "access-key"
NO_STORE = {"Cache-Control": "no-store"}


def _oauth_body(issued: Issued) -> dict[str, object]:
    return {
        "access_token": issued.access_token,
        "token_type": "Bearer",
        "expires_in": issued.expires_in,
        "refresh_token": issued.refresh_token,
        "refresh_token_expires_in": issued.refresh_expires_in,
        "id_token": issued.id_token,
        "issued_token_type": "urn:ietf:params:oauth:token-type:access_token",
    }


def _refused(exc: TokenRefused) -> JSONResponse:
    headers = {"WWW-Authenticate": "Basic"} if exc.error == "invalid_client" else None
    return error(exc.status, exc.error, exc.description, headers)


def _check_app(request: Request, form: dict[str, str]) -> str:
    """The registered app's client id, from HTTP Basic or form fields; else 401 invalid_client."""
    creds = _basic_credentials(request.headers.get("authorization", ""))
    if creds is None:
        creds = (form.get("client_id", ""), form.get("client_secret", ""))
    if not matches(creds, APP):
        raise TokenRefused(401, "invalid_client", "client_id or client_secret is wrong")
    return creds[0]


async def token(request: Request) -> Response:
    """`POST /auth/token`: `grant_type=password` (access key as username/password) or refresh."""
    platform, form = service(request), await fields(request)
    grant = form.get("grant_type")
    try:
        if grant not in ("password", "refresh_token"):
            raise TokenRefused(
                400, "unsupported_grant_type", "grant_type must be password or refresh_token"
            )
        client_id = _check_app(request, form)
        if grant == "password":
            if not matches((form.get("username"), form.get("password")), ACCESS_KEY):
                raise TokenRefused(
                    401, "invalid_grant", "username/password (access key id/secret) is wrong"
                )
        else:
            platform.tokens.redeem(form.get("refresh_token"))
    except TokenRefused as exc:
        return _refused(exc)
    issued = platform.tokens.issue(issuer(request), client_id)
    platform.count_issued(grant)
    return JSONResponse(_oauth_body(issued), headers=NO_STORE)


async def access_key_token(request: Request) -> Response:
    """`POST /authentication/v1/token/access-key` `{accessKeyId, accessKeySecret}` (JSON, form)."""
    platform, body = service(request), await fields(request)
    if not matches((body.get("accessKeyId"), body.get("accessKeySecret")), ACCESS_KEY):
        return error(401, "invalid_grant", "accessKeyId or accessKeySecret is wrong")
    issued = platform.tokens.issue(issuer(request), ACCESS_KEY_AUDIENCE)
    platform.count_issued("access_key")
    return JSONResponse(_oauth_body(issued), headers=NO_STORE)


async def user_refresh(request: Request) -> Response:
    """`POST /public/user/refresh` `{token}`: both spellings, CX-DE's and TAP-N's, in one body."""
    platform, body = service(request), await fields(request)
    try:
        audience = platform.tokens.redeem(body.get("token") or body.get("refresh_token"))
    except TokenRefused as exc:
        return _refused(exc)
    issued = platform.tokens.issue(issuer(request), audience)
    platform.count_issued("user_refresh")
    return JSONResponse(
        {
            "token": issued.access_token,
            "refreshToken": issued.refresh_token,
            "refreshTokenExpirationTimeSec": issued.refresh_expires_in,
            **_oauth_body(issued),
        },
        headers=NO_STORE,
    )


ROUTES = (
    Route(TOKEN_PATH, token, methods=["POST"]),
    Route(ACCESS_KEY_PATH, access_key_token, methods=["POST"]),
    Route(USER_REFRESH_PATH, user_refresh, methods=["POST"]),
)
