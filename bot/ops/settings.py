"""Typed settings read from a mapping: the environment plus `.env` in real use, a dict in tests.

`Settings.parse` checks every value and collects one plain line per problem (naming the
variable and what to write instead); `from_mapping` raises them all at once, and
`python -m bot doctor` prints them with its other checks. A frozen dataclass rather than
pydantic-settings: the messages are ours to word for a club admin (pydantic's are nested
validation reports), tests pass a dict instead of patching the environment, and checks
that involve two settings (a platform listed in PLATFORMS without its token) stay plain code.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dotenv import dotenv_values

from bot.ops.setting_checks import (
    SettingReader,
    check_database_url,
    check_discord_token,
    check_salt,
    check_telegram,
    parse_admin_ids,
    parse_platforms,
    parse_shard_ids,
)

# Any 2 to 4 digits: 999 (UK), 911 (US, Canada), 112 (EU), 000 (Australia), 111 (New Zealand)...
EMERGENCY_NUMBER = re.compile(r"[0-9]{2,4}")
EMERGENCY_NUMBER_HELP = "2 to 4 digits, such as 999 (UK), 911 (US, Canada), 112 (EU), 000 (Australia)"
PACKAGE_DIR = Path(__file__).resolve().parent.parent  # bot/
# The shipped library is package data (bot/content: in a checkout, a link to content/), so
# an installed wheel answers from any folder.
DEFAULT_CONTENT_DIR = (PACKAGE_DIR / "content").resolve()
_CHECKOUT = PACKAGE_DIR.parent
# In a checkout, data/ beside content/; an installed bot keeps data/ in the working folder.
DEFAULT_DATA_DIR = _CHECKOUT / "data" if (_CHECKOUT / "pyproject.toml").is_file() else Path.cwd() / "data"
LOG_FORMATS = ("auto", "json", "text")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
# Every variable the bot reads starts with one of these: tools that start the bot in a
# clean environment drop them all.
# Every environment variable the bot reads (tests check this list against the code), so
# `doctor` can point at a near miss such as TELEGRAM_TOKEN.
SETTING_NAMES = (
    "ADMIN_IDS",
    "CONTENT_DIR",
    "DATABASE_URL",
    "DATA_DIR",
    "DISCORD_BOT_TOKEN",
    "DISCORD_GUILD_ID",
    "DISCORD_MESSAGE_CONTENT",
    "DISCORD_SHARDED",
    "DISCORD_SHARD_COUNT",
    "DISCORD_SHARD_IDS",
    "EMERGENCY_NUMBER",
    "HEALTH_HOST",
    "HEALTH_PORT",
    "LOG_FORMAT",
    "LOG_LEVEL",
    "LOG_MESSAGE_TEXT",
    "PLATFORMS",
    "RETENTION_DAYS",
    "STORE_UNANSWERED",
    "TELEGRAM_BASE_URL",
    "TELEGRAM_BOT_TOKEN",
    "TELEGRAM_WEBHOOK_LISTEN",
    "TELEGRAM_WEBHOOK_PORT",
    "TELEGRAM_WEBHOOK_SECRET",
    "TELEGRAM_WEBHOOK_URL",
    "USER_ID_SALT",
    "WATCH_CONTENT",
)
ENVIRONMENT_PREFIXES = (
    "TELEGRAM_",
    "DISCORD_",
    "DATABASE_URL",
    "HEALTH_",
    "LOG_",
    "PLATFORMS",
    "DATA_DIR",
    "CONTENT_DIR",
)


class SettingsError(ValueError):
    """One or more settings are wrong; the message has one line per problem."""


@dataclass(frozen=True, slots=True)
class Settings:
    content_dir: Path = DEFAULT_CONTENT_DIR
    emergency_number: str = "999"
    log_level: str = "INFO"
    log_message_text: bool = False
    telegram_bot_token: str = ""
    telegram_base_url: str = ""
    telegram_webhook_url: str = ""
    telegram_webhook_port: int = 8443
    telegram_webhook_secret: str = ""
    telegram_webhook_listen: str = ""  # the address the webhook server binds; empty: every interface
    discord_bot_token: str = ""
    discord_guild_id: int | None = None
    discord_sharded: bool = True
    discord_message_content: bool = True
    admin_ids: frozenset[tuple[str, str]] = frozenset()  # (platform, user id) pairs
    data_dir: Path = DEFAULT_DATA_DIR
    database_url: str = field(default="", repr=False)  # may hold a password
    store_unanswered: bool = False
    user_id_salt: str = field(default="", repr=False)
    retention_days: int = 30
    watch_content: bool = True
    platforms: frozenset[str] = frozenset()  # PLATFORMS; empty: every platform whose token is set
    discord_shard_ids: tuple[int, ...] = ()  # this process's shards; empty: all of them
    discord_shard_count: int | None = None  # None: ask Discord
    health_port: int | None = None  # None: no health and metrics endpoint
    health_host: str = "127.0.0.1"
    log_format: str = "auto"  # auto: JSON when standard error is not a terminal

    def is_admin(self, platform: str, user_id: str | int) -> bool:
        """True when ADMIN_IDS lists this user on this platform ("telegram", "discord")."""
        return (platform, str(user_id)) in self.admin_ids

    @classmethod
    def from_mapping(cls, env: Mapping[str, str]) -> Settings:
        """Build settings from a mapping of environment-style names; raise SettingsError."""
        settings, problems = cls.parse(env)
        if problems:
            raise SettingsError("\n".join(problems))
        return settings

    @classmethod
    def parse(cls, env: Mapping[str, str]) -> tuple[Settings, list[str]]:
        """Settings with a default in place of every wrong value, and one line per problem."""
        read = SettingReader(env)
        platforms = parse_platforms(read.get("PLATFORMS"), read.problems)
        settings = cls(
            **_general(read),
            **_telegram(read, platforms),
            **_discord(read, platforms),
            **_storage(read),
            platforms=platforms,
            health_port=read.as_port("HEALTH_PORT", None),
            health_host=read.get("HEALTH_HOST") or "127.0.0.1",
        )
        _check_combinations(settings, read.problems)
        return settings, read.problems

    @classmethod
    def from_environment(cls, env_file: Path | str = ".env") -> Settings:
        """The process environment over the values in `env_file` (when it exists)."""
        return cls.from_mapping(environment(env_file))


def environment(env_file: Path | str = ".env") -> dict[str, str]:
    """The process environment over the values in `env_file` (when it exists)."""
    file_values = {k: v for k, v in dotenv_values(env_file).items() if v is not None}
    return {**file_values, **os.environ}


def _general(read: SettingReader) -> dict[str, Any]:
    number = read.get("EMERGENCY_NUMBER", "999")
    if not EMERGENCY_NUMBER.fullmatch(number):
        read.problems.append(f"EMERGENCY_NUMBER: use {EMERGENCY_NUMBER_HELP}; got {number!r}")
        number = "999"
    return {
        "content_dir": Path(read.get("CONTENT_DIR") or DEFAULT_CONTENT_DIR),
        "emergency_number": number,
        "log_level": read.choice("LOG_LEVEL", "INFO", LOG_LEVELS, "DEBUG, INFO, WARNING or ERROR"),
        "log_message_text": read.as_bool("LOG_MESSAGE_TEXT", False),
        "log_format": read.choice("LOG_FORMAT", "auto", LOG_FORMATS, "auto, json or text"),
        "admin_ids": parse_admin_ids(read.get("ADMIN_IDS"), read.problems),
        "watch_content": read.as_bool("WATCH_CONTENT", True),
    }


def _telegram(read: SettingReader, platforms: frozenset[str]) -> dict[str, Any]:
    token = check_telegram(read.env, read.token("TELEGRAM_BOT_TOKEN"), platforms, read.problems)
    return {
        "telegram_bot_token": token,
        "telegram_base_url": read.get("TELEGRAM_BASE_URL"),
        "telegram_webhook_url": read.get("TELEGRAM_WEBHOOK_URL"),
        "telegram_webhook_port": read.as_port("TELEGRAM_WEBHOOK_PORT", 8443) or 8443,
        "telegram_webhook_secret": read.get("TELEGRAM_WEBHOOK_SECRET"),
        "telegram_webhook_listen": read.get("TELEGRAM_WEBHOOK_LISTEN"),
    }


def _discord(read: SettingReader, platforms: frozenset[str]) -> dict[str, Any]:
    shard_count = read.as_int("DISCORD_SHARD_COUNT", None)
    return {
        "discord_bot_token": check_discord_token(read.token("DISCORD_BOT_TOKEN"), platforms, read.problems),
        "discord_guild_id": read.as_int("DISCORD_GUILD_ID", None),
        "discord_sharded": read.as_bool("DISCORD_SHARDED", True),
        "discord_message_content": read.as_bool("DISCORD_MESSAGE_CONTENT", True),
        "discord_shard_ids": parse_shard_ids(read.get("DISCORD_SHARD_IDS"), shard_count, read.problems),
        "discord_shard_count": shard_count,
    }


def _storage(read: SettingReader) -> dict[str, Any]:
    store_unanswered = read.as_bool("STORE_UNANSWERED", False)
    retention_days = read.as_int("RETENTION_DAYS", 30) or 0
    if retention_days < 1:
        read.problems.append("RETENTION_DAYS: expected a whole number of days, at least 1")
        retention_days = 30
    return {
        "data_dir": Path(read.get("DATA_DIR") or DEFAULT_DATA_DIR),
        "database_url": check_database_url(read.get("DATABASE_URL"), read.problems),
        "store_unanswered": store_unanswered,
        "user_id_salt": check_salt(read.get("USER_ID_SALT"), store_unanswered, read.problems),
        "retention_days": retention_days,
    }


def _check_combinations(settings: Settings, problems: list[str]) -> None:
    """Problems that involve two settings."""
    if (settings.discord_shard_ids or settings.discord_shard_count) and not settings.discord_sharded:
        problems.append("DISCORD_SHARD_IDS / DISCORD_SHARD_COUNT: need DISCORD_SHARDED=true")
    if settings.discord_shard_count == 0:
        problems.append("DISCORD_SHARD_COUNT: expected at least 1")
    webhook_on = bool(settings.telegram_bot_token and settings.telegram_webhook_url)
    if webhook_on and settings.health_port == settings.telegram_webhook_port:
        problems.append("HEALTH_PORT: must differ from TELEGRAM_WEBHOOK_PORT")
