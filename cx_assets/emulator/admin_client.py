"""A tiny client for the admin endpoints, so tests and benchmarks set faults in one line."""

from __future__ import annotations

from typing import Any

import httpx

from cx_assets.emulator.faults import Fault, parse_fault_spec

FaultLike = Fault | str | dict[str, Any]


def _as_json(fault: FaultLike) -> dict[str, Any]:
    if isinstance(fault, str):
        return parse_fault_spec(fault).to_json()
    if isinstance(fault, Fault):
        return fault.to_json()
    return Fault.from_json(fault).to_json()


class EmulatorAdmin:
    def __init__(self, url: str, timeout: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout

    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        response = httpx.request(method, self.url + path, timeout=self.timeout, **kwargs)
        response.raise_for_status()
        return response.json()

    def add_faults(self, *faults: FaultLike) -> dict[str, Any]:
        """Add faults given as `Fault`, dicts or CLI specs like `"http_429:count=2"`."""
        return self._call("POST", "/admin/faults", json={"faults": [_as_json(f) for f in faults]})

    def clear_faults(self) -> dict[str, Any]:
        return self._call("DELETE", "/admin/faults")

    def faults(self) -> dict[str, Any]:
        return self._call("GET", "/admin/faults")

    def stats(self) -> dict[str, Any]:
        return self._call("GET", "/admin/stats")

    def healthy(self) -> bool:
        try:
            return self._call("GET", "/admin/health").get("status") == "ok"
        except httpx.HTTPError:
            return False
