"""`GET {api}/inContactAPI/services/vNN.0/contacts/completed`: the Reporting API's contacts.

Every call needs a live bearer token (401 `invalid_token` otherwise, or when the
`cxone_token_expired` fault fires) and fits the tenant's budget (429 + `Retry-After`). A page
is built off the event loop from the query's index ranges (selection.py), so its cost does not
depend on `skip`; 204 when nothing is left. `drop_connection` cuts a page half-way.
"""

from __future__ import annotations

import json
import time
from typing import Any

import anyio
from starlette.datastructures import URL
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cx_assets.emulator.cxone.platform import query as contacts_query
from cx_assets.emulator.cxone.platform import selection
from cx_assets.emulator.cxone.platform.catalog import API_HOST, BUSINESS_UNIT_ID
from cx_assets.emulator.cxone.platform.service import PlatformService
from cx_assets.emulator.cxone.platform.tokens import TokenRefused
from cx_assets.emulator.cxone.platform.wire import context, error, service
from cx_assets.emulator.genesys.conversations.platform import PageBody

PATH = "/{api_host}/inContactAPI/services/{version}/contacts/completed"
VERSIONS = frozenset(f"v{n}.0" for n in range(21, 33))


def _authorize(request: Request, platform: PlatformService) -> Response | None:
    """None when the call may proceed, else the 401/429 answer."""
    kind, _, token = request.headers.get("authorization", "").partition(" ")
    bearer = 'Bearer error="invalid_token"'
    try:
        if kind.lower() != "bearer" or not token.strip():
            raise TokenRefused(401, "invalid_token", "a bearer access token is required")
        tenant = platform.tokens.tenant(token.strip())
        if context(request).faults.take("cxone_token_expired", request.url.path) is not None:
            raise TokenRefused(401, "invalid_token", "the access token has expired")
    except TokenRefused as exc:
        return error(exc.status, exc.error, exc.description, {"WWW-Authenticate": bearer})
    verdict = platform.limiter.hit(tenant)
    if not verdict.allowed:
        return error(
            429,
            "too_many_requests",
            f"more than {verdict.budget} requests in this window; retry in {verdict.reset_s} s",
            {"Retry-After": str(verdict.reset_s)},
        )
    return None


def _body(
    platform: PlatformService, parsed: contacts_query.Request, now_ms: int, self_url: URL
) -> tuple[bytes, int] | None:
    """The 200 body and its record count, or None for 204; runs on a worker thread."""
    chosen = platform.selector.select(parsed.query, now_ms)
    total = selection.count(chosen)
    if parsed.skip >= total:
        return None
    gen = platform.generator
    records = [
        gen.record(s.day, gen.shape(s.day, i), s.updates.get(i))
        for s, i in selection.page(chosen, parsed.skip, parsed.top)
    ]
    following = parsed.skip + len(records)
    next_url = str(self_url.include_query_params(skip=following)) if following < total else None
    body = {
        "businessUnitId": BUSINESS_UNIT_ID,
        "completedContacts": records,
        "totalRecords": total,
        "_links": {"self": str(self_url), "next": next_url},
    }
    return json.dumps(body, separators=(",", ":")).encode(), len(records)


async def completed_contacts(request: Request) -> Response | PageBody:
    platform, params = service(request), request.query_params
    entry: dict[str, Any] = {
        name: params.get(name) for name in ("startDate", "endDate", "updatedSince", "skip", "top")
    }
    entry.update(status=500, records=0)
    try:
        return await _answer(request, platform, entry)
    finally:
        platform.log_request(entry)


async def _answer(
    request: Request, platform: PlatformService, entry: dict[str, Any]
) -> Response | PageBody:
    """The answer; notes its status and record count in `entry` (the stats line)."""
    if (refusal := _authorize(request, platform)) is not None:
        entry["status"] = refusal.status_code
        return refusal
    version, host = request.path_params["version"], request.path_params["api_host"]
    if version not in VERSIONS or host != API_HOST:
        entry["status"] = 404
        what = f"API version {version}" if version not in VERSIONS else f"API host {host}"
        served = f"v21.0 … v32.0 on {API_HOST}"
        return error(404, "not_found", f"{what} is not served here (served: {served})")
    now_ms = int(time.time() * 1000)
    try:
        parsed = contacts_query.parse(request.query_params, platform.config, now_ms)
    except contacts_query.BadParameter as exc:
        entry["status"] = 400
        return error(400, "invalid_request", exc.message)
    built = await anyio.to_thread.run_sync(_body, platform, parsed, now_ms, request.url)
    if built is None:
        entry["status"] = 204
        return Response(status_code=204)
    entry["status"], entry["records"] = 200, built[1]
    drop = context(request).faults.take("drop_connection", request.url.path) is not None
    return PageBody(built[0], drop)


ROUTES = (Route(PATH, completed_contacts, methods=["GET"]),)
