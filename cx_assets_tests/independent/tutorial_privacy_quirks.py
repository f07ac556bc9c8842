"""The "other reading" switches of the independent tutorial privacy export server.

Each switch is a reading of docs/api-contract.md "## Privacy (GDPR/CCPA) export requests" (or of
the tutorial behind it, ../shared/tutorials/002_1e4627f1bbebdb2a.txt, which wins where it shows
a shape) that differs from the most literal one but that the text allows; its docstring names the
sentence behind it (contract line numbers as of this writing). `Quirks()` has every switch on (the
default), `Quirks.obvious()` every switch off (the most literal reading), `Quirks.only(...)` just
the named ones.
"""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass
class Quirks:
    """One boolean per reading; the field docstrings name the text behind each."""

    # ---- everywhere (the names `extra_members`, `token_extras`, `retry_after_date` are read by
    # tutorial_data_actions_auth.Auth) ---------------------------------------------------------
    extra_members: bool = True
    """Unknown members on every object the server writes: the request object (`selfUri`,
    `callbackUrl`, `organizationId`), error bodies (`contextId`, `details`) and the json export
    document (`generatedAt`). The contract lists the members it promises (l. 441-446), never that
    there are no others; DESIGN "Reading what a server sends": real APIs add fields."""

    token_extras: bool = True
    """The token answer has extra members (`issued_at`, `organization`) and grants the scopes in
    reverse alphabetical order (l. 51: `scope` is "granted, space-separated", order not fixed)."""

    retry_after_date: bool = True
    """A 429 from an `http_429` fault carries `Retry-After` as an HTTP date (l. 41-42: "A 429
    from a fault switch may carry `Retry-After` as an HTTP date")."""

    nulls_for_absent: bool = True
    """Members that do not apply yet are `null` instead of absent: `failureReason` (l. 443 "only
    when FAILED"), `completedAt`, `downloadUrl` (l. 445 "only when COMPLETED and ..."),
    `expiresAt`, `checksum`, `size`. "only when" says when a member has a value; JSON APIs
    commonly write the others as null."""

    # ---- timestamps (the contract fixes none of the server's spellings, l. 444) -------------
    timestamps_offset: bool = True
    """`createdAt`, `completedAt`, `expiresAt` end in `+00:00` instead of `Z` (both ISO 8601,
    the spelling l. 430 accepts from clients)."""

    timestamps_no_millis: bool = True
    """Those timestamps carry whole seconds (off: milliseconds, `...T10:00:00.123Z`)."""

    time_range_utc: bool = True
    """`timeRange` comes back normalised to UTC in the server's timestamp spelling instead of as
    the client sent it (`+02:00` becomes `Z`/`+00:00`); the contract's object shows `{"start":
    "...", "end": "..."}` without saying they are echoed verbatim (l. 442)."""

    # ---- the request object ------------------------------------------------------------------
    key_order: bool = True
    """Members come in another order: the request object and the json export start with
    `status`/`data`, `timeRange` has `end` before `start` (JSON objects are unordered)."""

    data_types_reordered: bool = True
    """`dataTypes` is echoed in reverse order of what was sent: l. 429 makes it a list without
    repeats (a set), and the object's example has one member (l. 442)."""

    processing_unseen: bool = True
    """A poll never shows `PROCESSING`: the request reads `QUEUED` until it is done. l. 449
    "moves QUEUED -> PROCESSING -> COMPLETED after configurable delays": a poller can miss a
    state that lasts less than its interval."""

    expires_at_always: bool = True
    """`expiresAt` shows on a COMPLETED request even when the token lacks
    `data:privacy:export` and no `downloadUrl` is shown: only `downloadUrl` is conditioned on the
    scope (l. 445), `expiresAt` is listed on its own (l. 446)."""

    checksum_upper: bool = True
    """`checksum.value` in upper-case hex: l. 446 says `<hex>`, not its case. (A `sha256:` prefix
    would not be `<hex>`, so there is no switch for it.)"""

    # ---- the presigned download ----------------------------------------------------------------
    url_extra_params: bool = True
    """The presigned URL carries more query parameters than the three the contract names
    (`X-Amz-Algorithm`, `X-Amz-Credential` with an encoded `/`, `X-Amz-SignedHeaders`) and puts
    the signature first (l. 141: "The query carries ..." - it does not say only those, or in
    which order). The signature still covers path, date and expiry only."""

    url_other_host: bool = True
    """`downloadUrl` names the host `localhost` instead of `127.0.0.1` (same port): a presigned
    URL is whatever URL the server gives (l. 450), not a path under the API's base URL."""

    bearer_refused: bool = True
    """A download that carries an `Authorization` header is refused with 400 (l. 140 / l. 451:
    "No bearer token", as S3 refuses two auth mechanisms); off: the header is ignored."""

    download_octet_stream: bool = True
    """Downloads are `application/octet-stream` (off: `application/json` /
    `text/csv; charset=utf-8`); the contract names no media type (l. 144)."""

    json_pretty: bool = True
    """The json export is indented over several lines (off: compact); l. 452 says "one document"
    and `checksum`/`size` describe whatever bytes are served."""

    empty_types_omitted: bool = True
    """A requested data type without records is absent from the json export's `data` instead of
    an empty list (l. 453 `"data": {<dataType>: [records...]}`); the seed has no `tags` and no
    `attachments` records."""

    csv_crlf: bool = True
    """The csv export ends its lines with CRLF (RFC 4180) instead of LF; l. 454 names only the
    columns."""

    csv_quote_all: bool = True
    """Every csv field is quoted, not only those that need it."""

    # ---- the completion callback ---------------------------------------------------------------
    callback_extras: bool = True
    """The callback body carries more than the four members l. 459 names (`completedAt`,
    `failureReason` on FAILED, `eventId`)."""

    callback_replayed: bool = True
    """After a callback is delivered, the very same request (same body, same `t`, same
    signature) arrives once more, as a replay would: l. 464-465 "Receivers should refuse ... a
    `(requestId, t)` they have already seen". The replay is not retried whatever it is answered."""

    @classmethod
    def obvious(cls) -> Quirks:
        """Every switch off: the most literal reading of the text."""
        return cls(**{f.name: False for f in fields(cls)})

    @classmethod
    def only(cls, *names: str) -> Quirks:
        """Just the named switches on (a ValueError names an unknown one)."""
        known = {f.name for f in fields(cls)}
        if unknown := sorted(set(names) - known):
            raise ValueError(f"unknown quirk(s): {', '.join(unknown)}")
        return cls(**{name: name in names for name in known})
