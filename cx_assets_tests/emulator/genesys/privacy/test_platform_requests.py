"""Platform GDPR requests (docs/api-contract.md "Privacy: GDPR requests, /api/v2/gdpr/…"): a POST
files a new request every time and answers INITIATED; the status moves by time through the steps
of its type to COMPLETED; a completed export carries presigned results URLs (one file:
`resultsUrl` only; several: `resultsUrls` and `resultsUrl` = the first) served with
Content-Length, signed anew on every GET, refused when tampered with or expired; the listing is
newest first in page-number pages of at most 100; `/admin/stats` lists what was filed; requests
survive a restart. Plain httpx over loopback."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import httpx

from cx_assets_tests.emulator.genesys.conversations.platform_support import client
from cx_assets_tests.emulator.genesys.privacy.gdpr_support import (
    FAST,
    PHONE,
    REQUESTS,
    export_body,
    file_request,
    statuses_seen,
    wait_done,
)


def download(url: str) -> httpx.Response:
    """A presigned results URL, fetched without the bearer token (it carries its signature)."""
    response = httpx.get(url)
    assert response.status_code == 200, response.text
    assert response.headers["content-length"] == str(len(response.content))
    return response


def test_an_export_moves_through_its_statuses_to_one_results_file(emulator_factory):
    api = client(emulator_factory(gdpr_step_s=0.3))
    created = file_request(api)
    assert created["status"] == "INITIATED" and created["requestType"] == "GDPR_EXPORT"
    assert created["subject"] == {"phoneNumbers": [PHONE]}
    assert created["selfUri"] == f"{REQUESTS}/{created['id']}"
    assert created["createdDate"].endswith("Z") and created["createdBy"]["id"]
    assert "resultsUrl" not in created and "resultsUrls" not in created
    seen = statuses_seen(api, created["id"])[created["id"]]
    assert seen == ["INITIATED", "SEARCHING", "FINALIZING", "COMPLETED"]
    done = wait_done(api, created["id"])
    assert "resultsUrls" not in done
    assert urlsplit(done["resultsUrl"]).path == f"/files/{created['id']}/results-1.json"
    document = download(done["resultsUrl"]).json()
    assert (document["requestId"], document["part"], document["parts"]) == (created["id"], 1, 1)
    assert document["subject"] == {"phoneNumbers": [PHONE]}
    assert document["records"] and all(r["matchedValue"] == PHONE for r in document["records"])


def test_update_and_delete_have_their_own_steps_and_no_results(emulator_factory):
    api = client(emulator_factory(gdpr_step_s=0.3))
    update = file_request(
        api,
        {
            "requestType": "GDPR_UPDATE",
            "subject": {"emailAddresses": ["anna.lindqvist@example.com"]},
            "replacementTerms": [
                {
                    "type": "EMAIL",
                    "existingValue": "anna.lindqvist@example.com",
                    "updatedValue": "a@example.org",
                }
            ],
        },
    )
    delete = file_request(
        api,
        {"requestType": "GDPR_DELETE", "subject": {"phoneNumbers": [PHONE]}},
        deleteConfirmed="true",
    )
    assert update["replacementTerms"][0]["updatedValue"] == "a@example.org"
    seen = statuses_seen(api, update["id"], delete["id"])
    assert seen[update["id"]] == ["INITIATED", "SEARCHING", "UPDATING", "COMPLETED"]
    assert seen[delete["id"]] == ["INITIATED", "SEARCHING", "DELETING", "COMPLETED"]
    for request_id in (update["id"], delete["id"]):
        done = wait_done(api, request_id)
        assert done["status"] == "COMPLETED"
        assert "resultsUrl" not in done and "resultsUrls" not in done


def test_several_results_files_each_presigned_and_deterministic(emulator_factory):
    emu = emulator_factory(**FAST, gdpr_results_files=3)
    api = client(emu)
    subject = {"name": "Oliver Bennett", "emailAddresses": ["oliver.bennett@example.org"]}
    first = wait_done(api, file_request(api, export_body(**subject))["id"])
    urls = first["resultsUrls"]
    assert len(urls) == 3 and first["resultsUrl"] == urls[0]
    names = [urlsplit(url).path.rsplit("/", 1)[-1] for url in urls]
    assert names == ["results-1.json", "results-2.json", "results-3.json"]
    for url in urls:
        query = parse_qs(urlsplit(url).query)
        assert set(query) == {"X-Amz-Date", "X-Amz-Expires", "X-Amz-Signature"}
        assert query["X-Amz-Expires"] == [str(emu.config.url_expiry_s)]
    documents = [download(url).json() for url in urls]
    assert [(d["part"], d["parts"]) for d in documents] == [(1, 3), (2, 3), (3, 3)]
    assert {d["requestId"] for d in documents} == {first["id"]}
    records = [json.dumps(d["records"]) for d in documents]
    assert len(set(records)) == 3  # each part holds its own records
    # the same subject filed again: a new request, the same records (content from the subject)
    second = wait_done(api, file_request(api, export_body(**subject))["id"])
    assert second["id"] != first["id"]
    again = [download(url).json() for url in second["resultsUrls"]]
    assert [json.dumps(d["records"]) for d in again] == records
    assert {d["requestId"] for d in again} == {second["id"]}


def test_urls_are_signed_anew_and_refused_when_tampered_or_expired(emulator_factory):
    emu = emulator_factory(**FAST)
    api = client(emu)
    request_id = wait_done(api, file_request(api)["id"])["id"]
    emu.add_faults("expire_urls:path_prefix=/api/v2/gdpr")
    expired = api.get(f"{REQUESTS}/{request_id}").json()["resultsUrl"]
    refused = httpx.get(expired)
    assert refused.status_code == 403 and "expired" in refused.json()["message"]
    fresh = api.get(f"{REQUESTS}/{request_id}").json()["resultsUrl"]
    assert fresh != expired and download(fresh).json()["requestId"] == request_id
    signature = parse_qs(urlsplit(fresh).query)["X-Amz-Signature"][0]
    tampered = fresh.replace(signature, signature[::-1])
    assert httpx.get(tampered).status_code == 403
    other_part = fresh.replace("results-1.json", "results-2.json")
    assert httpx.get(other_part).status_code == 403  # its signature names another path
    assert httpx.get(fresh.split("?")[0]).status_code == 403  # unsigned


def test_listing_is_newest_first_in_pages_of_at_most_100(emulator_factory):
    api = client(emulator_factory(**FAST))
    filed = [file_request(api)["id"] for _ in range(7)]
    pages = [api.get(REQUESTS, params={"pageSize": 3}).json()]
    while "nextUri" in pages[-1] and len(pages) < 10:
        page = api.get(pages[-1]["nextUri"])
        assert page.status_code == 200, page.text
        pages.append(page.json())
    assert [p["pageNumber"] for p in pages] == [1, 2, 3]
    assert {(p["total"], p["pageCount"], p["pageSize"]) for p in pages} == {(7, 3, 3)}
    assert "previousUri" not in pages[0] and pages[1]["previousUri"].endswith("pageNumber=1")
    listed = [r["id"] for p in pages for r in p["entities"]]
    assert listed == filed[::-1]
    assert all(
        r["requestType"] == "GDPR_EXPORT" and r["subject"] for p in pages for r in p["entities"]
    )
    default = api.get(REQUESTS).json()
    assert default["pageSize"] == 25 and len(default["entities"]) == 7
    assert api.get(REQUESTS, params={"pageSize": 100}).status_code == 200
    past = api.get(REQUESTS, params={"pageNumber": 9})
    assert past.status_code == 200 and past.json()["entities"] == []
    for bad in ({"pageSize": 101}, {"pageSize": 0}, {"pageNumber": 0}, {"pageSize": "x"}):
        refused = api.get(REQUESTS, params=bad)
        assert refused.status_code == 400, bad
        assert refused.json()["details"][0]["fieldName"] == next(iter(bad))


def test_every_post_files_a_new_request_and_stats_list_them(emulator_factory):
    emu = emulator_factory(**FAST)
    api = client(emu)
    first, second = file_request(api), file_request(api)
    assert first["id"] != second["id"]
    delete = file_request(
        api,
        {"requestType": "GDPR_DELETE", "subject": {"name": "Maja Svensson"}},
        deleteConfirmed="true",
    )
    assert emu.stats()["gdpr_requests"] == [
        {"id": first["id"], "requestType": "GDPR_EXPORT"},
        {"id": second["id"], "requestType": "GDPR_EXPORT"},
        {"id": delete["id"], "requestType": "GDPR_DELETE"},
    ]
    missing = api.get(f"{REQUESTS}/5d0c0000-0000-4000-8000-000000000000")
    assert missing.status_code == 404
    assert {"message", "code", "status", "contextId", "details", "errors"} <= set(missing.json())


def test_requests_survive_a_restart(emulator_factory):
    emu = emulator_factory(gdpr_step_s=0.2, gdpr_results_files=2)
    api = client(emu)
    finished = wait_done(api, file_request(api)["id"])
    before = download(finished["resultsUrls"][1]).content
    unfinished = file_request(api, export_body(emailAddresses=["grace.thompson@example.org"]))

    emu.restart()
    api = client(emu)  # tokens do not survive a restart
    after = api.get(f"{REQUESTS}/{finished['id']}").json()
    assert (after["status"], after["createdDate"]) == ("COMPLETED", finished["createdDate"])
    assert download(after["resultsUrls"][1]).content == before
    assert download(finished["resultsUrls"][0]).status_code == 200  # old URLs still signed
    assert wait_done(api, unfinished["id"])["status"] == "COMPLETED"
    listed = [r["id"] for r in api.get(REQUESTS).json()["entities"]]
    assert listed == [unfinished["id"], finished["id"]]
