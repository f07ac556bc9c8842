"""Platform-mode privacy steps: file a GDPR request once, poll it, download every results file.

Filing has no client request id to lean on, so it is made safe in the catalog: the time of the
first POST attempt is recorded before the POST (`filing_started_at`), the server's id the moment
it is answered, and a retried run, or an answer lost on the wire, first looks through the org's
requests for one of ours (same type, same subject, created since the first attempt, not held by
another of our requests) before it files again. Downloads go to a staged folder that replaces the
request's export folder whole, with a `manifest.json` of every file's size and SHA-256.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import time
from pathlib import Path

from cx_assets.catalog import privacy as cat
from cx_assets.flows.crashpoints import crashpoint
from cx_assets.flows.privacy import FLOW, PrivacyGenesys
from cx_assets.genesys.privacy.platform import FilingUncertain, GdprClient, ResultFile
from cx_assets.genesys.privacy.platform_models import GdprRequestFile, GdprRequestView
from cx_assets.lake.atomic import atomic_write, replace_dir
from cx_assets.lake.paths import DataLayout
from cx_assets.lake.privacy import FILE_MODE, PrivacyArea, private_dir
from cx_assets.lake.verified_download import sha256_file

MANIFEST = "manifest.json"


class FilingNotFound(Exception):
    """A filing's answer was lost and no matching request is listed yet (retriable)."""


@dataclasses.dataclass(frozen=True)
class Filed:
    view: GdprRequestView
    how: str
    latency_ms: float
    requests: int
    retries: int


def file_once(
    genesys: PrivacyGenesys, layout: DataLayout, key: str, request: GdprRequestFile
) -> Filed:
    """File `request` for `key` exactly once across runs, crashes and lost answers."""
    catalog_path = layout.catalog_path
    row = cat.request_row(catalog_path, key)
    since = row["filing_started_at"] if row is not None else None
    started = time.monotonic()
    with genesys.api_client((), flow=FLOW) as api:
        client = GdprClient(api)
        found: GdprRequestView | None = None
        how = "filed"
        if since is not None:  # an earlier attempt began filing: did it get through?
            found = client.find_filed(request, since, cat.server_ids(catalog_path, except_key=key))
            how = "found the request an earlier attempt filed"
        if found is None:
            since = cat.record_filing_started(
                catalog_path, partition_key=key, actor=genesys.client_id
            )
            crashpoint("privacy.submit.before_post")
            try:
                found, how = client.file(request), "filed"
            except FilingUncertain as exc:
                found = client.find_filed(
                    request, since, cat.server_ids(catalog_path, except_key=key)
                )
                if found is None:
                    raise FilingNotFound(
                        f"{exc}; no matching request is listed yet, so the next attempt looks "
                        "again before filing"
                    ) from None
                how = "found after its answer was lost"
            crashpoint("privacy.submit.after_post")
        stats = api.stats.as_dict()
    return Filed(
        found,
        how,
        (time.monotonic() - started) * 1000,
        int(stats.get("requests", 0)),
        int(stats.get("retries", 0)),
    )


def count_records(path: Path) -> int | None:
    """Records in a JSON results file: a top-level list's items, or the items of an object's
    list members; None for anything else (a zip, or a shape we do not know)."""
    if path.suffix != ".json":
        return None
    try:
        data = json.loads(path.read_bytes())
    except ValueError:
        return None
    if isinstance(data, list):
        return len(data)
    if isinstance(data, dict):
        lists = [v for v in data.values() if isinstance(v, list)]
        return sum(len(v) for v in lists) if lists else None
    return None


@dataclasses.dataclass(frozen=True)
class Downloaded:
    folder: Path
    files: list[ResultFile]
    size: int
    manifest_sha256: str
    record_count: int | None


def download_results(
    genesys: PrivacyGenesys, layout: DataLayout, key: str, request_id: str, server_id: str
) -> Downloaded:
    """Every results file of the request into `privacy/exports/<key>/` (0700; files 0600),
    replaced whole: a crash leaves either the old folder or the new one, never half of one."""
    area = PrivacyArea(layout.root).ensure()
    staged = area.staged_export_dir(key)
    shutil.rmtree(staged, ignore_errors=True)
    private_dir(staged)
    try:
        with genesys.api_client((), flow=FLOW) as api:
            files = GdprClient(api).download_results(server_id, staged)
        counts = [count_records(staged / f.name) for f in files]
        manifest = {
            "request_id": request_id,
            "server_request_id": server_id,
            "files": [dataclasses.asdict(f) for f in files],
        }
        with atomic_write(staged / MANIFEST) as fh:
            fh.write(json.dumps(manifest, indent=2, sort_keys=True).encode())
        (staged / MANIFEST).chmod(FILE_MODE)
        crashpoint("privacy.download.before_publish")
        final = area.export_dir(key)
        replace_dir(staged, final)
        private_dir(final)
    except BaseException:
        shutil.rmtree(staged, ignore_errors=True)
        raise
    known = [c for c in counts if c is not None]
    return Downloaded(
        folder=final,
        files=files,
        size=sum(f.size for f in files),
        manifest_sha256=sha256_file(final / MANIFEST),
        record_count=sum(known) if known else None,
    )


def find_subjects(genesys: PrivacyGenesys, search_type: str, value: str) -> list[dict[str, object]]:
    """`GET /api/v2/gdpr/subjects`: who Genesys holds data on for one identifier. Nothing is
    stored or logged: the caller prints the matches for the privacy officer and forgets them."""
    if genesys.mode_for(FLOW) != "platform":
        raise ValueError("subject search is a platform-mode call (GENESYS_API_MODE=platform)")
    with genesys.api_client((), flow=FLOW) as api:
        return GdprClient(api).subjects(search_type, value)
