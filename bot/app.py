"""Composition root: builds the enabled adapters around one engine and runs them together.

Telegram and Discord share one asyncio loop; each adapter owns its library's lifecycle
through `start()` and `stop()`. With no platform token the terminal chat runs instead.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from typing import Protocol

from bot.cli_chat import chat
from bot.core.engine import Engine
from bot.core.feedback import FeedbackSink, InMemoryFeedback
from bot.settings import Settings

log = logging.getLogger(__name__)


class Adapter(Protocol):
    name: str

    async def start(self) -> None:
        """Connect and begin receiving messages; return once running."""

    async def stop(self) -> None:
        """Finish replies in flight and disconnect."""


def build_adapters(settings: Settings, engine: Engine, feedback: FeedbackSink) -> list[Adapter]:
    adapters: list[Adapter] = []
    if settings.telegram_bot_token:
        from bot.adapters.telegram_adapter import TelegramAdapter

        adapters.append(TelegramAdapter(engine, settings, feedback))
    if settings.discord_bot_token:
        from bot.adapters.discord_adapter import DiscordAdapter

        adapters.append(DiscordAdapter(engine, settings, feedback))
    return adapters


def run(settings: Settings, engine: Engine) -> int:
    """Start every platform whose token is set; the terminal chat when none is."""
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    adapters = build_adapters(settings, engine, InMemoryFeedback())
    if not adapters:
        print("No TELEGRAM_BOT_TOKEN or DISCORD_BOT_TOKEN set: starting the terminal chat.\n")
        return chat(engine, sys.stdin, sys.stdout)
    asyncio.run(serve(adapters))
    return 0


async def serve(adapters: list[Adapter]) -> None:
    """Run the adapters until SIGINT or SIGTERM, then stop them in reverse order."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    started: list[Adapter] = []
    try:
        for adapter in adapters:
            await adapter.start()
            started.append(adapter)
            log.info("%s adapter running", adapter.name)
        await stop.wait()
    finally:
        for adapter in reversed(started):
            await adapter.stop()
            log.info("%s adapter stopped", adapter.name)
