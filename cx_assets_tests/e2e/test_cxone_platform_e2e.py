"""Contract: `cxone_interactions` in PLATFORM mode through a real Dagster instance.

Against the emulator's real-CXone side: discovery, an access-key password grant, the
Reporting API's completed contacts. A 30-day run lands 30 day partitions with every contact the
server holds for them and passing checks; a day with missing fields fails the integrity check
and the run (both name it), and is landed all the same; a day pulled again asks only for late
updates and replaces just those rows; 429s, 5xx and an expired token mid-run are absorbed; the
webhook gets each day's complete rows; and tutorial mode is refused against a real host before
any request.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import httpx
import pytest

from cx_assets.catalog.queries import query
from cx_assets.defs import cxone as cxone_defs
from cx_assets.defs.cxone.assets import ASSET_KEY
from cx_assets.defs.cxone.environment import emulator_platform
from cx_assets.defs.cxone.resource import CxoneResource
from cx_assets.defs.resources import CatalogResource
from cx_assets.emulator import EmulatorServer
from cx_assets.lake.paths import DataLayout
from cx_assets_tests.e2e.pipeline_testkit import make_instance

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

FAST = {"initial_backoff_s": 0.01, "max_retry_after_s": 0.2}
FIRST = dt.date(2024, 4, 1)


def _keys(first: dt.date, days: int) -> list[str]:
    return [(first + dt.timedelta(days=i)).isoformat() for i in range(days)]


class Platform:
    """An emulator, a data root and a Dagster instance; materialise in platform mode."""

    def __init__(self, tmp_path: Path, **emulator: Any) -> None:
        settings = {"cxone_contacts_per_day": 40, "cxone_missing_rate": 0.0, **emulator}
        self.emulator = EmulatorServer(state_dir=tmp_path / "emulator", **settings).start()
        self.data_dir = tmp_path / "data"
        self.instance = make_instance(tmp_path / "dagster_home")

    def close(self) -> None:
        self.instance.dispose()
        self.emulator.stop()

    @property
    def issuer(self) -> str:
        return f"{self.emulator.url}/cxone-platform"

    def resource(self, **overrides: Any) -> CxoneResource:
        return emulator_platform(self.issuer, **{**FAST, **overrides})

    def run(self, first: str, last: str | None = None, **cxone: Any) -> dg.ExecuteInProcessResult:
        tags = {
            "dagster/asset_partition_range_start": first,
            "dagster/asset_partition_range_end": last or first,
        }
        return dg.materialize(
            cxone_defs.ASSETS,
            instance=self.instance,
            tags=tags,
            raise_on_error=False,
            resources={
                "cxone": self.resource(**cxone),
                "catalog": CatalogResource(data_dir=str(self.data_dir)),
            },
        )

    def sql(self, text: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        return query(DataLayout(self.data_dir).catalog_path, text, params).rows

    def served(self) -> list[dict[str, Any]]:
        """Every contacts request the emulator answered, in order."""
        return self.emulator.stats()["cxone_platform"]["contacts_requests"]


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Platform]:
    platform = Platform(tmp_path)
    try:
        yield platform
    finally:
        platform.close()


def _check(result: dg.ExecuteInProcessResult, name: str) -> dg.AssetCheckEvaluation:
    [evaluation] = [e for e in result.get_asset_check_evaluations() if e.check_name == name]
    return evaluation


def _meta(result: dg.ExecuteInProcessResult) -> dict[str, dict[str, Any]]:
    return {
        str(e.materialization.partition): {
            k: getattr(v, "value", v) for k, v in e.materialization.metadata.items()
        }
        for e in result.get_asset_materialization_events()
    }


def test_a_30_day_backfill_run_lands_every_contact_of_every_day(env: Platform) -> None:
    keys = _keys(FIRST, 30)
    result = env.run(keys[0], keys[-1])
    assert result.success
    meta = _meta(result)
    assert sorted(meta) == keys
    assert {m["read_kind"] for m in meta.values()} == {"full"}
    assert _check(result, "rows_match_records").passed
    assert _check(result, "integrity_at_least_threshold").passed
    assert env.sql("SELECT count(*), count(DISTINCT id) FROM cxone.interactions") == [
        (30 * 40, 30 * 40)
    ]
    per_day = env.sql(
        "SELECT start_time::DATE AS day, count(*) FROM cxone.interactions GROUP BY ALL ORDER BY day"
    )
    assert [(str(d), n) for d, n in per_day] == [(k, 40) for k in keys]
    [(mode, kinds, reads)] = env.sql(
        "SELECT any_value(api_mode), count(DISTINCT kind), count(*) FROM cxone_exports"
    )
    assert (mode, kinds, reads) == ("platform", 1, 30)
    requests = env.served()
    assert all(r["startDate"].endswith("Z") and r["endDate"].endswith("Z") for r in requests)
    assert set(env.instance.get_materialized_partitions(cxone_defs.cxone_interactions.key)) == set(
        keys
    )


#: What the asset's Plots tab charts per day: numbers recorded as typed metadata values.
PLOTTED = {
    "contacts": dg.IntMetadataValue,
    "integrity_rate": dg.FloatMetadataValue,
    "dagster/row_count": dg.IntMetadataValue,
    "bytes": dg.IntMetadataValue,
    "requests": dg.IntMetadataValue,
    "throttled_429": dg.IntMetadataValue,
    "records_per_s": dg.FloatMetadataValue,
}


def test_each_day_has_its_own_numbers_to_plot_and_the_run_logs_its_days(env: Platform) -> None:
    env.emulator.add_faults({"kind": "http_429", "count": 1, "path_prefix": "/cxone-platform/api-"})
    keys = _keys(FIRST, 3)
    result = env.run(keys[0], keys[-1])
    assert result.success
    events = {
        str(e.partition): e.materialization for e in result.get_asset_materialization_events()
    }
    assert sorted(events) == keys  # one materialization per day, each with its own numbers
    for key, materialization in events.items():
        for name, kind in PLOTTED.items():
            assert isinstance(materialization.metadata[name], kind), (key, name)
        figures = _meta(result)[key]
        assert (figures["contacts"], figures["integrity_rate"]) == (40, 1.0)
        assert figures["bytes"] > 0 and figures["requests"] >= 1
    assert sum(_meta(result)[k]["throttled_429"] for k in keys) == 1  # the day that got the 429
    lines = [e.user_message for e in env.instance.all_logs(result.run_id) if e.user_message]
    days = [line for line in lines if line.startswith("CXone run: ")]
    assert days[0].startswith("CXone run: 1 of 3 day(s), 40 contact(s), ") and "ETA" in days[0]
    assert days[-1].startswith("CXone run: done, 3 of 3 day(s), 120 contact(s), ")
    pulls = [line for line in lines if line.startswith(f"CXone {keys[0]} pull: ")]
    assert pulls and "total unknown until the last response" in pulls[0]


def test_a_day_with_missing_fields_fails_integrity_and_the_run_naming_it(tmp_path: Path) -> None:
    platform = Platform(tmp_path, cxone_missing_rate=0.3)
    try:
        keys = _keys(FIRST, 2)
        result = platform.run(keys[0], keys[-1])
        materialized = platform.instance.get_materialized_partitions(ASSET_KEY)
        stored = platform.sql("SELECT count(DISTINCT start_time::DATE) FROM cxone.interactions")
    finally:
        platform.close()
    assert not result.success  # the run is red ...
    [failure] = result.get_step_failure_events()
    reason = failure.step_failure_data.user_failure_data
    assert reason is not None and reason.description is not None
    assert materialized == set(keys) and stored == [(2,)]  # ... and both days are landed
    integrity = _check(result, "integrity_at_least_threshold")
    assert not integrity.passed
    meta = _meta(result)
    for key in keys:
        rate = meta[key]["integrity_rate"]
        assert rate < 0.99 and meta[key]["missing_fields"]
        assert f"{key}: integrity {rate:.4f} < 0.99" in (integrity.description or "")
        assert f"{key}: integrity {rate:.4f} < 0.99" in reason.description
    assert sorted(integrity.metadata["failing_days"].value) == keys
    assert _check(result, "rows_match_records").passed  # incomplete rows are kept, not dropped


def test_a_recent_day_is_pulled_again_for_its_late_updates_only(env: Platform) -> None:
    day = FIRST.isoformat()
    first = env.run(day)
    changed = httpx.post(
        f"{env.emulator.url}/admin/cxone/late-updates", json={"day": day, "count": 5}, timeout=10
    )
    assert changed.status_code == 200, changed.text
    again = env.run(day)
    assert first.success and again.success
    meta = _meta(again)[day]
    assert (meta["read_kind"], meta["records_received"], meta["rows_replaced"]) == (
        "late_updates",
        5,
        5,
    )
    assert meta["dagster/row_count"] == 40
    last = env.served()[-1]
    assert last["updatedSince"].endswith("Z")
    assert env.sql("SELECT count(*) FROM cxone.interactions") == [(40,)]
    assert _check(again, "rows_match_records").passed


def test_throttling_errors_and_an_expired_token_are_absorbed(env: Platform) -> None:
    env.emulator.add_faults(
        "http_429:count=2,path_prefix=/cxone-platform/api-",
        "http_5xx:count=1,path_prefix=/cxone-platform/api-",
        "cxone_token_expired:count=1,after=3",
    )
    keys = _keys(FIRST, 3)
    result = env.run(keys[0], keys[-1], contacts_page_size=15)
    assert result.success
    assert env.sql("SELECT count(*) FROM cxone.interactions") == [(3 * 40,)]
    assert _check(result, "rows_match_records").passed
    throttled = sum(m["throttled_429"] for m in _meta(result).values())
    assert throttled >= 2


def test_the_webhook_gets_each_days_complete_rows(env: Platform) -> None:
    keys = _keys(FIRST, 2)
    url = f"{env.emulator.url}/lake-webhook/ingest"
    result = env.run(keys[0], keys[-1], lake_webhook_url=url, webhook_chunk_size=15)
    assert result.success
    batches = httpx.get(f"{env.emulator.url}/admin/lake-webhook", timeout=10).json()["batches"]
    by_day: dict[str, set[str]] = {}
    for batch in batches:
        by_day.setdefault(batch["partition"], set()).update(r["id"] for r in batch["records"])
    for key in keys:
        ids = {
            r[0]
            for r in env.sql(
                "SELECT id FROM cxone.interactions WHERE start_time::DATE = ?::DATE", [key]
            )
        }
        assert by_day[key] == ids


def test_tutorial_mode_against_a_real_host_fails_before_any_request(env: Platform) -> None:
    result = dg.materialize(
        cxone_defs.ASSETS,
        instance=env.instance,
        partition_key=FIRST.isoformat(),
        raise_on_error=False,
        resources={
            "cxone": CxoneResource(
                api_mode="tutorial",
                api_url="https://api-na1.niceincontact.com",
                client_id="id",
                client_secret="secret",
            ),
            "catalog": CatalogResource(data_dir=str(env.data_dir)),
        },
    )
    assert not result.success
    [failure] = [e for e in result.all_events if e.is_step_failure]
    assert "only the built-in emulator serves" in str(failure.event_specific_data)
    assert "CXONE_API_MODE=platform" in str(failure.event_specific_data)


def test_a_wrong_access_key_fails_once_naming_the_key_not_the_secret(env: Platform) -> None:
    result = env.run(FIRST.isoformat(), access_key_secret="not-the-secret")
    assert not result.success
    failures = [e for e in result.all_events if e.is_step_failure or e.is_step_up_for_retry]
    assert len(failures) == 1  # not retried: a retry cannot fix a wrong key
    text = str(failures[0].event_specific_data)
    assert "emulator-access-key-id" in text and "not-the-secret" not in text
