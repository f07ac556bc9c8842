"""Shared set-up for end-to-end tests: an emulator, a data root and a real Dagster instance."""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg
import httpx

from cx_assets import settings
from cx_assets.catalog.queries import query
from cx_assets.defs.conversations import ASSET_CHECKS, ASSETS
from cx_assets.defs.resources import CatalogResource, GenesysCloudResource
from cx_assets.emulator import EmulatorServer

FAST_EMULATOR = {"queue_delay_s": 0.0, "run_delay_s": 0.05, "records_per_day": 60}


@dataclass
class Pipeline:
    """Materialise days through a real instance against a running emulator."""

    emulator: EmulatorServer
    data_dir: Path
    instance: dg.DagsterInstance

    def resources(self, **genesys: Any) -> dict[str, Any]:
        """Tutorial mode unless a test asks for `api_mode="platform"`."""
        genesys.setdefault("api_mode", "tutorial")
        return {
            "genesys": GenesysCloudResource(
                api_url=self.emulator.url,
                login_url=self.emulator.url,
                client_id=self.emulator.client_id,
                client_secret=self.emulator.client_secret,
                max_retry_seconds=30.0,
                **genesys,
            ),
            "catalog": CatalogResource(data_dir=str(self.data_dir)),
        }

    def materialize(
        self, day: str, *, raise_on_error: bool = True, selection: str | None = None, **genesys: Any
    ) -> dg.ExecuteInProcessResult:
        """Both conversation assets and their checks for `day`, or what `selection` names."""
        return dg.materialize(
            [*ASSETS, *ASSET_CHECKS],
            selection=selection,
            partition_key=day,
            instance=self.instance,
            resources=self.resources(**genesys),
            raise_on_error=raise_on_error,
        )

    def materialize_assets(
        self,
        assets: list[Any],
        *,
        partition_key: str | None = None,
        raise_on_error: bool = True,
        **genesys: Any,
    ) -> dg.ExecuteInProcessResult:
        return dg.materialize(
            assets,
            partition_key=partition_key,
            instance=self.instance,
            resources=self.resources(**genesys),
            raise_on_error=raise_on_error,
        )

    def token(self) -> str:
        """A bearer token with every Genesys scope, for a test acting as "someone else"."""
        response = httpx.post(
            f"{self.emulator.url}/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(self.emulator.client_id, self.emulator.client_secret),
        )
        response.raise_for_status()
        return str(response.json()["access_token"])

    @property
    def catalog_path(self) -> Path:
        return self.data_dir / "catalog.duckdb"

    def sql(self, text: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        return query(self.catalog_path, text, params).rows


def make_instance(home: Path) -> dg.DagsterInstance:
    home.mkdir(parents=True, exist_ok=True)
    shutil.copy(settings.project_root() / "dagster.yaml", home / "dagster.yaml")
    return dg.DagsterInstance.from_config(str(home))


@contextlib.contextmanager
def running_pipeline(root: Path, **emulator: Any) -> Iterator[Pipeline]:
    """An emulator (FAST_EMULATOR plus `emulator` overrides), a data root and an instance."""
    server = EmulatorServer(state_dir=root / "emulator", **{**FAST_EMULATOR, **emulator}).start()
    instance = make_instance(root / "dagster_home")
    try:
        yield Pipeline(server, root / "data", instance)
    finally:
        instance.dispose()
        server.stop()
