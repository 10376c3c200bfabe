"""`python -m bot doctor`: checks the configuration, the content, the database and the tokens.

One line per check: ✓ when it is fine, ✗ with what to fix, ! for a warning that does not
stop the bot. Exit status 1 when any check failed. It never prints a token or a password:
tokens appear masked (their first characters and their length) and database addresses
with the password replaced by ***. Nothing is changed: the database is only read, and a
SQLite file that does not exist yet is not created.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import difflib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from bot.admin.store_schema import async_database_url
from bot.core.content import load_library
from bot.core.located_yaml import ContentError
from bot.ops.setting_checks import DISCORD_TOKEN, mask
from bot.ops.settings import ENVIRONMENT_PREFIXES, SETTING_NAMES, Settings

DATABASE_TIMEOUT = 5.0  # seconds to reach the database
MAX_CONTENT_PROBLEMS = 10
MARKS = {True: "✓", False: "✗", None: "!"}


@dataclass(frozen=True, slots=True)
class Check:
    """One line of the report: passed (True), failed (False) or a warning (None)."""

    ok: bool | None
    text: str

    def render(self) -> str:
        return f"{MARKS[self.ok]} {self.text}"


def run_doctor(env: Mapping[str, str], out: TextIO, *, database_timeout: float = DATABASE_TIMEOUT) -> int:
    """Print every check; 1 when any failed, else 0."""
    settings, problems = Settings.parse(env)
    checks = configuration_checks(problems)
    checks += near_miss_checks(env)
    checks += platform_checks(settings, env)
    checks += content_checks(settings.content_dir)
    checks.append(asyncio.run(database_check(settings, database_timeout)))
    checks.append(health_check(settings))
    for check in checks:
        print(check.render(), file=out)
    failed = sum(1 for check in checks if check.ok is False)
    summary = f"{failed} problem(s) to fix." if failed else "Everything checked is in order."
    print(f"\n{summary}", file=out)
    return 1 if failed else 0


def configuration_checks(problems: list[str]) -> list[Check]:
    if not problems:
        return [Check(True, "configuration: every setting is valid")]
    return [Check(False, f"configuration: {problem}") for problem in problems]


def near_miss_checks(env: Mapping[str, str]) -> list[Check]:
    """A variable that looks like a setting but is none (TELEGRAM_TOKEN): the bot ignores it."""
    checks = []
    for name in sorted(env):
        if name in SETTING_NAMES:
            continue
        close = difflib.get_close_matches(name, SETTING_NAMES, n=1, cutoff=0.75)
        ours = name.startswith(ENVIRONMENT_PREFIXES)
        if close or ours:
            hint = f": did you mean {close[0]}?" if close else " (see .env.example for the settings)"
            checks.append(Check(None, f"{name} is not a setting the bot reads, so it is ignored{hint}"))
    return checks


def platform_checks(settings: Settings, env: Mapping[str, str]) -> list[Check]:
    checks: list[Check] = []
    if settings.telegram_bot_token:
        checks += telegram_checks(settings)
    if settings.discord_bot_token:
        checks += discord_checks(settings)
    refused = any(env.get(f"{name}_BOT_TOKEN", "").strip() for name in ("TELEGRAM", "DISCORD"))
    if not checks and not refused:  # a refused token is reported under configuration
        checks.append(
            Check(
                None,
                "platforms: no TELEGRAM_BOT_TOKEN or DISCORD_BOT_TOKEN, so `run` starts the terminal chat "
                "(set a token in .env to go live)",
            )
        )
    return checks


def telegram_checks(settings: Settings) -> list[Check]:
    token = settings.telegram_bot_token  # its shape was checked with the settings
    checks = [Check(True, f"TELEGRAM_BOT_TOKEN {mask(token)} is shaped like a BotFather token")]
    url = settings.telegram_webhook_url
    if not url:
        return [*checks, Check(True, "Telegram: long polling (no open port needed)")]
    where = f"webhook {url} -> port {settings.telegram_webhook_port}"
    if not url.startswith("https://"):
        checks.append(Check(False, f"Telegram: {where}: Telegram only calls https:// addresses"))
    else:
        checks.append(Check(True, f"Telegram: {where}"))
    if not settings.telegram_webhook_secret:
        checks.append(
            Check(
                None,
                "TELEGRAM_WEBHOOK_SECRET is empty: each start makes a random one, so replicas sharing the "
                "webhook would overwrite each other's; set one when you run more than one",
            )
        )
    return checks


def discord_checks(settings: Settings) -> list[Check]:
    token = settings.discord_bot_token  # its shape was checked with the settings
    found = DISCORD_TOKEN.fullmatch(token)
    bot_id = _discord_bot_id(found["id"]) if found else None
    if bot_id is None:
        checks = [
            Check(
                False,
                f"DISCORD_BOT_TOKEN {mask(token)}: its first part does not encode a bot's numeric id: "
                "Developer Portal -> Bot -> Reset Token, and paste it alone",
            )
        ]
    else:
        checks = [Check(True, f"DISCORD_BOT_TOKEN {mask(token)} is shaped like a token of bot {bot_id}")]
    if settings.discord_shard_ids:
        shards = ", ".join(map(str, settings.discord_shard_ids))
        checks.append(Check(True, f"Discord: shards {shards} of {settings.discord_shard_count}"))
    return checks


def _discord_bot_id(encoded: str) -> str | None:
    """The bot's user id that a token's first part encodes, or None."""
    try:
        decoded = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    return decoded if decoded.isdigit() else None


def content_checks(content_dir: Path) -> list[Check]:
    try:
        library = load_library(content_dir)
    except ContentError as error:
        problems = list(error.problems)
        checks = [Check(False, f"content: {problem}") for problem in problems[:MAX_CONTENT_PROBLEMS]]
        more = len(problems) - MAX_CONTENT_PROBLEMS
        suffix = f" ({more} more problem(s) not shown)" if more > 0 else ""
        checks.append(Check(False, f"content: fix the files above, then run: python -m bot validate{suffix}"))
        return checks
    phrasings = sum(len(intent.examples) for intent in library.intents)
    counts = f"{len(library.intents)} intents, {phrasings} phrasings, {len(library.sources)} sources"
    return [Check(True, f"content: {counts}, {len(library.red_flags.signs)} red-flag signs in {content_dir}")]


async def database_check(settings: Settings, timeout: float = DATABASE_TIMEOUT) -> Check:
    """Connect and read the schema version, without creating or changing anything."""
    url = async_database_url(settings)
    given = make_url(settings.database_url) if settings.database_url else url
    shown = given.render_as_string(hide_password=True)  # as the admin wrote it, password hidden
    if url.get_backend_name() == "sqlite" and url.database and not Path(url.database).exists():
        return _sqlite_to_be_created(Path(url.database))
    options = {"connect_args": {"timeout": timeout}} if url.get_backend_name() != "sqlite" else {}
    engine = create_async_engine(url, **options)
    try:
        async with asyncio.timeout(timeout + 1), engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
            version = await _schema_version(conn)
    except Exception as error:  # refused, unknown host, wrong password, timeout: one line each
        reason = " ".join(str(error).split()) or type(error).__name__
        return Check(
            False,
            f"database: cannot reach {shown}: {reason[:200]} (check DATABASE_URL, that the server runs "
            "and accepts connections from here)",
        )
    finally:
        await engine.dispose()
    state = f"schema version {version}" if version else "empty: the tables are created at first start"
    return Check(True, f"database: {shown} answers ({state})")


async def _schema_version(conn: AsyncConnection) -> str | None:
    """The store's schema version, or None before the bot's first start."""
    if not await conn.run_sync(lambda sync: inspect(sync).has_table("store_meta")):
        return None
    row = await conn.execute(text("SELECT value FROM store_meta WHERE key = 'schema_version'"))
    value = row.scalar()
    return str(value) if value else None


def _sqlite_to_be_created(path: Path) -> Check:
    folder = next((p for p in (path.parent, *path.parent.parents) if p.exists()), None)
    if folder is None or not folder.is_dir() or not _writable(folder):
        return Check(
            False, f"database: cannot create {path}: {folder} is not a writable folder (check DATA_DIR)"
        )
    return Check(True, f"database: SQLite file {path} is created at first start")


def _writable(folder: Path) -> bool:
    return os.access(folder, os.W_OK | os.X_OK)


def health_check(settings: Settings) -> Check:
    if settings.health_port is None:
        return Check(None, "health endpoint off: set HEALTH_PORT (e.g. 8080) for /healthz and /metrics")
    where = f"http://{settings.health_host}:{settings.health_port}"
    return Check(True, f"health endpoint: {where}/healthz and {where}/metrics")
