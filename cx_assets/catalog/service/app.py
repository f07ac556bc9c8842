"""The read-only catalog HTTP service: which exports and datasets exist, and where their files are.

For downstream teams that do not open Dagster: `GET /catalog/routes` lists datasets and exports,
`GET /catalog/{export_id}` gives one export's record with files, checksums and a governance
hash, `GET /catalog/datasets/{name}` gives a dataset's schema, partitions, row counts and the
Parquet paths a query engine should read; `GET /openapi.json` describes all of it.

Every request opens its own read-only connection and closes it, so the service never keeps a
pipeline's catalog write waiting for longer than one request. An optional bearer token guards
every route (compared in constant time); `serve` refuses a non-loopback address without one.
"""

from __future__ import annotations

import datetime as dt
import hmac
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from cx_assets.catalog.connection import CatalogLockTimeout, connect
from cx_assets.catalog.service.datasets import dataset_record, list_datasets
from cx_assets.catalog.service.exports import export_record, list_exports
from cx_assets.catalog.service.filters import Filters
from cx_assets.catalog.service.openapi import openapi_spec

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8770
TOKEN_ENV = "CX_CATALOG_TOKEN"
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
#: How long one request waits for a pipeline's catalog write before answering 503.
REQUEST_LOCK_TIMEOUT_S = 10.0


def _error(status: int, error: str, detail: str) -> JSONResponse:
    return JSONResponse({"error": error, "detail": detail}, status_code=status)


def _date_param(request: Request, name: str) -> dt.date | None:
    text = request.query_params.get(name)
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise HTTPException(
            400, f"query parameter {name}={text!r} is not a date (YYYY-MM-DD)"
        ) from None


def _filters(request: Request) -> Filters:
    start, end = _date_param(request, "start"), _date_param(request, "end")
    if start and end and end < start:
        raise HTTPException(400, f"end {end} is before start {start}")
    return Filters(start=start, end=end, source=request.query_params.get("source") or None)


class CatalogService:
    """The Starlette app over one catalog file; `app` is what uvicorn serves."""

    def __init__(self, catalog_path: Path | str, *, token: str | None = None) -> None:
        self.catalog_path = Path(catalog_path)
        self.data_root = self.catalog_path.resolve().parent
        self._token = token or None
        self.app = Starlette(
            routes=[
                Route("/openapi.json", self._openapi, methods=["GET"]),
                Route("/catalog/routes", self._routes, methods=["GET"]),
                Route("/catalog/datasets/{name:str}", self._dataset, methods=["GET"]),
                Route("/catalog/{export_id:str}", self._export, methods=["GET"]),
            ],
            exception_handlers={HTTPException: self._http_error},
        )

    async def _http_error(self, request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, HTTPException)
        names = {400: "bad_request", 401: "unauthorized", 404: "not_found", 405: "not_allowed"}
        detail = (
            exc.detail
            if exc.status_code != 404 or exc.detail != "Not Found"
            else (f"no route {request.url.path}: see /openapi.json")
        )
        response = _error(exc.status_code, names.get(exc.status_code, "error"), str(detail))
        if exc.status_code == 401:
            response.headers["WWW-Authenticate"] = 'Bearer realm="cx-assets catalog"'
        return response

    def _authorise(self, request: Request) -> None:
        if self._token is None:
            return
        given = request.headers.get("authorization", "")
        scheme, _, value = given.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            value.strip().encode(), self._token.encode()
        ):
            raise HTTPException(401, "a valid bearer token is required (Authorization: Bearer …)")

    def _read(self, request: Request, work: Callable[[duckdb.DuckDBPyConnection], Any]) -> Any:
        self._authorise(request)
        if not self.catalog_path.exists():
            return _error(503, "catalog_unavailable", "no catalog yet: materialise a flow first")
        try:
            con = connect(self.catalog_path, read_only=True, timeout_s=REQUEST_LOCK_TIMEOUT_S)
        except CatalogLockTimeout:
            return _error(503, "catalog_busy", "the catalog is locked by a writer; retry shortly")
        try:
            return work(con)
        finally:
            con.close()

    def _openapi(self, request: Request) -> JSONResponse:
        self._authorise(request)
        return JSONResponse(openapi_spec(bearer=self._token is not None))

    def _routes(self, request: Request) -> Any:
        filters = _filters(request)

        def work(con: duckdb.DuckDBPyConnection) -> JSONResponse:
            return JSONResponse(
                {
                    "datasets": list_datasets(con, filters, self.data_root),
                    "exports": list_exports(con, filters),
                }
            )

        return self._read(request, work)

    def _dataset(self, request: Request) -> Any:
        name = request.path_params["name"]
        filters = _filters(request)

        def work(con: duckdb.DuckDBPyConnection) -> JSONResponse:
            record = dataset_record(con, name, filters, self.data_root)
            if record is None:
                return _error(404, "not_found", f"no dataset named {name!r}: see /catalog/routes")
            return JSONResponse(record)

        return self._read(request, work)

    def _export(self, request: Request) -> Any:
        export_id = request.path_params["export_id"]

        def work(con: duckdb.DuckDBPyConnection) -> JSONResponse:
            record = export_record(con, export_id, self.data_root)
            if record is None:
                return _error(404, "not_found", f"no export {export_id!r}: see /catalog/routes")
            return JSONResponse(record)

        return self._read(request, work)


def create_app(catalog_path: Path | str, *, token: str | None = None) -> Starlette:
    """The service's ASGI app over `catalog_path` (bearer `token` required when given)."""
    return CatalogService(catalog_path, token=token).app


def check_bind(host: str, token: str | None) -> None:
    """Refuse to serve beyond loopback without a token: the catalog maps the whole lake."""
    if host not in LOOPBACK_HOSTS and not token:
        raise ValueError(
            f"refusing to serve the catalog on {host} without a bearer token: set {TOKEN_ENV} "
            "or bind to 127.0.0.1"
        )


def serve(
    catalog_path: Path | str,
    *,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    token: str | None = None,
) -> None:
    """Serve until interrupted (uvicorn; access log off so nothing sensitive is printed)."""
    import uvicorn

    check_bind(host, token)
    uvicorn.run(create_app(catalog_path, token=token), host=host, port=port, access_log=False)
