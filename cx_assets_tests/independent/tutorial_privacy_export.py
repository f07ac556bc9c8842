"""What a completed privacy request exports, and its presigned URLs, for the independent tutorial
privacy server: docs/api-contract.md l. 450-454 (the export's two formats) and l. 139-144
("Presigned file URLs", which l. 450 points to).

Fixed readings where the text is silent: a json record is `{"recordId", <field>: <value>...}`;
a csv row is one field of one record, `value` as text (`true`/`false`, numbers as written in
json, strings as they are), rows in the order the data types were asked for; the file is
`export.json` or `export.csv` under `/files/{requestId}/`; the signature is hex
HMAC-SHA256(server secret, "<path>\\n<X-Amz-Date>\\n<X-Amz-Expires>"); `expire_urls` rotates the
secret so every URL handed out so far answers 403 and a fresh GET of the request presigns anew.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from cx_assets_tests.independent.tutorial_privacy_quirks import Quirks
from cx_assets_tests.independent.tutorial_privacy_rules import Asked

Json = dict[str, Any]
AMZ_DATE = "%Y%m%dT%H%M%SZ"

# Two records per data type, except `tags` and `attachments` (none): the values hold a comma, a
# double quote, a line break and non-ASCII text so a csv or UTF-8 shortcut shows.
FIELDS: dict[str, list[Json]] = {
    "profile": [
        {"name": "Ana Lima", "email": "ana@example.com", "vip": True},
        {"name": "Zo\u00eb O'Neil", "email": "zoe@example.com", "vip": False},
    ],
    "interactions": [{"channel": "voice", "seconds": 312}, {"channel": "chat", "seconds": 95}],
    "notes": [
        {"text": 'Called back, said "thanks"\nfollow-up: caf\u00e9'},
        {"text": "plain note"},
    ],
    "tags": [],
    "transcript": [
        {"speaker": "agent", "text": "Hello, how can I help?"},
        {"speaker": "customer", "text": "My order, #4411"},
    ],
    "metadata": [{"queue": "Billing", "wrapUp": "Resolved"}, {"queue": "Support", "wrapUp": ""}],
    "analytics": [{"tHandle": 421.5, "tHold": 0}, {"tHandle": 88, "tHold": 12}],
    "attachments": [],
    "voice": [{"seconds": 300, "recorded": True}, {"seconds": 12, "recorded": False}],
    "chat": [{"messages": 14, "bot": False}, {"messages": 3, "bot": True}],
    "email": [
        {"subject": "Re: refund, again", "inbound": True},
        {"subject": "Hi", "inbound": False},
    ],
    "social": [{"network": "x", "handle": "@ana"}, {"network": "fb", "handle": "ana.l"}],
    "callback": [{"number": "+351 21 000 0000", "done": True}, {"number": "+1 555", "done": False}],
}


def records(asked: Asked, data_type: str) -> list[Json]:
    """The data type's records for this subject (ids depend on the subject)."""
    tag = hashlib.sha256(f"{asked.entity_type}/{asked.entity_id}".encode()).hexdigest()[:8]
    return [
        {"recordId": f"{data_type}-{tag}-{n}"} | fields
        for n, fields in enumerate(FIELDS[data_type], start=1)
    ]


def render(asked: Asked, time_range: Json, quirks: Quirks) -> bytes:
    """The export's bytes as served (the checksum and size describe exactly these)."""
    if asked.format == "csv":
        return _csv(asked, quirks)
    data = {t: records(asked, t) for t in asked.data_types}
    if quirks.empty_types_omitted:
        data = {t: rows for t, rows in data.items() if rows}
    doc: Json = {
        "requestId": asked.request_id,
        "subject": {"entityType": asked.entity_type, "entityId": asked.entity_id},
        "timeRange": time_range,
        "data": data,
    }
    if quirks.extra_members:
        doc["generatedAt"] = datetime.now(UTC).isoformat()
    if quirks.key_order:
        doc = dict(reversed(list(doc.items())))
    if quirks.json_pretty:
        return (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode()
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode()


def _csv(asked: Asked, quirks: Quirks) -> bytes:
    out = io.StringIO()
    writer = csv.writer(
        out,
        lineterminator="\r\n" if quirks.csv_crlf else "\n",
        quoting=csv.QUOTE_ALL if quirks.csv_quote_all else csv.QUOTE_MINIMAL,
    )
    writer.writerow(["data_type", "record_id", "field", "value"])
    for data_type in asked.data_types:
        for record in records(asked, data_type):
            for name, value in record.items():
                if name != "recordId":
                    writer.writerow([data_type, record["recordId"], name, _text(value)])
    return out.getvalue().encode()


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


class Signer:
    """Presigns `/files/...` paths and says what is wrong with a presented URL."""

    def __init__(self) -> None:
        self.secret = secrets.token_bytes(32)
        self.old: list[bytes] = []

    def rotate(self) -> None:
        self.old.append(self.secret)
        self.secret = secrets.token_bytes(32)

    def url(self, base: str, path: str, ttl_s: int, quirks: Quirks) -> tuple[str, datetime]:
        """A presigned URL for `path` on `base`, and when it expires."""
        now = datetime.now(UTC).replace(microsecond=0)
        date, expires = now.strftime(AMZ_DATE), str(ttl_s)
        signature = self._sign(self.secret, path, date, expires)
        query = [("X-Amz-Date", date), ("X-Amz-Expires", expires), ("X-Amz-Signature", signature)]
        if quirks.url_extra_params:
            query = [
                query[2],
                ("X-Amz-Algorithm", "AWS4-HMAC-SHA256"),
                ("X-Amz-Credential", f"independent/{now:%Y%m%d}/local/s3/aws4_request"),
                query[0],
                ("X-Amz-SignedHeaders", "host"),
                query[1],
            ]
        if quirks.url_other_host:
            parts = urlsplit(base)
            base = f"{parts.scheme}://localhost:{parts.port}"
        return f"{base}{path}?{urlencode(query)}", now + timedelta(seconds=ttl_s)

    def problem(self, path: str, query: str) -> str | None:
        """Why a download must be refused (403), or None."""
        params = dict(parse_qsl(query))
        date, expires, signature = (
            params.get(k) for k in ("X-Amz-Date", "X-Amz-Expires", "X-Amz-Signature")
        )
        if date is None or expires is None or signature is None:
            return "the URL is not presigned: X-Amz-Date, X-Amz-Expires, X-Amz-Signature needed"
        try:
            signed = datetime.strptime(date, AMZ_DATE).replace(tzinfo=UTC)
            ttl = int(expires)
        except ValueError:
            return "the URL's X-Amz-Date or X-Amz-Expires is malformed"
        if any(
            hmac.compare_digest(self._sign(old, path, date, expires), signature) for old in self.old
        ):
            return "the presigned URL has expired"
        if not hmac.compare_digest(self._sign(self.secret, path, date, expires), signature):
            return "the URL's signature does not match"
        if datetime.now(UTC) > signed + timedelta(seconds=ttl):
            return "the presigned URL has expired"
        return None

    @staticmethod
    def _sign(secret: bytes, path: str, date: str, expires: str) -> str:
        return hmac.new(secret, f"{path}\n{date}\n{expires}".encode(), hashlib.sha256).hexdigest()
