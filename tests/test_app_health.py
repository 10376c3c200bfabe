"""The composition root's operations wiring: readiness follows the adapters, metrics the engine."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
import pytest

from bot.admin.desk import AdminDesk
from bot.app import Adapter, serve_platforms
from bot.core.content import load_library
from bot.core.engine import Engine
from bot.core.feedback import FeedbackSink
from bot.core.types import IncomingMessage
from bot.ops.settings import Settings
from tests.helpers import CONTENT, free_port


class GatedAdapter:
    """Starts and stops only when the test opens the gates; answers one message when started."""

    name = "gated"

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.may_start, self.may_stop = asyncio.Event(), asyncio.Event()
        self.stopping = asyncio.Event()

    async def start(self) -> None:
        await self.may_start.wait()
        self.engine.handle(IncomingMessage("why does my back hurt after running", platform="telegram"))

    async def stop(self) -> None:
        self.stopping.set()
        await self.may_stop.wait()  # a reply still in flight


async def get(port: int, path: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.get(f"http://127.0.0.1:{port}{path}") as response:
        return response.status, await response.text()


async def until(condition: asyncio.Event | None, port: int, expected: tuple[int, str]) -> None:
    for _ in range(100):
        if condition is None or condition.is_set():
            try:
                if await get(port, "/healthz") == expected:
                    return
            except aiohttp.ClientConnectionError:
                pass  # not listening yet
        await asyncio.sleep(0.05)
    raise AssertionError(f"/healthz never said {expected}")


async def test_healthz_follows_start_up_and_shutdown_and_metrics_count_replies(tmp_path: Path) -> None:
    port = free_port()
    settings = Settings(content_dir=CONTENT, data_dir=tmp_path, watch_content=False, health_port=port)
    adapters: list[GatedAdapter] = []

    def build(
        settings: Settings, engine: Engine, feedback: FeedbackSink, admin: AdminDesk | None
    ) -> list[Adapter]:
        adapters.append(GatedAdapter(engine))
        return [*adapters]

    stop = asyncio.Event()
    serving = asyncio.create_task(
        serve_platforms(settings, load_library(CONTENT), "999", build=build, stop=stop)
    )
    await until(None, port, (503, "starting\n"))  # the store and content are up, the adapter not yet
    adapters[0].may_start.set()
    await until(None, port, (200, "ready\n"))
    status, metrics = await get(port, "/metrics")
    assert status == 200 and 'backpain_bot_answered_total{platform="telegram"} 1.0' in metrics
    assert "backpain_bot_store_dropped_records 0.0" in metrics

    stop.set()  # what SIGTERM does
    await until(adapters[0].stopping, port, (503, "stopping\n"))  # out of rotation while replies finish
    adapters[0].may_stop.set()
    await asyncio.wait_for(serving, 10)
    with pytest.raises(aiohttp.ClientConnectionError):  # the health server went last
        await get(port, "/healthz")
