"""CXone emulator settings: CX_EMULATOR_CXONE_* variables, range checks naming the setting, and
delays that follow the Genesys ones unless set."""

from __future__ import annotations

import pytest

from cx_assets.emulator import EmulatorConfig


def test_cxone_settings_from_environment():
    config = EmulatorConfig.from_env(
        {
            "CX_EMULATOR_CXONE_RECORDS_PER_DAY": "12",
            "CX_EMULATOR_CXONE_MISSING_RATE": "0.25",
            "CX_EMULATOR_CXONE_RATE_LIMIT": "9",
            "CX_EMULATOR_CXONE_QUEUE_DELAY_S": "0.1",
            "CX_EMULATOR_CXONE_RUN_DELAY_S": "0.3",
            "CX_EMULATOR_CXONE_CLIENTS": '{"k": "s"}',
        }
    )
    assert config.cxone_records_per_day == 12
    assert config.cxone_missing_rate == 0.25
    assert config.cxone_rate_limit_per_minute == 9
    assert config.cxone_delays_s == (0.1, 0.3)
    assert dict(config.cxone_clients) == {"k": "s"}
    assert dict(config.clients) == {"emulator-client": "emulator-secret"}


def test_defaults_and_delay_fallback():
    config = EmulatorConfig(queue_delay_s=0.0, run_delay_s=0.05)
    assert config.cxone_records_per_day == 200 and config.cxone_missing_rate == 0.005
    assert dict(config.cxone_clients) == {"emulator-cxone-key": "emulator-cxone-secret"}
    assert config.cxone_delays_s == (0.0, 0.05)


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"CX_EMULATOR_CXONE_MISSING_RATE": "1.5"}, "cxone_missing_rate"),
        ({"CX_EMULATOR_CXONE_RATE_LIMIT": "0"}, "cxone_rate_limit_per_minute"),
        ({"CX_EMULATOR_CXONE_RUN_DELAY_S": "-1"}, "cxone_run_delay_s"),
        ({"CX_EMULATOR_CXONE_RECORDS_PER_DAY": "many"}, "CX_EMULATOR_CXONE_RECORDS_PER_DAY"),
        ({"CX_EMULATOR_CXONE_CLIENTS": "[1]"}, "CX_EMULATOR_CXONE_CLIENTS must be a JSON object"),
    ],
)
def test_bad_values_name_the_setting(env, expected):
    with pytest.raises(ValueError, match=expected):
        EmulatorConfig.from_env(env)
