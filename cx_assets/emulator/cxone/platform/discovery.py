"""The two discovery documents a CXone client reads before it can log in (no auth)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from cx_assets.emulator.cxone.platform.catalog import AREA, DOMAIN, TENANT_ID
from cx_assets.emulator.cxone.platform.wire import error, issuer

TOKEN_PATH = "/auth/token"


async def openid_configuration(request: Request) -> Response:
    """OpenID provider metadata: the client needs only `token_endpoint`."""
    base = issuer(request)
    return JSONResponse(
        {
            "issuer": base,
            "token_endpoint": base + TOKEN_PATH,
            "authorization_endpoint": base + "/auth/authorize",
            "grant_types_supported": ["password", "refresh_token", "authorization_code"],
            "response_types_supported": ["code", "token", "id_token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["HS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
            "claims_supported": ["iss", "sub", "aud", "iat", "exp", "tenantId", "name"],
        }
    )


async def cxone_configuration(request: Request) -> Response:
    """The tenant's API area and domain; 400 without `tenantId`, 404 for another tenant."""
    tenant = request.query_params.get("tenantId")
    if not tenant:
        return error(400, "invalid_request", "the tenantId query parameter is required")
    if tenant != TENANT_ID:
        return error(404, "not_found", f"no tenant {tenant!r}")
    return JSONResponse({"tenantId": tenant, "area": AREA, "domain": DOMAIN})


ROUTES = (
    Route("/.well-known/openid-configuration", openid_configuration, methods=["GET"]),
    Route("/.well-known/cxone-configuration", cxone_configuration, methods=["GET"]),
)
