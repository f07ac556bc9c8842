"""`cx-assets …`: the emulator, local runs, the demo, `dg dev` with the emulator, and SQL."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from cx_assets import settings
from cx_assets.local_runs import days_between, ensure_dagster_home, materialize_days, tail


def _emulator_env(url: str) -> dict[str, str]:
    """Environment that points every run at the emulator, whatever the shell had."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GENESYS_")}
    env = {k: v for k, v in env.items() if not k.startswith("CXONE_")}
    env.update(GENESYS_API_URL=url, GENESYS_LOGIN_URL=url)
    env.update(CXONE_ISSUER_URL=f"{url}/cxone-platform")  # platform mode, the emulator's key
    env.setdefault("CX_DATA_DIR", str(settings.data_dir()))
    return env


def cmd_emulator(argv: Sequence[str]) -> int:
    from cx_assets.emulator.cli import main as emulator_main

    return emulator_main(list(argv))


def cmd_materialize(args: argparse.Namespace) -> int:
    try:
        days = days_between(args.start, args.end)
        first = settings.start_date()
    except ValueError as exc:
        print(f"cx-assets materialize: {exc}", file=sys.stderr)
        return 2
    if days[0] < first:
        print(
            f"cx-assets materialize: --start {days[0]} is before the first partition {first} "
            f"({settings.START_DATE_ENV}, default {settings.DEFAULT_START_DAYS_AGO} days ago): "
            f"set {settings.START_DATE_ENV}={days[0]} to reach it",
            file=sys.stderr,
        )
        return 2
    env = dict(os.environ)
    runs = materialize_days(days, env=env, parallel=args.parallel)
    return _report_runs(runs)


def _report_runs(runs: list) -> int:
    for run in runs:
        checks = ", ".join(f"{k.split('.')[-1]}={v}" for k, v in run.checks.items())
        label = run.partition or run.selection
        print(f"{label}  {run.status:<8} run {run.run_id or '-'}  checks: {checks or '-'}")
        if not run.ok:
            print(f"--- last lines of {run.log_path} ---\n{tail(run.log_path)}\n---")
    failed = [r.partition for r in runs if not r.ok]
    print(
        f"{len(runs) - len(failed)} of {len(runs)} partitions succeeded with no failed "
        "(ERROR) check; a warn is reported above"
    )
    return 1 if failed else 0


#: Share of CXone contacts the demo's emulator serves without a required field (see cmd_demo).
DEMO_CXONE_MISSING_RATE = 0.015


def cmd_demo(args: argparse.Namespace) -> int:
    from cx_assets import catalog_cli, demo, demo_outbound, demo_privacy, demo_rules
    from cx_assets.emulator import EmulatorProcess

    try:
        days = demo.demo_days()
    except ValueError as exc:
        print(f"cx-assets demo: {exc}", file=sys.stderr)
        return 2
    data_dir = settings.data_dir()
    catalog = data_dir / "catalog.duckdb"
    print(f"Data root: {data_dir}\nThe demo lands {days[0]} … {days[-1]} (UTC)")
    print("Starting the emulator…")
    # A free port: the demo passes the URL to every run, so it never collides with `make dev`.
    # More CXone gaps than the emulator's default 0.5 %: then some days of any demo week fall
    # below the 0.99 integrity threshold (1 to 6 of 7 for every week of the next 120 days), so
    # the demo always shows a red CXone check on purpose; at 0.5 % a third of weeks show none.
    with EmulatorProcess(
        state_dir=data_dir / "emulator", port=0, cxone_missing_rate=DEMO_CXONE_MISSING_RATE
    ) as emulator:
        env = _emulator_env(emulator.url)
        home = ensure_dagster_home(env)
        print(f"Emulator at {emulator.url}; Dagster instance at {home}")
        code = demo.run_conversations(env, args.parallel, _report_runs)
        demo.print_queries(catalog, demo.CONVERSATION_QUERIES)
        code |= demo.run_datatables(env, emulator.url, args.parallel, _report_runs)
        demo.print_queries(catalog, demo.DATATABLE_QUERIES)
        code |= demo.run_cxone(env, emulator.url)
        demo.print_queries(catalog, demo.CXONE_QUERIES)
        code |= demo.run_report(env, args.parallel, _report_runs)
        code |= demo_rules.demo_data_actions(env, emulator.url)
        code |= demo_outbound.demo_outbound(env, emulator.url)
        code |= demo_privacy.demo_privacy(env, emulator.url)
    print("\nThe governance trail:")
    code |= catalog_cli.audit_verify(["--catalog", str(catalog)])
    print(
        f"\nThe demo's days are {days[0]} … {days[-1]}: in the UI's partitions bar they are the "
        "green days at the recent end.\nNext: `.venv/bin/cx-assets sql` (SQL on the catalog), "
        "`make dev` for the Dagster UI."
    )
    return code


