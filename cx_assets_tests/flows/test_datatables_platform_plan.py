"""Contract: a platform import sends only rows that add or change something, laid over the
stored row so the columns a source leaves out keep their values; ReplaceAll sends the whole
table unless it already is the source; the row limit quarantines new keys past it; the read-back
finds missing, different and (ReplaceAll) extra rows."""

from __future__ import annotations

from typing import Any

from cx_assets.flows.datatables_platform_plan import ImportPlan, plan_import, verify_import

PROPS = ["key", "tier", "discount"]
CURRENT = {
    "a": {"key": "a", "tier": "gold", "discount": 0.1},
    "b": {"key": "b", "tier": "silver", "discount": None},
}


def _plan(valid: list[dict[str, Any]], mode: str = "Append", max_rows: int = 5000) -> ImportPlan:
    numbers = list(range(1, len(valid) + 1))
    return plan_import(
        CURRENT, valid, numbers, key="key", properties=PROPS, mode=mode, max_rows=max_rows
    )


def test_append_sends_new_and_changed_rows_keeping_columns_the_source_lacks() -> None:
    plan = _plan([{"key": "a", "tier": "platinum"}, {"key": "b", "tier": "silver"},
                  {"key": "c", "tier": "bronze"}])  # fmt: skip
    assert plan.send == [
        {"key": "a", "tier": "platinum", "discount": 0.1},
        {"key": "c", "tier": "bronze", "discount": None},
    ]
    assert plan.send_rows == [1, 3]
    assert (plan.inserted, plan.updated, plan.unchanged, plan.deleted) == (1, 1, 1, 0)
    assert set(plan.expected) == {"a", "b", "c"}


def test_a_second_identical_run_sends_nothing() -> None:
    plan = _plan([{"key": "a", "tier": "gold"}, {"key": "b", "discount": None}])
    assert (plan.send, plan.unchanged) == ([], 2)


def test_replace_all_sends_every_row_and_counts_the_deleted_ones() -> None:
    plan = _plan([{"key": "a", "tier": "gold", "discount": 0.1}], mode="ReplaceAll")
    assert [r["key"] for r in plan.send] == ["a"] and plan.deleted == 1
    same = _plan(list(CURRENT.values()), mode="ReplaceAll")
    assert (same.send, same.deleted, same.unchanged) == ([], 0, 2)


def test_new_keys_past_the_row_limit_are_rejected_naming_it() -> None:
    plan = _plan([{"key": "c"}, {"key": "d"}, {"key": "a", "tier": "x"}], max_rows=3)
    assert [r["key"] for r in plan.send] == ["c", "a"]
    [rejected] = plan.rejected
    assert (rejected.row_number, rejected.key) == (2, "d")
    assert "more than 3 rows; the limit is 3" in rejected.reason


def test_the_read_back_finds_missing_different_and_extra_rows() -> None:
    expected = {"a": CURRENT["a"], "c": {"key": "c", "tier": "x", "discount": None}}
    after = {"a": {**CURRENT["a"], "tier": "changed"}, "b": CURRENT["b"]}
    check = verify_import(after, expected, properties=PROPS, exact=True)
    assert (check.missing, check.different, check.ok) == ([("c",)], [("a",), ("b",)], False)
    good = verify_import(CURRENT, {"a": CURRENT["a"]}, properties=PROPS, exact=False)
    assert good.ok and good.checked == 1


def test_a_plan_made_from_only_the_named_rows_matches_one_made_from_the_whole_table() -> None:
    """The import reads only the stored rows under the source's keys; `stored` gives the rest."""
    source = [{"key": "a", "tier": "platinum"}, {"key": "c"}, {"key": "d"}]
    numbers = [1, 2, 3]
    whole = plan_import(
        CURRENT, source, numbers, key="key", properties=PROPS, mode="Append", max_rows=3
    )
    named = plan_import(
        {"a": CURRENT["a"]},
        source,
        numbers,
        key="key",
        properties=PROPS,
        mode="Append",
        max_rows=3,
        stored=2,
    )
    assert named == whole
    assert [r.key for r in named.rejected] == ["d"]  # b still counts against the limit
    assert named.send_kinds == ["updated", "inserted"]
    replace = plan_import(
        {"a": CURRENT["a"]},
        [CURRENT["a"]],
        [1],
        key="key",
        properties=PROPS,
        mode="ReplaceAll",
        max_rows=5000,
        stored=2,
    )
    assert (replace.deleted, replace.send_kinds) == (1, ["unchanged"])


def test_the_read_back_counts_unexpected_keys_found_outside_the_rows_read() -> None:
    expected = {"a": CURRENT["a"]}
    check = verify_import(
        {"a": CURRENT["a"]}, expected, properties=PROPS, exact=True, unexpected=["b"]
    )
    assert (check.different, check.ok) == ([("b",)], False)
    append = verify_import(
        {"a": CURRENT["a"]}, expected, properties=PROPS, exact=False, unexpected=["b"]
    )
    assert append.ok
