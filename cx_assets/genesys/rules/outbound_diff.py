"""Repo vs live for rule sets and filters: units, a diff a person reads, and the PUT body.

Units (see `merge.py`): `name`, `contact list`, `queue` (only when the repo names one), one
`rule <name>` per rule, or `match` and one `clause <n>` per clause. Live is read unit by unit
through the same canonical form as the repo (`outbound_api.py`), so a member the server fills
in never counts as a difference, and one live rule this project cannot read makes only that
unit differ. The PUT body is the latest live entity as read, with only the units we change
replaced: members and rules we do not manage travel back untouched.
"""

from __future__ import annotations

import copy
import difflib
from collections.abc import Collection, Mapping
from typing import Any

import yaml

from cx_assets.genesys.rules.outbound_api import (
    Names,
    UnreadableLive,
    clause_api,
    clause_from_api,
    filter_members,
    rule_api,
    rule_from_api,
    rule_set_members,
)
from cx_assets.genesys.rules.outbound_model import FilterDoc, RuleSetDoc
from cx_assets.genesys.rules.outbound_requests import checked_clause, checked_ref, checked_rule

RULE = "rule "
CLAUSE = "clause "


def repo_units(doc: RuleSetDoc | FilterDoc, names: Names) -> dict[str, Any]:
    if isinstance(doc, RuleSetDoc):
        members = rule_set_members(doc, names)
        units: dict[str, Any] = {
            "name": members["name"],
            "contact list": members["contactList"]["id"],
        }
        if "queue" in members:
            units["queue"] = members["queue"]["id"]
        units.update({RULE + r["name"]: r for r in members["rules"]})
        return units
    members = filter_members(doc, names)
    units = {
        "name": members["name"],
        "contact list": members["contactList"]["id"],
        "match": members["filterType"],
    }
    units.update({f"{CLAUSE}{i + 1}": c for i, c in enumerate(members["clauses"])})
    return units


def _ref_id(value: Any) -> Any:
    return value.get("id") if isinstance(value, Mapping) else value


def live_units(doc: RuleSetDoc | FilterDoc, raw: Mapping[str, Any], names: Names) -> dict[str, Any]:
    """The live entity in the units of `doc`'s kind; an unreadable unit is `{"unreadable": why}`."""
    units: dict[str, Any] = {
        "name": raw.get("name"),
        "contact list": _ref_id(raw.get("contactList")),
    }
    if isinstance(doc, RuleSetDoc):
        if doc.queue is not None:
            units["queue"] = _ref_id(raw.get("queue"))
        rules = raw.get("rules") if isinstance(raw.get("rules"), list) else []
        for i, r in enumerate(rules):
            name = r.get("name") if isinstance(r, Mapping) else None
            key = RULE + str(name if name is not None else f"#{i}")
            try:
                units[key] = rule_api(rule_from_api(r, names, f"rules[{i}]"), names)
            except UnreadableLive as exc:
                units[key] = {"unreadable": str(exc)}
        return units
    units["match"] = str(raw.get("filterType", "AND")).upper()
    clauses = raw.get("clauses") if isinstance(raw.get("clauses"), list) else []
    for i, c in enumerate(clauses):
        try:
            units[f"{CLAUSE}{i + 1}"] = clause_api(clause_from_api(c, f"clauses[{i}]"))
        except UnreadableLive as exc:
            units[f"{CLAUSE}{i + 1}"] = {"unreadable": str(exc)}
    return units


def diff_text(
    live: Mapping[str, Any], repo: Mapping[str, Any], *, live_label: str, repo_label: str
) -> str:
    """A unified diff of the differing units (`-` live, `+` repo); empty when they match."""
    keys = sorted(set(live) | set(repo), key=_unit_order)
    differing = [k for k in keys if live.get(k) != repo.get(k)]
    if not differing:
        return ""
    before = _dump({k: live[k] for k in differing if k in live})
    after = _dump({k: repo[k] for k in differing if k in repo})
    return "\n".join(
        difflib.unified_diff(before, after, fromfile=live_label, tofile=repo_label, lineterm="")
    )


def differing_units(live: Mapping[str, Any], repo: Mapping[str, Any]) -> list[str]:
    return sorted((k for k in set(live) | set(repo) if live.get(k) != repo.get(k)), key=_unit_order)


def _unit_order(key: str) -> tuple[int, str]:
    rank = {"name": 0, "contact list": 1, "queue": 2, "match": 3}
    return (rank.get(key, 4), key)


def _dump(view: Mapping[str, Any]) -> list[str]:
    if not view:
        return []
    return yaml.safe_dump(dict(view), sort_keys=False, allow_unicode=True).splitlines()


