"""`cx-assets …`: the emulator, local runs, the demo, `dagster dev` with the emulator, and SQL."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
from collections.abc import Sequence

from cx_assets import settings
from cx_assets.catalog.queries import QueryResult, query
from cx_assets.local_runs import days_between, ensure_dagster_home, materialize_days, tail

DEMO_DAYS = 7
DEMO_QUERIES = {
    "Conversations per day and channel": """
        SELECT conversation_date AS day, channel, count(*) AS conversations,
               round(avg(duration_ms) / 1000, 1) AS avg_seconds
        FROM conversations GROUP BY ALL ORDER BY day, channel""",
    "Export records in the catalog": """
        SELECT partition_key AS day, export_id, status, file_count AS files, bytes,
               row_count AS rows, quarantined_count AS quarantined, requests, retries,
               throttled, is_emulator
        FROM exports ORDER BY partition_key""",
}


def render(result: QueryResult, max_rows: int = 60) -> str:
    """A plain text table; enough for a terminal without another dependency."""
    cells = [[str(v) for v in row] for row in result.rows[:max_rows]]
    widths = [max([len(c), *(len(r[i]) for r in cells)]) for i, c in enumerate(result.columns)]
    line = "  ".join(c.ljust(w) for c, w in zip(result.columns, widths, strict=True))
    rule = "  ".join("-" * w for w in widths)
    body = ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in cells]
    more = [f"… {len(result.rows) - max_rows} more rows"] if len(result.rows) > max_rows else []
    return "\n".join([line, rule, *body, *more, f"({len(result.rows)} rows)"])


def _emulator_env(url: str) -> dict[str, str]:
    """Environment that points every run at the emulator, whatever the shell had."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GENESYS_")}
    env.update(GENESYS_API_URL=url, GENESYS_LOGIN_URL=url)
    env.setdefault("CX_DATA_DIR", str(settings.data_dir()))
    return env


def cmd_emulator(argv: Sequence[str]) -> int:
    from cx_assets.emulator.cli import main as emulator_main

    return emulator_main(list(argv))


def cmd_materialize(args: argparse.Namespace) -> int:
    try:
        days = days_between(args.start, args.end)
    except ValueError as exc:
        print(f"cx-assets materialize: {exc}", file=sys.stderr)
        return 2
    env = dict(os.environ)
    runs = materialize_days(days, env=env, parallel=args.parallel)
    return _report_runs(runs)


def _report_runs(runs: list) -> int:
    for run in runs:
        checks = ", ".join(
            f"{k.split('.')[-1]}={'ok' if v else 'FAILED'}" for k, v in run.checks.items()
        )
        print(f"{run.partition}  {run.status:<8} run {run.run_id or '-'}  checks: {checks or '-'}")
        if not run.ok:
            print(f"--- last lines of {run.log_path} ---\n{tail(run.log_path)}\n---")
    failed = [r.partition for r in runs if not r.ok]
    print(f"{len(runs) - len(failed)} of {len(runs)} partitions succeeded with all checks passing")
    return 1 if failed else 0


def cmd_demo(args: argparse.Namespace) -> int:
    from cx_assets.emulator import EmulatorProcess

    data_dir = settings.data_dir()
    start = dt.date.fromisoformat(settings.start_date())
    days = days_between(start, start + dt.timedelta(days=DEMO_DAYS - 1))
    print(f"Data root: {data_dir}\nStarting the emulator…")
    with EmulatorProcess(state_dir=data_dir / "emulator") as emulator:
        env = _emulator_env(emulator.url)
        home = ensure_dagster_home(env)
        print(f"Emulator at {emulator.url}; Dagster instance at {home}")
        print(f"Materialising {days[0]} … {days[-1]} through Dagster ({args.parallel} at a time)")
        code = _report_runs(materialize_days(days, env=env, parallel=args.parallel))
    catalog = data_dir / "catalog.duckdb"
    for title, sql in DEMO_QUERIES.items():
        print(f"\n{title}  (duckdb {catalog})\n{render(query(catalog, sql))}")
    return code


def cmd_dev(args: argparse.Namespace) -> int:
    from cx_assets.emulator import EmulatorProcess

    data_dir = settings.data_dir()
    with EmulatorProcess(state_dir=data_dir / "emulator", port=settings.EMULATOR_PORT) as emulator:
        real = os.environ.get("GENESYS_REGION") or os.environ.get("GENESYS_API_URL")
        env = dict(os.environ) if real else _emulator_env(emulator.url)
        env["CX_DATA_DIR"] = str(data_dir)
        home = ensure_dagster_home(env)
        print(f"Emulator at {emulator.url}; Dagster UI at http://127.0.0.1:{args.port}")
        # Run from DAGSTER_HOME so Dagster does not warn about the repo's own dagster.yaml.
        command = [
            *(sys.executable, "-m", "dagster", "dev", "-m", "cx_assets.definitions"),
            *("-h", "127.0.0.1", "-p", str(args.port)),
        ]
        try:
            return subprocess.call(command, env=env, cwd=home)
        except KeyboardInterrupt:
            return 0


def cmd_sql(args: argparse.Namespace) -> int:
    catalog = settings.data_dir() / "catalog.duckdb"
    if not args.query:
        print(f"Open the catalog with:  duckdb -readonly {catalog}")
        return 0
    print(render(query(catalog, args.query)))
    return 0


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="cx-assets", description=__doc__)
    sub = top.add_subparsers(dest="command", required=True)
    sub.add_parser(
        "emulator", help="serve the vendor emulator (see `cx-assets emulator -h`)", add_help=False
    )
    mat = sub.add_parser("materialize", help="run days of the Genesys export through Dagster")
    mat.add_argument("--start", type=_date, required=True)
    mat.add_argument("--end", type=_date, required=True)
    mat.add_argument("--parallel", type=int, default=2, help="runs at once (default 2)")
    demo = sub.add_parser("demo", help="emulator + 7 days through Dagster + a DuckDB query")
    demo.add_argument("--parallel", type=int, default=2)
    dev = sub.add_parser("dev", help="the emulator and `dagster dev` together")
    dev.add_argument("--port", type=int, default=3000)
    sql = sub.add_parser("sql", help="run a read-only SQL query on the catalog")
    sql.add_argument("query", nargs="?")
    return top


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["emulator"]:
        return cmd_emulator(argv[1:])
    args = parser().parse_args(argv)
    handlers = {"materialize": cmd_materialize, "demo": cmd_demo, "dev": cmd_dev, "sql": cmd_sql}
    return handlers[args.command](args)


if __name__ == "__main__":
    raise SystemExit(main())
