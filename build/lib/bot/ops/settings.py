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

from dotenv import dotenv_values

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
ADMIN_PLATFORMS = ("telegram", "discord")
DATABASE_SCHEMES = ("sqlite", "sqlite+aiosqlite", "postgresql", "postgres", "postgresql+asyncpg")
MIN_SALT_LENGTH = 16
PLATFORMS = ("telegram", "discord")
LOG_FORMATS = ("auto", "json", "text")
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
_PLACEHOLDER_MARKERS = ("your-", "changeme", "xxx", "<")
# ASCII digits, no leading zero: the platforms' ids are plain numbers, and "0001001" or
# non-ASCII digits could never match a real sender (the admin would be locked out unseen).
_ADMIN_ID = re.compile(r"(?P<platform>[a-z]+):(?P<user_id>[1-9][0-9]*)")
# BotFather tokens: the bot's numeric id, a colon, 35 characters of base64url. A token of
# another shape is refused at start (and by `doctor`), not sent to Telegram to be refused.
TELEGRAM_TOKEN = re.compile(r"\d{5,}:[A-Za-z0-9_-]{35}")
# Discord tokens: base64url(bot id) . timestamp . HMAC.
DISCORD_TOKEN = re.compile(r"(?P<id>[A-Za-z0-9_-]{16,})\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{20,}")
_WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
_SHARD_RANGE = re.compile(r"(?P<first>\d+)(?:-(?P<last>\d+))?")


class SettingsError(ValueError):
    """One or more settings are wrong; the message has one line per problem."""


def mask(secret: str) -> str:
    """Enough of a secret to recognise it, never enough to use it: `1234… (46 characters)`."""
    return f"{secret[: min(4, len(secret) // 4)]}… ({len(secret)} characters)"


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

        def as_port(name: str, default: int | None) -> int | None:
            port = as_int(name, default)
            if port is not None and not 1 <= port <= 65535:
                problems.append(f"{name}: expected a port number from 1 to 65535, got {port}")
                return default
            return port

        def token(name: str) -> str:
            value = get(name)
            if value and any(marker in value.lower() for marker in _PLACEHOLDER_MARKERS):
                problems.append(f"{name}: still the example value; paste the real token or leave it empty")
                return ""
            return value

        number = get("EMERGENCY_NUMBER", "999")
        if not EMERGENCY_NUMBER.fullmatch(number):
            problems.append(f"EMERGENCY_NUMBER: use {EMERGENCY_NUMBER_HELP}; got {number!r}")
            number = "999"
        level = get("LOG_LEVEL", "INFO").upper()
        if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            problems.append(f"LOG_LEVEL: use DEBUG, INFO, WARNING or ERROR, got {level!r}")
        store_unanswered = as_bool("STORE_UNANSWERED", False)
        retention_days = as_int("RETENTION_DAYS", 30) or 0
        if retention_days < 1:
            problems.append("RETENTION_DAYS: expected a whole number of days, at least 1")
            retention_days = 30
        log_format = get("LOG_FORMAT", "auto").lower()
        if log_format not in LOG_FORMATS:
            problems.append(f"LOG_FORMAT: use auto, json or text, got {log_format!r}")
            log_format = "auto"
        platforms = _parse_platforms(get("PLATFORMS"), problems)
        telegram_token = _check_telegram(env, token("TELEGRAM_BOT_TOKEN"), platforms, problems)
        discord_token = _check_discord_token(token("DISCORD_BOT_TOKEN"), platforms, problems)
        shard_count = as_int("DISCORD_SHARD_COUNT", None)
        settings = cls(
            content_dir=Path(get("CONTENT_DIR") or DEFAULT_CONTENT_DIR),
            emergency_number=number,
            log_level=level,
            log_message_text=as_bool("LOG_MESSAGE_TEXT", False),
            telegram_bot_token=telegram_token,
            telegram_base_url=get("TELEGRAM_BASE_URL"),
            telegram_webhook_url=get("TELEGRAM_WEBHOOK_URL"),
            telegram_webhook_port=as_port("TELEGRAM_WEBHOOK_PORT", 8443) or 8443,
            telegram_webhook_secret=get("TELEGRAM_WEBHOOK_SECRET"),
            telegram_webhook_listen=get("TELEGRAM_WEBHOOK_LISTEN"),
            discord_bot_token=discord_token,
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
            platforms=platforms,
            discord_shard_ids=_parse_shard_ids(get("DISCORD_SHARD_IDS"), shard_count, problems),
            discord_shard_count=shard_count,
            health_port=as_port("HEALTH_PORT", None),
            health_host=get("HEALTH_HOST") or "127.0.0.1",
            log_format=log_format,
        )
        _check_combinations(settings, problems)
        return settings, problems

    @classmethod
    def from_environment(cls, env_file: Path | str = ".env") -> Settings:
        """The process environment over the values in `env_file` (when it exists)."""
        return cls.from_mapping(environment(env_file))


