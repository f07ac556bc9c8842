"""Repo rule vs live action: equality on the API tree, and a diff a person can read.

Equality compares the canonical API payloads (live is re-built from its parsed form, so keys
the server adds or leaves out such as an empty `children` do not count). The diff is a unified
diff of the two trees in the readable YAML form, so it reads like the rule file itself.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

import yaml

from cx_assets.genesys.rules.model import Rule, from_api, to_api, to_readable
from cx_assets.genesys.rules.tutorial import DataAction


@dataclass(frozen=True)
class RuleDiff:
    """`text` is empty when the live action already matches the repo."""

    action_id: str
    text: str
    changed_lines: int

    @property
    def differs(self) -> bool:
        return bool(self.text)


def desired_payload(rule: Rule) -> dict[str, Any]:
    """The PUT body (without If-Match) that makes the live action equal the rule."""
    body: dict[str, Any] = {"conditions": to_api(rule.conditions)}
    if rule.name is not None:
        body["name"] = rule.name
    return body


def _live_view(rule: Rule, live: DataAction) -> dict[str, Any]:
    view: dict[str, Any] = {}
    if rule.name is not None:
        view["name"] = live.name
    if live.conditions is None:
        view["conditions"] = None
        return view
    try:
        view["conditions"] = to_readable(from_api(live.conditions))
    except ValueError as exc:  # a live tree we cannot read: show it raw, it differs anyway
        view["conditions"] = {"unreadable": str(exc), "raw": live.conditions}
    return view


def _repo_view(rule: Rule) -> dict[str, Any]:
    view: dict[str, Any] = {}
    if rule.name is not None:
        view["name"] = rule.name
    view["conditions"] = to_readable(rule.conditions)
    return view


def _same(rule: Rule, live: DataAction) -> bool:
    if rule.name is not None and rule.name != live.name:
        return False
    if live.conditions is None:
        return False
    try:
        return to_api(from_api(live.conditions)) == to_api(rule.conditions)
    except ValueError:
        return False


def diff_rule(rule: Rule, live: DataAction) -> RuleDiff:
    """What applying `rule` would change on `live` (`-` live, `+` repo)."""
    if _same(rule, live):
        return RuleDiff(rule.action_id, "", 0)
    before = _dump(_live_view(rule, live))
    after = _dump(_repo_view(rule))
    lines = list(
        difflib.unified_diff(
            before,
            after,
            fromfile=f"live {rule.action_id} (version {live.version})",
            tofile=f"repo {rule.source}",
            lineterm="",
        )
    )
    if not lines:  # same YAML, different JSON (e.g. "5" vs 5): still say what the API holds
        lines = [f"-live: {live.conditions}", f"+repo: {to_api(rule.conditions)}"]
    changed = sum(1 for line in lines if line[:1] in "+-" and line[:3] not in ("+++", "---"))
    return RuleDiff(rule.action_id, "\n".join(lines), changed)


def _dump(view: dict[str, Any]) -> list[str]:
    return yaml.safe_dump(view, sort_keys=False, allow_unicode=True).splitlines()
