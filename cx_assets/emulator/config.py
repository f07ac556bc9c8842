"""Emulator settings: one frozen value built from defaults, CLI flags or CX_EMULATOR_* variables."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from cx_assets.emulator.faults import Fault, parse_fault_list

DEFAULT_CLIENTS: Mapping[str, str] = MappingProxyType({"emulator-client": "emulator-secret"})
DEFAULT_CXONE_CLIENTS: Mapping[str, str] = MappingProxyType(
    {"emulator-cxone-key": "emulator-cxone-secret"}
)
MIB = 1024 * 1024
#: The most results files a completed GDPR export may be split into.
MAX_GDPR_RESULTS_FILES = 100


def default_state_dir() -> Path:
    """`$CX_DATA_DIR/emulator` (CX_DATA_DIR defaults to `./.cx_data`)."""
    return Path(os.environ.get("CX_DATA_DIR") or ".cx_data").resolve() / "emulator"


@dataclass(frozen=True)
class EmulatorConfig:
    """Everything the emulator needs to behave like a tenant.

    `client_scopes` restricts what a client may be granted; a client not named there may have
    every scope the emulator knows. `signing_secret` None means one is created once and kept in
    the state dir, so presigned URLs stay valid across restarts.

    `cxone_*` settings belong to the NICE CXone side (its own clients, budget and data); its
    delays left at None follow `queue_delay_s` / `run_delay_s`, so one fast setting in tests
    speeds up both vendors.
    """

    host: str = "127.0.0.1"
    port: int = 8765
    state_dir: Path = field(default_factory=default_state_dir)
    seed: int = 42
    records_per_day: int = 200
    max_file_bytes: int = 64 * MIB
    malformed_rate: float = 0.0
    queue_delay_s: float = 0.2
    run_delay_s: float = 0.5
    token_ttl_s: int = 3600
    rate_limit_per_minute: int = 300
    #: The rate-limit window (the budget is per window); 60 s like the vendors, short in tests.
    rate_window_s: float = 60.0
    clients: Mapping[str, str] = field(default_factory=lambda: DEFAULT_CLIENTS)
    client_scopes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    url_expiry_s: int = 900
    signing_secret: str | None = None
    faults: tuple[Fault, ...] = ()
    cxone_clients: Mapping[str, str] = field(default_factory=lambda: DEFAULT_CXONE_CLIENTS)
    cxone_records_per_day: int = 200
    cxone_missing_rate: float = 0.005
    cxone_rate_limit_per_minute: int = 300
    cxone_queue_delay_s: float | None = None
    cxone_run_delay_s: float | None = None
    #: CXone platform mode (`/cxone-platform`, Reporting API contacts/completed): completed
    #: contacts per UTC day, the largest (and default) `top`, the longest startDate..endDate
    #: window and how far back `updatedSince` may go.
    cxone_contacts_per_day: int = 200
    cxone_max_top: int = 10000
    cxone_max_window_days: int = 31
    cxone_max_updated_since_days: int = 30
    #: Privacy export requests: delays left at None follow `queue_delay_s` / `run_delay_s`.
    privacy_queue_delay_s: float | None = None
    privacy_run_delay_s: float | None = None
    #: Signs completion callbacks (shared with the receiver out of band; not shown in repr).
    webhook_secret: str = field(default="emulator-webhook-secret", repr=False)
    #: A failed callback is retried up to `callback_attempts` in all, sleeping from
    #: `callback_backoff_s`, doubling each time.
    callback_attempts: int = 5
    callback_backoff_s: float = 0.5
    #: Platform mode (analytics conversation details jobs): conversations per UTC day, the time a
    #: job takes from QUEUED to FULFILLED, how long its results live after that, the largest
    #: pageSize a results call may ask for, and how far `dataAvailabilityDate` lags now.
    details_conversations_per_day: int = 200
    details_job_delay_s: float = 0.2
    details_job_lifetime_s: float = 3600.0
    details_max_page_size: int = 1000
    details_availability_lag_s: float = 6 * 3600.0
    #: client_id -> the permissions its role has (platform paths); a client not named here has
    #: every permission.
    client_permissions: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: Platform data tables (`/api/v2/flows/datatables`): the most rows a table may hold (HC:
    #: 5000, raisable), how long an export/import job stays Processing, the largest rows
    #: `pageSize`, and per seeded table id a row count replacing its default (benchmarks).
    datatable_max_rows: int = 5000
    datatable_job_delay_s: float = 0.2
    datatable_max_page_size: int = 500
    datatable_seed_rows: Mapping[str, int] = field(default_factory=dict)
    #: Platform GDPR requests (`/api/v2/gdpr/requests`): how long each status step lasts, and
    #: how many results files a completed export has (1: `resultsUrl` only).
    gdpr_step_s: float = 0.3
    gdpr_results_files: int = 1
    #: Platform audit queries (`POST /api/v2/audits/query` with an `interval`): the time a query
    #: takes from Queued to Succeeded (half of it Queued, half Running).
    audit_query_s: float = 0.2

    def __post_init__(self) -> None:
        checks = {
            "records_per_day": self.records_per_day >= 0,
            "max_file_bytes": self.max_file_bytes >= 1024,
            "malformed_rate": 0.0 <= self.malformed_rate <= 1.0,
            "token_ttl_s": self.token_ttl_s >= 1,
            "rate_limit_per_minute": self.rate_limit_per_minute >= 1,
            "rate_window_s": self.rate_window_s > 0,
            "url_expiry_s": self.url_expiry_s >= 1,
            "queue_delay_s": self.queue_delay_s >= 0,
            "run_delay_s": self.run_delay_s >= 0,
            "cxone_records_per_day": self.cxone_records_per_day >= 0,
            "cxone_missing_rate": 0.0 <= self.cxone_missing_rate <= 1.0,
            "cxone_rate_limit_per_minute": self.cxone_rate_limit_per_minute >= 1,
            "cxone_queue_delay_s": (self.cxone_queue_delay_s or 0) >= 0,
            "cxone_run_delay_s": (self.cxone_run_delay_s or 0) >= 0,
            # contactIds are day ordinal * 10**7 + index: a day holds fewer than 10**7
            "cxone_contacts_per_day": 0 <= self.cxone_contacts_per_day < 10**7,
            "cxone_max_top": self.cxone_max_top >= 1,
            "cxone_max_window_days": self.cxone_max_window_days >= 1,
            "cxone_max_updated_since_days": self.cxone_max_updated_since_days >= 1,
            "privacy_queue_delay_s": (self.privacy_queue_delay_s or 0) >= 0,
            "privacy_run_delay_s": (self.privacy_run_delay_s or 0) >= 0,
            "webhook_secret": bool(self.webhook_secret),
            "callback_attempts": self.callback_attempts >= 1,
            "callback_backoff_s": self.callback_backoff_s >= 0,
            "details_conversations_per_day": self.details_conversations_per_day >= 0,
            "details_job_delay_s": self.details_job_delay_s >= 0,
            "details_job_lifetime_s": self.details_job_lifetime_s > 0,
            "details_max_page_size": self.details_max_page_size >= 1,
            "details_availability_lag_s": self.details_availability_lag_s >= 0,
            "datatable_max_rows": self.datatable_max_rows >= 1,
            "datatable_job_delay_s": self.datatable_job_delay_s >= 0,
            "datatable_max_page_size": self.datatable_max_page_size >= 1,
            "datatable_seed_rows": all(n >= 0 for n in self.datatable_seed_rows.values()),
            "gdpr_step_s": self.gdpr_step_s >= 0,
            "gdpr_results_files": 1 <= self.gdpr_results_files <= MAX_GDPR_RESULTS_FILES,
            "audit_query_s": self.audit_query_s >= 0,
        }
        bad = [name for name, ok in checks.items() if not ok]
        if bad:
            raise ValueError(f"emulator config out of range: {', '.join(bad)}")
        object.__setattr__(self, "state_dir", Path(self.state_dir))
        object.__setattr__(self, "faults", tuple(self.faults))
        permissions = {str(k): tuple(v) for k, v in self.client_permissions.items()}
        object.__setattr__(self, "client_permissions", MappingProxyType(permissions))
        seed_rows = {str(k): int(v) for k, v in self.datatable_seed_rows.items()}
        object.__setattr__(self, "datatable_seed_rows", MappingProxyType(seed_rows))

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def cxone_delays_s(self) -> tuple[float, float]:
        """CXone's (pending, processing) durations, falling back to the Genesys delays."""
        queue = self.queue_delay_s if self.cxone_queue_delay_s is None else self.cxone_queue_delay_s
        run = self.run_delay_s if self.cxone_run_delay_s is None else self.cxone_run_delay_s
        return queue, run

    @property
    def privacy_delays_s(self) -> tuple[float, float]:
        """Privacy requests' (queued, processing) durations, falling back to the Genesys delays."""
        queue, run = self.privacy_queue_delay_s, self.privacy_run_delay_s
        return (
            self.queue_delay_s if queue is None else queue,
            self.run_delay_s if run is None else run,
        )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> EmulatorConfig:
        """Read CX_EMULATOR_* variables (unset ones keep their defaults)."""
        env = os.environ if environ is None else environ
        kwargs: dict[str, object] = {}
        casts = {
            "HOST": ("host", str),
            "PORT": ("port", int),
            "STATE_DIR": ("state_dir", Path),
            "SEED": ("seed", int),
            "RECORDS_PER_DAY": ("records_per_day", int),
            "MAX_FILE_BYTES": ("max_file_bytes", int),
            "MALFORMED_RATE": ("malformed_rate", float),
            "QUEUE_DELAY_S": ("queue_delay_s", float),
            "RUN_DELAY_S": ("run_delay_s", float),
            "TOKEN_TTL_S": ("token_ttl_s", int),
            "RATE_LIMIT": ("rate_limit_per_minute", int),
            "RATE_WINDOW_S": ("rate_window_s", float),
            "URL_EXPIRY_S": ("url_expiry_s", int),
            "SIGNING_SECRET": ("signing_secret", str),
            "CXONE_RECORDS_PER_DAY": ("cxone_records_per_day", int),
            "CXONE_MISSING_RATE": ("cxone_missing_rate", float),
            "CXONE_RATE_LIMIT": ("cxone_rate_limit_per_minute", int),
            "CXONE_QUEUE_DELAY_S": ("cxone_queue_delay_s", float),
            "CXONE_RUN_DELAY_S": ("cxone_run_delay_s", float),
            "CXONE_CONTACTS_PER_DAY": ("cxone_contacts_per_day", int),
            "CXONE_MAX_TOP": ("cxone_max_top", int),
            "CXONE_MAX_WINDOW_DAYS": ("cxone_max_window_days", int),
            "CXONE_MAX_UPDATED_SINCE_DAYS": ("cxone_max_updated_since_days", int),
            "PRIVACY_QUEUE_DELAY_S": ("privacy_queue_delay_s", float),
            "PRIVACY_RUN_DELAY_S": ("privacy_run_delay_s", float),
            "WEBHOOK_SECRET": ("webhook_secret", str),
            "CALLBACK_ATTEMPTS": ("callback_attempts", int),
            "CALLBACK_BACKOFF_S": ("callback_backoff_s", float),
            "DETAILS_CONVERSATIONS_PER_DAY": ("details_conversations_per_day", int),
            "DETAILS_JOB_DELAY_S": ("details_job_delay_s", float),
            "DETAILS_JOB_LIFETIME_S": ("details_job_lifetime_s", float),
            "DETAILS_MAX_PAGE_SIZE": ("details_max_page_size", int),
            "DETAILS_AVAILABILITY_LAG_S": ("details_availability_lag_s", float),
            "DATATABLE_MAX_ROWS": ("datatable_max_rows", int),
            "DATATABLE_JOB_DELAY_S": ("datatable_job_delay_s", float),
            "DATATABLE_MAX_PAGE_SIZE": ("datatable_max_page_size", int),
            "GDPR_STEP_S": ("gdpr_step_s", float),
            "GDPR_RESULTS_FILES": ("gdpr_results_files", int),
            "AUDIT_QUERY_S": ("audit_query_s", float),
        }
        for suffix, (name, cast) in casts.items():
            raw = env.get(f"CX_EMULATOR_{suffix}")
            if raw:
                try:
                    kwargs[name] = cast(raw)
                except ValueError as exc:
                    raise ValueError(f"CX_EMULATOR_{suffix} has a bad value {raw!r}") from exc
        if "state_dir" not in kwargs and env.get("CX_DATA_DIR"):
            kwargs["state_dir"] = Path(env["CX_DATA_DIR"]).resolve() / "emulator"
        for suffix, name in (("CLIENTS", "clients"), ("CXONE_CLIENTS", "cxone_clients")):
            if raw := env.get(f"CX_EMULATOR_{suffix}"):
                kwargs[name] = _clients(f"CX_EMULATOR_{suffix}", raw)
        if raw := env.get("CX_EMULATOR_CLIENT_PERMISSIONS"):
            kwargs["client_permissions"] = parse_permissions("CX_EMULATOR_CLIENT_PERMISSIONS", raw)
        if raw := env.get("CX_EMULATOR_DATATABLE_SEED_ROWS"):
            kwargs["datatable_seed_rows"] = parse_seed_rows("CX_EMULATOR_DATATABLE_SEED_ROWS", raw)
        if raw := env.get("CX_EMULATOR_FAULTS"):
            kwargs["faults"] = tuple(parse_fault_list(raw))
        return cls(**kwargs)  # type: ignore[arg-type]


