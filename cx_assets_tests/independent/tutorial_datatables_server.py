"""An independent tutorial-mode Genesys data tables server: the table listing, schemas with
ETags (read and replace), rows paged by cursor with ETags, and batch upserts.

Written from docs/api-contract.md (lines 1-62: "Errors", "Rate limits", "OAuth: `POST
/oauth/token`"; and "## Data tables" through `POST /api/v2/datatables/{tableId}/rows?upsert=true`,
lines 226-299) and ../shared/tutorials/001_7e1c5b5223c1db7c.txt only, never from the project's
client or emulator, so a client that works only against the emulator's reading fails here.
Where the text leaves a choice open the other readings are `Quirks` switches
(tutorial_datatables_quirks.py): `Quirks()` all on (default), `Quirks.obvious()` all off,
`Quirks.only(...)`. Modules: `tutorial_data_actions_auth` (token, scopes, rate limits, 429/5xx
faults; reused), `_store` (tables and the write rules), `_values` (column types), `_render`
(bodies), `_seed` (the seeded tables), `_wire` (cursors, cut connections).

    with serve_datatables(DatatablesServer(Quirks.obvious(), seed=7)) as running:
        running.url, running.client_id, running.client_secret   # login and API on one URL
        server: DatatablesServer = running.server                # the admin surface below

Serves `POST /oauth/token`, `GET /api/v2/datatables`, `GET|PUT /api/v2/datatables/{id}/schema`,
`GET|POST /api/v2/datatables/{id}/rows` (scopes `data-table:read` / `data-table:write`).

Admin surface (Python, on `running.server`):

- Seed: four tables deterministic from `seed` (tutorial_datatables_seed.py); `reset(quirks=None,
  seed=None)` starts over on the same URL (new seed and quirks, no tokens, faults or records);
  `add_table(name, columns=[(name, type, is_key), ...], rows=[{...}])` adds one (returns its id);
  `table_id(name)`, `table(id)` (the live `Table`: `columns`, `rows`, `version`, `etag`),
  `rows(id)` (a copy of the stored values, first-insertion order).
- Someone else's change: `edit(id, delete=0)` now (the first row's first non-key value changes,
  or the first `delete` rows go; the version and ETag go up), or
  `edit_during(id, on="rows"|"schema"|"post"|"put", after=0)`: the edit lands when the
  `after + 1`-th such request for the table arrives, before it is answered.
- What the client sent: `upserts` (`UpsertRecord`: table, upsert flag, If-Match, body, status,
  counts, message), `posted_rows(id)` (the `columns` of every row of every accepted batch),
  `schema_puts` (`SchemaPutRecord`), `requests` (`Logged`: method, path, query, status, cut).
- Faults: `add_fault(kind, count=1, path_contains="", method=None, after=0, ...)` with kind
  `http_429` (`retry_after=1`; an HTTP date under `retry_after_date`), `http_5xx`
  (`status=503`), `drop` (the connection closes before anything is done or answered),
  `drop_after_apply` (the write is done, then the connection closes unanswered), `truncate`
  (the answer stops half-way through its body). `expire_tokens()` (401 until a new token),
  `lack(*scopes)` (403 naming the scope; asking for it at the token endpoint: 400
  `invalid_scope`; `lack()` restores), `auth.budget` / `auth.window_s` (429 over budget with
  `Retry-After` in seconds), `auth.token_lifetime_s`.

Fixed readings where the text is silent: 404 for an unknown table on every table path, checked
before the body; `pageSize` must be a whole number 1-1000 (else 400 naming `pageSize` and the
limit); an empty `cursor=` is the first page; a cursor for another table is a 400; a cursor past
the end is an empty last page; `upsert` is `true` or `false` (absent: false; else 400);
`If-Match` is ignored unless `Quirks.if_match_honoured`; a cut or truncated answer still counts
against the budget. The rest: tutorial_datatables_store.py, _values.py, _render.py docstrings.
"""

from __future__ import annotations

import contextlib
import copy
import json
import re
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from cx_assets_tests.independent import tutorial_datatables_render as render
from cx_assets_tests.independent.loopback import serve_app
from cx_assets_tests.independent.tutorial_data_actions_auth import Auth, Fault
from cx_assets_tests.independent.tutorial_datatables_quirks import Quirks
from cx_assets_tests.independent.tutorial_datatables_seed import seeded_tables, table_id
from cx_assets_tests.independent.tutorial_datatables_store import (
    Column,
    Counts,
    Rejected,
    Table,
)
from cx_assets_tests.independent.tutorial_datatables_values import check
from cx_assets_tests.independent.tutorial_datatables_wire import (
    Cursor,
    CutConnections,
    cut_of,
    decode_cursor,
    encode_cursor,
)

