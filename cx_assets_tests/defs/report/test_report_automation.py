"""Contract: the daemon keeps `daily_contact_centre_report` current by itself. Evaluated on the
project's own Definitions, as the automation sensor that `make dev` runs would: a day that either
source (Genesys conversations, CXone interactions) lands requests that report day once, with its
checks riding along (none has an automation condition of its own); a backfill of 18 days
requests 18 report days (not only the latest); a day a source is still landing waits for that
run; days landed before the condition was first evaluated are reported too; a day no source
landed is never requested."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import dagster as dg
import pytest

from cx_assets.definitions import defs
from cx_assets.defs.report.report import ASSET_NAME, SOURCES_CHECK

REPORT = dg.AssetKey(ASSET_NAME)
CONVERSATIONS, CXONE = dg.AssetKey("genesys_conversations"), dg.AssetKey("cxone_interactions")


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    with dg.DagsterInstance.ephemeral() as instance:
        yield instance


def _days(first: str, count: int) -> list[str]:
    start = dt.date.fromisoformat(first)
    return [(start + dt.timedelta(days=i)).isoformat() for i in range(count)]


def _land(instance: dg.DagsterInstance, key: dg.AssetKey, days: list[str]) -> None:
    for day in days:
        instance.report_runless_asset_event(dg.AssetMaterialization(key, partition=day))


class Daemon:
    """Successive ticks of the automation sensor, each resuming from the previous cursor."""

    def __init__(self, instance: dg.DagsterInstance) -> None:
        self.instance, self.cursor = instance, None

    def tick(self) -> dg.AutomationResult:
        result = dg.evaluate_automation_conditions(
            defs=defs, instance=self.instance, cursor=self.cursor
        )
        self.cursor = result.cursor
        return result


def _requested(result: dg.AutomationResult) -> set[str]:
    return set(result.get_requested_partitions(REPORT))


def test_a_landed_day_requests_its_report_day_once(instance: dg.DagsterInstance) -> None:
    daemon = Daemon(instance)
    assert _requested(daemon.tick()) == set()  # no data: not a single report day
    _land(instance, CONVERSATIONS, ["2024-03-05"])
    assert _requested(daemon.tick()) == {"2024-03-05"}
    assert _requested(daemon.tick()) == set()  # handled: not requested again
    _land(instance, CXONE, ["2024-03-05"])  # the other source lands later: the day is redone
    assert _requested(daemon.tick()) == {"2024-03-05"}


def test_the_report_checks_ride_along_with_the_daemons_runs() -> None:
    graph = defs.resolve_asset_graph()
    checks = graph.get_check_keys_for_assets({REPORT})
    assert {c.name for c in checks} == {SOURCES_CHECK, "audit_chain_intact"}
    assert all(graph.get(c).automation_condition is None for c in checks)


def test_an_18_day_backfill_requests_18_report_days(instance: dg.DagsterInstance) -> None:
    daemon = Daemon(instance)
    daemon.tick()
    days = _days("2024-04-01", 18)
    _land(instance, CXONE, days)  # one range run of CXone lands every day at once
    assert _requested(daemon.tick()) == set(days)


def test_days_landed_before_automation_are_reported(instance: dg.DagsterInstance) -> None:
    _land(instance, CONVERSATIONS, _days("2024-02-01", 7))
    _land(instance, CXONE, ["2024-02-10"])
    daemon = Daemon(instance)
    assert _requested(daemon.tick()) == {*_days("2024-02-01", 7), "2024-02-10"}
    assert _requested(daemon.tick()) == set()


def test_a_day_still_landing_waits_for_its_run(instance: dg.DagsterInstance) -> None:
    daemon = Daemon(instance)
    daemon.tick()
    _land(instance, CONVERSATIONS, ["2024-03-07"])
    run = instance.create_run_for_job(
        defs.resolve_implicit_global_asset_job_def(),
        asset_selection=frozenset({CXONE}),
        tags={"dagster/partition": "2024-03-07"},
    )
    instance.handle_run_event(
        run.run_id,
        dg.DagsterEvent(
            event_type_value=dg.DagsterEventType.RUN_START.value, job_name=run.job_name
        ),
    )
    assert _requested(daemon.tick()) == set()  # CXone's run for the day is in progress
    instance.report_run_failed(run)
    assert _requested(daemon.tick()) == {"2024-03-07"}
