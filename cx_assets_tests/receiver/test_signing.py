"""Contract: a delivery's `X-Genesys-Signature: t=<unix seconds>,v1=<hex>` is accepted with the
hex in either case (the contract does not fix it), and refused when it signs another body or
is older than the tolerance."""

from __future__ import annotations

import pytest

from cx_assets.receiver.signing import SignatureRejected, sign, verify_signature

SECRET = "a-webhook-secret-for-tests"
BODY = b'{"requestId": "r-1", "status": "COMPLETED"}'
NOW = 1_733_300_000


def test_upper_case_hex_is_the_same_signature() -> None:
    header = sign(SECRET, NOW, BODY)
    t_part, v1 = header.split(",v1=")
    assert verify_signature(f"{t_part},v1={v1.upper()}", BODY, SECRET, now=NOW) == NOW
    assert verify_signature(f"{t_part}, v1={v1}", BODY, SECRET, now=NOW) == NOW


@pytest.mark.parametrize(
    ("header", "body", "reason"),
    [
        (sign(SECRET, NOW, BODY), BODY + b" ", "bad_signature"),
        (sign("another-secret-entirely", NOW, BODY), BODY, "bad_signature"),
        (sign(SECRET, NOW - 301, BODY), BODY, "stale"),
        ("v1=00", BODY, "malformed_signature"),
    ],
)
def test_other_bodies_secrets_and_old_signatures_are_refused(
    header: str, body: bytes, reason: str
) -> None:
    with pytest.raises(SignatureRejected) as refused:
        verify_signature(header, body, SECRET, now=NOW)
    assert refused.value.reason == reason
