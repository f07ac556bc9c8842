"""One platform data table: rows by key in a stable order, single-row edits, CSV imports, and a
journal so edits survive a restart.

Rows are immutable dicts in one insertion-ordered dict (key -> row): an edit replaces a row's
dict (keeping its place), so `snapshot()` is a cheap consistent copy of the table at one instant,
which is what an export job holds while later edits go on.

Persistence follows the tutorial tables (table.py): a table never changed is rebuilt from the
seed; every change is one JSON line appended to `state_dir/datatables_platform/<id>.jsonl`,
replayed over the seed on first access after a restart. The header line names the seed and the
seeded row count; a journal written for others is dropped.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cx_assets.emulator.errors import ApiError
from cx_assets.emulator.genesys.datatables.platform_seed import (
    HOME_DIVISION,
    PlatformRow,
    PlatformSeedTable,
    seed_platform_rows,
)

log = logging.getLogger(__name__)
BASE = "/api/v2/flows/datatables"


@dataclass(frozen=True)
class Applied:
    """What an import changed: rows written, rows deleted (ReplaceAll), rows over the limit."""

    updated: int
    deleted: int
    over_limit: list[int]  # indexes into the candidate list
    committed: bool


class PlatformTable:
    """One table; every method is thread-safe; the seeded rows are built on first use."""

    def __init__(self, seed_table: PlatformSeedTable, seed: int, count: int, journal: Path) -> None:
        self.id = seed_table.id
        self.name = seed_table.name
        self.props = seed_table.props
        self._seed_table = seed_table
        self._seed = seed
        self._count = count
        self._journal = journal
        self._lock = threading.RLock()
        self._loaded = False
        self._rows: dict[str, PlatformRow] = {}

    # -- loading and persistence ------------------------------------------------------------

    def _ensure(self) -> None:
        if self._loaded:
            return
        with self._lock:
            if self._loaded:
                return
            rows = seed_platform_rows(self._seed_table, self._seed, self._count)
            self._rows = {row["key"]: row for row in rows}
            self._replay()
            self._loaded = True

    def _header(self) -> dict[str, Any]:
        return {"seed": self._seed, "table": self.id, "seedRows": self._count}

    def _replay(self) -> None:
        if not self._journal.exists():
            return
        with self._journal.open(encoding="utf-8") as lines:
            header = lines.readline()
            if not header.strip() or json.loads(header) != self._header():
                log.warning("ignoring %s: it was written for another seed", self._journal)
                self._journal.unlink()
                return
            for line in lines:
                try:
                    event = json.loads(line)
                except ValueError:
                    log.warning("ignoring a torn last line in %s", self._journal)
                    break
                self._apply(event)

    def _apply(self, event: dict[str, Any]) -> None:
        op = event["op"]
        if op == "put":
            self._rows[event["row"]["key"]] = event["row"]
        elif op == "delete":
            self._rows.pop(event["key"], None)
        elif op == "replace":
            self._rows = {row["key"]: row for row in event["rows"]}
        else:  # "upsert"
            for row in event["rows"]:
                self._rows[row["key"]] = row

    def _record(self, event: dict[str, Any]) -> None:
        """Apply a change and append it to the journal as one line."""
        self._apply(event)
        self._journal.parent.mkdir(parents=True, exist_ok=True)
        new = not self._journal.exists()
        with self._journal.open("a", encoding="utf-8") as out:
            if new:
                out.write(json.dumps(self._header()) + "\n")
            out.write(json.dumps(event, ensure_ascii=False) + "\n")

    # -- reads ------------------------------------------------------------------------------

    def entity(self, expand_schema: bool) -> dict[str, Any]:
        """The `DataTable` body (schema only with expand=schema)."""
        body: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "description": self._seed_table.description,
            "division": dict(HOME_DIVISION),
        }
        if expand_schema:
            body["schema"] = self._seed_table.schema()
        body["selfUri"] = f"{BASE}/{self.id}"
        return body

    def page(self, offset: int, size: int, descending: bool) -> tuple[list[PlatformRow], int]:
        """Rows [offset, offset+size) in table order (reversed for sortOrder=desc), the total."""
        with self._lock:
            self._ensure()
            rows = list(self._rows.values())
        if descending:
            rows.reverse()
        return rows[offset : offset + size], len(rows)

    def get_row(self, key: str) -> PlatformRow:
        with self._lock:
            self._ensure()
            row = self._rows.get(key)
        if row is None:
            raise ApiError(404, f"row {key!r} not found in data table {self.id}")
        return row

    def snapshot(self) -> list[PlatformRow]:
        """Every row as of now; later edits replace dicts, so this list never changes."""
        with self._lock:
            self._ensure()
            return list(self._rows.values())

    def __len__(self) -> int:
        with self._lock:
            self._ensure()
            return len(self._rows)

    # -- single-row writes ------------------------------------------------------------------

    def add_row(self, row: PlatformRow, max_rows: int) -> None:
        with self._lock:
            self._ensure()
            if row["key"] in self._rows:
                raise ApiError(
                    409, f"a row with key {row['key']!r} already exists in {self.name}", field="key"
                )
            if len(self._rows) >= max_rows:
                raise ApiError(
                    400,
                    f"{self.name} holds {len(self._rows)} rows; a table holds at most {max_rows}",
                    code="datatable.row.limit.exceeded",
                )
            self._record({"op": "put", "row": row})

    def put_row(self, row: PlatformRow) -> None:
        with self._lock:
            self.get_row(row["key"])
            self._record({"op": "put", "row": row})

    def delete_row(self, key: str) -> None:
        with self._lock:
            self.get_row(key)
            self._record({"op": "delete", "key": key})

    # -- imports ----------------------------------------------------------------------------

    def import_rows(
        self, rows: Sequence[PlatformRow], replace_all: bool, max_rows: int, failed_before: int
    ) -> Applied:
        """Append (upsert by key) or ReplaceAll in one step, all or nothing.

        Append refuses a new key that would take the table past `max_rows` (per row). Nothing is
        written when rows failed and none would be applied (the job fails, the table stays).
        """
        with self._lock:
            self._ensure()
            over: list[int] = []
            accepted: list[PlatformRow] = []
            if replace_all:
                accepted = list(rows)
                keep = {row["key"] for row in rows}
                deleted = sum(1 for key in self._rows if key not in keep)
            else:
                deleted = 0
                size = len(self._rows)
                added: set[str] = set()
                for at, row in enumerate(rows):
                    key = row["key"]
                    if key not in self._rows and key not in added:
                        if size >= max_rows:
                            over.append(at)
                            continue
                        added.add(key)
                        size += 1
                    accepted.append(row)
            failed = failed_before + len(over)
            if not accepted and failed:
                return Applied(0, 0, over, committed=False)
            op = "replace" if replace_all else "upsert"
            if accepted or replace_all:
                self._record({"op": op, "rows": accepted})
            return Applied(len(accepted), deleted, over, committed=True)
