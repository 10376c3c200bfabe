"""The health and metrics endpoint, and the metrics fed by the engine and the reloader."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from bot.core.content import load_library
from bot.core.types import IncomingMessage, Reply
from bot.ops.health import HealthServer, Readiness, probe
from bot.ops.metrics import BotMetrics, FanOutRecorder, MeasuredEngine
from bot.ops.reloader import ReloadResult
from tests.helpers import CONTENT


@pytest.fixture
async def server() -> AsyncIterator[tuple[HealthServer, Readiness, BotMetrics]]:
    readiness, metrics = Readiness(), BotMetrics()
    health = HealthServer(readiness, metrics, "127.0.0.1", 0)
    await health.start()
    yield health, readiness, metrics
    await health.stop()


async def get(port: int, path: str) -> tuple[int, str, str]:
    async with aiohttp.ClientSession() as session, session.get(f"http://127.0.0.1:{port}{path}") as response:
        return response.status, response.headers["Content-Type"], await response.text()


async def test_healthz_is_ready_only_between_start_and_shutdown(
    server: tuple[HealthServer, Readiness, BotMetrics],
) -> None:
    health, readiness, _ = server
    assert (await get(health.port, "/healthz"))[::2] == (503, "starting\n")
    readiness.mark_ready()
    assert (await get(health.port, "/healthz"))[::2] == (200, "ready\n")
    readiness.mark_stopping()
    assert (await get(health.port, "/healthz"))[::2] == (503, "stopping\n")
    readiness.mark_ready()  # a process that began stopping never comes back
    assert (await get(health.port, "/livez"))[0] == 200 and not readiness.ready


async def test_metrics_count_messages_replies_urgency_reloads_and_latency(
    server: tuple[HealthServer, Readiness, BotMetrics],
) -> None:
    health, _, metrics = server
    engine = MeasuredEngine(load_library(CONTENT), "999", recorder=metrics, metrics=metrics)
    engine.handle(IncomingMessage("why does my lower back hurt after long runs?", platform="telegram"))
    engine.handle(IncomingMessage("qwertyuiop zxcv", conversation_id="2", platform="telegram"))
    engine.handle(IncomingMessage("cant pee and my legs are numb", addressed=False, platform="discord"))
    engine.handle(IncomingMessage("nice run today everyone", addressed=False, platform="discord"))
    metrics.reload_finished(ReloadResult(True, "watch", CONTENT))
    metrics.reload_finished(ReloadResult(False, "admin", CONTENT))

    status, content_type, text = await get(health.port, "/metrics")
    assert status == 200 and content_type.startswith("text/plain; version=0.0.4")
    expected = {
        'backpain_bot_messages_total{platform="telegram"}': 2.0,
        'backpain_bot_messages_total{platform="discord"}': 2.0,
        'backpain_bot_answered_total{platform="telegram"}': 1.0,
        'backpain_bot_unanswered_total{platform="telegram"}': 1.0,
        'backpain_bot_unanswered_total{platform="discord"}': 0.0,  # screened, not a question
        'backpain_bot_urgent_replies_total{platform="discord"}': 1.0,
        'backpain_bot_content_reloads_total{result="success"}': 1.0,
        'backpain_bot_content_reloads_total{result="failure"}': 1.0,
        'backpain_bot_reply_seconds_count{platform="telegram"}': 2.0,
        'backpain_bot_reply_seconds_count{platform="discord"}': 1.0,  # the silent message has no reply
    }
    samples = dict(line.rsplit(" ", 1) for line in text.splitlines() if not line.startswith("#"))
    assert {name: float(samples[name]) for name in expected} == expected
    assert float(samples['backpain_bot_reply_seconds_sum{platform="telegram"}']) > 0


def test_a_failing_recorder_never_costs_the_reply() -> None:
    class Broken:
        def message_handled(self, message: IncomingMessage, reply: Reply) -> None:
            raise RuntimeError("database exploded")

    metrics = BotMetrics()
    engine = MeasuredEngine(
        load_library(CONTENT), "999", recorder=FanOutRecorder([Broken(), metrics]), metrics=metrics
    )
    assert engine.handle(IncomingMessage("why does my back hurt", platform="discord")) is not None
    assert metrics.registry.get_sample_value("backpain_bot_answered_total", {"platform": "discord"}) == 1


def test_gauges_read_at_scrape_time() -> None:
    metrics, dropped = BotMetrics(), [0]
    metrics.track_value("backpain_bot_store_dropped_records", "Dropped", lambda: dropped[0])
    dropped[0] = 7
    assert "backpain_bot_store_dropped_records 7.0" in metrics.render()[0].decode()


async def test_probe_says_ready_or_why_not(server: tuple[HealthServer, Readiness, BotMetrics]) -> None:
    health, readiness, _ = server
    assert await _probe(health.port) == (False, "starting")
    readiness.mark_ready()
    assert await _probe(health.port) == (True, "ready")
    await health.stop()
    ok, why = await _probe(health.port)
    assert not ok and why.startswith(f"no answer from http://127.0.0.1:{health.port}/healthz")


async def _probe(port: int) -> tuple[bool, str]:
    import asyncio

    return await asyncio.to_thread(probe, "0.0.0.0", port)
