"""OAuth2 client credentials as an `httpx.Auth`: one cached token shared by every thread.

The token is fetched from `<login_url>/oauth/token` (HTTP Basic, `grant_type=client_credentials`),
reused until shortly before it expires, refreshed by one thread while the others wait, and
refreshed once more when the API answers 401 (revoked or expired early), after which the request
is re-sent once. Neither the secret nor the token ever reaches a log line or an exception.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Generator, Iterable
from typing import Literal

import httpx

from cx_assets.http.errors import ApiError, AuthError, error_from_response
from cx_assets.http.redact import redact, redact_url
from cx_assets.http.retry import RetrySettings, call_with_retry
from cx_assets.http.stats import RequestStats

log = logging.getLogger(__name__)

DEFAULT_EXPIRES_IN_S = 3600.0


class ClientCredentialsAuth(httpx.Auth):
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
        self.token_url = token_url
        self.client_id = client_id
        self._client_secret = client_secret
        self.scopes = tuple(scopes)
        self.refresh_margin_s = refresh_margin_s
        self.credentials_in = credentials_in
        self.retry = retry or RetrySettings(max_attempts=4, max_total_s=60.0)
        self.stats = stats or RequestStats()
        self._clock = clock
        # The login host differs from the API host on real Genesys, so a client of its own.
        self._owns_http = http is None
        self._http = http or httpx.Client(timeout=timeout, http2=False)
        self._lock = threading.Lock()
        self._token: str | None = None
        self._refresh_at = 0.0
        self._issued: list[str] = []  # every token seen, so a late echo of one is still masked

    def __repr__(self) -> str:
        return f"ClientCredentialsAuth(client_id={self.client_id!r}, token_url={self.token_url!r})"

    def secrets(self) -> tuple[str, ...]:
        """Values that must be masked in any text the transport produces."""
        return (self._client_secret, *self._issued)

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
        raise NotImplementedError("ClientCredentialsAuth is for the sync httpx.Client")

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def _fetch_locked(self) -> None:
        form = {"grant_type": "client_credentials"}
        if self.scopes:
            form["scope"] = " ".join(self.scopes)
        basic: tuple[str, str] | None = (self.client_id, self._client_secret)
        if self.credentials_in == "form":
            form.update(client_id=self.client_id, client_secret=self._client_secret)
            basic = None

        def send() -> httpx.Response:
            self.stats.add("token_requests")
            try:
                response = self._http.post(self.token_url, data=form, auth=basic)
            except httpx.TransportError:
                self.stats.add("connection_errors")
                raise
            self.stats.record_response(response.status_code, response.num_bytes_downloaded)
            return response

        response = call_with_retry(
            send,
            method="POST",
            url=self.token_url,
            settings=self.retry,
            stats=self.stats,
            secrets=self.secrets,
        )
        if response.status_code == 401:
            detail = error_from_response("POST", response, self.secrets()).message
            raise AuthError(
                401,
                "POST",
                self.token_url,
                f"OAuth client {self.client_id!r} was rejected: {detail}",
                code="invalid_client",
            )
        if not response.is_success:
            raise error_from_response("POST", response, self.secrets())
        try:
            body = response.json()
            token = body["access_token"]
            expires_in = float(body.get("expires_in") or DEFAULT_EXPIRES_IN_S)
        except (ValueError, KeyError, TypeError):
            raise ApiError(
                response.status_code,
                "POST",
                self.token_url,
                redact("token response has no usable access_token/expires_in", self.secrets()),
            ) from None
        if not isinstance(token, str) or not token:
            raise ApiError(response.status_code, "POST", self.token_url, "empty access_token")
        # A short-lived token (tests, some IdPs) is still used for half its life.
        margin = min(self.refresh_margin_s, expires_in / 2)
        self._token = token
        self._issued.append(token)
        del self._issued[:-8]
        self._refresh_at = self._clock() + expires_in - margin
        log.info(
            "fetched an access token for client %r (expires in %.0f s)", self.client_id, expires_in
        )
