"""Settings for the admin side: admins, the store, privacy. Each mistake is one clear line."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import Settings, SettingsError

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
