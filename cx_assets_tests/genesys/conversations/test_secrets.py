"""Contract: the client secret, bearer tokens and presigned-URL signatures never appear in an
exception a user sees (message, repr or traceback) nor in any log record, whatever goes wrong.
"""

from __future__ import annotations

import logging
import traceback
from dataclasses import dataclass
from pathlib import Path

import pytest

from cx_assets.emulator import EmulatorServer
from cx_assets.genesys.conversations.tutorial import DownloadFailed, export_day
from cx_assets.http.auth import ClientCredentialsAuth
from cx_assets.http.errors import AuthError
from cx_assets_tests.genesys.genesys_testkit import DAY, FILE_ATTEMPTS, fast_client

pytestmark = pytest.mark.integration

SIGNATURE_MARKERS = ("X-Amz-Signature", "x-amz-signature", "Signature=")


def _shown(exc: BaseException) -> str:
    """Everything a user sees of an exception: message, repr and the formatted chain."""
    return "\n".join([str(exc), repr(exc), *traceback.format_exception(exc)])


def _assert_clean(text: str, secrets: list[str]) -> None:
    for marker in SIGNATURE_MARKERS:
        assert marker not in text
    for secret in secrets:
        assert secret not in text


@dataclass
class Trouble:
    """What a user could see of runs that met every kind of trouble, and what must stay hidden."""

    shown: list[str]
    records: list[logging.LogRecord]
    secrets: list[str]


@pytest.fixture
def trouble(emulator: EmulatorServer, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> Trouble:
    caplog.set_level(logging.DEBUG)  # every logger, third-party ones included
    shown: list[str] = []
    signatures: list[str] = []
    with fast_client(emulator) as client:
        auth = client.api.auth
        assert isinstance(auth, ClientCredentialsAuth)
        # Runs that recover from expired URLs, a broken download and a revoked token.
        emulator.add_faults("expire_urls:count=1", "drop_connection:count=1")
        export_day(client, DAY, tmp_path / "ok")
        emulator.add_faults("revoke_tokens")
        export = export_day(client, DAY, tmp_path / "ok2")
        signatures += [f.uri.rsplit("X-Amz-Signature=", 1)[1] for f in export.manifest.files]

        # Runs that fail: URLs that stay expired, a file that stays corrupt, 5xx on downloads.
        for faults in (
            "expire_urls:count=20",
            f"corrupt_file:count={FILE_ATTEMPTS}",
            "http_5xx:rate=1.0,path_prefix=/files/",
        ):
            emulator.clear_faults()
            emulator.add_faults(faults)
            with pytest.raises(DownloadFailed) as err:
                export_day(client, DAY, tmp_path / "failed")
            shown.append(_shown(err.value))
        secrets = [emulator.client_secret, *auth.secrets(), *signatures]
    # The client secret and both tokens are known to the test, or it would prove nothing.
    assert len(auth.secrets()) >= 3
    assert signatures and all(len(s) >= 16 for s in signatures)
    return Trouble(shown, caplog.get_records("setup"), secrets)


def test_exceptions_show_no_secret_token_or_signature(trouble: Trouble) -> None:
    assert len(trouble.shown) == 3
    for text in trouble.shown:
        _assert_clean(text, trouble.secrets)


def test_our_logs_show_no_secret_token_or_signature(trouble: Trouble) -> None:
    ours = [r for r in trouble.records if r.name.startswith("cx_assets.")]
    assert any(r.levelno >= logging.WARNING for r in ours), "no retry was logged"
    for record in ours:
        _assert_clean(record.getMessage(), trouble.secrets)


def test_library_logs_show_no_signature(trouble: Trouble) -> None:
    """What a user sees with INFO logging on (e.g. Dagster `managed_python_loggers: [httpx]`)."""
    assert any(r.name.startswith("httpx") for r in trouble.records)
    for record in trouble.records:
        _assert_clean(f"{record.name}: {record.getMessage()}", trouble.secrets)


def test_rejected_credentials_do_not_echo_the_secret(
    emulator: EmulatorServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "not-the-secret-but-still-secret"
    with fast_client(emulator, client_secret=wrong) as client, pytest.raises(AuthError) as err:
        export_day(client, DAY, tmp_path / "staging")
    text = _shown(err.value)
    assert "emulator-client" in text  # names the client id, so the user knows which one
    _assert_clean(text, [wrong, emulator.client_secret])
    for record in caplog.records:
        _assert_clean(record.getMessage(), [wrong])