def environment(env_file: Path | str = ".env") -> dict[str, str]:
    """The process environment over the values in `env_file` (when it exists)."""
    file_values = {k: v for k, v in dotenv_values(env_file).items() if v is not None}
    return {**file_values, **os.environ}


def _parse_platforms(raw: str, problems: list[str]) -> frozenset[str]:
    """`telegram,discord` -> those platforms only; empty -> every platform whose token is set."""
    named = {part.strip().lower() for part in raw.split(",") if part.strip()}
    unknown = sorted(named - set(PLATFORMS))
    if unknown:
        problems.append(f"PLATFORMS: use telegram and/or discord (comma-separated), got {', '.join(unknown)}")
    return frozenset(named & set(PLATFORMS))


def _enabled(platform: str, token: str, platforms: frozenset[str], problems: list[str]) -> str:
    """The token if the platform is on; a problem when PLATFORMS names it and it has no token."""
    variable = f"{platform.upper()}_BOT_TOKEN"
    if platforms and platform not in platforms:
        return ""  # switched off by PLATFORMS even if a shared secret holds its token
    if platform in platforms and not token:
        problems.append(f"{variable}: PLATFORMS includes {platform} but {variable} is empty")
    return token


def _check_telegram(
    env: Mapping[str, str], token: str, platforms: frozenset[str], problems: list[str]
) -> str:
    """The Telegram token if Telegram is on, and the webhook settings' problems."""
    token = _enabled("telegram", token, platforms, problems)
    if token and not TELEGRAM_TOKEN.fullmatch(token):
        problems.append(
            f"TELEGRAM_BOT_TOKEN {mask(token)}: not shaped like a BotFather token (the bot's id, a colon, "
            "then 35 letters, digits, _ or -): copy it again from BotFather's message"
        )
        return ""
    webhook = env.get("TELEGRAM_WEBHOOK_URL", "").strip()
    if webhook and not token and not platforms:
        problems.append("TELEGRAM_WEBHOOK_URL: set, but TELEGRAM_BOT_TOKEN is empty (Telegram is off)")
    if webhook and not webhook.startswith(("https://", "http://")):
        problems.append(f"TELEGRAM_WEBHOOK_URL: expected https://host/path, got {webhook!r}")
    secret = env.get("TELEGRAM_WEBHOOK_SECRET", "").strip()
    if secret and not _WEBHOOK_SECRET.fullmatch(secret):
        problems.append("TELEGRAM_WEBHOOK_SECRET: use 1 to 256 of A-Z, a-z, 0-9, _ and -")
    return token


def _check_discord_token(token: str, platforms: frozenset[str], problems: list[str]) -> str:
    """The Discord token if Discord is on."""
    token = _enabled("discord", token, platforms, problems)
    if token and not DISCORD_TOKEN.fullmatch(token):
        problems.append(
            f"DISCORD_BOT_TOKEN {mask(token)}: not shaped like a Discord bot token (three parts joined by "
            "dots, the first at least 16 characters, no spaces, quotes or 'Bot ' prefix): "
            "Developer Portal -> Bot -> Reset Token, and paste it alone"
        )
        return ""
    return token


def _parse_shard_ids(raw: str, count: int | None, problems: list[str]) -> tuple[int, ...]:
    """`0-3` or `0,2,4` -> (0, 1, 2, 3) or (0, 2, 4); each below DISCORD_SHARD_COUNT."""
    ids: set[int] = set()
    for part in (p.strip() for p in raw.split(",") if p.strip()):
        found = _SHARD_RANGE.fullmatch(part)
        if found is None or int(found["last"] or found["first"]) < int(found["first"]):
            problems.append(f"DISCORD_SHARD_IDS: {part!r} is not a shard id or a range like 0-3")
            continue
        ids.update(range(int(found["first"]), int(found["last"] or found["first"]) + 1))
    if ids and count is None:
        problems.append("DISCORD_SHARD_IDS: needs DISCORD_SHARD_COUNT, the total number of shards")
        return ()
    if ids and count is not None and max(ids) >= count:
        problems.append(f"DISCORD_SHARD_IDS: shard ids run from 0 to DISCORD_SHARD_COUNT - 1 ({count - 1})")
        return ()
    return tuple(sorted(ids))


def _check_combinations(settings: Settings, problems: list[str]) -> None:
    """Problems that involve two settings."""
    if (settings.discord_shard_ids or settings.discord_shard_count) and not settings.discord_sharded:
        problems.append("DISCORD_SHARD_IDS / DISCORD_SHARD_COUNT: need DISCORD_SHARDED=true")
    if settings.discord_shard_count == 0:
        problems.append("DISCORD_SHARD_COUNT: expected at least 1")
    webhook_on = bool(settings.telegram_bot_token and settings.telegram_webhook_url)
    if webhook_on and settings.health_port == settings.telegram_webhook_port:
        problems.append("HEALTH_PORT: must differ from TELEGRAM_WEBHOOK_PORT")


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
