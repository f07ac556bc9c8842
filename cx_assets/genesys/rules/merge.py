"""Three-way merge of a repo apply with a concurrent edit, by units a person recognises.

An entity is cut into units (its name, its contact list, each rule by name, each clause by
position, a data action's conditions): `base` is live as we first read it, `ours` the repo,
`theirs` live after our write met a newer version. We change the units where ours differs from
base; they changed those where theirs differs from base. If no unit is in both (or both made it
the same), our changes are re-applied on top of theirs. Otherwise it is a conflict, reported
with the three values of each unit, and nothing is written: docs/decisions.md says overwriting
a colleague's edit is a decision for a person.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

Units = Mapping[str, Any]
ABSENT = None  # a unit missing on one side (a rule added or removed)


def changed(before: Units, after: Units) -> set[str]:
    """The units that differ between two sides (added, removed or changed)."""
    return {k for k in set(before) | set(after) if before.get(k, ABSENT) != after.get(k, ABSENT)}


@dataclass(frozen=True)
class UnitConflict:
    unit: str
    base: Any
    ours: Any
    theirs: Any


@dataclass(frozen=True)
class MergePlan:
    """`ours_changed`: what we still write on top of theirs; `conflicts`: what both changed."""

    ours_changed: frozenset[str]
    theirs_changed: frozenset[str]
    conflicts: tuple[UnitConflict, ...]

    @property
    def clean(self) -> bool:
        return not self.conflicts


def plan_merge(base: Units, ours: Units, theirs: Units) -> MergePlan:
    ours_changed = changed(base, ours)
    theirs_changed = changed(base, theirs)
    conflicts = tuple(
        UnitConflict(k, base.get(k), ours.get(k), theirs.get(k))
        for k in sorted(ours_changed & theirs_changed)
        if ours.get(k, ABSENT) != theirs.get(k, ABSENT)
    )
    still_ours = frozenset(k for k in ours_changed if ours.get(k, ABSENT) != theirs.get(k, ABSENT))
    return MergePlan(still_ours, frozenset(theirs_changed), conflicts)