def _clients(variable: str, raw: str) -> Mapping[str, str]:
    try:
        clients = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{variable} is not JSON: {exc}") from exc
    if not isinstance(clients, dict):
        raise ValueError(f"{variable} must be a JSON object of id -> secret")
    return MappingProxyType({str(k): str(v) for k, v in clients.items()})


def parse_permissions(source: str, raw: str) -> Mapping[str, tuple[str, ...]]:
    """`{"client-id": ["analytics:conversationDetail:view", ...]}` from JSON text."""
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{source} is not JSON: {exc}") from exc
    ok = isinstance(data, dict) and all(
        isinstance(v, list) and all(isinstance(p, str) for p in v) for v in data.values()
    )
    if not ok:
        raise ValueError(f"{source} must be a JSON object of client id -> list of permissions")
    return MappingProxyType({str(k): tuple(v) for k, v in data.items()})


def parse_seed_rows(variable: str, raw: str) -> Mapping[str, int]:
    """`{"<table id>": <rows>}` from JSON text (platform data tables seeded row counts)."""
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{variable} is not JSON: {exc}") from exc
    ok = isinstance(data, dict) and all(
        isinstance(v, int) and not isinstance(v, bool) for v in data.values()
    )
    if not ok:
        raise ValueError(f"{variable} must be a JSON object of table id -> row count")
    return MappingProxyType({str(k): v for k, v in data.items()})
