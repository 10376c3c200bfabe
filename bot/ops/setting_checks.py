"""Reading and checking single settings: one plain line per problem, a default in its place.

`Settings.parse` (settings.py) composes these per area; `python -m bot doctor` reuses the
token shapes. Every problem names the variable and says what to write instead.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

ADMIN_PLATFORMS = ("telegram", "discord")
DATABASE_SCHEMES = ("sqlite", "sqlite+aiosqlite", "postgresql", "postgres", "postgresql+asyncpg")
MIN_SALT_LENGTH = 16
PLATFORMS = ("telegram", "discord")
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


def mask(secret: str) -> str:
    """Enough of a secret to recognise it, never enough to use it: `1234… (46 characters)`."""
    return f"{secret[: min(4, len(secret) // 4)]}… ({len(secret)} characters)"


class SettingReader:
    """Reads environment-style values, noting one line per problem in `problems`."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env
        self.problems: list[str] = []

    def get(self, name: str, default: str = "") -> str:
        return self.env.get(name, default).strip()

    def as_int(self, name: str, default: int | None) -> int | None:
        raw = self.get(name)
        if not raw:
            return default
        if not raw.isdigit():
            self.problems.append(f"{name}: expected a whole number, got {raw!r}")
            return default
        return int(raw)

    def as_bool(self, name: str, default: bool) -> bool:
        raw = self.get(name).lower()
        if not raw:
            return default
        if raw not in ("1", "0", "true", "false", "yes", "no", "on", "off"):
            self.problems.append(f"{name}: expected true or false, got {raw!r}")
            return default
        return raw in ("1", "true", "yes", "on")

    def as_port(self, name: str, default: int | None) -> int | None:
        port = self.as_int(name, default)
        if port is not None and not 1 <= port <= 65535:
            self.problems.append(f"{name}: expected a port number from 1 to 65535, got {port}")
            return default
        return port

    def choice(self, name: str, default: str, allowed: tuple[str, ...], help_text: str) -> str:
        """One of `allowed` (compared case-insensitively, returned as `allowed` spells it)."""
        raw = self.get(name, default)
        for value in allowed:
            if raw.lower() == value.lower():
                return value
        self.problems.append(f"{name}: use {help_text}, got {raw!r}")
        return default

    def token(self, name: str) -> str:
        value = self.get(name)
        if value and any(marker in value.lower() for marker in _PLACEHOLDER_MARKERS):
            self.problems.append(f"{name}: still the example value; paste the real token or leave it empty")
            return ""
        return value


def parse_platforms(raw: str, problems: list[str]) -> frozenset[str]:
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


def check_telegram(env: Mapping[str, str], token: str, platforms: frozenset[str], problems: list[str]) -> str:
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


def check_discord_token(token: str, platforms: frozenset[str], problems: list[str]) -> str:
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


def parse_shard_ids(raw: str, count: int | None, problems: list[str]) -> tuple[int, ...]:
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


def parse_admin_ids(raw: str, problems: list[str]) -> frozenset[tuple[str, str]]:
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


def check_database_url(url: str, problems: list[str]) -> str:
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


def check_salt(salt: str, store_unanswered: bool, problems: list[str]) -> str:
    """The secret that user ids are hashed with; needed only when questions are stored."""
    if store_unanswered and len(salt) < MIN_SALT_LENGTH:
        problems.append(
            f"USER_ID_SALT: STORE_UNANSWERED=true needs a secret of at least {MIN_SALT_LENGTH} characters "
            "(make one with: python -c 'import secrets; print(secrets.token_urlsafe(32))')"
        )
    return salt
