"""The admin commands' rules, the same on every platform: who may, where, and what they answer.

The adapters' own tests run them end to end through python-telegram-bot and discord.py.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.adapters.admin_commands import DIRECT_ONLY, NOT_AVAILABLE, REFUSAL, AdminCommands
from bot.admin.desk import Stats
from bot.ops.settings import Settings
from tests.admin_desk import AdminParts, running_desk

SETTINGS = Settings(admin_ids=frozenset({("telegram", "42"), ("discord", "7")}))


@pytest.fixture
async def parts(tmp_path: Path) -> AsyncIterator[AdminParts]:
    async with running_desk(tmp_path) as running:
        yield running


@pytest.mark.parametrize("command", ["reload", "stats", "unanswered"])
async def test_anyone_not_listed_for_this_platform_is_refused(parts: AdminParts, command: str) -> None:
    commands = AdminCommands(SETTINGS, parts.desk, "telegram")
    for user_id in ("43", "7", ""):  # "7" is an admin on Discord, not on Telegram
        assert await commands.answer(command, user_id, private=True) == REFUSAL.format(command=command)
    assert parts.reloader.last_result is None


async def test_without_a_desk_an_admin_hears_the_commands_are_not_available() -> None:
    commands = AdminCommands(SETTINGS, None, "discord")
    assert await commands.answer("stats", "7", private=True) == NOT_AVAILABLE
    assert await commands.answer("stats", "8", private=True) == REFUSAL.format(command="stats")


async def test_stats_and_unanswered_answer_only_in_private_and_reload_anywhere(parts: AdminParts) -> None:
    commands = AdminCommands(SETTINGS, parts.desk, "telegram")
    for command in ("stats", "unanswered"):
        assert await commands.answer(command, "42", private=False) == DIRECT_ONLY.format(command=command)
    assert (await commands.answer("reload", "42", private=False)).startswith("Content reloaded: ")
    assert (await commands.answer("stats", "42", private=True)).startswith("Bot statistics")
    assert "No unanswered questions stored" in await commands.answer("unanswered", "42", private=True)


async def test_unanswered_says_how_to_collect_when_nothing_is_stored(tmp_path: Path) -> None:
    async with running_desk(tmp_path, store_unanswered=False) as parts:
        text = await AdminCommands(SETTINGS, parts.desk, "discord").answer("unanswered", "7", private=True)
    assert "not stored" in text and "STORE_UNANSWERED=true" in text


async def test_a_failing_command_tells_the_admin_and_logs_it(
    parts: AdminParts, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def database_down() -> Stats:
        raise ConnectionRefusedError("database down")

    monkeypatch.setattr(parts.desk, "stats", database_down)
    text = await AdminCommands(SETTINGS, parts.desk, "telegram").answer("stats", "42", private=True)
    assert text == "Sorry, /stats failed (ConnectionRefusedError). The bot's log has the details."
    assert any(r.exc_info and "/stats failed" in r.getMessage() for r in caplog.records)