def _port_taken(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((settings.EMULATOR_HOST, port))
        except OSError:
            return True
    return False


def dev_ports(ui_port: int | None) -> tuple[int, int]:
    """(emulator port, UI port), or a ValueError in one line saying which is unusable and how
    to choose another."""
    emulator_port = settings.port_from_env(
        settings.EMULATOR_PORT_ENV, settings.DEFAULT_EMULATOR_PORT
    )
    if ui_port is None:
        ui_port = settings.port_from_env(settings.UI_PORT_ENV, settings.DEFAULT_UI_PORT)
    for port, fix in (
        (emulator_port, f"set {settings.EMULATOR_PORT_ENV}=<free port>"),
        (ui_port, "run `make dev PORT=<free port>` (or cx-assets dev --port, CX_UI_PORT)"),
    ):
        if _port_taken(port):
            raise ValueError(f"port {port} is already in use (another `make dev`?): {fix}")
    if emulator_port == ui_port:
        raise ValueError(f"the emulator and the UI cannot share port {ui_port}")
    return emulator_port, ui_port


def dev_command(ui_port: int) -> list[str]:
    """`dg dev` on the repo's workspace.yaml, which names the code location `cx_assets`.

    `dg` comes with dagster-dg-cli (a dependency); in a venv installed before it was, this
    says to run `make install` and starts `dagster dev` on the same workspace instead (which
    prints Dagster's warning that `dg dev` supersedes it).
    """
    workspace = str(settings.project_root() / "workspace.yaml")
    where = ("-w", workspace, "-h", settings.EMULATOR_HOST, "-p", str(ui_port))
    dg_cli = Path(sys.executable).with_name("dg")
    if dg_cli.exists():
        return [str(dg_cli), "dev", *where]
    print(
        "cx-assets dev: `dg` (package dagster-dg-cli) is missing from this venv: run `make "
        "install`. Starting `dagster dev` instead.",
        file=sys.stderr,
    )
    return [sys.executable, "-m", "dagster", "dev", *where]


def cmd_dev(args: argparse.Namespace) -> int:
    from cx_assets.emulator import EmulatorProcess

    try:
        emulator_port, ui_port = dev_ports(args.port)
    except ValueError as exc:
        print(f"cx-assets dev: {exc}", file=sys.stderr)
        return 2
    args.port = ui_port
    data_dir = settings.data_dir()
    with EmulatorProcess(state_dir=data_dir / "emulator", port=emulator_port) as emulator:
        real = os.environ.get("GENESYS_REGION") or os.environ.get("GENESYS_API_URL")
        env = dict(os.environ) if real else _emulator_env(emulator.url)
        env["CX_DATA_DIR"] = str(data_dir)
        home = ensure_dagster_home(env)
        print(f"Emulator at {emulator.url}; Dagster UI at http://127.0.0.1:{args.port}")
        # Run from DAGSTER_HOME so Dagster does not warn about the repo's own dagster.yaml.
        dagster = subprocess.Popen(dev_command(args.port), env=env, cwd=home)

        def stop(signum: int, frame: object) -> None:
            raise KeyboardInterrupt  # leave through the `with`, which stops the emulator

        signal.signal(signal.SIGTERM, stop)
        try:
            return dagster.wait()
        except KeyboardInterrupt:
            # `dg dev` stops its webserver, daemon and code servers on SIGTERM/SIGINT.
            dagster.terminate()
            try:
                dagster.wait(timeout=30)
            except subprocess.TimeoutExpired:
                dagster.kill()
            return 0


def cmd_recover_runs(args: argparse.Namespace) -> int:
    """Fail the runs whose worker died (or the ones named) and free their pool slots."""
    import dagster as dg

    from cx_assets.defs.runs.reaper import fail_dead_run, reap_dead_runs

    home = ensure_dagster_home(dict(os.environ))
    with dg.DagsterInstance.from_config(str(home)) as instance:
        if args.run_id:
            for run_id in args.run_id:
                reason = "Marked failed by `cx-assets recover-runs --run-id` (worker gone)"
                changed = fail_dead_run(instance, run_id, reason)
                print(f"run {run_id}: {'marked failed, ' if changed else ''}pool slots freed")
            return 0
        reaped = reap_dead_runs(instance)
    for run in reaped:
        print(
            f"run {run.run_id} ({run.partition or run.job_name}): worker pid {run.worker_pid} "
            "is gone; marked failed and its pool slots freed"
        )
    print(f"{len(reaped)} run(s) recovered")
    return 0


def _date(text: str) -> dt.date:
    """YYYY-MM-DD, or -N for N days before today (UTC): `--start -7 --end -1` is last week."""
    if text.startswith("-") and text[1:].isdigit():
        return dt.datetime.now(dt.UTC).date() - dt.timedelta(days=int(text[1:]))
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date (YYYY-MM-DD, or -N for N days ago)"
        ) from None


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="cx-assets", description=__doc__)
    sub = top.add_subparsers(dest="command", required=True)
    sub.add_parser(
        "emulator", help="serve the vendor emulator (see `cx-assets emulator -h`)", add_help=False
    )
    mat = sub.add_parser("materialize", help="run days of the Genesys export through Dagster")
    when = "YYYY-MM-DD, or -N for N days before today (UTC)"
    mat.add_argument("--start", type=_date, required=True, help=f"first day: {when}")
    mat.add_argument("--end", type=_date, required=True, help=f"last day: {when}")
    mat.add_argument("--parallel", type=int, default=2, help="runs at once (default 2)")
    demo = sub.add_parser(
        "demo", help="every flow against the emulator for the week ending the day before yesterday"
    )
    demo.add_argument("--parallel", type=int, default=2)
    dev = sub.add_parser("dev", help="the emulator and `dg dev` (the Dagster UI) together")
    dev.add_argument(
        "--port", type=int, default=None, help="the UI's port (default CX_UI_PORT, 3000)"
    )
    recover = sub.add_parser(
        "recover-runs",
        help="fail STARTED runs whose worker process is gone and free their pool slots",
    )
    recover.add_argument(
        "--run-id",
        action="append",
        help="fail this run and free its slots whatever its worker looks like (repeatable)",
    )
    for name, help_text in PASSTHROUGH_HELP.items():
        sub.add_parser(name, help=help_text, add_help=False)
    return top


