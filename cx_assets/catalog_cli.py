"""`cx-assets catalog serve`, `cx-assets audit verify` and `cx-assets sql`: the catalog for people.

Each function takes the arguments after its subcommand and returns an exit code, so `cli.py`
only dispatches. The catalog is `<data root>/catalog.duckdb` unless `--catalog` says otherwise.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TextIO

import duckdb

from cx_assets import settings
from cx_assets.catalog.connection import CatalogLockTimeout, connect
from cx_assets.catalog.sql_output import (
    FORMATS,
    copy_to_parquet,
    render_table,
    run_sql,
    write_result,
)

_HEAD = re.compile(r"^(\d+):([0-9a-f]{64})$")


def _catalog_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--catalog",
        type=Path,
        default=None,
        help="catalog file (default: $CX_DATA_DIR/catalog.duckdb)",
    )


def _catalog(args: argparse.Namespace) -> Path:
    return args.catalog or settings.data_dir() / "catalog.duckdb"


def catalog_serve(argv: Sequence[str]) -> int:
    """Serve the read-only catalog HTTP service until interrupted."""
    from cx_assets.catalog.service.app import (
        DEFAULT_HOST,
        DEFAULT_PORT,
        TOKEN_ENV,
        check_bind,
        serve,
    )

    parser = argparse.ArgumentParser(
        prog="cx-assets catalog serve",
        description="Read-only HTTP service over the catalog (OpenAPI at /openapi.json). "
        f"Set {TOKEN_ENV} to require 'Authorization: Bearer <token>'; required off loopback.",
    )
    _catalog_arg(parser)
    parser.add_argument("--host", default=DEFAULT_HOST, help=f"default {DEFAULT_HOST}")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"default {DEFAULT_PORT}")
    args = parser.parse_args(list(argv))
    token = os.environ.get(TOKEN_ENV) or None
    try:
        check_bind(args.host, token)
    except ValueError as exc:
        print(f"cx-assets catalog serve: {exc}", file=sys.stderr)
        return 2
    catalog = _catalog(args)
    auth = "bearer token required" if token else "no auth (loopback only)"
    print(f"Catalog {catalog} at http://{args.host}:{args.port}/catalog/routes ({auth})")
    with contextlib.suppress(KeyboardInterrupt):
        serve(catalog, host=args.host, port=args.port, token=token)
    return 0


def catalog_snapshot(argv: Sequence[str]) -> int:
    """Copy the catalog into a file of its own that a long DuckDB session may keep open."""
    from cx_assets.catalog.snapshot import snapshot_catalog

    parser = argparse.ArgumentParser(
        prog="cx-assets catalog snapshot",
        description="Copy the catalog's tables and views into a separate DuckDB file, under "
        "one short read lock, for a long session (a DuckDB shell on the catalog itself, even "
        "read-only, stalls every run that registers a day).",
    )
    _catalog_arg(parser)
    parser.add_argument(
        "--output",
        type=Path,
        default=None,
        help="snapshot file (default: catalog-snapshot.duckdb beside the catalog); replaced",
    )
    args = parser.parse_args(list(argv))
    catalog = _catalog(args)
    output = args.output or catalog.with_name("catalog-snapshot.duckdb")
    try:
        snap = snapshot_catalog(catalog, output)
    except (CatalogLockTimeout, ValueError) as exc:
        print(f"cx-assets catalog snapshot: {exc}", file=sys.stderr)
        return 2
    print(
        f"snapshot of {catalog}: {snap.tables} tables, {snap.views} views in {snap.path}\n"
        f"keep it open as long as you like: cx-assets sql --catalog {snap.path} "
        "(or a DuckDB shell on that file)"
    )
    return 0


def audit_verify(argv: Sequence[str]) -> int:
    """Walk the audit chain; 0 when intact, 1 naming the first broken entry, 2 on bad input."""
    from cx_assets.catalog.audit import verify_chain

    parser = argparse.ArgumentParser(
        prog="cx-assets audit verify",
        description="Verify the audit log's hash chain and name the first broken entry.",
    )
    _catalog_arg(parser)
    parser.add_argument(
        "--expect-head",
        metavar="SEQ:HASH",
        help="a head printed by an earlier verify: also catches a truncated log",
    )
    args = parser.parse_args(list(argv))
    head = None
    if args.expect_head:
        match = _HEAD.fullmatch(args.expect_head)
        if not match:
            print("cx-assets audit verify: --expect-head must be SEQ:HASH", file=sys.stderr)
            return 2
        head = (int(match.group(1)), match.group(2))
    catalog = _catalog(args)
    if not catalog.exists():
        print(f"cx-assets audit verify: no catalog at {catalog}", file=sys.stderr)
        return 2
    try:
        con = connect(catalog, read_only=True)
    except CatalogLockTimeout as exc:
        print(f"cx-assets audit verify: {exc}", file=sys.stderr)
        return 2
    try:
        has_log = con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'audit_log'"
        ).fetchone()
        if not has_log or not has_log[0]:
            print(f"audit chain intact: 0 entries verified (no audit log in {catalog} yet)")
            return 0 if head is None else 1
        report = verify_chain(con, expect_head=head)
    finally:
        con.close()
    print(report.describe())
    if report.ok and report.head_seq:
        print(f"record this head to detect truncation later: {report.head_seq}:{report.head_hash}")
    return 0 if report.ok else 1


def _run_one(
    catalog: Path, sql: str, *, write: bool, fmt: str | None, output: Path | None, out: TextIO
) -> int:
    try:
        if output is not None and not write and (fmt or _format_of(output)) == "parquet":
            rows = copy_to_parquet(catalog, sql, output)
            print(f"{rows} rows written to {output}", file=out)
            return 0
        result = run_sql(catalog, sql, write=write)
    except duckdb.Error as exc:
        hint = " (add --write to change the catalog)" if "read-only" in str(exc) else ""
        print(f"cx-assets sql: {exc}{hint}", file=sys.stderr)
        return 1
    if output is not None:
        write_result(result, output, fmt or _format_of(output))
        print(f"{len(result.rows)} rows written to {output}", file=out)
    elif fmt in ("csv", "json"):
        from cx_assets.catalog.sql_output import to_csv, to_json

        out.write(to_csv(result) if fmt == "csv" else to_json(result))
    else:
        print(render_table(result), file=out)
    return 0


def _format_of(path: Path) -> str:
    suffix = path.suffix.lstrip(".").lower()
    return suffix if suffix in FORMATS else "csv"


def _interactive(catalog: Path, *, write: bool, stdin: TextIO, out: TextIO) -> int:
    tty = stdin.isatty()
    if tty:
        print(
            f"cx-assets SQL on {catalog} ({'read-write' if write else 'read-only'}). "
            "End statements with ';', quit with .quit or Ctrl-D.\n"
            "For a long DuckDB shell session, snapshot the catalog first "
            "(`cx-assets catalog snapshot`): a shell on the catalog itself stalls the runs.",
            file=out,
        )
    code = 0
    # Statements are read lazily from a terminal, all at once from a pipe or file.
    for statement in _lazy_statements(stdin, out if tty else None):
        code |= _run_one(catalog, statement, write=write, fmt=None, output=None, out=out)
    return code


def _lazy_statements(lines: TextIO, prompt: TextIO | None) -> Iterator[str]:
    """Statements ending in ';' (or at EOF) until EOF or `.quit`."""
    buffer: list[str] = []
    while True:
        if prompt is not None:
            prompt.write("cx-sql> " if not buffer else "   ...> ")
            prompt.flush()
        line = lines.readline()
        if not line:
            text = "\n".join(buffer).strip()
            if text.strip(";").strip():
                yield text
            return
        if not buffer and line.strip() in (".quit", ".exit", "\\q"):
            return
        buffer.append(line.rstrip("\n"))
        if line.rstrip().endswith(";"):
            text = "\n".join(buffer).strip()
            buffer = []
            if text.strip(";").strip():
                yield text


def sql_command(
    argv: Sequence[str], *, stdin: TextIO | None = None, stdout: TextIO | None = None
) -> int:
    """`cx-assets sql [QUERY]`: a table on the terminal, or `--format`/`--output` to a file."""
    parser = argparse.ArgumentParser(
        prog="cx-assets sql",
        description="SQL on the catalog (read-only unless --write). Without a query: an "
        "interactive prompt on a terminal, or statements read from stdin.",
    )
    _catalog_arg(parser)
    parser.add_argument("query", nargs="?", help="one SQL statement")
    parser.add_argument("--format", choices=FORMATS, help="csv/json to stdout, or the file type")
    parser.add_argument("--output", type=Path, help="write the result to this file")
    parser.add_argument("--write", action="store_true", help="allow statements that change it")
    args = parser.parse_args(list(argv))
    out = stdout or sys.stdout
    if args.format == "parquet" and args.output is None:
        print("cx-assets sql: --format parquet needs --output PATH", file=sys.stderr)
        return 2
    catalog = _catalog(args)
    if args.query:
        return _run_one(
            catalog, args.query, write=args.write, fmt=args.format, output=args.output, out=out
        )
    return _interactive(catalog, write=args.write, stdin=stdin or sys.stdin, out=out)
