"""Bearer tokens as an `httpx.Auth`: one cached token shared by every thread.

`CachedTokenAuth` holds what every grant shares: the token is reused until shortly before it
expires, refreshed by one thread while the others wait, and refreshed once more when the API
answers 401 (revoked or expired early), after which the request is re-sent once. A grant
subclass only says how to ask for a token (`_request_token`). `ClientCredentialsAuth` is the
OAuth2 client-credentials grant (Genesys: `<login_url>/oauth/token`, HTTP Basic). Neither a
secret nor a token ever reaches a log line or an exception.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Generator, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import httpx

from cx_assets.http.errors import ApiError, AuthError, error_from_response
from cx_assets.http.redact import redact, redact_url
from cx_assets.http.retry import RetrySettings, call_with_retry
from cx_assets.http.stats import RequestStats

log = logging.getLogger(__name__)

DEFAULT_EXPIRES_IN_S = 3600.0


@dataclass(frozen=True)
class IssuedToken:
    """What a token endpoint answered: the token, its lifetime, and the whole (parsed) body."""

    access_token: str
    expires_in: float
    body: Mapping[str, Any]


class CachedTokenAuth(httpx.Auth):
    """Bearer auth with a cached, early-refreshed token; subclasses implement `_request_token`."""

    def __init__(
        self,
        *,
        refresh_margin_s: float = 60.0,
        retry: RetrySettings | None = None,
        timeout: float | httpx.Timeout = 30.0,
        stats: RequestStats | None = None,
        clock: Callable[[], float] = time.monotonic,
        http: httpx.Client | None = None,
    ) -> None:
        self.refresh_margin_s = refresh_margin_s
        self.retry = retry or RetrySettings(max_attempts=4, max_total_s=60.0)
        self.stats = stats or RequestStats()
        self._clock = clock
        # The login host differs from the API host on real platforms, so a client of its own.
        self._owns_http = http is None
        self._http = http or httpx.Client(timeout=timeout, http2=False)
        self._lock = threading.Lock()
        self._token: str | None = None
        self._refresh_at = 0.0
        self._issued: list[str] = []  # every token seen, so a late echo of one is still masked

    #: Who is asking, for log lines and errors (never a secret).
    label = "OAuth client"

    def _secret_values(self) -> tuple[str, ...]:
        """The grant's own secrets (client secret, access key secret, refresh token)."""
        return ()

    def _request_token(self) -> IssuedToken:
        raise NotImplementedError

    def secrets(self) -> tuple[str, ...]:
        """Values that must be masked in any text the transport produces."""
        return (*self._secret_values(), *self._issued)

    def token(self) -> str:
        """A valid access token; at most one thread fetches while the rest wait for it."""
        with self._lock:
            if self._token is None or self._clock() >= self._refresh_at:
                self._fetch_locked()
            assert self._token is not None
            return self._token

    def invalidate(self, token: str) -> None:
        """Forget `token` (the API rejected it) unless another thread already replaced it."""
        with self._lock:
            if self._token == token:
                self._token = None

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response]:
        token = self.token()
        request.headers["Authorization"] = f"Bearer {token}"
        response = yield request
        if response.status_code == 401:
            log.info("API answered 401 for %s; refreshing the token once", redact_url(request.url))
            self.invalidate(token)
            request.headers["Authorization"] = f"Bearer {self.token()}"
            yield request

    async def async_auth_flow(self, request: httpx.Request):  # type: ignore[override]
        raise NotImplementedError(f"{type(self).__name__} is for the sync httpx.Client")

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def post_token_request(
        self,
        url: str,
        *,
        data: Mapping[str, str] | None = None,
        json: Any = None,
        basic: tuple[str, str] | None = None,
    ) -> httpx.Response:
        """POST to a token endpoint with the shared retry policy; the final response, any status."""

        def send() -> httpx.Response:
            self.stats.add("token_requests")
            try:
                response = self._http.post(url, data=data, json=json, auth=basic)
            except httpx.TransportError:
                self.stats.add("connection_errors")
                raise
            self.stats.record_response(response.status_code, response.num_bytes_downloaded)
            return response

        retry, stats = self.retry, self.stats
        return call_with_retry(
            send, method="POST", url=url, settings=retry, stats=stats, secrets=self.secrets
        )

    def token_body(self, response: httpx.Response, url: str) -> IssuedToken:
        """The `access_token`/`expires_in` of a 2xx token answer, or an `ApiError` naming it."""
        if not response.is_success:
            raise error_from_response("POST", response, self.secrets())
        try:
            body = response.json()
            token = body["access_token"]
            expires_in = float(body.get("expires_in") or DEFAULT_EXPIRES_IN_S)
        except (ValueError, KeyError, TypeError, AttributeError):
            raise ApiError(
                response.status_code,
                "POST",
                url,
                redact("token response has no usable access_token/expires_in", self.secrets()),
            ) from None
        if not isinstance(token, str) or not token:
            raise ApiError(response.status_code, "POST", url, "empty access_token")
        return IssuedToken(token, expires_in, body)

    def _fetch_locked(self) -> None:
        issued = self._request_token()
        # A short-lived token (tests, some IdPs) is still used for half its life.
        margin = min(self.refresh_margin_s, issued.expires_in / 2)
        self._token = issued.access_token
        self._issued.append(issued.access_token)
        del self._issued[:-8]
        self._refresh_at = self._clock() + issued.expires_in - margin
        log.info(
            "fetched an access token for %s (expires in %.0f s)", self.label, issued.expires_in
        )


