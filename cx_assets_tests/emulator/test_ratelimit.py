"""Rate limits: every bearer-authenticated API response carries both header families for the
calling client; over the per-client budget the answer is 429 with Retry-After; the token
endpoint and presigned downloads neither count nor carry the headers."""

from __future__ import annotations

import httpx

from .support import api_client, get_token

RATE_HEADERS = (
    "x-ratelimit-remaining",
    "x-ratelimit-reset",
    "inin-ratelimit-count",
    "inin-ratelimit-allowed",
    "inin-ratelimit-reset",
)


def test_headers_on_every_api_response_including_errors(emulator):
    client = api_client(emulator)
    first = client.get("/api/v2/dataexports/nope")
    second = client.post("/api/v2/dataexports", json={"bad": 1})
    assert (first.status_code, second.status_code) == (404, 400)
    for response in (first, second):
        assert all(name in response.headers for name in RATE_HEADERS)
    assert first.headers["inin-ratelimit-allowed"] == "300"
    assert first.headers["inin-ratelimit-count"] == "1"
    assert second.headers["inin-ratelimit-count"] == "2"
    assert second.headers["x-ratelimit-remaining"] == "298"
    assert 1 <= int(second.headers["inin-ratelimit-reset"]) <= 60


def test_budget_spent_gives_429_with_retry_after(emulator_factory):
    emu = emulator_factory(
        rate_limit_per_minute=3,
        clients={"emulator-client": "emulator-secret", "other": "other-secret"},
    )
    client = api_client(emu)
    codes = [client.get("/api/v2/dataexports/x").status_code for _ in range(4)]
    assert codes == [404, 404, 404, 429]
    refused = client.get("/api/v2/dataexports/x")
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert refused.headers["x-ratelimit-remaining"] == "0"
    assert "3 requests per 60 s" in refused.json()["message"]
    # the token endpoint is outside the budget, and the budget is per client
    assert get_token(emu)
    other = httpx.post(
        f"{emu.url}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=("other", "other-secret"),
    )
    assert "inin-ratelimit-count" not in other.headers
    other_client = api_client(emu, other.json()["access_token"])
    assert other_client.get("/api/v2/dataexports/x").status_code == 404
