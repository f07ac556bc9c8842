"""Genesys Cloud regions: the one place that maps a region name to its API and login hosts.

Genesys serves each region on `api.<domain>` and OAuth on `login.<domain>`; users copy either
host (or the bare domain, or the AWS region name) from the admin UI, so all of those are accepted.
"""

from __future__ import annotations

from urllib.parse import urlsplit

#: Genesys Cloud domain -> AWS region it runs in (from the Genesys "Platform API" region list).
GENESYS_REGIONS: dict[str, str] = {
    "mypurecloud.com": "us-east-1",
    "use2.us-gov-pure.cloud": "us-east-2 (FedRAMP)",
    "usw2.pure.cloud": "us-west-2",
    "cac1.pure.cloud": "ca-central-1",
    "sae1.pure.cloud": "sa-east-1",
    "mxc1.pure.cloud": "mx-central-1",
    "mypurecloud.ie": "eu-west-1",
    "euw2.pure.cloud": "eu-west-2",
    "mypurecloud.de": "eu-central-1",
    "euc2.pure.cloud": "eu-central-2",
    "mec1.pure.cloud": "me-central-1",
    "aps1.pure.cloud": "ap-south-1",
    "mypurecloud.jp": "ap-northeast-1",
    "apne2.pure.cloud": "ap-northeast-2",
    "apne3.pure.cloud": "ap-northeast-3",
    "mypurecloud.com.au": "ap-southeast-2",
    "apse1.pure.cloud": "ap-southeast-1",
}

_BY_AWS_REGION = {aws.split(" ")[0]: domain for domain, aws in GENESYS_REGIONS.items()}


def genesys_domain(region: str) -> str:
    """The Genesys domain for `region` given as a domain, an api./login. host, a URL or AWS name."""
    text = region.strip().lower()
    if "://" in text:
        text = urlsplit(text).hostname or ""
    text = text.strip("/").removesuffix(".")
    for prefix in ("api.", "login."):
        text = text.removeprefix(prefix)
    if text in GENESYS_REGIONS:
        return text
    if text in _BY_AWS_REGION:
        return _BY_AWS_REGION[text]
    known = ", ".join(GENESYS_REGIONS)
    raise ValueError(f"unknown Genesys Cloud region {region!r}; known regions: {known}")


def genesys_base_urls(region: str) -> tuple[str, str]:
    """(api_url, login_url) for a Genesys Cloud region, e.g. mypurecloud.ie."""
    domain = genesys_domain(region)
    return f"https://api.{domain}", f"https://login.{domain}"
