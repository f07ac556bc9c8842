"""Register the `data.action.updated` webhook once per (org, target URL), not once per run.

The contract has no webhook list endpoint to look an existing one up, so the registration is
remembered in the catalog's audit log (action `webhook_registered`, entity `<api url> <target>`):
a later run finds it there and registers nothing. The signing secret the server returns is
never stored or logged here; the receiver gets it out of band.
"""

import json
from pathlib import Path

from cx_assets.catalog.audit import append_audit
from cx_assets.catalog.connection import write_transaction
from cx_assets.catalog.queries import query
from cx_assets.defs.data_actions.audit import FLOW
from cx_assets.genesys.data_actions import WEBHOOK_SCOPES, DataActionsClient
from cx_assets.http.redact import redact_url

REGISTERED = "webhook_registered"
WEBHOOK_NAME = "cx-assets data action drift"


def _entity(api_url: str, target_url: str) -> str:
    return f"{api_url.rstrip('/')} {redact_url(target_url)}"


def registered_webhook(catalog_path: Path, api_url: str, target_url: str) -> str | None:
    """The id of the webhook already registered for this org and target, if any."""
    rows = query(
        catalog_path,
        "SELECT details FROM audit_log WHERE flow = ? AND action = ? AND entity = ? "
        "ORDER BY seq DESC LIMIT 1",
        [FLOW, REGISTERED, _entity(api_url, target_url)],
    ).rows
    return str(json.loads(rows[0][0])["webhook_id"]) if rows else None


def ensure_webhook(
    client: DataActionsClient, catalog_path: Path, target_url: str, *, run_id: str
) -> tuple[str, bool]:
    """(webhook id, registered now?): registers only when the catalog knows none.

    The client must have been built with `WEBHOOK_SCOPES`."""
    api_url = client.api.base_url
    known = registered_webhook(catalog_path, api_url, target_url)
    if known is not None:
        return known, False
    webhook = client.register_webhook(WEBHOOK_NAME, target_url)
    with write_transaction(catalog_path) as con:
        append_audit(
            con,
            flow=FLOW,
            action=REGISTERED,
            entity=_entity(api_url, target_url),
            actor="cx-assets",
            details={"webhook_id": webhook.id, "name": WEBHOOK_NAME, "run_id": run_id},
        )
    return webhook.id, True


__all__ = ["WEBHOOK_SCOPES", "ensure_webhook", "registered_webhook"]
