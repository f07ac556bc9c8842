"""Late updates: `POST /admin/cxone/late-updates` changes N contacts of a day (ACW, disposition,
lastUpdateTime = now), persisted across restarts; `updatedSince` then finds exactly those."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from cx_assets_tests.emulator.cxone.platform_support import DAY, all_contacts, api

LATE = "/admin/cxone/late-updates"


def _now_z(shift_s: float = 0) -> str:
    when = datetime.now(UTC) + timedelta(seconds=shift_s)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def test_late_updates_are_found_by_updated_since_and_survive_a_restart(emulator_factory):
    emu = emulator_factory(cxone_contacts_per_day=200)
    with api(emu) as client:
        before = {r["contactId"]: r for r in all_contacts(client)}
    since = _now_z(-0.01)
    response = httpx.post(emu.url + LATE, json={"day": "2024-03-05", "count": 7})
    assert response.status_code == 200
    changed = response.json()["contactIds"]
    assert len(set(changed)) == 7 and set(changed) <= set(before)

    with api(emu) as client:
        found = all_contacts(client, updatedSince=since, **DAY)
        after = {r["contactId"]: r for r in all_contacts(client)}
    assert sorted(r["contactId"] for r in found) == sorted(changed)
    for cid in changed:
        old, new = before[cid], after[cid]
        assert new["lastUpdateTime"] >= since > old["lastUpdateTime"]
        assert new["ACWSeconds"] != old["ACWSeconds"]
        assert new["primaryDispositionId"] != old["primaryDispositionId"]
        assert new["contactStart"] == old["contactStart"]
    assert all(after[c] == before[c] for c in before if c not in changed)
    assert list(after) == list(before)  # the order does not move

    emu.stop()
    with api(emulator_factory(cxone_contacts_per_day=200)) as client:
        assert all_contacts(client) == list(after.values())
        alone = all_contacts(client, updatedSince=since)  # no window: every day since
    assert set(changed) <= {r["contactId"] for r in alone}
    assert all(r["lastUpdateTime"] >= since for r in alone if r.get("lastUpdateTime"))


def test_updated_since_in_the_future_is_204(emulator_factory):
    emu = emulator_factory(cxone_contacts_per_day=50)
    with api(emu) as client:
        response = client.get(
            "/api-na1.niceincontact.com/inContactAPI/services/v30.0/contacts/completed",
            params={"updatedSince": _now_z(3600)},
        )
    assert response.status_code == 204


def test_late_updates_refuse_bad_bodies(emulator_factory):
    emu = emulator_factory(cxone_contacts_per_day=20)
    bad_bodies = (
        {"day": "2024-13-01", "count": 1},
        {"day": "2024-03-05", "count": 0},
        {"day": "2024-03-05", "count": 21},  # the day has only 20
        {"day": "2099-01-01", "count": 1},  # no contacts exist yet
    )
    for body in bad_bodies:
        assert httpx.post(emu.url + LATE, json=body).status_code == 400
    assert emu.stats()["cxone_platform"]["late_updates"] == []
