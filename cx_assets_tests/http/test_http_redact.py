"""Contract: redaction removes presigned-URL signatures, tokens and known secrets from any text,
keeping what a person needs to debug (scheme, host, port, path, the rest of the message)."""

from __future__ import annotations

import pytest

from cx_assets.http.redact import redact, redact_url

PRESIGNED = (
    "https://bucket.s3.amazonaws.com/files/exp-1/conversations-2024-01-01-0000.jsonl"
    "?X-Amz-Date=20240101T000000Z&X-Amz-Expires=900&X-Amz-Credential=AKIA%2Fabc"
    "&X-Amz-Signature=deadbeefcafe1234#frag"
)


def test_redact_url_keeps_location_and_drops_the_query() -> None:
    assert redact_url(PRESIGNED) == (
        "https://bucket.s3.amazonaws.com/files/exp-1/conversations-2024-01-01-0000.jsonl"
    )


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://user:pw@127.0.0.1:8765/files/a?sig=1", "http://127.0.0.1:8765/files/a"),
        (
            "https://api.mypurecloud.ie/api/v2/x?access_token=abc",
            "https://api.mypurecloud.ie/api/v2/x",
        ),
        ("http://[::1]:9000/p?token=t", "http://[::1]:9000/p"),
        ("/api/v2/dataexports?token=abc", "/api/v2/dataexports"),
    ],
)
def test_redact_url_variants(url: str, expected: str) -> None:
    assert redact_url(url) == expected


def test_redact_masks_known_secrets_tokens_and_urls_in_free_text() -> None:
    text = (
        f"could not fetch {PRESIGNED}: Authorization: Bearer eyJhbGciOi.abc-def "
        "client secret was hunter2-secret, form client_secret=hunter2-secret&x=1 "
        'json {"access_token": "tok-abc123"} and sig=ffff'
    )
    out = redact(text, secrets=["hunter2-secret", None, ""])
    for leaked in (
        "deadbeefcafe1234",
        "AKIA",
        "eyJhbGciOi",
        "hunter2-secret",
        "tok-abc123",
        "ffff",
    ):
        assert leaked not in out
    assert "https://bucket.s3.amazonaws.com/files/exp-1/conversations-2024-01-01-0000.jsonl" in out
    assert "could not fetch" in out and "Bearer ***" in out


def test_redact_leaves_ordinary_messages_alone() -> None:
    message = "endDate must be after startDate (code bad.request)"
    assert redact(message, secrets=["s3cr3t-value"]) == message
