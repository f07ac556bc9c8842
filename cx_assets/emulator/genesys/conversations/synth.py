"""Deterministic synthetic conversations, written to disk once per (day, format, settings).

A day's lines come from lines.py; this module splits them into numbered files no bigger than
`max_file_bytes`, breaks a seeded share of them (`malformed_rate`) and produces the files, their
sizes and sha256 in the same pass, cached under `files/` with a `manifest.json` written last.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

from cx_assets.emulator.genesys.conversations.lines import CSV_HEADER, generate_lines, malform

FORMATS = ("jsonl", "csv")
WRITE_BLOCK = 1024 * 1024


@dataclass(frozen=True)
class SynthSettings:
    """What makes a cached day distinct: change any of these and the files are different."""

    fmt: str
    seed: int
    records_per_day: int
    malformed_rate: float
    max_file_bytes: int

    def cache_dir(self, files_root: Path, day: date) -> Path:
        name = (
            f"{self.fmt}-seed{self.seed}-n{self.records_per_day}"
            f"-m{self.malformed_rate:g}-x{self.max_file_bytes}"
        )
        return files_root / name / day.isoformat()


@dataclass(frozen=True)
class DayFile:
    """One finished file of a day, as the manifest describes it."""

    name: str
    size: int
    sha256: str
    record_count: int
    partition: str


class _SplitWriter:
    """Writes numbered files no bigger than `max_bytes`, hashing and counting as it goes."""

    def __init__(self, folder: Path, day: date, settings: SynthSettings) -> None:
        self.folder = folder
        self.day = day
        self.settings = settings
        self.header = CSV_HEADER.encode() if settings.fmt == "csv" else b""
        self.done: list[DayFile] = []
        self._open(0)

    def _open(self, index: int) -> None:
        self.index = index
        self.name = f"conversations-{self.day.isoformat()}-{index:04d}.{self.settings.fmt}"
        self.tmp = self.folder / f".{self.name}.tmp"
        self.fh = open(self.tmp, "wb")  # noqa: SIM115 - closed in _close
        self.hash = hashlib.sha256()
        self.size = 0
        self.records = 0
        self.block: list[bytes] = []
        self.block_size = 0
        if self.header:
            self._put(self.header)

    def _put(self, data: bytes) -> None:
        self.block.append(data)
        self.block_size += len(data)
        self.size += len(data)
        if self.block_size >= WRITE_BLOCK:
            self._flush()

    def _flush(self) -> None:
        chunk = b"".join(self.block)
        self.hash.update(chunk)
        self.fh.write(chunk)
        self.block = []
        self.block_size = 0

    def write(self, line: bytes) -> None:
        if self.records and self.size + len(line) > self.settings.max_file_bytes:
            self._close()
            self._open(self.index + 1)
        self._put(line)
        self.records += 1

    def _close(self) -> None:
        self._flush()
        self.fh.flush()
        os.fsync(self.fh.fileno())
        self.fh.close()
        os.replace(self.tmp, self.folder / self.name)
        self.done.append(
            DayFile(self.name, self.size, self.hash.hexdigest(), self.records, self.day.isoformat())
        )

    def finish(self) -> list[DayFile]:
        self._close()
        return self.done


def write_day(files_root: Path, day: date, settings: SynthSettings) -> tuple[Path, list[DayFile]]:
    """Generate a day's files unless cached; return their folder and descriptions.

    The folder's `manifest.json` is written last, so a crash mid-way leaves no half day behind
    that looks finished. Callers serialise calls for the same day (see tutorial.py).
    """
    folder = settings.cache_dir(files_root, day)
    manifest = folder / "manifest.json"
    if manifest.exists():
        data = json.loads(manifest.read_text())
        return folder, [DayFile(**item) for item in data]
    folder.mkdir(parents=True, exist_ok=True)
    writer = _SplitWriter(folder, day, settings)
    bad = random.Random(f"cx-emulator-malformed:{settings.seed}:{day.isoformat()}")
    rate = settings.malformed_rate
    use_csv = settings.fmt == "csv"
    for jline, cline in generate_lines(day, settings.seed, settings.records_per_day):
        line = cline if use_csv else jline
        if rate and bad.random() < rate:
            line = malform(line, settings.fmt, bad.getrandbits(1))
        writer.write(line.encode())
    files = writer.finish()
    tmp = folder / ".manifest.json.tmp"
    tmp.write_text(json.dumps([asdict(f) for f in files]))
    os.replace(tmp, manifest)
    return folder, files
