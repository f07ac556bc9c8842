"""The platform data tables service: the seeded tables by id, and their export and import jobs.

Start-up only creates the (empty, lazy) table objects; each builds its seeded rows and replays
its journal on first access (platform_table.py). Jobs live in platform_jobs.py.
"""

from __future__ import annotations

import fnmatch
from pathlib import Path

from cx_assets.emulator.config import EmulatorConfig
from cx_assets.emulator.errors import ApiError
from cx_assets.emulator.genesys.datatables.platform_seed import PLATFORM_SEED_TABLES
from cx_assets.emulator.genesys.datatables.platform_table import PlatformTable

STATE_FOLDER = "datatables_platform"


def state_folder(config: EmulatorConfig) -> Path:
    return config.state_dir / STATE_FOLDER


class PlatformTables:
    """The tables by id, in a stable order (the seed order)."""

    def __init__(self, config: EmulatorConfig) -> None:
        folder = state_folder(config)
        self.tables: dict[str, PlatformTable] = {}
        for seed_table in PLATFORM_SEED_TABLES:
            count = config.datatable_seed_rows.get(seed_table.id, seed_table.default_rows)
            journal = folder / f"{seed_table.id}.jsonl"
            self.tables[seed_table.id] = PlatformTable(seed_table, config.seed, count, journal)

    def get(self, table_id: str) -> PlatformTable:
        table = self.tables.get(table_id)
        if table is None:
            raise ApiError(404, f"data table {table_id} not found", code="not.found")
        return table

    def find(self, name: str | None, sort_by: str | None, descending: bool) -> list[PlatformTable]:
        """The tables whose name matches `name` (`*` wildcard, case-insensitive), sorted."""
        found = list(self.tables.values())
        if name:
            pattern = name.casefold()
            found = [t for t in found if fnmatch.fnmatchcase(t.name.casefold(), pattern)]
        if sort_by == "name":
            found.sort(key=lambda t: t.name.casefold())
        elif sort_by == "id":
            found.sort(key=lambda t: t.id)
        if descending:
            found.reverse()
        return found
