"""Replicas sharing a webhook answer each Telegram update once (bot/adapters/telegram_claims.py)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from telegram import Update

from bot.adapters.telegram import TelegramAdapter
from bot.adapters.telegram_claims import UpdateClaims, answer_each_update_once
from bot.admin.store import Store
from bot.core.content import load_library
from bot.core.engine import Engine
from bot.ops.settings import Settings
from tests.helpers import CONTENT, InMemoryFeedback
from tests.telegram_standin import TOKEN, TelegramStandIn, member, private_chat

QUESTION = "why does my lower back hurt after long runs?"


class Claims:
    """In-memory claims; `fail` makes every claim raise, `delay` makes it slow."""

    def __init__(self, *, fail: bool = False, delay: float = 0.0) -> None:
        self.claimed: set[tuple[str, int]] = set()
        self.fail = fail
        self.delay = delay

    async def claim_update(self, platform: str, update_id: int) -> bool:
        await asyncio.sleep(self.delay)
        if self.fail:
            raise ConnectionError("database down")
        first = (platform, update_id) not in self.claimed
        self.claimed.add((platform, update_id))
        return first


@contextlib.asynccontextmanager
async def replica(
    api: TelegramStandIn, claims: UpdateClaims, timeout: float = 2.0
) -> AsyncIterator[TelegramAdapter]:
    settings = Settings(telegram_bot_token=TOKEN, telegram_base_url=api.base_url)
    adapter = TelegramAdapter(Engine(load_library(CONTENT)), settings, InMemoryFeedback(), poll_timeout=1)
    answer_each_update_once([object(), adapter], claims, timeout)  # non-Telegram adapters are left alone
    await adapter.start()
    try:
        yield adapter
    finally:
        await adapter.stop()


def update(api: TelegramStandIn, adapter: TelegramAdapter, update_id: int, chat: int) -> Update:
    payload: dict[str, Any] = {
        "update_id": update_id,
        "message": api.message(private_chat(chat), QUESTION, sender=member(chat)),
    }
    return Update.de_json(payload, adapter.application.bot)


async def test_a_redelivered_update_is_answered_once() -> None:
    async with TelegramStandIn() as api, replica(api, Claims()) as adapter:
        first = update(api, adapter, 500, 2001)
        await adapter.application.process_update(first)
        await adapter.application.process_update(first)  # Telegram delivers it again
        await adapter.application.process_update(update(api, adapter, 501, 2002))
        await api.wait_sent(2)
        await asyncio.sleep(0.1)
        assert sorted(sent.chat_id for sent in api.sent) == [2001, 2002]


async def test_without_the_database_updates_are_still_answered() -> None:
    for claims, timeout in ((Claims(fail=True), 2.0), (Claims(delay=1.0), 0.05)):
        async with TelegramStandIn() as api, replica(api, claims, timeout) as adapter:
            await adapter.application.process_update(update(api, adapter, 600, 3001))
            assert [sent.chat_id for sent in await api.wait_sent(1)] == [3001]


async def test_two_replicas_sharing_a_store_answer_concurrent_deliveries_once(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'shared.sqlite3'}"
    async with (
        TelegramStandIn() as api,
        Store(url, cleanup_interval=None) as first_store,
        Store(url, cleanup_interval=None) as second_store,
        # SQLite makes concurrent writers queue: a generous timeout keeps the claims, not a fallback, in play.
        replica(api, first_store, timeout=30) as first,
        replica(api, second_store, timeout=30) as second,
    ):
        deliveries = []
        for update_id in range(700, 712):
            deliveries += [
                first.application.process_update(update(api, first, update_id, update_id)),
                second.application.process_update(update(api, second, update_id, update_id)),
            ]
        await asyncio.gather(*deliveries)
        await api.wait_sent(12, timeout=30)
        await asyncio.sleep(0.1)
        assert sorted(sent.chat_id for sent in api.sent) == list(range(700, 712))
