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
MIB = 1024 * 1024


def default_state_dir() -> Path:
    """`$CX_DATA_DIR/emulator` (CX_DATA_DIR defaults to `./.cx_data`)."""
    return Path(os.environ.get("CX_DATA_DIR") or ".cx_data").resolve() / "emulator"


@dataclass(frozen=True)
class EmulatorConfig:
    """Everything the emulator needs to behave like a tenant.

    `client_scopes` restricts what a client may be granted; a client not named there may have
    every scope the emulator knows. `signing_secret` None means one is created once and kept in
    the state dir, so presigned URLs stay valid across restarts.
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
    clients: Mapping[str, str] = field(default_factory=lambda: DEFAULT_CLIENTS)
    client_scopes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    url_expiry_s: int = 900
    signing_secret: str | None = None
    faults: tuple[Fault, ...] = ()

    def __post_init__(self) -> None:
        checks = {
            "records_per_day": self.records_per_day >= 0,
            "max_file_bytes": self.max_file_bytes >= 1024,
            "malformed_rate": 0.0 <= self.malformed_rate <= 1.0,
            "token_ttl_s": self.token_ttl_s >= 1,
            "rate_limit_per_minute": self.rate_limit_per_minute >= 1,
            "url_expiry_s": self.url_expiry_s >= 1,
            "queue_delay_s": self.queue_delay_s >= 0,
            "run_delay_s": self.run_delay_s >= 0,
        }
        bad = [name for name, ok in checks.items() if not ok]
        if bad:
            raise ValueError(f"emulator config out of range: {', '.join(bad)}")
        object.__setattr__(self, "state_dir", Path(self.state_dir))
        object.__setattr__(self, "faults", tuple(self.faults))

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

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
            "URL_EXPIRY_S": ("url_expiry_s", int),
            "SIGNING_SECRET": ("signing_secret", str),
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
        if raw := env.get("CX_EMULATOR_CLIENTS"):
            clients = json.loads(raw)
            if not isinstance(clients, dict):
                raise ValueError("CX_EMULATOR_CLIENTS must be a JSON object of id -> secret")
            kwargs["clients"] = MappingProxyType({str(k): str(v) for k, v in clients.items()})
        if raw := env.get("CX_EMULATOR_FAULTS"):
            kwargs["faults"] = tuple(parse_fault_list(raw))
        return cls(**kwargs)  # type: ignore[arg-type]
