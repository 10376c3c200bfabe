"""Composition root: builds the enabled adapters around one engine and runs them together.

Telegram and Discord share one asyncio loop; each adapter owns its library's lifecycle
through `start()` and `stop()`. Around them run the admin side: the store (reply counts,
feedback, opt-in unanswered questions; it is the engine's recorder and the adapters'
feedback sink) and the content reloader (file watcher and SIGHUP). The adapters' admin chat
commands (/reload, /stats, /unanswered) get `AdminDesk(store, reloader)` (bot/admin.py).
Operations (issue 7): the engine also feeds Prometheus metrics, an optional health server
(HEALTH_PORT) says ready only once every adapter has started and "stopping" from SIGTERM on,
and Telegram replicas sharing a webhook and a PostgreSQL database claim each update once.

With no platform token the terminal chat runs instead, with no database and no recording.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from collections.abc import Callable, Sequence
from contextlib import AsyncExitStack
from typing import Protocol

from bot.adapters.console import chat
from bot.adapters.startup import PlatformUnreachable, TokenRejected
from bot.admin.desk import AdminDesk
from bot.admin.store import Store
from bot.admin.store_schema import StoreError
from bot.core.content import Library
from bot.core.engine import Engine
from bot.core.feedback import FeedbackSink
from bot.ops.health import HealthServer, Readiness
from bot.ops.log_format import configure_logging
from bot.ops.metrics import BotMetrics, FanOutRecorder, MeasuredEngine
from bot.ops.reloader import ContentReloader
from bot.ops.settings import Settings

log = logging.getLogger(__name__)

CONFIGURATION_ERROR = 2  # the exit status systemd does not restart on (deploy/backpain-bot.service)
# Seconds between tries to reach a platform at start-up; the last one repeats until stopped.
START_RETRY_DELAYS = (1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 60.0)


class Adapter(Protocol):
    name: str

    async def start(self) -> None:
        """Connect and begin receiving messages; return once running."""

    async def stop(self) -> None:
        """Finish replies in flight and disconnect."""


def build_adapters(
    settings: Settings, engine: Engine, feedback: FeedbackSink, admin: AdminDesk | None
) -> list[Adapter]:
    adapters: list[Adapter] = []
    if settings.telegram_bot_token:
        from bot.adapters.telegram import TelegramAdapter

        adapters.append(TelegramAdapter(engine, settings, feedback, admin=admin))
    if settings.discord_bot_token:
        from bot.adapters.discord import DiscordAdapter

        adapters.append(DiscordAdapter(engine, settings, feedback, admin=admin))
    return adapters


def run(settings: Settings, library: Library, emergency_number: str) -> int:
    """Start every platform whose token is set; the terminal chat when none is."""
    configure_logging(settings)
    if not (settings.telegram_bot_token or settings.discord_bot_token):
        print("No TELEGRAM_BOT_TOKEN or DISCORD_BOT_TOKEN set: starting the terminal chat.\n")
        return chat(Engine(library, emergency_number), sys.stdin, sys.stdout)
    try:
        asyncio.run(serve_platforms(settings, library, emergency_number))
    except TokenRejected as exc:
        log.error("%s", exc)  # one line, the token masked: no traceback that could print it
        return CONFIGURATION_ERROR
    except StoreError as exc:
        log.error("%s (check DATABASE_URL or DATA_DIR)", exc)
        return 1
    return 0


AdapterBuilder = Callable[[Settings, Engine, FeedbackSink, AdminDesk | None], list[Adapter]]


async def serve_platforms(
    settings: Settings,
    library: Library,
    emergency_number: str,
    *,
    build: AdapterBuilder = build_adapters,
    stop: asyncio.Event | None = None,
) -> None:
    """Open the store, start the reloader, run the adapters; close all in reverse order."""
    store = Store.from_settings(settings)
    metrics = BotMetrics()
    recorder = FanOutRecorder([store, metrics])
    engine = MeasuredEngine(library, emergency_number, recorder=recorder, metrics=metrics)
    reloader = ContentReloader(engine, settings.content_dir, watch=settings.watch_content)
    reloader.add_listener(metrics.reload_finished)
    metrics.track_value(
        "backpain_bot_store_dropped_records", "Records the store dropped", lambda: store.dropped
    )
    adapters = build(settings, engine, store, AdminDesk(store, reloader))
    shares_webhook = settings.telegram_bot_token and settings.telegram_webhook_url
    if shares_webhook and store.backend == "postgresql":  # replicas may each get the same update
        from bot.adapters.telegram_claims import answer_each_update_once

        answer_each_update_once(adapters, store)
    readiness = Readiness()
    readiness.depends_on(lambda: store.reachable)  # not ready while records cannot be written
    async with AsyncExitStack() as running:
        if settings.health_port is not None:  # first up, last down: "starting", then "stopping"
            health = HealthServer(readiness, metrics, settings.health_host, settings.health_port)
            await health.start()
            running.push_async_callback(health.stop)
        await store.start()
        running.push_async_callback(store.stop)  # last to stop: it writes what the others recorded
        await reloader.start()
        running.push_async_callback(reloader.stop)
        await serve(adapters, stop, readiness)


async def serve(
    adapters: list[Adapter],
    stop: asyncio.Event | None = None,
    readiness: Readiness | None = None,
    start_retry_delays: Sequence[float] = START_RETRY_DELAYS,
) -> None:
    """Run the adapters until SIGINT or SIGTERM (or `stop` is set), then stop them in reverse order.

    Stopping lets each adapter finish the replies in flight; `readiness` says ready once
    every adapter has started and stopping as soon as the signal arrives.
    """
    readiness = readiness or Readiness()
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    started: list[Adapter] = []
    try:
        for adapter in adapters:
            if not await _start_when_reachable(adapter, stop, start_retry_delays):
                break  # stopped while waiting for the network
            started.append(adapter)
            log.info("%s adapter running", adapter.name)
        else:
            readiness.mark_ready()
            await stop.wait()
    finally:
        readiness.mark_stopping()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        for adapter in reversed(started):
            await adapter.stop()
            log.info("%s adapter stopped", adapter.name)


async def _start_when_reachable(adapter: Adapter, stop: asyncio.Event, delays: Sequence[float]) -> bool:
    """Start the adapter, trying again with growing pauses while its platform is unreachable.

    False when `stop` was set before it could start. A rejected token is not retried.
    """
    attempt = 0
    while True:
        try:
            await adapter.start()
            return True
        except PlatformUnreachable as exc:
            delay = delays[min(attempt, len(delays) - 1)]
            attempt += 1
            log.warning("%s (try %d); trying again in %g s", exc, attempt, delay)
        try:
            await asyncio.wait_for(stop.wait(), delay)
            return False
        except TimeoutError:
            pass
