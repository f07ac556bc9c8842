"""`cx-assets privacy subjects --email …`: find the data subjects Genesys knows before filing.

Prints the matches and stores nothing (no catalog row, no file, no log line): the identifiers
are on the privacy officer's screen only, to decide what the request file should name.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from cx_assets import settings
from cx_assets.defs.resources import GenesysCloudResource
from cx_assets.flows.privacy_platform import find_subjects
from cx_assets.genesys.modes import MODE_ENV
from cx_assets.genesys.privacy.platform_models import SEARCH_TYPES
from cx_assets.http.errors import ApiError

_FLAGS = {"email": "EMAIL", "phone": "PHONE", "name": "NAME", "address": "ADDRESS"}


def _genesys() -> GenesysCloudResource:
    """The Genesys target from the environment, secrets read as plain values (no Dagster)."""
    api_url = os.environ.get("GENESYS_API_URL") or settings.EMULATOR_URL
    return GenesysCloudResource(
        api_mode=os.environ.get(MODE_ENV) or "platform",
        region=os.environ.get("GENESYS_REGION") or None,
        api_url=api_url,
        login_url=os.environ.get("GENESYS_LOGIN_URL") or api_url,
        client_id=os.environ.get("GENESYS_CLIENT_ID") or settings.EMULATOR_CLIENT_ID,
        client_secret=os.environ.get("GENESYS_CLIENT_SECRET") or settings.EMULATOR_CLIENT_SECRET,
    )


def _describe(subject: dict[str, object]) -> str:
    parts = []
    for key, value in sorted(subject.items()):
        if value in (None, "", [], {}):
            continue
        shown = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
        parts.append(f"{key}: {shown}")
    return "; ".join(parts) or "(no identifiers shown)"


def subjects_command(argv: Sequence[str]) -> int:
    top = argparse.ArgumentParser(
        prog="cx-assets privacy subjects",
        description="Search Genesys Cloud for data subjects (GET /api/v2/gdpr/subjects); "
        "prints matches, stores nothing. Needs the permission gdpr:subject:view.",
    )
    group = top.add_mutually_exclusive_group(required=True)
    for flag in _FLAGS:
        group.add_argument(f"--{flag}")
    group.add_argument("--search-type", choices=SEARCH_TYPES, help="with --value")
    top.add_argument("--value", help="the value for --search-type")
    args = top.parse_args(list(argv))
    if args.search_type:
        if not args.value:
            top.error("--search-type needs --value")
        kind, value = args.search_type, args.value
    else:
        kind, value = next((_FLAGS[f], getattr(args, f)) for f in _FLAGS if getattr(args, f))
    genesys = _genesys()
    try:
        found = find_subjects(genesys, kind, value)
    except (ApiError, ValueError) as exc:
        print(f"cx-assets privacy subjects: {exc}", file=sys.stderr)
        return 1
    print(f"{len(found)} subject(s) for {kind} on {genesys.describe_target('privacy')}:")
    for number, subject in enumerate(found, 1):
        print(f"  {number}. {_describe(subject)}")
    return 0
