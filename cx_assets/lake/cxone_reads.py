"""One read of CXone (an export of up to 90 days, or one day's pull) landed page by page.

`ReadSink.add` takes each response as it arrives: its bytes go to disk as served, each record
goes to the builder of the day it started on, and a record that belongs to none of the read's
days goes to quarantine with the reason. `finish` publishes every day's file (merging over a
stored day where asked), then the raw responses and the quarantine file. Memory holds one
response at a time; the staging folder is removed afterwards, success or not.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from cx_assets.lake.atomic import discard_on_exit
from cx_assets.lake.cxone_columns import RecordMapping
from cx_assets.lake.cxone_days import DATASET, BuiltDay, DayBuilder
from cx_assets.lake.cxone_files import QuarantineFile, RawResponses
from cx_assets.lake.paths import DataLayout

REASON_OUTSIDE = "started outside the days this read asked for"
REASON_UNPLACED = "no usable start time, and no other field places it in a requested day"

#: A record without a usable start time -> the requested day it belongs to, or None.
Fallback = Callable[[Mapping[str, Any]], dt.date | None]


class ReadSink:
    """Lands one read's responses into its days; use as a context manager."""

    def __init__(
        self,
        layout: DataLayout,
        mapping: RecordMapping,
        days: Sequence[dt.date],
        *,
        read_id: str,
        raw_dataset: str,
        raw_partition: str,
        fallback: Fallback,
    ) -> None:
        self.layout = layout
        self.mapping = mapping
        self.read_id = read_id
        self.records = 0
        self.pages = 0
        self._fallback = fallback
        self._stack = ExitStack()
        self.staging = self._stack.enter_context(discard_on_exit(layout.staging_dir()))
        self.raw = RawResponses.for_read(layout, self.staging, raw_dataset, raw_partition, read_id)
        self.quarantine = QuarantineFile.for_read(layout, DATASET, read_id)
        self._builders = {
            day: DayBuilder(layout, day, mapping, self.staging / f"day-{day.isoformat()}")
            for day in sorted(set(days))
        }

    def __enter__(self) -> ReadSink:
        return self

    def __exit__(self, *exc: object) -> None:
        self.quarantine.discard()  # unpublished leftovers only; a finished read already closed it
        self._stack.close()

    def add(self, content: bytes, records: Sequence[Mapping[str, Any]]) -> None:
        """One response: saved as served, its records placed in their days or set aside."""
        self.raw.write(content)
        self.pages += 1
        self.records += len(records)
        by_day: dict[dt.date, list[Mapping[str, Any]]] = {}
        for record in records:
            day, reason = self._place(record)
            if day is None:
                self.quarantine.add(record, reason, self.read_id)
            else:
                by_day.setdefault(day, []).append(record)
        for day, placed in by_day.items():
            self._builders[day].add(placed)

    def _place(self, record: Mapping[str, Any]) -> tuple[dt.date | None, str]:
        start = self.mapping.start(record)
        if start is not None:
            day = start.date()
            return (day, "") if day in self._builders else (None, REASON_OUTSIDE)
        day = self._fallback(record)
        return (day, "") if day in self._builders else (None, REASON_UNPLACED)

    @property
    def placed(self) -> int:
        return sum(b.received for b in self._builders.values())

    def finish(self, bases: Mapping[dt.date, Path] | None = None) -> list[BuiltDay]:
        """Publish every day (over its stored file in `bases`), the raw responses, quarantine."""
        built = [b.publish((bases or {}).get(day)) for day, b in self._builders.items()]
        self.raw.publish()
        self.quarantine.close()
        return built
