"""The "other reading" switches of the independent tutorial-mode CXone analytics export server.

Each switch is a reading of docs/api-contract.md "## NICE CXone analytics" (lines 334-418, plus
"Errors", "Rate limits", "OAuth") or of the tutorial behind it,
/work/shared/tutorials/003_4444c7289736e03e.txt, that differs from the most literal one but
that the text allows; its docstring quotes the words it relies on. `Quirks()` has every switch
on (the default), `Quirks.obvious()` every switch off (the most literal reading),
`Quirks.only(...)` just the named ones.

Left out on purpose, because the text fixes them: `expires_in` and `totalRecords` as strings
(the contract writes them unquoted, `<seconds>` and `n`, beside quoted `"<granted...>"`), record
timestamps other than "ISO 8601 ms `Z`", nulls inside records ("absent keys"), unknown keys in
records ("the `columns` requested, in that order"), status values in another case, another
`token_type`, a 200 for the create (the heading says 202).
"""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass
class Quirks:
    """One boolean per reading; the field docstrings name the text behind each."""

    # ---- everywhere ---------------------------------------------------------------------------
    extra_fields: bool = True
    """Unknown members on every object the server writes except records: the create answer,
    the status, the data page envelope, error bodies (`contextId`, `details`). DESIGN.md:
    response models ignore fields they do not know; the contract promises only the members it
    lists ("promised `{"id": "..."}` only")."""

    content_type_params: bool = True
    """`Content-Type: application/json; charset=utf-8` and `text/csv; charset=utf-8` (off: the
    bare `application/json` / `text/csv` the contract names). A media type with parameters is
    still that media type (RFC 9110)."""

    # ---- token --------------------------------------------------------------------------------
    token_extras: bool = True
    """The token answer has extra members (`issued_at`, `site`) and lists the granted scopes in
    reverse order: "`scope`: <granted, space-separated>" fixes no order."""

    retry_after_date: bool = True
    """A 429 from an `http_429` fault carries `Retry-After` as an HTTP date: "A 429 from a fault
    switch may carry `Retry-After` as an HTTP date (RFC 7231) instead of seconds" (contract
    "Rate limits"). Over-budget 429s keep whole seconds."""

    # ---- create and status ----------------------------------------------------------------------
    create_id_only: bool = True
    """The 202 body is `{"id"}` and nothing else (off: `{"id", "status": "pending"}`): "Response:
    promised `{"id": "..."}` only (the tutorial reads nothing else); the emulator also sends
    `"status": "pending"`"."""

    opaque_ids: bool = True
    """Export ids are opaque strings that are not UUIDs (`dx_000001_9f3c0a1b`); the contract
    shows `"id": "..."`, any string."""

    skip_processing: bool = True
    """An export goes `pending` straight to `completed` (or `failed`), never showing
    `processing`: "`status`: pending|processing|completed|failed" lists the values, not that
    each one is seen; the tutorial treats pending and processing alike."""

    nulls_for_absent: bool = True
    """`errorMessage` is `null` when the export has not failed and `totalRecords` `null` until
    it completed (off: both keys absent): "`errorMessage` (only when failed), `totalRecords`
    (when completed)" says when they carry a value; the tutorial reads
    `status_data.get('errorMessage', 'Unknown error')`."""

    completed_at_absent: bool = True
    """`completedAt` is absent until the export ended (off: `null`); the contract lists it with
    no rule for unfinished exports."""

    timestamps_offset: bool = True
    """`createdAt` / `completedAt` end `+00:00` instead of `Z`; the contract fixes the spelling
    only for `dateRange` in the request and for records ("ISO 8601 ms `Z`")."""

    timestamps_no_millis: bool = True
    """`createdAt` / `completedAt` have no fraction of a second (same text as above)."""

    echo_range_respelled: bool = True
    """The status echoes `dateRange` re-rendered without milliseconds
    (`2024-01-01T00:00:00Z`) rather than the strings the client sent: the milliseconds rule is
    for the POST body ("`dateRange` | `{start, end}`, ISO 8601 UTC with milliseconds and `Z`");
    the status only lists `dateRange`."""

    tutorial_span: bool = True
    """The 90-day span is counted as the tutorial's own check counts it,
    `(end_dt - start_dt).days > MAX_EXPORT_DAYS` is refused, so 90 days 23:59:59.999 passes
    (the tutorial's chunks are `start` 00:00:00.000 to `start + 90 days` 23:59:59.999). Off:
    literally "span at most 90 days (exactly 90 is allowed)", `end - start <= 90 days`."""

    # ---- data pages ---------------------------------------------------------------------------
    data_scope_reports_read: bool = True
    """Reading data pages needs `reports:read` besides `analytics:export:read` (off: only the
    latter). The data endpoint's heading names no scope; the tutorial's prerequisites list
    "Required scopes: analytics:export:read, analytics:export:write, reports:read" and its
    token request asks for all three."""

    page_size_capped: bool = True
    """A page never holds more than 25 records whatever `pageSize` asked; the text promises no
    page length, only the token chain ("follows nextPageToken links until exhaustion")."""

    empty_last_page: bool = True
    """The page that holds the last record still hands out a token; the page behind it is
    `{"data": []}` with no token (a server that learns it is done one page late)."""

    last_token_absent: bool = True
    """The last JSON page has no `nextPageToken` key (off: `null`). The tutorial reads it as
    `page_token = body.get("nextPageToken")` / `if not page_token: break`."""

    last_token_empty: bool = True
    """The last page's token is an empty string: the JSON `nextPageToken` is `""` (when
    `last_token_absent` is off) and a CSV last page carries `X-Next-Page-Token:` with an empty
    value (off: no header). Same tutorial lines: `if not page_token: break`."""

    token_url_unsafe: bool = True
    """Page tokens hold `+`, `/` and `=` (standard base64), so a client must URL-encode them in
    `?nextPageToken=`; the contract shows the token as `"..."`, opaque."""

    records_unsorted: bool = True
    """Records come in no particular order (not by `startTime`); the text says only that
    "Records fall in the range by `startTime`"."""

    fractional_seconds: bool = True
    """`holdTime`, `wrapTime`, `talkTime` carry fractions (`12.345`): "(seconds, numbers)"."""

    numeric_ids: bool = True
    """Record `id`s are JSON numbers (`2024010100007`); the text fixes no type for `id`, only
    that ids are stable."""

    numeric_refs: bool = True
    """`agentId` and `queueId` are JSON numbers (`1007`); the text fixes no type for them."""

    # ---- CSV ----------------------------------------------------------------------------------
    csv_crlf: bool = True
    """CSV rows end `\\r\\n` (RFC 4180) instead of `\\n`; the contract says only "`text/csv` with
    a header row"."""

    csv_bom: bool = True
    """Every CSV page starts with a UTF-8 byte order mark, as spreadsheet-friendly exporters
    write it; same sentence as above, which fixes no encoding details."""

    csv_quote_all: bool = True
    """Every CSV cell is quoted (`"id","direction"`), empty cells as `""`."""

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

    @classmethod
    def names(cls) -> list[str]:
        """Every switch, in declaration order."""
        return [f.name for f in fields(cls)]
