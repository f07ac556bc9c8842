"""HTTP pieces of the independent data tables server: ErrorBody answers and page envelopes."""

from __future__ import annotations

import hashlib
import hmac
import math
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

Json = dict[str, Any]


def iso_ms(moment: datetime) -> str:
    return (
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )


def fail(status: int, code: str, message: str, field: str | None = None) -> JSONResponse:
    """An `ErrorBody`; `details[0].fieldName` names the request field at fault."""
    details = [{"errorCode": code, "fieldName": field}] if field else []
    body = {"message": message, "code": code, "status": status, "contextId": str(uuid.uuid4())}
    return JSONResponse(body | {"details": details, "errors": []}, status_code=status)


def s3_fail(status: int, code: str, message: str) -> Response:
    """What an object store answers on a presigned URL: XML, not an ErrorBody."""
    xml = f"<?xml version='1.0' encoding='UTF-8'?><Error><Code>{code}</Code>"
    xml += f"<Message>{message}</Message><RequestId>{uuid.uuid4().hex[:16]}</RequestId></Error>"
    return Response(xml, status_code=status, media_type="application/xml")


class BadParam(ValueError):
    """A query parameter out of range: 400 naming it."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name


def int_param(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise BadParam(name, f"{name} must be an integer {low}..{high}, got {raw!r}")
    return int(raw)


def choice_param(request: Request, name: str, default: str, allowed: dict[str, str]) -> str:
    raw = request.query_params.get(name, default)
    if raw not in allowed:
        raise BadParam(name, f"{name} must be one of {sorted(allowed)}, got {raw!r}")
    return allowed[raw]


def envelope(
    request: Request, items: list[Json], max_size: int, *, cap: int | None = None, extra: bool
) -> Json:
    """The page-number listing: URIs relative, other query parameters kept.

    `cap` answers at most that many a page whatever `pageSize` asks (and says so in
    `pageSize`), as a server with a smaller real maximum would.
    """
    number = int_param(request, "pageNumber", 1, 1, 10**9)
    size = int_param(request, "pageSize", 25, 1, max_size)
    size = min(size, cap) if cap else size
    total = len(items)
    count = math.ceil(total / size)
    kept = [(k, v) for k, v in request.query_params.multi_items()]
    kept = [(k, v) for k, v in kept if k not in ("pageNumber", "pageSize")]

    def uri(page: int) -> str:
        return f"{request.url.path}?{urlencode([*kept, ('pageSize', size), ('pageNumber', page)])}"

    body: Json = {"entities": items[(number - 1) * size : number * size]}
    body |= {"pageNumber": number, "pageSize": size, "total": total, "pageCount": count}
    body |= {"selfUri": uri(number), "firstUri": uri(1), "lastUri": uri(max(count, 1))}
    if number < count:
        body["nextUri"] = uri(number + 1)
    if number > 1:
        body["previousUri"] = uri(number - 1)
    if extra:
        body["xIndependentPage"] = {"served": len(body["entities"])}
    return body


AMZ_DATE = "%Y%m%dT%H%M%SZ"


class Signer:
    """Presigned URLs: hex HMAC-SHA256 over the path and every other query parameter."""

    def __init__(self, key: bytes, lifetime_s: int) -> None:
        self.key, self.lifetime_s = key, lifetime_s

    def sign(self, path: str, params: dict[str, str]) -> str:
        text = path + "\n" + "&".join(f"{k}={params[k]}" for k in sorted(params))
        return hmac.new(self.key, text.encode(), hashlib.sha256).hexdigest()

    def presign(self, base: str, path: str, *, s3: bool, expired: bool = False) -> str:
        """`s3` adds the other query parameters an object store's URL carries."""
        moment = datetime.now(UTC) - timedelta(seconds=self.lifetime_s + 60 if expired else 0)
        stamp, params = moment.strftime(AMZ_DATE), {}
        if s3:
            params["X-Amz-Algorithm"] = "AWS4-HMAC-SHA256"
            params["X-Amz-Credential"] = f"ASIAINDEPENDENT/{stamp[:8]}/us-east-1/s3/aws4_request"
            params["X-Amz-SignedHeaders"] = "host"
        params |= {"X-Amz-Date": stamp, "X-Amz-Expires": str(self.lifetime_s)}
        params["X-Amz-Signature"] = self.sign(path, params)
        return f"{base}{path}?{urlencode(params)}"

    def problem(self, request: Request) -> str | None:
        """Why the request's URL is not a valid, unexpired presigned URL (None: it is)."""
        params = dict(request.query_params)
        given = params.pop("X-Amz-Signature", "")
        if not given:
            return "the URL carries no signature"
        if not hmac.compare_digest(given, self.sign(request.url.path, params)):
            return "the signature does not match"
        signed = datetime.strptime(params["X-Amz-Date"], AMZ_DATE).replace(tzinfo=UTC)
        if datetime.now(UTC) > signed + timedelta(seconds=int(params["X-Amz-Expires"])):
            return "the URL has expired"
        return None
