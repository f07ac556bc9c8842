"""CXone files besides the day Parquet: raw responses, quarantined records, rows to sync.

- `RawResponses` writes each API response to disk, exactly as served, the moment it arrives
  (`raw/cxone/<dataset>/<partition>/<read id>/response-00001.json`): the staged folder is
  swapped in whole when the read completes, so a half-read never looks like a finished one.
- `QuarantineFile` streams records that cannot be placed in a requested day to one JSON-lines
  file with the reason; it becomes visible only when closed without error.
- `complete_rows` reads a published day back in batches for the data-lake webhook.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import duckdb

from cx_assets.lake.atomic import atomic_write, publish_file, replace_dir, temp_path_for
from cx_assets.lake.cxone_columns import RecordMapping
from cx_assets.lake.paths import DataLayout, validate_token

SOURCE = "cxone"


class RawResponses:
    """Responses of one read, staged under `staging` and published to `final` when done."""

    def __init__(self, staging: Path, final: Path) -> None:
        self.staging = staging
        self.final = final
        self.count = 0
        self.bytes = 0

    @classmethod
    def for_read(
        cls, layout: DataLayout, staging: Path, dataset: str, partition: str, read_id: str
    ) -> RawResponses:
        folder = layout.raw_dir(SOURCE, dataset, partition) / validate_token(read_id, "read id")
        return cls(staging / "raw", folder)

    def write(self, content: bytes) -> Path:
        self.staging.mkdir(parents=True, exist_ok=True)
        self.count += 1
        path = self.staging / f"response-{self.count:05d}.json"
        with atomic_write(path) as fh:
            fh.write(content)
        self.bytes += len(content)
        return path

    def publish(self) -> Path:
        """Swap the staged responses in as the read's folder (an empty read leaves an empty one)."""
        self.staging.mkdir(parents=True, exist_ok=True)
        replace_dir(self.staging, self.final)
        return self.final


class QuarantineFile:
    """Records set aside with a reason, one JSON per line; published on `close()`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.count = 0
        self._tmp: Path | None = None

    @classmethod
    def for_read(cls, layout: DataLayout, dataset: str, read_id: str) -> QuarantineFile:
        token = validate_token(read_id, "read id")
        return cls(layout.quarantine_dir(SOURCE, dataset, token) / "unplaced.jsonl")

    def add(self, record: Mapping[str, Any], reason: str, read_id: str) -> None:
        """Append one record (rare, so the file is opened per record: nothing stays open)."""
        if self._tmp is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._tmp = temp_path_for(self.path)
        line = {"reason": reason, "export_id": read_id, "record": record}
        with open(self._tmp, "ab") as fh:
            fh.write(json.dumps(line, sort_keys=True, default=str).encode("utf-8") + b"\n")
        self.count += 1

    def close(self) -> Path | None:
        """Publish what was set aside; None when nothing was."""
        if self._tmp is None:
            return None
        publish_file(self._tmp, self.path)
        self._tmp = None
        return self.path

    def discard(self) -> None:
        if self._tmp is not None:
            self._tmp.unlink(missing_ok=True)
            self._tmp = None


def _json_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.datetime) else value


def complete_rows(
    path: Path, mapping: RecordMapping, batch_size: int
) -> Iterator[list[dict[str, Any]]]:
    """The day file's complete rows (every required column set), `batch_size` at a time."""
    complete = " AND ".join(f"{column} IS NOT NULL" for column in mapping.required.values())
    with duckdb.connect() as con:
        con.execute("SET TimeZone = 'UTC'")
        cursor = con.execute(
            "SELECT * FROM read_parquet(?, hive_partitioning = false) "
            f"WHERE {complete} ORDER BY start_time, id",
            [str(path)],
        )
        names = [d[0] for d in cursor.description or ()]
        while batch := cursor.fetchmany(batch_size):
            yield [{n: _json_value(v) for n, v in zip(names, row, strict=True)} for row in batch]
