"""The emulator's data tables by id: the service the data tables routes start with the app.

Start-up only creates the (empty, lazy) `DataTable` objects, one per seed table; each builds
its rows and replays its journal on first access (table.py). The `table_modified` fault edits
one row through here, drawing from one seeded generator so a run is repeatable.
"""

from __future__ import annotations

import random
import threading
from pathlib import Path

from cx_assets.emulator.genesys.datatables.schema import TableError
from cx_assets.emulator.genesys.datatables.seed import SEED_TABLES
from cx_assets.emulator.genesys.datatables.table import DataTable


class DataTableStore:
    """The tables by id. Start-up only creates the (empty, lazy) table objects."""

    def __init__(self, state_dir: Path, seed: int) -> None:
        folder = state_dir / "datatables"
        self._rng = random.Random(seed)
        self._rng_lock = threading.Lock()
        self.tables: dict[str, DataTable] = {
            t.id: DataTable(t, seed, folder / f"{t.id}.jsonl") for t in SEED_TABLES
        }

    def get(self, table_id: str) -> DataTable:
        table = self.tables.get(table_id)
        if table is None:
            raise TableError(404, f"data table {table_id} not found")
        return table

    def listing(self) -> list[dict[str, str]]:
        return [{"id": t.id, "name": t.name} for t in self.tables.values()]

    def modify_one(self, table_id: str) -> int:
        with self._rng_lock:
            rng = random.Random(self._rng.random())
        return self.get(table_id).modify_one(rng)

    def close(self) -> None:
        """Nothing to flush: every change was journaled when it was made."""
