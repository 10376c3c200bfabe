"""One bot process for bench/load_test.py: what `python -m bot run` runs, minus the rate limiter.

It reads its settings from the environment, loads the content and runs
`bot.app.serve_platforms` (store, metrics, health endpoint, update claims, SIGTERM
handling: all as in production), except that the Telegram adapter's rate limiter is a
pass-through. The production limiter keeps each process under Telegram's 30 messages a
second, which would make the benchmark measure the limiter instead of the bot.
`bench/load_test.py --production-limiter` runs `python -m bot run` itself instead.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # bench/ and tests/ are not installed packages

from bench.telegram_bench import PassThrough  # noqa: E402
from bot.adapters.telegram import TelegramAdapter  # noqa: E402
from bot.admin.desk import AdminDesk  # noqa: E402
from bot.app import Adapter, serve_platforms  # noqa: E402
from bot.core.content import load_library  # noqa: E402
from bot.core.engine import Engine  # noqa: E402
from bot.core.feedback import FeedbackSink  # noqa: E402
from bot.ops.log_format import configure_logging  # noqa: E402
from bot.ops.settings import Settings  # noqa: E402


def build_unlimited(
    settings: Settings, engine: Engine, feedback: FeedbackSink, admin: AdminDesk | None
) -> list[Adapter]:
    """The Telegram adapter as build_adapters makes it, with a pass-through rate limiter."""
    return [TelegramAdapter(engine, settings, feedback, rate_limiter=PassThrough(), admin=admin)]


def main() -> int:
    settings = Settings.from_environment()
    configure_logging(settings)
    library = load_library(settings.content_dir)
    asyncio.run(serve_platforms(settings, library, settings.emergency_number, build=build_unlimited))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