class ClientCredentialsAuth(CachedTokenAuth):
    """Bearer auth for API calls, backed by the client-credentials grant."""

    def __init__(
        self,
        token_url: str,
        client_id: str,
        client_secret: str,
        *,
        scopes: Iterable[str] = (),
        refresh_margin_s: float = 60.0,
        retry: RetrySettings | None = None,
        timeout: float | httpx.Timeout = 30.0,
        stats: RequestStats | None = None,
        clock: Callable[[], float] = time.monotonic,
        http: httpx.Client | None = None,
        credentials_in: Literal["basic", "form"] = "basic",
    ) -> None:
        """`credentials_in`: how the token endpoint wants the client id and secret — HTTP Basic
        (Genesys; RFC 6749's preferred way) or `client_id`/`client_secret` form fields (CXone)."""
        if not client_id or not client_secret:
            raise ValueError("client_id and client_secret are required for client credentials")
        super().__init__(
            refresh_margin_s=refresh_margin_s,
            retry=retry,
            timeout=timeout,
            stats=stats,
            clock=clock,
            http=http,
        )
        self.token_url = token_url
        self.client_id = client_id
        self._client_secret = client_secret
        self.scopes = tuple(scopes)
        self.credentials_in = credentials_in
        self.label = f"client {client_id!r}"

    def __repr__(self) -> str:
        return f"ClientCredentialsAuth(client_id={self.client_id!r}, token_url={self.token_url!r})"

    def _secret_values(self) -> tuple[str, ...]:
        return (self._client_secret,)

    def _request_token(self) -> IssuedToken:
        form = {"grant_type": "client_credentials"}
        if self.scopes:
            form["scope"] = " ".join(self.scopes)
        basic: tuple[str, str] | None = (self.client_id, self._client_secret)
        if self.credentials_in == "form":
            form.update(client_id=self.client_id, client_secret=self._client_secret)
            basic = None
        response = self.post_token_request(self.token_url, data=form, basic=basic)
        if response.status_code == 401:
            detail = error_from_response("POST", response, self.secrets()).message
            raise AuthError(
                401,
                "POST",
                self.token_url,
                f"OAuth client {self.client_id!r} was rejected: {detail}",
                code="invalid_client",
            )
        return self.token_body(response, self.token_url)
