"""Late updates: contacts changed after they were first served, kept across restarts.

A real tenant rewrites a contact's ACW time and disposition when an agent finishes wrap-up late
or a supervisor corrects it; `lastUpdateTime` moves to that moment, which is what `updatedSince`
pulls find. The changes live in `<state dir>/cxone_platform/updates.json` (small: only the
changed contacts), written whole and replaced atomically.
"""

from __future__ import annotations

import json
import threading
from datetime import date
from pathlib import Path

#: contact index -> {"ACWSeconds", "primaryDispositionId", "lastUpdateTime" (epoch ms)}
DayUpdates = dict[int, dict[str, int]]


class UpdateStore:
    """Per-day overrides of contacts, plus how many late-update rounds each day has had."""

    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / "cxone_platform" / "updates.json"
        self._lock = threading.Lock()
        self._days: dict[date, DayUpdates] = {}
        self._rounds: dict[date, int] = {}
        if self.path.exists():
            data = json.loads(self.path.read_text())
            for day, entry in data.items():
                key = date.fromisoformat(day)
                self._days[key] = {int(i): dict(v) for i, v in entry["contacts"].items()}
                self._rounds[key] = int(entry["rounds"])

    def day(self, day: date) -> DayUpdates:
        """A copy of the day's overrides (empty when none)."""
        with self._lock:
            return dict(self._days.get(day, {}))

    def days(self) -> list[date]:
        with self._lock:
            return sorted(self._days)

    def rounds(self, day: date) -> int:
        with self._lock:
            return self._rounds.get(day, 0)

    def apply(self, day: date, changes: DayUpdates) -> None:
        """Record one round of changes for `day` and persist every day's overrides."""
        with self._lock:
            self._days.setdefault(day, {}).update(changes)
            self._rounds[day] = self._rounds.get(day, 0) + 1
            data = {
                d.isoformat(): {
                    "rounds": self._rounds[d],
                    "contacts": {str(i): v for i, v in sorted(contacts.items())},
                }
                for d, contacts in sorted(self._days.items())
            }
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps(data, indent=1))
            tmp.replace(self.path)
