"""Contract: the CXone client authenticates with form-field client credentials (not HTTP
Basic), and a rejected client fails with an error naming the client, never the secret."""

from __future__ import annotations

import pytest

from cx_assets.cxone import endpoints
from cx_assets.emulator import EmulatorServer
from cx_assets.http.auth import ClientCredentialsAuth
from cx_assets.http.errors import AuthError
from cx_assets_tests.cxone.cxone_testkit import CLIENT_ID, CLIENT_SECRET, FAST_RETRY, cxone_url

pytestmark = pytest.mark.integration


def auth_for(emu: EmulatorServer, secret: str) -> ClientCredentialsAuth:
    return ClientCredentialsAuth(
        f"{cxone_url(emu)}{endpoints.TOKEN_PATH}",
        CLIENT_ID,
        secret,
        scopes=endpoints.EXPORT_SCOPES,
        credentials_in="form",
        retry=FAST_RETRY,
    )


def test_form_credentials_get_a_token(emulator: EmulatorServer) -> None:
    auth = auth_for(emulator, CLIENT_SECRET)
    try:
        token = auth.token()
        assert token
        assert auth.token() == token  # cached
        assert auth.stats.token_requests == 1
    finally:
        auth.close()


def test_a_wrong_secret_is_named_by_client_not_by_secret(emulator: EmulatorServer) -> None:
    wrong = "not-the-secret-123"
    auth = auth_for(emulator, wrong)
    try:
        with pytest.raises(AuthError) as excinfo:
            auth.token()
    finally:
        auth.close()
    assert excinfo.value.status == 401
    assert CLIENT_ID in str(excinfo.value)
    assert wrong not in str(excinfo.value)
    assert wrong not in repr(auth)
