"""`ApiClient`: the pooled, retried, paced, authenticated HTTP client every vendor client uses.

Sync httpx: one `httpx.Client` is thread-safe, so file downloads share it from a thread pool.
API calls are retried by the one policy in `retry.py`; presigned file downloads are a single
attempt without credentials, because the caller retries a whole file (and re-verifies it).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from cx_assets.http.auth import CachedTokenAuth
from cx_assets.http.errors import error_from_exception, error_from_response
from cx_assets.http.pacing import RateLimitPacer
from cx_assets.http.redact import redact, redact_url
from cx_assets.http.retry import RetrySettings, call_with_retry
from cx_assets.http.stats import RequestStats

log = logging.getLogger(__name__)


class _RedactHttpxRecords(logging.Filter):
    """httpx logs each request line, presigned signatures included: redact it before handlers."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        return True


logging.getLogger("httpx").addFilter(_RedactHttpxRecords())

DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=10.0)
DEFAULT_LIMITS = httpx.Limits(max_connections=16, max_keepalive_connections=16)


class ApiClient:
    """Calls one API base URL; raises `ApiError` (redacted) for anything but a 2xx."""

    def __init__(
        self,
        base_url: str,
        *,
        auth: httpx.Auth | None,
        retry: RetrySettings | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        stats: RequestStats | None = None,
        pacer: RateLimitPacer | None = None,
        user_agent: str = "cx-assets/0.1",
        limits: httpx.Limits = DEFAULT_LIMITS,
        sleep: Callable[[float], None] = time.sleep,
        on_response: Callable[[httpx.Response], None] | None = None,
    ) -> None:
        """`pacer=None` gives a default pacer: it never waits unless responses carry
        rate-limit headers, so it is always safe. `sleep` is injectable for tests.
        `on_response` sees every API response (retries included) as it arrives, e.g. for a
        benchmark's timeline of statuses and rate-limit headers."""
        self.base_url = base_url.rstrip("/")
        self._origin = _origin(self.base_url)
        self.auth = auth
        self.retry = retry or RetrySettings()
        self.stats = stats or getattr(auth, "stats", None) or RequestStats()
        if isinstance(auth, CachedTokenAuth):
            auth.stats = self.stats  # token calls show up in the same counters
        self.pacer = pacer or RateLimitPacer()
        self._sleep = sleep
        self._on_response = on_response
        self._http = httpx.Client(
            base_url=self.base_url,
            timeout=timeout,
            limits=limits,
            http2=False,
            headers={"User-Agent": user_agent, "Accept": "application/json"},
            event_hooks={"request": [self._count_request]},
        )

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()
        if isinstance(self.auth, CachedTokenAuth):
            self.auth.close()

    # -- API calls -------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        resend_on_timeout: bool = True,
        resend_on_server_error: bool = True,
    ) -> httpx.Response:
        """Send with retries; the read 2xx response, or an `ApiError` subclass.

        `resend_on_timeout=False`: a POST whose answer timed out is not sent again (for creates
        that must not run twice); the caller gets an `ApiError` with status None.
        `resend_on_server_error=False`: a 5xx is not sent again either (only a 429 is)."""
        method = method.upper()
        url = self._resolve(path)

        def send() -> httpx.Response:
            self._pace()
            try:
                response = self._http.request(
                    method, url, params=params, json=json, headers=headers, auth=self.auth
                )
            except httpx.TransportError:
                self.stats.add("connection_errors")
                raise
            self._observe(response)
            return response

        response = call_with_retry(
            send,
            method=method,
            url=url if url.lower().startswith("http") else self.base_url + url,
            settings=self.retry,
            stats=self.stats,
            secrets=self._secrets,
            sleep=self._sleep,  # call_with_retry counts its own waits
            resend_on_timeout=resend_on_timeout,
            resend_on_server_error=resend_on_server_error,
        )
        if response.is_success:
            return response
        refreshed = response.status_code == 401 and isinstance(self.auth, CachedTokenAuth)
        note = " (after a token refresh)" if refreshed else ""
        raise error_from_response(method, response, self._secrets(), note)

    def get_json(self, path: str, **kwargs: Any) -> Any:
        return _json_or_none(self.request("GET", path, **kwargs))

    def post_json(self, path: str, json: Any, **kwargs: Any) -> Any:
        return _json_or_none(self.request("POST", path, json=json, **kwargs))

    # -- presigned downloads ---------------------------------------------------------------

    @contextmanager
    def stream_download(self, url: str, *, authenticated: bool = False) -> Iterator[httpx.Response]:
        """A streaming GET of an absolute (presigned) URL: no credentials, one attempt.

        `authenticated=True` sends the bearer token, and only to the API's own origin (a URL
        elsewhere is refused). Non-2xx raises `ApiError` naming the URL without its signature;
        transport errors while opening raise `ApiError` with status None; errors while the
        caller reads the body propagate as httpx errors. The caller retries the whole file.
        """
        if not url.lower().startswith(("http://", "https://")):
            raise ValueError(f"stream_download needs an absolute URL, got {redact_url(url)!r}")
        if authenticated:
            self._resolve(url)  # same origin, or ValueError
        request = self._http.build_request("GET", url)
        try:
            response = self._http.send(
                request, stream=True, auth=self.auth if authenticated else None
            )
        except httpx.TransportError as exc:
            self.stats.add("connection_errors")
            raise error_from_exception("GET", url, exc, self._secrets()) from None
        try:
            if not response.is_success:
                with suppress(httpx.TransportError):
                    response.read()
                raise error_from_response("GET", response, self._secrets())
            try:
                yield response
            except httpx.TransportError:
                self.stats.add("connection_errors")
                raise
        finally:
            response.close()
            self._count_response(response)

    def put_presigned(
        self,
        url: str,
        body: Path | bytes,
        headers: Mapping[str, str],
        *,
        timeout: float | None = None,
    ) -> httpx.Response:
        """PUT `body` to an absolute presigned upload URL: no credentials, one attempt.

        `headers` go as given (a presigned upload signs them; the caller copies them from the
        job). A file is streamed with an explicit Content-Length (object stores refuse chunked
        uploads). Non-2xx raises `ApiError` naming the URL without its signature; no answer
        raises `ApiError` with status None. The caller decides whether to upload again.
        """
        if not url.lower().startswith(("http://", "https://")):
            raise ValueError(f"put_presigned needs an absolute URL, got {redact_url(url)!r}")
        sent = dict(headers)
        content: bytes | Iterator[bytes]
        if isinstance(body, bytes):
            content = body
        else:
            sent = {k: v for k, v in sent.items() if k.lower() != "content-length"}
            sent["Content-Length"] = str(body.stat().st_size)
            content = _file_chunks(body)
        request = self._http.build_request(
            "PUT",
            url,
            content=content,
            headers=sent,
            timeout=httpx.USE_CLIENT_DEFAULT if timeout is None else timeout,
        )
        try:
            response = self._http.send(request, auth=None)
        except httpx.TransportError as exc:
            self.stats.add("connection_errors")
            raise error_from_exception("PUT", url, exc, self._secrets()) from None
        self._count_response(response)
        if not response.is_success:
            raise error_from_response("PUT", response, self._secrets())
        return response

    # -- internals -------------------------------------------------------------------------

    def same_origin(self, url: str) -> bool:
        """True when `url` is on the API's own origin (where the bearer token may go)."""
        return _origin(url) == self._origin

    def _resolve(self, path: str) -> str:
        """A path under the base URL. Absolute URLs (e.g. `nextUri`) must stay on the API's
        origin, so the bearer token is never sent to another host."""
        if path.lower().startswith(("http://", "https://")):
            if _origin(path) != self._origin:
                raise ValueError(
                    f"refusing to send credentials to {redact_url(path)!r}: not on {self.base_url}"
                )
            return path
        return path if path.startswith("/") else f"/{path}"

    def _secrets(self) -> tuple[str, ...]:
        secrets = getattr(self.auth, "secrets", None)
        return tuple(secrets()) if callable(secrets) else ()

    def _pace(self) -> None:
        delay = self.pacer.delay()
        if delay > 0:
            log.info("pacing: %.2f s before the next request to stay under the rate limit", delay)
            self._wait(delay)

    def _wait(self, seconds: float) -> None:
        self.stats.add("wait_seconds", seconds)
        self._sleep(seconds)

    def _observe(self, response: httpx.Response) -> None:
        self.pacer.observe(response.headers)
        self._count_response(response)
        if self._on_response is not None:
            self._on_response(response)

    def _count_response(self, response: httpx.Response) -> None:
        self.stats.record_response(response.status_code, response.num_bytes_downloaded)

    def _count_request(self, request: httpx.Request) -> None:
        self.stats.add("requests")


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return parts.scheme.lower(), (parts.hostname or "").lower(), parts.port


def _file_chunks(path: Path, size: int = 1024 * 1024) -> Iterator[bytes]:
    """`path` in 1 MiB reads, so an upload never holds the whole file in memory."""
    with open(path, "rb") as fh:
        while chunk := fh.read(size):
            yield chunk


def _json_or_none(response: httpx.Response) -> Any:
    return response.json() if response.content else None
