"""When the daemon re-materialises a report day by itself.

`AutomationCondition.eager()` would not do: it considers only the latest day (an 18-day backfill
would refresh one report day) and waits while any source of the day is missing (a day whose
CXone export never landed would never be reported, so never flagged). This condition requests a
report day when, since the day was last requested:

- any source (Genesys conversations, CXone interactions) landed that day, or
- the day has data from a source but no report yet (true once, on the first evaluation after
  this condition is deployed or the day is wiped), so days landed before automation are covered;

and never while a source's run for the day, or the report's own, is still in progress (the
report reads a day after its checks have run).
"""

import dagster as dg

AC = dg.AutomationCondition
#: `since_last_handled()` also resets on the condition's first evaluation, which would drop the
#: days landed before it: here only a request or a materialisation of the day resets it.
HANDLED = (AC.newly_requested() | AC.newly_updated()).with_label("requested or materialised")


def report_automation_condition() -> dg.AutomationCondition:
    has_data_without_report = (AC.missing() & AC.any_deps_match(~AC.missing())).with_label(
        "a source landed the day, no report yet"
    )
    return (
        (AC.any_deps_updated() | has_data_without_report.newly_true()).since(HANDLED)
        & ~AC.any_deps_in_progress()
        & ~AC.in_progress()
    ).with_label("every day a source lands")
