"""Settings for the admin side: admins, the store, privacy. Each mistake is one clear line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.ops.settings import SETTING_NAMES, Settings, SettingsError
from tests.helpers import ROOT

SALT = "a-salt-that-is-long-enough"


def test_defaults_store_nothing_and_have_no_admins() -> None:
    settings = Settings.from_mapping({})
    assert settings.admin_ids == frozenset() and not settings.is_admin("telegram", "1")
    assert settings.store_unanswered is False and settings.retention_days == 30
    assert settings.database_url == "" and settings.data_dir.name == "data" and settings.watch_content


def test_admin_ids_are_per_platform() -> None:
    settings = Settings.from_mapping({"ADMIN_IDS": " telegram:12345, Discord:67890 ,"})
    assert settings.is_admin("telegram", 12345) and settings.is_admin("discord", "67890")
    assert not settings.is_admin("discord", "12345") and not settings.is_admin("telegram", "67890")


@pytest.mark.parametrize("value", ["12345", "telegram:abc", "slack:123", "telegram:"])
def test_malformed_admin_ids_are_one_clear_line(value: str) -> None:
    with pytest.raises(SettingsError) as info:
        Settings.from_mapping({"ADMIN_IDS": f"telegram:1,{value}"})
    [line] = str(info.value).splitlines()
    assert line.startswith(f"ADMIN_IDS: {value!r} is not platform:user-id") and "telegram:12345" in line


def test_store_settings() -> None:
    settings = Settings.from_mapping(
        {
            "DATA_DIR": "/srv/bot-data",
            "DATABASE_URL": "postgresql://bot:pw@db:5432/bot",
            "STORE_UNANSWERED": "true",
            "USER_ID_SALT": SALT,
            "RETENTION_DAYS": "14",
            "WATCH_CONTENT": "false",
        }
    )
    assert settings.data_dir == Path("/srv/bot-data") and settings.database_url.startswith("postgresql://")
    assert settings.store_unanswered and settings.user_id_salt == SALT and settings.retention_days == 14
    assert not settings.watch_content
    assert "pw@" not in repr(settings) and SALT not in repr(settings)


@pytest.mark.parametrize(
    ("env", "start"),
    [
        ({"DATABASE_URL": "mysql://x@y/z"}, "DATABASE_URL: use postgresql://"),
        ({"STORE_UNANSWERED": "true"}, "USER_ID_SALT: STORE_UNANSWERED=true needs a secret"),
        ({"STORE_UNANSWERED": "true", "USER_ID_SALT": "short"}, "USER_ID_SALT:"),
        ({"RETENTION_DAYS": "0"}, "RETENTION_DAYS: expected a whole number of days"),
        ({"RETENTION_DAYS": "a month"}, "RETENTION_DAYS: expected a whole number"),
    ],
)
def test_store_mistakes_are_one_clear_line(env: dict[str, str], start: str) -> None:
    with pytest.raises(SettingsError) as info:
        Settings.from_mapping(env)
    [line] = str(info.value).splitlines()
    assert line.startswith(start)


# --- deployment settings (issue 7) -----------------------------------------------------------

TELEGRAM = "123456:TEST-stand-in-token-0123456789abcde"
DISCORD = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GaBcDe.abcdefghijklmnopqrstuvwxyz012345"  # id 123456789012345678


def test_deployment_defaults_keep_health_off_and_discord_unsplit() -> None:
    settings = Settings.from_mapping({})
    assert settings.health_port is None and settings.health_host == "127.0.0.1"
    assert settings.log_format == "auto" and settings.platforms == frozenset()
    assert settings.discord_shard_ids == () and settings.discord_shard_count is None


def test_platforms_switch_off_a_platform_whose_token_is_set() -> None:
    env = {"TELEGRAM_BOT_TOKEN": TELEGRAM, "DISCORD_BOT_TOKEN": DISCORD, "PLATFORMS": "discord"}
    settings = Settings.from_mapping(env)
    assert settings.telegram_bot_token == "" and settings.discord_bot_token == DISCORD


def test_shard_ids_take_ranges_and_lists() -> None:
    settings = Settings.from_mapping({"DISCORD_SHARD_IDS": "0-2, 5", "DISCORD_SHARD_COUNT": "8"})
    assert settings.discord_shard_ids == (0, 1, 2, 5) and settings.discord_shard_count == 8


def test_health_settings() -> None:
    settings = Settings.from_mapping({"HEALTH_PORT": "8080", "HEALTH_HOST": "0.0.0.0", "LOG_FORMAT": "JSON"})
    assert (settings.health_port, settings.health_host, settings.log_format) == (8080, "0.0.0.0", "json")
    listen = Settings.from_mapping({"TELEGRAM_WEBHOOK_LISTEN": "127.0.0.1"}).telegram_webhook_listen
    assert listen == "127.0.0.1" and Settings().telegram_webhook_listen == ""  # "": every interface


@pytest.mark.parametrize(
    ("env", "start"),
    [
        ({"PLATFORMS": "telegram"}, "TELEGRAM_BOT_TOKEN: PLATFORMS includes telegram but"),
        ({"PLATFORMS": "discord,slack", "DISCORD_BOT_TOKEN": DISCORD}, "PLATFORMS: use telegram and/or"),
        ({"TELEGRAM_BOT_TOKEN": "bot123456:ABC"}, "TELEGRAM_BOT_TOKEN bot… (13 characters): not shaped like"),
        ({"TELEGRAM_BOT_TOKEN": "123456:short"}, "TELEGRAM_BOT_TOKEN 123… (12 characters): not shaped like"),
        ({"DISCORD_BOT_TOKEN": f"Bot {DISCORD}"}, "DISCORD_BOT_TOKEN Bot … (68 characters): not shaped like"),
        ({"TELEGRAM_WEBHOOK_URL": "https://x.org/t"}, "TELEGRAM_WEBHOOK_URL: set, but TELEGRAM_BOT_TOKEN"),
        (
            {"TELEGRAM_BOT_TOKEN": TELEGRAM, "TELEGRAM_WEBHOOK_URL": "x.org/t"},
            "TELEGRAM_WEBHOOK_URL: expected",
        ),
        ({"TELEGRAM_WEBHOOK_SECRET": "has spaces"}, "TELEGRAM_WEBHOOK_SECRET: use 1 to 256"),
        ({"TELEGRAM_WEBHOOK_PORT": "70000"}, "TELEGRAM_WEBHOOK_PORT: expected a port number"),
        ({"HEALTH_PORT": "eighty"}, "HEALTH_PORT: expected a whole number"),
        ({"LOG_FORMAT": "xml"}, "LOG_FORMAT: use auto, json or text"),
        ({"DISCORD_SHARD_IDS": "0-1"}, "DISCORD_SHARD_IDS: needs DISCORD_SHARD_COUNT"),
        ({"DISCORD_SHARD_IDS": "2-3", "DISCORD_SHARD_COUNT": "3"}, "DISCORD_SHARD_IDS: shard ids run from 0"),
        ({"DISCORD_SHARD_IDS": "3-1", "DISCORD_SHARD_COUNT": "4"}, "DISCORD_SHARD_IDS: '3-1' is not"),
        (
            {"DISCORD_SHARD_IDS": "0", "DISCORD_SHARD_COUNT": "2", "DISCORD_SHARDED": "false"},
            "DISCORD_SHARD_IDS / DISCORD_SHARD_COUNT: need DISCORD_SHARDED=true",
        ),
        (
            {
                "TELEGRAM_BOT_TOKEN": TELEGRAM,
                "TELEGRAM_WEBHOOK_URL": "https://x.org/t",
                "TELEGRAM_WEBHOOK_PORT": "8080",
                "HEALTH_PORT": "8080",
            },
            "HEALTH_PORT: must differ from TELEGRAM_WEBHOOK_PORT",
        ),
    ],
)
def test_deployment_mistakes_are_one_clear_line(env: dict[str, str], start: str) -> None:
    with pytest.raises(SettingsError) as info:
        Settings.from_mapping(env)
    [line] = str(info.value).splitlines()
    assert line.startswith(start)


def test_parse_reports_every_problem_and_keeps_defaults() -> None:
    settings, problems = Settings.parse({"ADMIN_IDS": "x", "HEALTH_PORT": "0", "EMERGENCY_NUMBER": "12345"})
    assert len(problems) == 3 and settings.health_port is None and settings.emergency_number == "999"


def test_every_setting_is_documented_in_env_example() -> None:
    source = "".join(
        (ROOT / "bot" / "ops" / name).read_text(encoding="utf-8")
        for name in ("settings.py", "setting_checks.py")
    )
    names = set(re.findall(r'(?:get|as_int|as_bool|as_port|choice|token)\("([A-Z_]+)"', source))
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    documented = set(re.findall(r"^#? ?([A-Z_]+)=", example, flags=re.MULTILINE))
    assert len(names) > 25 and names <= documented, sorted(names - documented)
    assert names == set(SETTING_NAMES), "SETTING_NAMES lists every variable the code reads"


@pytest.mark.parametrize("number", ["999", "911", "112", "000", "111", "1122"])
def test_any_emergency_number_of_two_to_four_digits(number: str) -> None:
    settings, problems = Settings.parse({"EMERGENCY_NUMBER": number})
    assert not problems and settings.emergency_number == number


@pytest.mark.parametrize("number", ["9", "12345", "99a", "\uff19\uff19\uff19", "+44999"])
def test_an_emergency_number_that_cannot_be_dialled_is_refused(number: str) -> None:
    _, problems = Settings.parse({"EMERGENCY_NUMBER": number})
    assert [p for p in problems if p.startswith("EMERGENCY_NUMBER: use 2 to 4 digits")]


@pytest.mark.parametrize("value", ["telegram:0001001", "discord:\u0661\u0662\u0663", "telegram:12a"])
def test_an_admin_id_that_can_never_match_is_refused(value: str) -> None:
    settings, problems = Settings.parse({"ADMIN_IDS": value})
    assert not settings.admin_ids and [p for p in problems if p.startswith("ADMIN_IDS:")]
