"""The platform side's state: tokens, the per-tenant budget, contacts, late updates, stats."""

from __future__ import annotations

import threading
from typing import Any

from cx_assets.emulator.config import EmulatorConfig
from cx_assets.emulator.cxone.platform.contacts import DayGenerator
from cx_assets.emulator.cxone.platform.selection import Selector
from cx_assets.emulator.cxone.platform.tokens import PlatformTokens
from cx_assets.emulator.cxone.platform.updates import UpdateStore
from cx_assets.emulator.ratelimit import RateLimiter

SERVICE = "cxone_platform"


class PlatformService:
    """One per app, in `ctx.services["cxone_platform"]`."""

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self.tokens = PlatformTokens(config.token_ttl_s)
        self.limiter = RateLimiter(
            config.cxone_rate_limit_per_minute, window_s=config.rate_window_s
        )
        self.generator = DayGenerator(
            config.seed, config.cxone_contacts_per_day, config.cxone_missing_rate
        )
        self.updates = UpdateStore(config.state_dir)
        self.selector = Selector(self.generator, self.updates)
        self._lock = threading.Lock()
        self._issued: dict[str, int] = {}
        self._requests: list[dict[str, Any]] = []
        self._late_updates: list[dict[str, Any]] = []

    def count_issued(self, grant: str) -> None:
        with self._lock:
            self._issued[grant] = self._issued.get(grant, 0) + 1

    def log_request(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self._requests.append(entry)

    def log_late_update(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self._late_updates.append(entry)

    def stats(self) -> dict[str, Any]:
        """`/admin/stats` → `cxone_platform`: what the client under test did, in order."""
        with self._lock:
            refreshes = self._issued.get("refresh_token", 0) + self._issued.get("user_refresh", 0)
            return {
                "tokens_issued": dict(self._issued),
                "refreshes": refreshes,
                "contacts_requests": list(self._requests),
                "late_updates": list(self._late_updates),
            }

    def close(self) -> None:
        """Nothing to release: updates are written as they happen."""
