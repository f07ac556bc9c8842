"""Short-lived connections to the catalog file that wait out DuckDB's single-writer lock.

DuckDB lets one process hold a file read-write (or many read-only), never both. A backfill runs
many Dagster runs as separate processes, each registering its own partition, so every open here
retries on the lock with jittered exponential backoff up to a timeout, and every connection lives
for one short transaction only. The retry loop is tenacity's, not hand-written.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import tenacity

from cx_assets.catalog.schema import TABLES, ensure_schema
from cx_assets.catalog.views import missing_views, refresh_views
from cx_assets.lake.paths import LAKE

LOCK_TIMEOUT_S = 120.0
# Full jitter from 50 ms doubling up to 2 s: waiters spread out instead of retrying in step.
_BACKOFF = tenacity.wait_random_exponential(multiplier=0.05, max=2.0)


class CatalogLockTimeout(TimeoutError):
    """Another process kept the catalog locked for longer than we were willing to wait."""


#: A catalog file younger than this that DuckDB calls invalid is still being created by another
#: process (the first writers of a fresh data root race to create it): wait, do not fail.
_CREATING_S = 10.0


def _is_lock_conflict(exc: BaseException, path: Path) -> bool:
    """True for the errors that mean "someone else holds (or is creating) the file right now"."""
    message = str(exc)
    if isinstance(exc, duckdb.IOException):
        if "not a valid DuckDB database file" in message:
            return _is_young(path)
        return "lock" in message.lower()
    # Same process, other thread, other mode (read-only vs read-write): wait for it to close.
    return isinstance(exc, duckdb.ConnectionException) and "different configuration" in message


def connect(
    path: Path | str, *, read_only: bool = False, timeout_s: float = LOCK_TIMEOUT_S
) -> duckdb.DuckDBPyConnection:
    """Open the catalog, waiting up to `timeout_s` for another process to release its lock.

    The session time zone is UTC so TIMESTAMPTZ values read back the same everywhere.

    Raises:
        CatalogLockTimeout: the lock was still held after `timeout_s`, naming the file.
    """
    path = Path(path)
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    retrying = tenacity.Retrying(
        retry=tenacity.retry_if_exception(lambda exc: _is_lock_conflict(exc, path)),
        wait=_BACKOFF,
        stop=tenacity.stop_after_delay(timeout_s),
        reraise=False,
    )
    try:
        con = retrying(duckdb.connect, str(path), read_only=read_only)
    except tenacity.RetryError as exc:
        last = exc.last_attempt.exception()
        raise CatalogLockTimeout(
            f"catalog {path} stayed locked for {timeout_s:g} s by another process; "
            f"a catalog write should take well under a second, so look for a stuck process "
            f"holding it open. DuckDB said: {last}"
        ) from None
    try:
        con.execute("SET TimeZone = 'UTC'")
    except BaseException:
        con.close()
        raise
    return con


def _is_young(path: Path) -> bool:
    try:
        return time.time() - path.stat().st_mtime < _CREATING_S
    except FileNotFoundError:
        return True


_WRITE_LOCK = threading.RLock()


@contextlib.contextmanager
def write_transaction(
    path: Path | str, *, timeout_s: float = LOCK_TIMEOUT_S
) -> Iterator[duckdb.DuckDBPyConnection]:
    """One short read-write transaction: schema ensured, COMMIT on success, ROLLBACK on error.

    The connection (and so the file lock) is released on exit either way; never hold this
    across slow work such as a download. Writers in one process (threads: the webhook receiver,
    the catalog service, parallel tests) take turns on `_WRITE_LOCK`: DuckDB's file lock only
    separates processes, and two connections of one process would conflict at commit.
    """
    with _WRITE_LOCK:
        con = connect(path, timeout_s=timeout_s)
        try:
            con.begin()
            try:
                ensure_schema(con)
                yield con
            except BaseException:
                con.rollback()
                raise
            con.commit()
        finally:
            con.close()


@contextlib.contextmanager
def read_connection(
    path: Path | str, *, timeout_s: float = LOCK_TIMEOUT_S, lake_root: Path | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to a catalog that has every table and registered view.

    A missing catalog, or one lacking a table or a registered view, is set up first (views are
    typed and empty until data lands), so `SELECT * FROM conversations` works on a brand-new
    data root.
    """
    path = Path(path)
    con = connect(path, read_only=True, timeout_s=timeout_s) if path.exists() else None
    if con is None or _missing_objects(con):
        if con is not None:
            con.close()
        with write_transaction(path, timeout_s=timeout_s) as writer:
            refresh_views(writer, lake_root or default_lake_root(path))
        con = connect(path, read_only=True, timeout_s=timeout_s)
    try:
        yield con
    finally:
        con.close()


def _missing_objects(con: duckdb.DuckDBPyConnection) -> bool:
    """True when a catalog table or a registered view does not exist yet."""
    tables = {name for (name,) in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    return bool(set(TABLES) - tables) or bool(missing_views(con))


def default_lake_root(catalog_path: Path | str) -> Path:
    """The lake next to the catalog: `<data root>/lake`, as `DataLayout` lays it out."""
    return Path(catalog_path).resolve().parent / LAKE
