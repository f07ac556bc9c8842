"""The "other reading" switches of the independent CXone platform server.

Each switch is a reading of docs/api-contract.md "# NICE CXone — platform mode" that differs
from the most literal one but that the text allows; its docstring quotes the sentence behind it.
`Quirks()` has every switch on (what the `independent_cxone` fixture serves); `Quirks.obvious()`
has every switch off (the most literal reading), like the project's other independent servers.

Deliberately NOT a switch: a server-side page cap below the requested `top`. The contract says
"at most `top` records" and "A client pages `skip += len(page)` until a page shorter than `top`
or a 204", so a short page IS the end signal; a server returning fewer than `top` records before
the end would make a client that follows the text lose data. The server keeps the text's rule
(`top` above `max_top` is a 400 naming `top`) instead.

Also not a switch, because it is the literal rule: when a day holds an exact multiple of `top`
contacts, the last page is exactly `top` long and the next request answers 204.
"""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass
class Quirks:
    """One boolean per reading; the field docstrings name the contract sentence behind each."""

    extra_fields: bool = True
    """Unknown members in every JSON answer and record: "Other members … may be present and are
    ignored", `{"area", "domain", …}`, token `{…, "id_token", …}`, "more may appear"."""

    api_endpoint_only: bool = True
    """cxone-configuration answers `api_endpoint` and no `area`: "the client uses `area` +
    `domain` through the host template when `area` is present, else `api_endpoint`"."""

    lowercase_bearer: bool = True
    """`token_type` is `bearer` in the access-key and refresh answers: there the text lists
    `"token_type"` without a value (the password grant keeps the documented `"Bearer"`)."""

    no_id_token: bool = True
    """No `id_token`; the tenant id is only in the `access_token`: "The client reads `tenantId`
    from the `id_token`, else from the `access_token`" and access-key `"id_token"?`."""

    refresh_cxde_only: bool = True
    """`/public/user/refresh` answers only `{"token", "refreshToken",
    "refreshTokenExpirationTimeSec"}`: "Answer per CX-DE …; UNVERIFIED which; … the client
    reads either" (off: both spellings, as the text says the emulator sends)."""

    float_seconds: bool = True
    """The `…Seconds` fields are floats (`12.0`, `12.347`): they are documented as "(numbers)",
    unlike the ids and `holdCount`, which are "(integers)" and stay ints."""

    whole_second_times: bool = True
    """Every other record's `contactStart`/`lastUpdateTime` has no milliseconds: "ISO `Z`" for
    the fields and "milliseconds optional" for the parameters."""

    null_fields: bool = True
    """Optional fields are null in some records and absent in others, and a missing required
    field is sometimes null: "every field may be null or absent, more may appear"."""

    agent_zero_for_abandoned: bool = True
    """Abandoned contacts carry `agentId: 0` (off: null): "`agentId` null or 0"."""

    other_media_names: bool = True
    """Some records have a `mediaTypeName` outside the listed five (`Voice Mail`, `Social`):
    "(`Call`, `Chat`, `Email`, `SMS`, `Work Item`, …)"."""

    no_total_records: bool = True
    """Pages have no `totalRecords`: "`"totalRecords": <n>?` … Only `completedContacts` is
    promised; the client never relies on `totalRecords` being present"."""

    hal_links: bool = True
    """Pages carry `businessUnitId` and `_links` (`self`, `next`): `"businessUnitId"?`,
    `"_links"?: …` (the `next` link is correct, a client may follow it or ignore it)."""

    throttle_once: bool = True
    """The `throttle_at`-th contacts request answers 429 with `Retry-After`: "over it, 429 with
    `Retry-After`" (the budget is per tenant and UNVERIFIED, so any call may meet it)."""

    expire_token_once: bool = True
    """The `expire_at`-th contacts request finds its token expired (401 `invalid_token`) and the
    token stays expired: "a missing, unknown, expired or revoked token is 401"."""

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
