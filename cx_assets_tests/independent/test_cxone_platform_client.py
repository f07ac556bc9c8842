"""The CXone platform client and flow against the independent server (every quirk on).

The server was written from the contract text alone, by someone who had not read the client:
discovery through `api_endpoint` instead of `area`, tenant id only in the access token, floats
for seconds, nulls and absences, a 429 and an expired token mid-paging, `agentId` 0 for
abandoned contacts, the CX-DE refresh spelling. What a user would see must still be right: every
contact of the day in the lake, the incomplete ones counted, nothing doubled.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import duckdb
import pytest

from cx_assets.cxone.contacts import ContactsSettings
from cx_assets.cxone.platform import AuthMethod, PlatformSettings, connect
from cx_assets.cxone.platform_auth import AccessKey
from cx_assets.flows.cxone_platform import land_days
from cx_assets.http.retry import RetrySettings
from cx_assets.lake.paths import DataLayout
from cx_assets_tests.independent.cxone_platform_quirks import Quirks
from cx_assets_tests.independent.cxone_platform_server import RunningCxone

DAY = dt.date(2024, 3, 5)


LOG = logging.getLogger(__name__)


def _settings(
    server: RunningCxone, method: AuthMethod = "password", top: int = 10
) -> PlatformSettings:
    auth = server.auth
    return PlatformSettings(
        key=AccessKey(
            auth.access_key_id, auth.access_key_secret, auth.client_id, auth.client_secret
        ),
        issuer_url=server.issuer,
        auth_method=method,
        api_host_template=server.api_host_template,
        access_key_token_url=f"{server.issuer}/authentication/v1/token/access-key",
        access_key_refresh_url=f"{server.issuer}/public/user/refresh",
        contacts=ContactsSettings("v26.0", top),
        retry=RetrySettings(max_attempts=4, max_total_s=20, initial_backoff_s=0.01),
        timeout_s=10,
    )


def _ids(path: Path) -> list[str]:
    with duckdb.connect() as con:
        return [r[0] for r in con.execute("SELECT id FROM read_parquet(?)", [str(path)]).fetchall()]


@pytest.mark.parametrize("method", ["password", "access_key"])
def test_a_day_lands_whole_through_every_quirk(
    independent_cxone: RunningCxone, tmp_path: Path, method: AuthMethod
) -> None:
    layout = DataLayout(tmp_path)
    expected = independent_cxone.server.expected_contacts(DAY)
    with connect(_settings(independent_cxone, method)) as connection:
        landed = land_days(connection.contacts, [DAY], layout, run_id="run-1", log=LOG)
    (day,) = landed
    assert sorted(_ids(day.built.written.path)) == sorted(str(r["contactId"]) for r in expected)
    incomplete = len(independent_cxone.server.incomplete_contacts(DAY))
    assert day.alignment.total == len(expected)
    assert day.alignment.valid == len(expected) - incomplete
    assert day.built.duplicates == 0 and day.read.quarantined == 0
    assert day.read.pages >= 3  # 30 contacts at top=10: paged to the end through 429 and 401


def test_api_endpoint_in_discovery_and_area_both_reach_the_api(
    independent_cxone: RunningCxone, tmp_path: Path
) -> None:
    independent_cxone.server.quirks = Quirks.only("no_id_token")
    with connect(_settings(independent_cxone)) as connection:
        assert connection.api_base == independent_cxone.api_base
        assert connection.discovered


def test_late_updates_replace_their_rows_and_keep_the_rest(
    independent_cxone: RunningCxone, tmp_path: Path
) -> None:
    layout = DataLayout(tmp_path)
    server = independent_cxone.server
    with connect(_settings(independent_cxone)) as connection:
        (first,) = land_days(connection.contacts, [DAY], layout, run_id="run-1", log=LOG)
        changed = server.late_update(DAY, 4)
        (again,) = land_days(connection.contacts, [DAY], layout, run_id="run-2", log=LOG)
    assert again.read.kind == "late_updates"
    assert again.read.records == len(changed)
    assert again.built.replaced == len(changed)
    assert again.built.written.rows == first.built.written.rows
    with duckdb.connect() as con:
        updated = con.execute(
            "SELECT count(*) FROM read_parquet(?) WHERE last_update_time > ?",
            [str(again.built.written.path), first.read.started_at],
        ).fetchone()
    assert updated == (len(changed),)
