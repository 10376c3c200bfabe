"""Typed settings read from a mapping: the environment plus `.env` in real use, a dict in tests."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from dotenv import dotenv_values

EMERGENCY_NUMBERS = ("999", "911", "112")
DEFAULT_CONTENT_DIR = Path(__file__).resolve().parent.parent / "content"
DEFAULT_DATA_DIR = Path(__file__).resolve().parent.parent / "data"
ADMIN_PLATFORMS = ("telegram", "discord")
DATABASE_SCHEMES = ("sqlite", "sqlite+aiosqlite", "postgresql", "postgres", "postgresql+asyncpg")
MIN_SALT_LENGTH = 16
_PLACEHOLDER_MARKERS = ("your-", "changeme", "xxx", "<")
_ADMIN_ID = re.compile(r"(?P<platform>[a-z]+):(?P<user_id>\d+)")


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

    def is_admin(self, platform: str, user_id: str | int) -> bool:
        """True when ADMIN_IDS lists this user on this platform ("telegram", "discord")."""
        return (platform, str(user_id)) in self.admin_ids

    @classmethod
    def from_mapping(cls, env: Mapping[str, str]) -> Settings:
        """Build settings from a mapping of environment-style names; raise SettingsError."""
        problems: list[str] = []

        def get(name: str, default: str = "") -> str:
            return env.get(name, default).strip()

        def as_int(name: str, default: int | None) -> int | None:
            raw = get(name)
            if not raw:
                return default
            if not raw.isdigit():
                problems.append(f"{name}: expected a whole number, got {raw!r}")
                return default
            return int(raw)

        def as_bool(name: str, default: bool) -> bool:
            raw = get(name).lower()
            if not raw:
                return default
            if raw not in ("1", "0", "true", "false", "yes", "no", "on", "off"):
                problems.append(f"{name}: expected true or false, got {raw!r}")
                return default
            return raw in ("1", "true", "yes", "on")

        def token(name: str) -> str:
            value = get(name)
            if value and any(marker in value.lower() for marker in _PLACEHOLDER_MARKERS):
                problems.append(f"{name}: still the example value; paste the real token or leave it empty")
                return ""
            return value

        number = get("EMERGENCY_NUMBER", "999")
        if number not in EMERGENCY_NUMBERS:
            problems.append(f"EMERGENCY_NUMBER: use one of {', '.join(EMERGENCY_NUMBERS)}, got {number!r}")
            number = "999"
        level = get("LOG_LEVEL", "INFO").upper()
        if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            problems.append(f"LOG_LEVEL: use DEBUG, INFO, WARNING or ERROR, got {level!r}")
        store_unanswered = as_bool("STORE_UNANSWERED", False)
        retention_days = as_int("RETENTION_DAYS", 30) or 0
        if retention_days < 1:
            problems.append("RETENTION_DAYS: expected a whole number of days, at least 1")
            retention_days = 30
        settings = cls(
            content_dir=Path(get("CONTENT_DIR") or DEFAULT_CONTENT_DIR),
            emergency_number=number,
            log_level=level,
            log_message_text=as_bool("LOG_MESSAGE_TEXT", False),
            telegram_bot_token=token("TELEGRAM_BOT_TOKEN"),
            telegram_base_url=get("TELEGRAM_BASE_URL"),
            telegram_webhook_url=get("TELEGRAM_WEBHOOK_URL"),
            telegram_webhook_port=as_int("TELEGRAM_WEBHOOK_PORT", 8443) or 8443,
            telegram_webhook_secret=get("TELEGRAM_WEBHOOK_SECRET"),
            discord_bot_token=token("DISCORD_BOT_TOKEN"),
            discord_guild_id=as_int("DISCORD_GUILD_ID", None),
            discord_sharded=as_bool("DISCORD_SHARDED", True),
            discord_message_content=as_bool("DISCORD_MESSAGE_CONTENT", True),
            admin_ids=_parse_admin_ids(get("ADMIN_IDS"), problems),
            data_dir=Path(get("DATA_DIR") or DEFAULT_DATA_DIR),
            database_url=_check_database_url(get("DATABASE_URL"), problems),
            store_unanswered=store_unanswered,
            user_id_salt=_check_salt(get("USER_ID_SALT"), store_unanswered, problems),
            retention_days=retention_days,
            watch_content=as_bool("WATCH_CONTENT", True),
        )
        if problems:
            raise SettingsError("\n".join(problems))
        return settings

    @classmethod
    def from_environment(cls, env_file: Path | str = ".env") -> Settings:
        """The process environment over the values in `env_file` (when it exists)."""
        file_values = {k: v for k, v in dotenv_values(env_file).items() if v is not None}
        return cls.from_mapping({**file_values, **os.environ})


def _parse_admin_ids(raw: str, problems: list[str]) -> frozenset[tuple[str, str]]:
    """`telegram:12345,discord:67890` -> {("telegram", "12345"), ("discord", "67890")}."""
    admins: set[tuple[str, str]] = set()
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        found = _ADMIN_ID.fullmatch(item.lower())
        if found is None or found["platform"] not in ADMIN_PLATFORMS:
            problems.append(
                f"ADMIN_IDS: {item!r} is not platform:user-id with platform telegram or discord "
                "(e.g. ADMIN_IDS=telegram:12345,discord:67890)"
            )
            continue
        admins.add((found["platform"], found["user_id"]))
    return frozenset(admins)


def _check_database_url(url: str, problems: list[str]) -> str:
    """Empty (SQLite under DATA_DIR) or an sqlite:/// or postgresql:// address."""
    if not url:
        return ""
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme not in DATABASE_SCHEMES:
        problems.append(
            "DATABASE_URL: use postgresql://user:password@host:5432/dbname or sqlite:///path/to/file.db "
            "(or leave it empty for SQLite under DATA_DIR)"
        )
        return ""
    return url


def _check_salt(salt: str, store_unanswered: bool, problems: list[str]) -> str:
    """The secret that user ids are hashed with; needed only when questions are stored."""
    if store_unanswered and len(salt) < MIN_SALT_LENGTH:
        problems.append(
            f"USER_ID_SALT: STORE_UNANSWERED=true needs a secret of at least {MIN_SALT_LENGTH} characters "
            "(make one with: python -c 'import secrets; print(secrets.token_urlsafe(32))')"
        )
    return salt