def unit_diff(unit: str, before: Any, after: Any, *, before_label: str, after_label: str) -> str:
    """A unified diff of one unit's two values (absent: no lines)."""
    old = _dump({unit: before}) if before is not None else []
    new = _dump({unit: after}) if after is not None else []
    lines = difflib.unified_diff(old, new, fromfile=before_label, tofile=after_label, lineterm="")
    return "\n".join(lines)


def changed_lines(text: str) -> int:
    return sum(
        1 for line in text.splitlines() if line[:1] in "+-" and line[:3] not in ("+++", "---")
    )


# -- the body we send ---------------------------------------------------------------------------


def put_body(
    doc: RuleSetDoc | FilterDoc,
    latest: Mapping[str, Any],
    ours: Mapping[str, Any],
    ours_changed: Collection[str],
    names: Names,
) -> dict[str, Any]:
    """`latest` (the entity as last read, its `version` included) with the units in
    `ours_changed` replaced by the repo's (`ours`), rules matched by name keeping their ids.

    What we keep of theirs goes back with the members we know in our spelling (enums as the
    contract writes them, defaults filled in) and every member we do not know as read."""
    body = copy.deepcopy(dict(latest))
    if "name" in ours_changed:
        body["name"] = ours["name"]
    if "contact list" in ours_changed:
        body["contactList"] = checked_ref({"id": ours["contact list"]})
    if isinstance(doc, RuleSetDoc):
        if "queue" in ours_changed:
            body["queue"] = checked_ref({"id": ours["queue"]})
        body["rules"] = _merged_rules(latest.get("rules"), ours, ours_changed, names)
        return body
    body["sourceType"] = "ContactList"
    body["filterType"] = (
        ours["match"] if "match" in ours_changed else str(latest.get("filterType", "AND")).upper()
    )
    body["clauses"] = _merged_clauses(latest.get("clauses"), ours, ours_changed)
    return body


def overlay(raw: Any, canonical: Any) -> Any:
    """`canonical` laid over `raw`: its members win, members only `raw` has are kept (lists
    of the same length item by item, else the canonical list)."""
    if isinstance(raw, Mapping) and isinstance(canonical, Mapping):
        out = dict(raw)
        for key, value in canonical.items():
            out[key] = overlay(raw.get(key), value)
        return out
    if isinstance(raw, list) and isinstance(canonical, list) and len(raw) == len(canonical):
        return [overlay(r, c) for r, c in zip(raw, canonical, strict=True)]
    return copy.deepcopy(canonical)


def _kept_rule(raw: Any, names: Names, index: int) -> Any:
    try:
        return overlay(raw, rule_api(rule_from_api(raw, names, f"rules[{index}]"), names))
    except UnreadableLive:
        return raw  # a rule we cannot read travels back exactly as read


def _merged_rules(
    latest: Any, ours: Mapping[str, Any], changed_units: Collection[str], names: Names
) -> list[Any]:
    rules: list[Any] = []
    placed: set[str] = set()
    for i, raw in enumerate(latest if isinstance(latest, list) else []):
        key = RULE + str(raw.get("name")) if isinstance(raw, Mapping) else None
        if key is None or key not in changed_units:
            rules.append(_kept_rule(raw, names, i))
        elif key in ours:
            rule = dict(ours[key])
            if isinstance(raw.get("id"), str):
                rule = {"id": raw["id"], **rule}
            rules.append(checked_rule(rule))
            placed.add(key)
    for key in sorted(
        k for k in changed_units if k.startswith(RULE) and k in ours and k not in placed
    ):
        rules.append(checked_rule(dict(ours[key])))  # a rule new to live
    return sorted(rules, key=lambda r: r.get("order", 0) if isinstance(r, Mapping) else 0)


def _merged_clauses(
    latest: Any, ours: Mapping[str, Any], changed_units: Collection[str]
) -> list[Any]:
    raw = list(latest) if isinstance(latest, list) else []
    count = max([len(raw), *(int(k[len(CLAUSE) :]) for k in ours if k.startswith(CLAUSE))])
    clauses: list[Any] = []
    for n in range(1, count + 1):
        key = f"{CLAUSE}{n}"
        if key in changed_units:
            if key in ours:
                clauses.append(checked_clause(dict(ours[key])))
        elif n <= len(raw):
            clauses.append(_kept_clause(raw[n - 1]))
    return clauses


def _kept_clause(raw: Any) -> Any:
    try:
        return overlay(raw, clause_api(clause_from_api(raw, "clause")))
    except UnreadableLive:
        return raw


def create_body(doc: RuleSetDoc | FilterDoc, names: Names) -> dict[str, Any]:
    """The POST body of an entity the org does not have yet."""
    if isinstance(doc, RuleSetDoc):
        members = rule_set_members(doc, names)
        members["rules"] = [checked_rule(r) for r in members["rules"]]
        return members
    members = filter_members(doc, names)
    members["clauses"] = [checked_clause(c) for c in members["clauses"]]
    return members
