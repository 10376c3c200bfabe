"""Typed settings read from a mapping: the environment plus `.env` in real use, a dict in tests."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from dotenv import dotenv_values

EMERGENCY_NUMBERS = ("999", "911", "112")
DEFAULT_CONTENT_DIR = Path(__file__).resolve().parent.parent / "content"
_PLACEHOLDER_MARKERS = ("your-", "changeme", "xxx", "<")


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
        )
        if problems:
            raise SettingsError("\n".join(problems))
        return settings

    @classmethod
    def from_environment(cls, env_file: Path | str = ".env") -> Settings:
        """The process environment over the values in `env_file` (when it exists)."""
        file_values = {k: v for k, v in dotenv_values(env_file).items() if v is not None}
        return cls.from_mapping({**file_values, **os.environ})
