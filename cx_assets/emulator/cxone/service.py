"""CXone's own state: a token store, a request budget and the export jobs.

Separate `TokenStore` / `RateLimiter` instances from the Genesys side, so a token of one vendor
is unknown to the other and each vendor has its own budget.
"""

from __future__ import annotations

from dataclasses import dataclass

from cx_assets.emulator.auth import TokenStore
from cx_assets.emulator.config import EmulatorConfig
from cx_assets.emulator.cxone.store import CxoneExportStore
from cx_assets.emulator.ratelimit import RateLimiter

SCOPES = ("analytics:export:read", "analytics:export:write", "reports:read")


@dataclass
class CxoneService:
    tokens: TokenStore
    limiter: RateLimiter
    exports: CxoneExportStore

    @classmethod
    def from_config(cls, config: EmulatorConfig) -> CxoneService:
        return cls(
            tokens=TokenStore(config.cxone_clients, {}, SCOPES, config.token_ttl_s),
            limiter=RateLimiter(config.cxone_rate_limit_per_minute, window_s=config.rate_window_s),
            exports=CxoneExportStore(config),
        )

    def close(self) -> None:
        self.exports.close()