__all__ = [
    "DatatablesServer",
    "Quirks",
    "RunningDatatables",
    "SchemaPutRecord",
    "UpsertRecord",
    "serve_datatables",
]

Json = dict[str, Any]
Handler = Callable[[Request], Awaitable[Response]]
READ, WRITE = "data-table:read", "data-table:write"
SCOPES = frozenset({READ, WRITE})
BASE = "/api/v2/datatables"
DEFAULT_PAGE, MAX_PAGE, CAPPED_PAGE = 100, 1000, 250
CUT_KINDS = ("drop", "drop_after_apply", "truncate")
EDIT_ON = ("rows", "schema", "post", "put")
WHOLE = re.compile(r"^[0-9]+$")


@dataclass
class UpsertRecord:
    table_id: str
    upsert: bool
    if_match: str | None
    body: Any = None
    status: int | None = None
    counts: Counts | None = None
    message: str | None = None


@dataclass
class SchemaPutRecord:
    table_id: str
    if_match: str | None
    body: Any = None
    status: int | None = None
    message: str | None = None


@dataclass
class Logged:
    method: str
    path: str
    query: str
    status: int
    cut: str | None = None


@dataclass
class ArmedEdit:
    table_id: str
    on: str
    after: int
    delete: int = 0


@dataclass
class _Faults:
    pending: list[Fault] = field(default_factory=list)

    def take(self, request: Request) -> Fault | None:
        for fault in self.pending:
            method_ok = fault.method is None or fault.method.upper() == request.method
            if fault.count > 0 and method_ok and fault.path_contains in request.url.path:
                if fault.after > 0:
                    fault.after -= 1
                    continue
                fault.count -= 1
                fault.fired += 1
                return fault
        return None


