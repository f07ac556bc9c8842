"""The "other reading" switches of the independent tutorial data tables server.

Each switch is a reading of docs/api-contract.md "## Data tables" (lines 226-300) or of the
tutorial behind it (../shared/tutorials/001_7e1c5b5223c1db7c.txt, which wins where it shows a
shape) that differs from the most literal one but that the text allows; its docstring names the
sentence behind it. `Quirks()` has every switch on (the default), `Quirks.obvious()` every switch
off (the most literal reading), `Quirks.only(...)` just the named ones. Switches marked "seed"
shape the seeded tables, so they count only when the server is made.
"""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass
class Quirks:
    """One boolean per reading; the field docstrings name the text behind each."""

    # ---- shapes the tutorial shows (the tutorial wins over the contract) ----------------------
    schema_columns_only: bool = True
    """`GET .../schema` answers `{"columns": [...]}` with no `id`, `name` or `version`, as the
    tutorial's "Response payload structure" for the schema shows; the version is then only in
    the `ETag` header (contract lines 234-235: "The `ETag` header on schema and rows responses names
    it")."""

    page_size_absent: bool = True
    """A rows page has no `pageSize` member, as the tutorial's rows "Response payload structure"
    shows (`{"rows": [...], "nextPageCursor": "..."}`)."""

    row_id_uuid: bool = True
    """A row's `id` is a UUID (deterministic from table and key), as the tutorial's row shows
    (`"id": "a1b2c3d4-e5f6-..."`); contract lines 273-274: "`id` is the server's key of the row
    (opaque to clients)" (off: the key values joined by `|`, contract line 299)."""

    date_timestamps: bool = True
    """`date` values are served as timestamps, `2024-05-12T00:00:00Z`, and a POST may send them
    so: the tutorial's `"last_interaction": "2024-05-12T14:30:00Z"` for a column of
    `"type": "date"`, in reads and in its upsert. The seed (seed) then has times of day too. A
    timestamp at UTC midnight is the same value as the bare date (off: contract line 238,
    `date` (string `YYYY-MM-DD`); a timestamp is a 400)."""

    date_timestamp_offset: bool = True
    """As `date_timestamps`, but spelled with milliseconds and a numeric offset,
    `2024-05-12T00:00:00.000+00:00`: the tutorial shows a timestamp and fixes no spelling."""

    # ---- pages --------------------------------------------------------------------------------
    cursor_absent_on_last: bool = True
    """The last page has no `nextPageCursor` member at all (off: `null`); contract line 275:
    "`nextPageCursor` is absent or `null` on the last page"."""

    empty_last_page: bool = True
    """The page that reaches the end of the table still carries a cursor, and the page after it
    is empty (no rows, no cursor). Contract line 275 says only that the last page has none; a
    page full of rows is not promised to be the last."""

    page_size_capped: bool = True
    """A page holds at most 250 rows whatever `pageSize` asked (1-1000 still validated), with a
    cursor to the rest; a served `pageSize` says 250. Contract line 272 fixes the accepted range,
    not that a page is filled to it."""

    cursor_needs_escaping: bool = True
    """Cursors hold `+`, `/` and `=` (standard base64 and a `c+` prefix), so a client must
    percent-encode them in the query; contract line 275: "Cursors are opaque"."""

    # ---- values and members -------------------------------------------------------------------
    numbers_as_floats: bool = True
    """Integral numbers are written `3.0`; contract line 237: `number` (JSON number), not an
    integer."""

    pk_flag_only_on_key: bool = True
    """Schema columns carry `isPrimaryKey` only when it is true; contract line 255: "The key is the
    columns with `isPrimaryKey`" (off: `"isPrimaryKey": false` on the others, as the example
    shows)."""

    row_columns_reordered: bool = True
    """A row's `columns` object lists the columns in reverse schema order; contract line 299:
    "rows responses list every schema column", no order for the object's members."""

    member_order: bool = True
    """Members of every object the server writes come in another order (`version` before
    `columns` in a schema, `nextPageCursor` before `rows`, `total` before `entities`)."""

    listing_unordered: bool = True
    """`GET /api/v2/datatables` lists the tables in reverse name order; contract lines 244-245
    promises "every table", no order."""

    extra_members: bool = True
    """Unknown members on every object the server writes: listing (`pageSize`, `pageNumber`,
    `pageCount`) and its entities (`description: null`, `selfUri`), schema (`description: null`,
    `selfUri`) and its columns (`description: null`), pages (`total`, `selfUri`), rows
    (`selfUri`), upsert answers (`tableId`), error bodies (`contextId`, `details`). Contract
    lines 242-297 show shapes, not closed ones."""

    token_extras: bool = True
    """The token answer has extra members (`issued_at`, `organization`) and lists the granted
    scopes in reverse order (contract line 51: "<granted, space-separated>", no order)."""

    retry_after_date: bool = True
    """A 429 from an `http_429` fault carries `Retry-After` as an HTTP date, contract lines 42-43
    (off: whole seconds). Over-budget 429s use seconds."""

    # ---- writes -------------------------------------------------------------------------------
    put_schema_no_body: bool = True
    """`PUT .../schema` answers 200 with an empty body; contract line 258 promises only
    "200 (+ new `ETag`)" (off: the new schema, as `GET .../schema` serves it)."""

    put_always_bumps: bool = True
    """A `PUT .../schema` that changes nothing still raises the version, contract line 263: "The
    version goes up" (off: it keeps the version, line 232-233: the version "goes up on every change
    that changes something")."""

    if_match_honoured: bool = True
    """`PUT .../schema` and `POST .../rows` carrying an `If-Match` that is not the table's current
    `ETag` (nor `*`) are refused 412 and change nothing. The text states no `If-Match` at all,
    so a server may honour it as HTTP does (off: the header is ignored)."""

    # ---- seed ---------------------------------------------------------------------------------
    key_columns_spread: bool = True
    """(seed) The composite-key table `Regional Holidays` has its key columns neither first nor
    adjacent (`label, region*, open, day*`); contract line 255: the key is the columns with
    `isPrimaryKey` "(one or several, in column order)"."""

    awkward_names: bool = True
    """(seed) Names that are not identifiers: tables `Queue Routing / EU (v2)` and `Contacts
    d'equipe` (with an e acute), a column `Skill Name`; the text restricts no name."""

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

    @property
    def timestamps(self) -> bool:
        """Either timestamp spelling of `date` values is on."""
        return self.date_timestamps or self.date_timestamp_offset
