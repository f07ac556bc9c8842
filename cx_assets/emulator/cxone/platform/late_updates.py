"""`POST /admin/cxone/late-updates {"day": "YYYY-MM-DD", "count": N}`: change N served contacts.

Which contacts is drawn from (seed, day, round), so a rerun of a test changes the same ones;
only contacts that already exist (their `lastUpdateTime` has passed) are eligible.
"""

from __future__ import annotations

import random
import time
from datetime import date

import anyio
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from cx_assets.emulator.cxone.platform import catalog, selection
from cx_assets.emulator.cxone.platform.contacts import DAY_MS, ID_BASE, day_start_ms, iso_ms
from cx_assets.emulator.cxone.platform.service import PlatformService
from cx_assets.emulator.cxone.platform.updates import DayUpdates
from cx_assets.emulator.cxone.platform.wire import service
from cx_assets.emulator.errors import ApiError, json_body

PATH = "/admin/cxone/late-updates"


def _parse(body: object) -> tuple[date, int]:
    if not isinstance(body, dict):
        raise ApiError(400, 'the body must be JSON: {"day": "YYYY-MM-DD", "count": N}')
    try:
        day = date.fromisoformat(str(body.get("day")))
    except ValueError as exc:
        raise ApiError(400, "day must be a date YYYY-MM-DD", field="day") from exc
    count = body.get("count")
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        raise ApiError(400, "count must be an integer >= 1", field="count")
    return day, count


def _update(platform: PlatformService, day: date, count: int) -> tuple[list[int], int]:
    """Change `count` existing contacts of `day`: their ids and the new lastUpdateTime."""
    now_ms = int(time.time() * 1000)
    start = day_start_ms(day)
    whole_day = selection.Query(start, start + DAY_MS, None)
    chosen = platform.selector.select(whole_day, now_ms)
    total = selection.count(chosen)
    if count > total:
        raise ApiError(400, f"{day} has only {total} contacts so far", field="count")
    gen = platform.generator
    rng = random.Random(f"{gen.seed}:{day.isoformat()}:{platform.updates.rounds(day)}")
    positions = sorted(rng.sample(range(total), count))
    picked = [i for p in positions for _, i in selection.page(chosen, p, 1)]
    current = chosen[0].updates if chosen else {}
    changes: DayUpdates = {}
    for i in picked:
        record = gen.record(day, gen.shape(day, i), current.get(i))
        acw = rng.randint(5, 300)
        others = [d for d in catalog.DISPOSITION_IDS if d != record.get("primaryDispositionId")]
        changes[i] = {
            "ACWSeconds": acw if acw != record.get("ACWSeconds") else acw + 1,
            "primaryDispositionId": rng.choice(others),
            "lastUpdateTime": now_ms,
        }
    platform.updates.apply(day, changes)
    return [day.toordinal() * ID_BASE + i for i in picked], now_ms


async def late_updates(request: Request) -> JSONResponse:
    day, count = _parse(await json_body(request, 'JSON: {"day": "YYYY-MM-DD", "count": N}'))
    platform = service(request)
    ids, now_ms = await anyio.to_thread.run_sync(_update, platform, day, count)
    entry = {"day": day.isoformat(), "count": count, "lastUpdateTime": iso_ms(now_ms)}
    platform.log_late_update(entry)
    return JSONResponse({**entry, "contactIds": ids})


ROUTES = (Route(PATH, late_updates, methods=["POST"]),)
