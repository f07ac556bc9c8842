"""Contract: every Genesys Cloud region maps to https://api.<domain> and https://login.<domain>,
whichever way the user writes it; an unknown region fails naming it and the known ones."""

from __future__ import annotations

import pytest

from cx_assets.http.regions import GENESYS_REGIONS, genesys_base_urls

BRIEF_REGIONS = [
    "mypurecloud.com",
    "mypurecloud.ie",
    "mypurecloud.de",
    "mypurecloud.com.au",
    "mypurecloud.jp",
    "usw2.pure.cloud",
    "cac1.pure.cloud",
    "euw2.pure.cloud",
    "aps1.pure.cloud",
    "apne2.pure.cloud",
    "apne3.pure.cloud",
    "sae1.pure.cloud",
    "mec1.pure.cloud",
    "euc2.pure.cloud",
    "mxc1.pure.cloud",
    "apse1.pure.cloud",
    "use2.us-gov-pure.cloud",
]


@pytest.mark.parametrize("domain", BRIEF_REGIONS)
def test_every_region_has_api_and_login_hosts(domain: str) -> None:
    assert genesys_base_urls(domain) == (f"https://api.{domain}", f"https://login.{domain}")


def test_table_is_exactly_the_known_regions() -> None:
    assert sorted(GENESYS_REGIONS) == sorted(BRIEF_REGIONS)


@pytest.mark.parametrize(
    "spelling",
    [
        "api.mypurecloud.ie",
        "login.mypurecloud.ie",
        "  MyPureCloud.IE ",
        "https://api.mypurecloud.ie/",
        "https://login.mypurecloud.ie",
        "eu-west-1",
    ],
)
def test_region_spellings_users_copy_are_accepted(spelling: str) -> None:
    assert genesys_base_urls(spelling) == (
        "https://api.mypurecloud.ie",
        "https://login.mypurecloud.ie",
    )


def test_unknown_region_names_it_and_lists_the_known_ones() -> None:
    with pytest.raises(ValueError) as err:
        genesys_base_urls("mypurecloud.fr")
    message = str(err.value)
    assert "'mypurecloud.fr'" in message
    assert "mypurecloud.ie" in message and "usw2.pure.cloud" in message