class DatatablesServer:
    """State and the ASGI `app`; tests flip `quirks` and the switches between calls."""

    def __init__(
        self,
        quirks: Quirks | None = None,
        seed: int = 0,
        client_id: str = "independent-datatables-client",
        client_secret: str = "independent-datatables-secret",
    ) -> None:
        self._quirks: Any = quirks or Quirks()
        self.seed = seed
        self.client_id, self.client_secret = client_id, client_secret
        self.auth = Auth(self._quirks, client_id, client_secret, allowed=set(SCOPES))
        self.tables: dict[str, Table] = {}
        self.upserts: list[UpsertRecord] = []
        self.schema_puts: list[SchemaPutRecord] = []
        self.requests: list[Logged] = []
        self._faults = _Faults()
        self._armed: list[ArmedEdit] = []
        self.reset(self._quirks, seed)
        app = Starlette(
            routes=[
                Route("/oauth/token", self.auth.token, methods=["POST"]),
                Route(BASE, self._api(self._listing, READ), methods=["GET"]),
                Route(BASE + "/{id}/schema", self._api(self._schema, READ), methods=["GET"]),
                Route(BASE + "/{id}/schema", self._api(self._put_schema, WRITE), methods=["PUT"]),
                Route(BASE + "/{id}/rows", self._api(self._rows, READ), methods=["GET"]),
                Route(BASE + "/{id}/rows", self._api(self._post_rows, WRITE), methods=["POST"]),
            ]
        )
        self.app: Any = CutConnections(app)

    @property
    def quirks(self) -> Any:
        """The switches, read on every call (the "seed" ones count only when the server is
        made)."""
        return self._quirks

    @quirks.setter
    def quirks(self, quirks: Any) -> None:
        self._quirks = self.auth.quirks = quirks

    # ---- admin surface -------------------------------------------------------------------------
    def reset(self, quirks: Quirks | None = None, seed: int | None = None) -> None:
        """Start over on the same app: quirks (default: unchanged), the seeded tables, no
        tokens, windows, faults, armed edits or records."""
        self.quirks = quirks or self.quirks
        self.seed = self.seed if seed is None else seed
        self.tables = {t.id: t for t in seeded_tables(self.seed, self.quirks)}
        self.auth.tokens, self.auth.windows, self.auth.faults = {}, {}, []
        self.auth.allowed = set(SCOPES)
        self.upserts, self.schema_puts, self.requests = [], [], []
        self._faults, self._armed = _Faults(), []

    def table_id(self, name: str) -> str:
        found = [t.id for t in self.tables.values() if t.name == name]
        if not found:
            raise KeyError(
                f"no table named {name!r}: {sorted(t.name for t in self.tables.values())}"
            )
        return found[0]

    def table(self, table_id: str) -> Table:
        return self.tables[table_id]

    def rows(self, table_id: str) -> list[Json]:
        return self.tables[table_id].snapshot()

    def add_table(
        self, name: str, columns: list[tuple[str, str, bool]], rows: list[Json] | None = None
    ) -> str:
        """A new table (discovered by the next listing); rows are checked as a POST would."""
        new_id = table_id(self.seed, f"added/{name}")
        table = Table(new_id, name, [Column(n, t, k) for n, t, k in columns])
        if not table.keys:
            raise ValueError("a table needs at least one primary-key column")
        for values in rows or []:
            stored = {
                c.name: None if values.get(c.name) is None else check(values[c.name], c.type, True)
                for c in table.columns
            }
            table.rows[table.key_of(stored)] = stored
        self.tables[new_id] = table
        return new_id

    def edit(self, table_id: str, delete: int = 0) -> int:
        """Someone else's change to the table now; returns its new version."""
        table = self.tables[table_id]
        table.edit(delete)
        return table.version

    def edit_during(self, table_id: str, on: str = "rows", after: int = 0, delete: int = 0) -> None:
        if on not in EDIT_ON:
            raise ValueError(f"unknown request kind {on!r}: one of {', '.join(EDIT_ON)}")
        if table_id not in self.tables:
            raise KeyError(table_id)
        self._armed.append(ArmedEdit(table_id, on, after, delete))

    def posted_rows(self, table_id: str) -> list[Json]:
        """The `columns` of every row of every batch the server accepted for the table."""
        accepted = [u for u in self.upserts if u.table_id == table_id and u.status == 200]
        return [copy.deepcopy(r["columns"]) for u in accepted for r in u.body]

    def lack(self, *scopes: str) -> None:
        if unknown := sorted(set(scopes) - SCOPES):
            raise ValueError(f"unknown scope(s): {', '.join(unknown)}")
        self.auth.allowed = set(SCOPES - set(scopes))

    def add_fault(self, kind: str, **options: Any) -> Fault:
        if kind in CUT_KINDS:
            fault = Fault(kind, **options)
            self._faults.pending.append(fault)
            return fault
        if kind not in ("http_429", "http_5xx"):
            kinds = ", ".join(("http_429", "http_5xx", *CUT_KINDS))
            raise ValueError(f"unknown fault kind {kind!r}: one of {kinds}")
        return self.auth.add_fault(kind, **options)

    def expire_tokens(self) -> None:
        self.auth.expire_tokens()

    # ---- plumbing ------------------------------------------------------------------------------
    def _api(self, handler: Handler, scope: str) -> Handler:
        guarded = self.auth.api(self._faulty(handler), scope)

        async def endpoint(request: Request) -> Response:
            response = await guarded(request)
            cut = cut_of(request.scope).mode
            query = request.url.query
            self.requests.append(
                Logged(request.method, request.url.path, query, response.status_code, cut)
            )
            return response

        return endpoint

    def _faulty(self, handler: Handler) -> Handler:
        async def endpoint(request: Request) -> Response:
            fault = self._faults.take(request)
            cut = cut_of(request.scope)
            if fault is not None and fault.kind == "drop":
                cut.mode = "before_answer"
                return Response(status_code=200)
            response = await handler(request)
            if fault is not None:
                cut.mode = "before_answer" if fault.kind == "drop_after_apply" else "mid_body"
            return response

        return endpoint

    def _error(self, status: int, code: str, message: str, **more: Any) -> JSONResponse:
        return self.auth.error(status, code, message, **more)

    def _found(self, request: Request) -> Table | Response:
        wanted = request.path_params["id"]
        table = self.tables.get(wanted)
        if table is None:
            return self._error(404, "not.found", f"data table {wanted!r} not found")
        return table

    def _land_armed(self, table: Table, on: str) -> None:
        for armed in list(self._armed):
            if armed.table_id != table.id or armed.on != on:
                continue
            if armed.after > 0:
                armed.after -= 1
                continue
            self._armed.remove(armed)
            table.edit(armed.delete)

    def _stale(self, request: Request, table: Table) -> Response | None:
        """412 under `if_match_honoured` when `If-Match` names another version."""
        sent = request.headers.get("if-match")
        if not self.quirks.if_match_honoured or sent is None or sent.strip() == "*":
            return None
        tags = [t.strip().removeprefix("W/").strip('"') for t in sent.split(",")]
        if str(table.version) in tags:
            return None
        message = f"If-Match {sent} does not match table {table.id}: its ETag is {table.etag}"
        response = self._error(412, "precondition.failed", message)
        response.headers["ETag"] = table.etag
        return response

    def _json(self, status: int, body: Json, table: Table) -> JSONResponse:
        return JSONResponse(body, status_code=status, headers={"ETag": table.etag})

    # ---- endpoints -----------------------------------------------------------------------------
    async def _listing(self, request: Request) -> Response:
        return JSONResponse(render.listing(list(self.tables.values()), self.quirks))

    async def _schema(self, request: Request) -> Response:
        table = self._found(request)
        if isinstance(table, Response):
            return table
        self._land_armed(table, "schema")
        return self._json(200, render.schema(table, self.quirks), table)

    async def _rows(self, request: Request) -> Response:
        table = self._found(request)
        if isinstance(table, Response):
            return table
        params = request.query_params
        raw_size = params.get("pageSize", str(DEFAULT_PAGE))
        if not WHOLE.match(raw_size) or not 1 <= int(raw_size) <= MAX_PAGE:
            message = f"pageSize must be a whole number from 1 to {MAX_PAGE}, got {raw_size!r}"
            return self._error(400, "bad.request", message)
        offset = 0
        if raw_cursor := params.get("cursor"):
            cursor = decode_cursor(raw_cursor)
            if cursor is None:
                return self._error(400, "bad.request", "cursor cannot be decoded")
            if cursor.table_id != table.id:
                return self._error(400, "bad.request", "cursor was issued for another table")
            offset = cursor.offset
        self._land_armed(table, "rows")
        size = min(int(raw_size), CAPPED_PAGE) if self.quirks.page_size_capped else int(raw_size)
        stored = list(table.rows.values())
        rows = stored[offset : offset + size]
        reached = offset + len(rows)
        more = reached < len(stored) or (self.quirks.empty_last_page and bool(rows))
        nxt = Cursor(table.id, table.version, reached)
        text = encode_cursor(nxt, self.quirks.cursor_needs_escaping) if more else None
        return self._json(200, render.page(table, rows, text, size, self.quirks), table)

    async def _put_schema(self, request: Request) -> Response:
        record = SchemaPutRecord(request.path_params["id"], request.headers.get("if-match"))
        self.schema_puts.append(record)
        response = await self._apply_schema(request, record)
        record.status = response.status_code
        return response

    async def _apply_schema(self, request: Request, record: SchemaPutRecord) -> Response:
        table = self._found(request)
        if isinstance(table, Response):
            return table
        self._land_armed(table, "put")
        if (stale := self._stale(request, table)) is not None:
            return stale
        try:
            record.body = json.loads(await request.body())
        except ValueError:
            record.message = "the body is not JSON"
            return self._error(400, "bad.request", record.message)
        try:
            table.replace_schema(record.body, self.quirks.put_always_bumps)
        except Rejected as exc:
            record.message = exc.message
            return self._error(exc.status, exc.code, exc.message)
        if self.quirks.put_schema_no_body:
            return Response(status_code=200, headers={"ETag": table.etag})
        return self._json(200, render.schema(table, self.quirks), table)

    async def _post_rows(self, request: Request) -> Response:
        raw = request.query_params.get("upsert")
        record = UpsertRecord(
            request.path_params["id"], raw == "true", request.headers.get("if-match")
        )
        self.upserts.append(record)
        response = await self._apply_rows(request, record, raw)
        record.status = response.status_code
        return response

    async def _apply_rows(
        self, request: Request, record: UpsertRecord, raw: str | None
    ) -> Response:
        table = self._found(request)
        if isinstance(table, Response):
            return table
        if raw not in (None, "true", "false"):
            record.message = f"upsert must be true or false, got {raw!r}"
            return self._error(400, "bad.request", record.message)
        self._land_armed(table, "post")
        if (stale := self._stale(request, table)) is not None:
            return stale
        try:
            record.body = json.loads(await request.body())
        except ValueError:
            record.message = "the body is not JSON"
            return self._error(400, "bad.request", record.message)
        try:
            record.counts = table.upsert(record.body, record.upsert, self.quirks.timestamps)
        except Rejected as exc:
            record.message = exc.message
            return self._error(exc.status, exc.code, exc.message)
        return self._json(200, render.upserted(table, record.counts, self.quirks), table)


@dataclass
class RunningDatatables:
    """What a test gets: where the server listens, its credentials, and its admin surface."""

    url: str
    client_id: str
    client_secret: str
    server: DatatablesServer

    @property
    def quirks(self) -> Any:
        return self.server.quirks

    @property
    def scopes(self) -> str:
        return " ".join(sorted(SCOPES))


@contextlib.contextmanager
def serve_datatables(server: DatatablesServer | None = None) -> Iterator[RunningDatatables]:
    """Run `server` under uvicorn on a free loopback port in a background thread."""
    server = server or DatatablesServer()
    with serve_app(server.app, "the independent data tables server") as url:
        yield RunningDatatables(url, server.client_id, server.client_secret, server)
