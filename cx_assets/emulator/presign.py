"""Presigned download URLs, S3 style: the query carries date, expiry and an HMAC-SHA256."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

from cx_assets.emulator.errors import ApiError

DATE_FORMAT = "%Y%m%dT%H%M%SZ"


def load_or_create_secret(state_dir: Path) -> str:
    """The signing secret kept in the state dir, so URLs survive an emulator restart."""
    path = state_dir / "signing.key"
    if path.exists():
        return path.read_text().strip()
    state_dir.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_hex(32)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(secret)
    tmp.replace(path)
    return secret


class Signer:
    def __init__(self, secret: str, expiry_s: int) -> None:
        self._key = secret.encode()
        self.expiry_s = expiry_s

    def _signature(self, path: str, stamp: str, expires: str) -> str:
        message = f"GET\n{path}\n{stamp}\n{expires}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def query(self, path: str, *, now: datetime | None = None, expired: bool = False) -> str:
        """The query string for `path`; `expired` backdates it (the `expire_urls` fault)."""
        signed_at = now or datetime.now(UTC)
        if expired:
            signed_at -= timedelta(seconds=self.expiry_s + 60)
        stamp = signed_at.strftime(DATE_FORMAT)
        expires = str(self.expiry_s)
        return urlencode(
            {
                "X-Amz-Date": stamp,
                "X-Amz-Expires": expires,
                "X-Amz-Signature": self._signature(path, stamp, expires),
            }
        )

    def verify(self, path: str, params: dict[str, str], *, now: datetime | None = None) -> None:
        """Raise a 403 when the signature is missing, tampered with or expired."""
        stamp = params.get("X-Amz-Date", "")
        expires = params.get("X-Amz-Expires", "")
        given = params.get("X-Amz-Signature", "")
        if not (stamp and expires and given):
            raise ApiError(403, "the URL is not signed", code="access.denied")
        if not hmac.compare_digest(given, self._signature(path, stamp, expires)):
            raise ApiError(403, "the URL signature does not match", code="access.denied")
        try:
            signed_at = datetime.strptime(stamp, DATE_FORMAT).replace(tzinfo=UTC)
            lifetime = timedelta(seconds=int(expires))
        except ValueError as exc:
            raise ApiError(403, "the URL has a bad X-Amz-Date", code="access.denied") from exc
        if (now or datetime.now(UTC)) > signed_at + lifetime:
            raise ApiError(403, "the URL has expired", code="request.expired")
