"""Register the `data.action.updated` webhook once per (org, target URL), not once per run.

The registration is remembered in the catalog's audit log (action `webhook_registered`, entity
`<api url> <target>`): a later run finds it there and registers nothing. The webhook is
registered with a secret this client chooses (`CX_GENESYS_WEBHOOK_SECRET`, the emulator default
otherwise; see `receiver/events.signing_secret`) so the shared receiver can verify the
events. The secret is never stored or logged: the audit entry keeps only a keyed fingerprint of
it, so a changed secret is noticed and the webhook re-registered (the old one deleted), instead
of the receiver refusing every event from then on.
"""

import hashlib
import hmac
import json
from pathlib import Path

from cx_assets.catalog.audit import append_audit
from cx_assets.catalog.connection import write_transaction
from cx_assets.catalog.queries import query
from cx_assets.flows.rules_audit import FLOW
from cx_assets.genesys.rules.tutorial import (
    ACTION_UPDATED_EVENT,
    WEBHOOK_SCOPES,
    WEBHOOKS_PATH,
    DataActionsClient,
    Webhook,
    webhook_path,
)
from cx_assets.http.errors import NotFoundError
from cx_assets.http.redact import redact_url
from cx_assets.receiver.events import MIN_SECRET_CHARS, signing_secret

REGISTERED = "webhook_registered"
WEBHOOK_NAME = "cx-assets data action drift"


def _entity(api_url: str, target_url: str) -> str:
    return f"{api_url.rstrip('/')} {redact_url(target_url)}"


def secret_fingerprint(secret: str) -> str:
    """A short keyed digest: tells two secrets apart without revealing either."""
    return hmac.new(secret.encode(), b"cx-assets webhook secret", hashlib.sha256).hexdigest()[:16]


def _registration(catalog_path: Path, api_url: str, target_url: str) -> dict | None:
    rows = query(
        catalog_path,
        "SELECT details FROM audit_log WHERE flow = ? AND action = ? AND entity = ? "
        "ORDER BY seq DESC LIMIT 1",
        [FLOW, REGISTERED, _entity(api_url, target_url)],
    ).rows
    return json.loads(rows[0][0]) if rows else None


def registered_webhook(catalog_path: Path, api_url: str, target_url: str) -> str | None:
    """The id of the webhook already registered for this org and target, if any."""
    found = _registration(catalog_path, api_url, target_url)
    return str(found["webhook_id"]) if found else None


def _register(client: DataActionsClient, target_url: str, secret: str) -> Webhook:
    """POST the webhook with our signing secret (the contract's optional `secret` field)."""
    body = {
        "name": WEBHOOK_NAME,
        "enabled": True,
        "events": [{"eventType": ACTION_UPDATED_EVENT}],
        "target": {"url": target_url},
        "secret": secret,
    }
    return Webhook.model_validate(client.api.post_json(WEBHOOKS_PATH, body))


def _delete(client: DataActionsClient, webhook_id: str) -> bool:
    """Delete a superseded webhook; False when the server no longer has it."""
    try:
        client.api.request("DELETE", webhook_path(webhook_id))
    except NotFoundError:
        return False
    return True


def ensure_webhook(
    client: DataActionsClient,
    catalog_path: Path,
    target_url: str,
    *,
    run_id: str,
    secret: str | None = None,
) -> tuple[str, bool]:
    """(webhook id, registered now?): registers only when the catalog knows none for this org
    and target signed with the current secret. `secret` defaults to `signing_secret(api url)`.

    The client must have been built with `WEBHOOK_SCOPES`."""
    api_url = client.api.base_url
    secret = secret if secret is not None else signing_secret(api_url)
    if len(secret) < MIN_SECRET_CHARS:
        raise ValueError(f"the webhook secret must be at least {MIN_SECRET_CHARS} characters")
    fingerprint = secret_fingerprint(secret)
    known = _registration(catalog_path, api_url, target_url)
    if known is not None and known.get("secret_fingerprint") == fingerprint:
        return str(known["webhook_id"]), False
    webhook = _register(client, target_url, secret)
    details: dict = {
        "webhook_id": webhook.id,
        "name": WEBHOOK_NAME,
        "run_id": run_id,
        "secret_fingerprint": fingerprint,
    }
    if known is not None:  # the secret changed: the old webhook's events would all be refused
        details["replaces"] = known["webhook_id"]
        details["replaced_deleted"] = _delete(client, str(known["webhook_id"]))
    with write_transaction(catalog_path) as con:
        append_audit(
            con,
            flow=FLOW,
            action=REGISTERED,
            entity=_entity(api_url, target_url),
            actor="cx-assets",
            details=details,
        )
    return webhook.id, True


__all__ = ["WEBHOOK_SCOPES", "ensure_webhook", "registered_webhook", "secret_fingerprint"]