PASSTHROUGH_HELP = {
    "sql": 'SQL on the catalog: `sql "SELECT …" [--format csv|json|parquet --output F]`',
    "catalog": "`catalog serve`: the read-only catalog HTTP service (loopback by default); "
    "`catalog snapshot`: a copy for long DuckDB sessions",
    "audit": "`audit verify`: walk the audit log's hash chain, name the first broken entry",
    "webhooks": "`webhooks serve`: receive signed privacy callbacks and data action events",
    "privacy": "`privacy subjects --email …`: find GDPR subjects (prints them, stores nothing)",
}


def _passthrough(argv: list[str]) -> int | None:
    """Subcommands with their own argument parsers; None when `argv` is not one of them."""
    from cx_assets import catalog_cli

    head = tuple(argv[:2])
    if argv[:1] == ["emulator"]:
        return cmd_emulator(argv[1:])
    if argv[:1] == ["sql"]:
        return catalog_cli.sql_command(argv[1:])
    if head == ("catalog", "serve"):
        return catalog_cli.catalog_serve(argv[2:])
    if head == ("catalog", "snapshot"):
        return catalog_cli.catalog_snapshot(argv[2:])
    if head == ("audit", "verify"):
        return catalog_cli.audit_verify(argv[2:])
    if head == ("webhooks", "serve"):
        from cx_assets.receiver.server import serve_webhooks

        return serve_webhooks(argv[2:])
    if head == ("privacy", "subjects"):
        from cx_assets.privacy_cli import subjects_command

        return subjects_command(argv[2:])
    if argv[:1] in (["catalog"], ["audit"], ["webhooks"], ["privacy"]):
        print(f"cx-assets {argv[0]}: {PASSTHROUGH_HELP[argv[0]]}", file=sys.stderr)
        return 2
    return None


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    code = _passthrough(argv)
    if code is not None:
        return code
    args = parser().parse_args(argv)
    handlers = {
        "materialize": cmd_materialize,
        "demo": cmd_demo,
        "dev": cmd_dev,
        "recover-runs": cmd_recover_runs,
    }
    return handlers[args.command](args)


if __name__ == "__main__":
    raise SystemExit(main())
