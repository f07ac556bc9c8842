"""An independent NICE CXone platform-mode server: discovery, tokens, `contacts/completed`.

Written from docs/api-contract.md "# NICE CXone — platform mode" and VENDOR_APIS.md §6 only,
never from the project's client or emulator, so a client that works only against the emulator's
reading of the contract fails here. The readings that differ from the most literal one are the
`Quirks` switches (cxone_platform_quirks.py, all on by default, `Quirks.obvious()` all off).

Layout on one loopback port `<url>`: the issuer is `<url>/cxone-auth` (token endpoint
`<issuer>/oauth2/token`, found only through the openid document; access-key and refresh routes
under `<issuer>`), the API base is `<url>/api-{area}.{domain}` (area `eu1`, domain
`niceincontact.com`), i.e. the client's host template is `<url>/api-{area}.{domain}`.

Fixed readings where the text is silent: `startDate` needs `endDate` and the reverse (400 naming
the missing one); a query needs a window or `updatedSince`; `skip`/`top` must be decimal
integers; unknown query parameters are ignored; the stable order is `contactId` (which follows
`contactStart` within a day); a 400 body is `{"error": "invalid_request", "error_description"}`
naming the parameter; fractions of 1-6 digits are accepted before the literal `Z`; a contact
exists once its `lastUpdateTime` is not after "now" (`server.now`, else the real clock).
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Iterator
from dataclasses import astuple, dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from cx_assets_tests.independent.cxone_platform_auth import Auth, oauth_error
from cx_assets_tests.independent.cxone_platform_data import Contact, day_contacts, iso
from cx_assets_tests.independent.cxone_platform_query import BadRequest, Query, parse_query
from cx_assets_tests.independent.cxone_platform_quirks import Quirks
from cx_assets_tests.independent.loopback import serve_app

__all__ = ["CxonePlatformServer", "Quirks", "RunningCxone", "serve"]

Json = dict[str, Any]
ISSUER_PATH = "/cxone-auth"
CONTACTS = "/{api_host}/inContactAPI/services/{version}/contacts/completed"
VERSION = re.compile(r"v(\d+)\.0")


class CxonePlatformServer:
    """State and Starlette `app` of one server; tests flip its attributes between calls."""

    def __init__(self, quirks: Quirks | None = None) -> None:
        self.auth = Auth(quirks or Quirks())
        self.base_url = ""  # `http://127.0.0.1:<port>`, set by `serve`
        self.area, self.domain = "eu1", "niceincontact.com"
        self.contacts_per_day, self.missing_every, self.seed = 30, 10, 11
        self.versions = range(21, 33)  # v21.0 … v32.0
        self.max_top, self.max_window_days, self.max_updated_since_days = 10_000, 31, 30
        self.rate_limit_per_minute, self.retry_after_s = 300, 1
        self.throttle_at, self.expire_at = 2, 3  # 1-based contacts request numbers
        self.now: datetime | None = None  # a fixed clock; None = the real one
        self.contacts_requests: list[Json] = []
        self.late: dict[int, datetime] = {}
        self._cache: dict[tuple[Any, ...], list[Contact]] = {}
        self._window: tuple[float, int] = (0.0, 0)
        issuer = ISSUER_PATH
        self.app = Starlette(
            routes=[
                Route(f"{issuer}/.well-known/openid-configuration", self._openid),
                Route(f"{issuer}/.well-known/cxone-configuration", self._cxone_config),
                Route(f"{issuer}/oauth2/token", self.auth.token, methods=["POST"]),
                Route(
                    f"{issuer}/authentication/v1/token/access-key",
                    self.auth.access_key,
                    methods=["POST"],
                ),
                Route(f"{issuer}/public/user/refresh", self.auth.user_refresh, methods=["POST"]),
                Route(CONTACTS, self._contacts),
            ]
        )

    # ---- handles for tests ----------------------------------------------------------------
    @property
    def quirks(self) -> Quirks:
        return self.auth.quirks

    @quirks.setter
    def quirks(self, value: Quirks) -> None:
        self.auth.quirks = value

    @property
    def issuer(self) -> str:
        return f"{self.base_url}{ISSUER_PATH}"

    @property
    def api_base(self) -> str:
        return f"{self.base_url}/api-{self.area}.{self.domain}"

    def clock(self) -> datetime:
        return self.now or datetime.now(UTC)

    def day(self, day: date) -> list[Contact]:
        """Every contact of `day` already written (`lastUpdateTime` ≤ now), late updates applied."""
        key = (day, self.contacts_per_day, self.seed, self.missing_every, astuple(self.quirks))
        if key not in self._cache:
            self._cache[key] = day_contacts(
                day, self.contacts_per_day, self.seed, self.missing_every, self.quirks
            )
        now = self.clock()
        return [u for c in self._cache[key] if (u := self._updated(c)).updated <= now]

    def expected_contacts(self, day: date) -> list[Json]:
        """The records a `[day, day+1)` window serves, in the server's order."""
        return [c.record for c in self.day(day)]

    def complete_contacts(self, day: date) -> list[Json]:
        return [c.record for c in self.day(day) if c.missing is None]

    def incomplete_contacts(self, day: date) -> list[Json]:
        """The records lacking (absent or null) one of the required fields."""
        return [c.record for c in self.day(day) if c.missing is not None]

    def late_update(self, day: date, count: int) -> list[int]:
        """Update the first `count` contacts of `day` now (new ACW, disposition, time)."""
        moment = self.clock().replace(microsecond=self.clock().microsecond // 1000 * 1000)
        ids = [c.contact_id for c in self.day(day)[:count]]
        self.late |= dict.fromkeys(ids, moment)
        return ids

    # ---- discovery ------------------------------------------------------------------------
    async def _openid(self, request: Request) -> Response:
        self.auth.requests["openid"] += 1
        body: Json = {"token_endpoint": f"{self.issuer}/oauth2/token"}
        if self.quirks.extra_fields:
            body |= {"issuer": self.issuer, "jwks_uri": f"{self.issuer}/jwks"}
            body |= {"authorization_endpoint": f"{self.issuer}/oauth2/authorize"}
            body |= {"grant_types_supported": ["password", "refresh_token"]}
            body |= {"id_token_signing_alg_values_supported": ["HS256"]}
        return JSONResponse(body)

    async def _cxone_config(self, request: Request) -> Response:
        self.auth.requests["cxone_configuration"] += 1
        tenant = request.query_params.get("tenantId")
        if not tenant:
            return oauth_error(400, "invalid_request", "tenantId is required")
        if tenant != self.auth.tenant_id:
            return oauth_error(404, "not_found", f"unknown tenant {tenant}")
        body: Json = {"tenantId": tenant, "domain": self.domain}
        if self.quirks.api_endpoint_only:
            body["api_endpoint"] = self.api_base
        else:
            body["area"] = self.area
        if self.quirks.extra_fields:
            body |= {"ui_endpoint": f"https://{self.area}.{self.domain}", "region": "EMEA"}
            body |= {"tenantName": "Independent Tenant", "schemaVersion": 2}
        return JSONResponse(body)

    # ---- contacts/completed ----------------------------------------------------------------
    async def _contacts(self, request: Request) -> Response:
        params = dict(request.query_params)
        log: Json = {k: params.get(k) for k in ("startDate", "endDate", "updatedSince")}
        log |= {"skip": params.get("skip"), "top": params.get("top"), "records": 0}
        self.contacts_requests.append(log)
        response = self._answer(request, params, log)
        log["status"] = response.status_code
        return response

    def _answer(self, request: Request, params: dict[str, str], log: Json) -> Response:
        path = request.path_params
        number = VERSION.fullmatch(path["version"])
        if path["api_host"] != f"api-{self.area}.{self.domain}" or not (
            number and int(number.group(1)) in self.versions
        ):
            return JSONResponse({"error": "not_found"}, status_code=404)
        token, why = self.auth.check(request.headers.get("authorization", ""))
        if token is None:
            return oauth_error(401, "invalid_token", why)
        count = len(self.contacts_requests)
        if self.quirks.expire_token_once and count == self.expire_at:
            self.auth.expire(token)
            return oauth_error(401, "invalid_token", "token expired")
        if throttled := self._throttle(count):
            return throttled
        try:
            query = parse_query(
                params,
                self.clock(),
                self.max_top,
                timedelta(days=self.max_window_days),
                timedelta(days=self.max_updated_since_days),
            )
        except BadRequest as exc:
            return oauth_error(400, "invalid_request", str(exc))
        found = self._select(query)
        skip, top = query.skip, query.top
        page = found[skip : skip + top]
        log["records"] = len(page)
        if not page:
            return Response(status_code=204)
        body: Json = {"completedContacts": [c.record for c in page]}
        if not self.quirks.no_total_records:
            body["totalRecords"] = len(found)
        if self.quirks.hal_links:
            body["businessUnitId"] = 4_600_000
            body["_links"] = self._links(request, params, skip, top, len(found))
        if self.quirks.extra_fields:
            body["xIndependentPage"] = {"skip": skip, "served": len(page)}
        return JSONResponse(body)

    def _throttle(self, count: int) -> Response | None:
        now = time.monotonic()
        began, used = self._window
        began, used = (now, 1) if now - began >= 60 else (began, used + 1)
        self._window = (began, used)
        once = self.quirks.throttle_once and count == self.throttle_at
        if not once and used <= self.rate_limit_per_minute:
            return None
        wait = self.retry_after_s if once else max(1, int(60 - (now - began)) + 1)
        response = oauth_error(429, "too_many_requests", f"retry in {wait} s")
        response.headers["Retry-After"] = str(wait)
        return response

    def _select(self, query: Query) -> list[Contact]:
        """The matching contacts in the stable order; only the days that can hold them."""
        if query.start is not None and query.end is not None:
            first, last = query.start.date(), (query.end - timedelta(microseconds=1)).date()
        else:
            since = query.since or self.clock()
            first, last = since.date() - timedelta(days=1), self.clock().date()
            first = min([first, *(date.fromordinal(_day_of(i)) for i in self.late)])
        found: list[Contact] = []
        while first <= last:
            found += [c for c in self.day(first) if query.keeps(c)]
            first += timedelta(days=1)
        return sorted(found, key=lambda c: c.contact_id)

    def _updated(self, contact: Contact) -> Contact:
        moment = self.late.get(contact.contact_id)
        if moment is None:
            return contact
        record = dict(contact.record)
        record["ACWSeconds"] = (record.get("ACWSeconds") or 0) + 30
        record["primaryDispositionId"] = 99
        if "lastUpdateTime" in record:
            record["lastUpdateTime"] = iso(moment)
        return Contact(**{**contact.__dict__, "updated": moment, "record": record})

    def _links(self, request: Request, params: dict[str, str], skip: int, top: int, n: int) -> Json:
        def href(at: int) -> str:
            return f"{request.url.replace(query='')}?{urlencode(params | {'skip': at})}"

        links: Json = {"self": {"href": href(skip)}}
        if skip + top < n:
            links["next"] = {"href": href(skip + top)}
        return links


def _day_of(contact_id: int) -> int:
    """The ordinal of the day a generated contact id belongs to."""
    return date(2000, 1, 1).toordinal() + (contact_id - 700_000_000_000) // 100_000


@dataclass
class RunningCxone:
    """What a test gets: where the server listens, what to configure a client with, handles."""

    url: str
    server: CxonePlatformServer

    @property
    def issuer(self) -> str:
        return self.server.issuer

    @property
    def api_host_template(self) -> str:
        """`CXONE_API_HOST_TEMPLATE` for a client: `<url>/api-{area}.{domain}`."""
        return f"{self.url}/api-{{area}}.{{domain}}"

    @property
    def api_base(self) -> str:
        return self.server.api_base

    @property
    def auth(self) -> Auth:
        return self.server.auth

    @property
    def quirks(self) -> Quirks:
        return self.server.quirks


@contextlib.contextmanager
def serve(server: CxonePlatformServer | None = None) -> Iterator[RunningCxone]:
    """Run `server` under uvicorn on a free loopback port in a background thread."""
    server = server or CxonePlatformServer()
    with serve_app(server.app, "the independent CXone server") as url:
        server.base_url = url
        server.auth.issuer = server.issuer
        yield RunningCxone(server.base_url, server)
