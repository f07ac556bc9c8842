"""`python -m cx_assets.emulator` / `cx-assets emulator`: serve the emulator in the foreground."""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import sys

import uvicorn

from cx_assets.emulator.app import create_app
from cx_assets.emulator.config import EmulatorConfig, parse_permissions, parse_seed_rows
from cx_assets.emulator.faults import Fault, FaultSpecError, parse_fault_spec

log = logging.getLogger("cx_assets.emulator")

# flag -> config field; values not given keep CX_EMULATOR_* or the defaults
_FLAGS: dict[str, tuple[str, type]] = {
    "--host": ("host", str),
    "--port": ("port", int),
    "--state-dir": ("state_dir", str),
    "--seed": ("seed", int),
    "--records-per-day": ("records_per_day", int),
    "--max-file-bytes": ("max_file_bytes", int),
    "--malformed-rate": ("malformed_rate", float),
    "--queue-delay": ("queue_delay_s", float),
    "--run-delay": ("run_delay_s", float),
    "--token-ttl": ("token_ttl_s", int),
    "--rate-limit": ("rate_limit_per_minute", int),
    "--rate-window": ("rate_window_s", float),
    "--url-expiry": ("url_expiry_s", int),
    "--cxone-records-per-day": ("cxone_records_per_day", int),
    "--cxone-missing-rate": ("cxone_missing_rate", float),
    "--cxone-rate-limit": ("cxone_rate_limit_per_minute", int),
    "--cxone-contacts-per-day": ("cxone_contacts_per_day", int),
    "--cxone-max-top": ("cxone_max_top", int),
    "--cxone-max-window-days": ("cxone_max_window_days", int),
    "--cxone-max-updated-since-days": ("cxone_max_updated_since_days", int),
    "--details-conversations-per-day": ("details_conversations_per_day", int),
    "--details-job-delay": ("details_job_delay_s", float),
    "--details-job-lifetime": ("details_job_lifetime_s", float),
    "--details-max-page-size": ("details_max_page_size", int),
    "--details-availability-lag": ("details_availability_lag_s", float),
    "--datatable-max-rows": ("datatable_max_rows", int),
    "--datatable-job-delay": ("datatable_job_delay_s", float),
    "--datatable-max-page-size": ("datatable_max_page_size", int),
    "--gdpr-step": ("gdpr_step_s", float),
    "--gdpr-results-files": ("gdpr_results_files", int),
    "--audit-query": ("audit_query_s", float),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cx-assets emulator",
        description="Serve the Genesys Cloud emulator (OAuth, data exports, presigned files).",
    )
    for flag, (name, cast) in _FLAGS.items():
        parser.add_argument(flag, dest=name, type=cast, default=None)
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="SPEC",
        help="e.g. http_429:rate=0.05 or corrupt_file:count=1 (repeatable)",
    )
    parser.add_argument(
        "--client-permissions",
        default=None,
        metavar="JSON",
        help='platform permissions per client, e.g. {"emulator-client": []} (default: all)',
    )
    parser.add_argument(
        "--datatable-seed-rows",
        default=None,
        metavar="JSON",
        help='rows per seeded platform data table id, e.g. {"<table id>": 5000}',
    )
    parser.add_argument("--log-level", default="warning", help="uvicorn's log level")
    return parser


def config_from_args(args: argparse.Namespace) -> EmulatorConfig:
    config = EmulatorConfig.from_env()
    given = {name: getattr(args, name) for name, _ in _FLAGS.values()}
    changes: dict[str, object] = {k: v for k, v in given.items() if v is not None}
    if args.client_permissions:
        changes["client_permissions"] = parse_permissions(
            "--client-permissions", args.client_permissions
        )
    if args.datatable_seed_rows:
        changes["datatable_seed_rows"] = parse_seed_rows(
            "--datatable-seed-rows", args.datatable_seed_rows
        )
    if args.fault:
        changes["faults"] = (*config.faults, *(parse_fault_spec(s) for s in args.fault))
    return dataclasses.replace(config, **changes)


def config_to_argv(config: EmulatorConfig) -> list[str]:
    """The flags that reproduce `config` (clients and signing secret travel by environment)."""
    argv: list[str] = []
    for flag, (name, _) in _FLAGS.items():
        argv += [flag, str(getattr(config, name))]
    if config.client_permissions:
        permissions = {k: list(v) for k, v in config.client_permissions.items()}
        argv += ["--client-permissions", json.dumps(permissions)]
    if config.datatable_seed_rows:
        argv += ["--datatable-seed-rows", json.dumps(dict(config.datatable_seed_rows))]
    for fault in config.faults:
        argv += ["--fault", _fault_spec(fault)]
    return argv


def _fault_spec(fault: Fault) -> str:
    params = ",".join(f"{k}={v}" for k, v in fault.to_json().items() if k != "kind")
    return f"{fault.kind}:{params}" if params else fault.kind


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        config = config_from_args(args)
    except (FaultSpecError, ValueError) as exc:
        print(f"cx-assets emulator: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    log.setLevel(logging.INFO)  # the start line shows even if the caller configured WARNING
    log.info(
        "cx-assets emulator listening on %s (state dir %s, client %s)",
        config.url,
        config.state_dir,
        next(iter(config.clients), "-"),
    )
    uvicorn.run(
        create_app(config),
        host=config.host,
        port=config.port,
        log_level=args.log_level,
        access_log=False,  # access lines would carry presigned-URL signatures
        timeout_graceful_shutdown=2,
    )
    return 0
