"""The emulator's shared state, and the shape of a pluggable API module.

A new Genesys flow (or a flow's platform mode) is one `genesys/<flow>/tutorial.py` (or
`platform.py`) that exports an `Api` (its scopes, its routes and an optional service started with
the app) plus one line in `app.APIS`. CXone is
mounted apart, under `/cxone` with its own tokens and budget (`cxone.mounts`), and keeps its
services in the same `EmulatorContext.services`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from starlette.routing import BaseRoute

from cx_assets.emulator.auth import TokenStore
from cx_assets.emulator.config import EmulatorConfig
from cx_assets.emulator.faults import FaultBoard
from cx_assets.emulator.presign import Signer
from cx_assets.emulator.ratelimit import RateLimiter
from cx_assets.emulator.stats import Stats

#: Finds the file behind `/files/{owner_id}/{name}`: (path on disk, media type) or None.
FileResolver = Callable[[str, str], "tuple[Path, str] | None"]


class Service(Protocol):
    """What an API starts with the app: anything it must close on shutdown."""

    def close(self) -> None: ...


@dataclass(frozen=True)
class Api:
    """One flow's API: its token scopes, its routes and the service it starts (by `name`)."""

    name: str
    scopes: tuple[str, ...]
    routes: tuple[BaseRoute, ...]
    start: Callable[[EmulatorContext], Service] | None = None


@dataclass
class EmulatorContext:
    """Everything the routes share, on `app.state.ctx`: services by API name, file resolvers."""

    config: EmulatorConfig
    tokens: TokenStore
    limiter: RateLimiter
    faults: FaultBoard
    stats: Stats
    signer: Signer
    services: dict[str, Any] = field(default_factory=dict)
    file_resolvers: list[FileResolver] = field(default_factory=list)

    def resolve_file(self, owner_id: str, name: str) -> tuple[Path, str] | None:
        for resolver in self.file_resolvers:
            found = resolver(owner_id, name)
            if found is not None:
                return found
        return None
