"""Fault switches: the emulator's way to make the wire misbehave on purpose.

Tests and demos inject 429 storms, 5xx, dropped connections, corrupted or short files, expired
URLs and revoked tokens here, never by patching the client under test. A fault fires on the next
`count` matching requests, or on a `rate` share of them (seeded, so a run is repeatable).
"""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields, replace
from typing import Any, Literal

FaultKind = Literal[
    "http_429",
    "http_5xx",
    "unreadable_body",
    "drop_connection",
    "corrupt_file",
    "truncate_file",
    "slow",
    "hang",
    "expire_urls",
    "revoke_tokens",
    "export_failed",
    "table_modified",
    "reject_batch",
    "row_served_twice",
    "row_lost_on_upsert",
    "wrong_format",
    "record_dropped",
    "drop_callback",
    "concurrent_edit",
    "job_failed",
    "job_expired",
    "invalid_cursor",
    "slow_job",
    "watermark_lag",
    "datatable_export_failed",
    "datatable_import_failed",
    "datatable_import_row_failures",
    "cxone_token_expired",
    "gdpr_error",
    "gdpr_drop_after_create",
    "version_conflict_400",
    "audit_query_failed",
]
FAULT_KINDS: tuple[str, ...] = FaultKind.__args__  # type: ignore[attr-defined]

#: Kinds that act on any request before it reaches a route.
REQUEST_FAULTS = ("hang", "slow", "http_429", "http_5xx", "unreadable_body")
#: Kinds that act on a presigned file download.
FILE_FAULTS = ("drop_connection", "corrupt_file", "truncate_file")
#: Kinds whose `after` is a parameter of the effect, not a count of requests to let through
#: (`job_expired`: the job expires after `after` result pages).
AFTER_IS_A_PARAMETER = ("job_expired",)

DEFAULT_HANG_S = 600.0
DEFAULT_SLOW_S = 2.0


class FaultSpecError(ValueError):
    """A fault description that cannot be understood; the message names the bad part."""


@dataclass(frozen=True)
class Fault:
    """One switch. Neither count nor rate means count=1."""

    kind: str
    count: int | None = None
    rate: float | None = None
    path_prefix: str | None = None
    status: int | None = None
    retry_after: int | str | None = None
    delay_s: float | None = None
    #: Let this many matching requests through before the fault starts firing.
    after: int | None = None
    #: Kind-specific selector, e.g. `reject_batch` fires only on a batch with a cell equal to it.
    match: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            known = ", ".join(FAULT_KINDS)
            raise FaultSpecError(f"unknown fault kind {self.kind!r}; known: {known}")
        if self.count is not None and self.count < 1:
            raise FaultSpecError(f"{self.kind}: count must be >= 1")
        if self.rate is not None and not 0.0 <= self.rate <= 1.0:
            raise FaultSpecError(f"{self.kind}: rate must be between 0 and 1")
        if self.count is not None and self.rate is not None:
            raise FaultSpecError(f"{self.kind}: give count or rate, not both")
        if self.status is not None and not 500 <= self.status <= 599:
            raise FaultSpecError(f"{self.kind}: status must be a 5xx code")
        if isinstance(self.retry_after, str) and self.retry_after != "http-date":
            raise FaultSpecError(f"{self.kind}: retry_after must be seconds or 'http-date'")
        if self.delay_s is not None and self.delay_s < 0:
            raise FaultSpecError(f"{self.kind}: delay_s must be >= 0")
        if self.after is not None and self.after < 0:
            raise FaultSpecError(f"{self.kind}: after must be >= 0")

    def matches(self, path: str) -> bool:
        return self.path_prefix is None or path.startswith(self.path_prefix)

    def wait_s(self) -> float:
        """How long `slow` / `hang` hold a response."""
        if self.delay_s is not None:
            return self.delay_s
        return DEFAULT_HANG_S if self.kind == "hang" else DEFAULT_SLOW_S

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}

    @classmethod
    def from_json(cls, data: Any) -> Fault:
        if not isinstance(data, dict):
            raise FaultSpecError("a fault must be a JSON object with a 'kind'")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise FaultSpecError(f"unknown fault field(s): {', '.join(unknown)}")
        if "kind" not in data:
            raise FaultSpecError("a fault needs a 'kind'")
        return cls(**{k: _coerce(k, v) for k, v in data.items()})


def _coerce(key: str, value: Any) -> Any:
    """Turn CLI/JSON values into the field's type, naming the field when that fails."""
    if value is None or key in ("kind", "path_prefix", "match"):
        return value
    try:
        if key in ("count", "status", "after"):
            return int(value)
        if key in ("rate", "delay_s"):
            return float(value)
        if key == "retry_after":
            return value if value == "http-date" else int(value)
    except (TypeError, ValueError) as exc:
        raise FaultSpecError(f"fault field {key} has a bad value {value!r}") from exc
    return value


def parse_fault_spec(spec: str) -> Fault:
    """Parse `kind[:key=value[,key=value...]]`, e.g. `http_429:rate=0.05,retry_after=http-date`."""
    kind, _, params = spec.strip().partition(":")
    data: dict[str, Any] = {"kind": kind}
    for item in filter(None, params.split(",")):
        key, sep, value = item.partition("=")
        if not sep:
            raise FaultSpecError(f"fault parameter {item!r} in {spec!r} is not key=value")
        data[key.strip()] = value.strip()
    return Fault.from_json(data)


def parse_fault_list(text: str) -> list[Fault]:
    """Parse the `CX_EMULATOR_FAULTS` JSON list."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FaultSpecError(f"CX_EMULATOR_FAULTS is not JSON: {exc}") from exc
    if not isinstance(data, list):
        raise FaultSpecError("CX_EMULATOR_FAULTS must be a JSON list of faults")
    return [Fault.from_json(item) for item in data]


class FaultBoard:
    """The active faults. Thread-safe: routes, middleware and background threads all ask."""

    def __init__(self, faults: list[Fault] | tuple[Fault, ...] = (), seed: int = 42) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._rng = random.Random(seed)
        self._fired: dict[str, int] = {}
        for fault in faults:
            self.add(fault)

    def add(self, fault: Fault) -> None:
        if fault.count is None and fault.rate is None:
            fault = replace(fault, count=1)
        with self._lock:
            self._faults.append(fault)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def active(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    def fired(self) -> dict[str, int]:
        with self._lock:
            return dict(self._fired)

    def note_fired(self, kind: str) -> None:
        """Count a fault that acted at once (revoke_tokens) rather than on a request."""
        with self._lock:
            self._fired[kind] = self._fired.get(kind, 0) + 1

    def take(
        self, kind: str, path: str = "", applies: Callable[[Fault], bool] | None = None
    ) -> Fault | None:
        """The fault of `kind` that fires for this request, if any; uses up one `count`.

        `applies` lets a route narrow a fault to the requests it is about (e.g. `match`), so
        requests it does not apply to neither fire it nor use up its `count` or `after`.
        """
        with self._lock:
            for index, fault in enumerate(self._faults):
                if fault.kind != kind or not fault.matches(path):
                    continue
                if applies is not None and not applies(fault):
                    continue
                if fault.after and kind not in AFTER_IS_A_PARAMETER:
                    self._faults[index] = replace(fault, after=fault.after - 1)
                    continue
                if fault.count is not None:
                    if fault.count == 1:
                        del self._faults[index]
                    else:
                        self._faults[index] = replace(fault, count=fault.count - 1)
                elif self._rng.random() >= (fault.rate or 0.0):
                    continue
                self._fired[kind] = self._fired.get(kind, 0) + 1
                return fault
        return None
