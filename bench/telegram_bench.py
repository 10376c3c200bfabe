"""Throughput and latency of the Telegram adapter: the real PTB Application, the real
engine and content, against the Bot API stand-in on 127.0.0.1. Prints figures; asserts nothing.

Each update is a direct message from its own chat, handed out through getUpdates; its
latency runs from the moment the stand-in hands it out to the moment the reply arrives.
Two runs:
  burst   - every update queued at once, rate limiter replaced by a pass-through:
            what the adapter itself can do (updates per second) and how long a burst waits;
  steady  - updates arriving at a steady rate under Telegram's 30 messages a second, with
            the production rate limiter: the latency a member sees on a busy day.
The stand-in shares the event loop (and the CPU) with the bot, so the figures are a floor.

    PTB_TIMEDELTA=1 .venv/bin/python bench/telegram_bench.py [--updates 2000] [--steady 250] [--rate 25]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import statistics
import sys
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

os.environ.setdefault("PTB_TIMEDELTA", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the stand-in lives in tests/, which is not an installed package

from telegram.ext import BaseRateLimiter  # noqa: E402

from bot.adapters.telegram import TelegramAdapter  # noqa: E402
from bot.core.content import load_library  # noqa: E402
from bot.core.engine import Engine  # noqa: E402
from bot.ops.settings import Settings  # noqa: E402
from tests.helpers import InMemoryFeedback  # noqa: E402
from tests.telegram_standin import TOKEN, TelegramStandIn, member, private_chat  # noqa: E402

QUESTIONS = (
    "why does my lower back hurt after long runs?",
    "should I keep running with back pain?",
    "how do I prevent back pain?",
    "ice or heat?",
    "my back hurts on downhill runs",
    "my legs keep giving way",  # a red flag now and then
)
FIRST_CHAT = 100_000


class PassThrough(BaseRateLimiter[Any]):
    """No pacing at all: measures the adapter, not Telegram's limits."""

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Any]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: Any,
    ) -> Any:
        return await callback(*args, **kwargs)


async def measure(
    engine: Engine, updates: int, limiter: BaseRateLimiter[Any] | None, rate: float | None
) -> dict[str, float]:
    """Queue `updates` messages (all at once, or `rate` a second) and time their replies."""
    async with TelegramStandIn(max_hold=0.2) as api:
        settings = Settings(telegram_bot_token=TOKEN, telegram_base_url=api.base_url)
        adapter = TelegramAdapter(engine, settings, InMemoryFeedback(), rate_limiter=limiter, poll_timeout=1)
        await adapter.start()
        try:
            started = time.perf_counter()
            update_of_chat = await push_all(api, updates, rate)
            sent = await api.wait_sent(updates, timeout=600)
            elapsed = time.perf_counter() - started
        finally:
            await adapter.stop()
    first_reply: dict[int, float] = {}
    for message in sent:
        first_reply.setdefault(message.chat_id, message.at)
    latencies = sorted(first_reply[c] - api.handed_out_at[u] for c, u in update_of_chat.items())
    return {
        "per_second": updates / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
        "max_ms": latencies[-1] * 1000,
    }


async def push_all(api: TelegramStandIn, updates: int, rate: float | None) -> dict[int, int]:
    """Queue the updates, each from its own chat; returns the update id of each chat."""
    update_of_chat = {}
    started = time.perf_counter()
    for i in range(updates):
        if rate:  # keep to the schedule rather than sleeping a fixed step, which drifts
            await asyncio.sleep(max(0.0, started + i / rate - time.perf_counter()))
        chat = FIRST_CHAT + i
        message = api.message(private_chat(chat), QUESTIONS[i % len(QUESTIONS)], sender=member(chat))
        update_of_chat[chat] = api.push("message", message)
    return update_of_chat


async def main(updates: int, steady: int, rate: float) -> None:
    engine = Engine(load_library(ROOT / "content"))
    runs: list[tuple[str, int, BaseRateLimiter[Any] | None, float | None]] = [
        ("burst", updates, PassThrough(), None)
    ]
    if steady:
        runs.append((f"steady {rate:g}/s", steady, None, rate))  # None: the production limiter
    for name, count, limiter, pace in runs:
        figures = await measure(engine, count, limiter, pace)
        print(
            f"{name:12} {count:5} updates: {figures['per_second']:7.1f} updates/s, "
            f"latency p50 {figures['p50_ms']:7.1f} ms, p99 {figures['p99_ms']:7.1f} ms, "
            f"max {figures['max_ms']:7.1f} ms",
            flush=True,
        )


if __name__ == "__main__":
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=raw)
    parser.add_argument("--updates", type=int, default=2000, help="updates in the burst run")
    parser.add_argument("--steady", type=int, default=250, help="updates in the steady run (0 to skip)")
    parser.add_argument("--rate", type=float, default=25.0, help="updates a second in the steady run")
    arguments = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(main(arguments.updates, arguments.steady, arguments.rate))
