"""Read a response body as a model, or fail once naming what did not fit.

Every client's tolerant response models go through here, so an unreadable answer is always the
same non-retried `UnreadableResponse` naming the field, the rule broken and the kind of JSON
value that arrived there (`got string`), never the value (a body may carry personal data or
secrets).
"""

from __future__ import annotations

from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from cx_assets.http.errors import UnreadableResponse

M = TypeVar("M", bound=BaseModel)


def read_model(model: type[M], response: httpx.Response, what: str | None = None) -> M:
    """The body as `model`; `what` names it in the message (default: the model's name)."""
    try:
        return model.model_validate_json(response.content or b"null")
    except ValidationError as exc:
        where = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}{_arrived(e)}"
            for e in exc.errors()[:3]
        )
        raise UnreadableResponse(
            response.status_code,
            response.request.method,
            str(response.request.url),
            f"response cannot be read as {what or model.__name__}: {where}",
        ) from None


def _arrived(error: Any) -> str:
    """` (got string)`: the JSON kind of the offending value; nothing for a missing field."""
    if error.get("type") == "missing":
        return ""
    if error.get("type") == "json_invalid":
        return " (the body is not JSON)"
    value = error.get("input")
    kinds = ((bool, "boolean"), (int | float, "number"), (str, "string"), (list, "array"))
    kind = next((name for cls, name in kinds if isinstance(value, cls)), "object")
    return f" (got {'null' if value is None else kind})"
