"""The composition root: the store and the reloader run around the adapters."""

from __future__ import annotations

import asyncio
import shutil
from datetime import timedelta
from pathlib import Path

from bot.admin.desk import AdminDesk
from bot.admin.store import Store
from bot.admin.store_schema import async_database_url, utc_now
from bot.app import serve_platforms
from bot.core.content import load_library
from bot.core.engine import Engine
from bot.core.feedback import FeedbackSink
from bot.core.types import IncomingMessage
from bot.ops.settings import Settings
from tests.helpers import CONTENT


class FakeAdapter:
    """Answers one message and records one 👍 when started, as a platform adapter would."""

    name = "fake"

    def __init__(self, engine: Engine, feedback: FeedbackSink, started: asyncio.Event) -> None:
        self.engine = engine
        self.feedback = feedback
        self.started = started
        self.stopped = False

    async def start(self) -> None:
        reply = self.engine.handle(
            IncomingMessage("why does my back hurt after running", platform="telegram")
        )
        assert reply is not None and reply.intent_id
        self.feedback.record("telegram", reply.intent_id, True)
        self.started.set()

    async def stop(self) -> None:
        self.stopped = True


async def test_replies_and_feedback_reach_the_store_and_edits_reload(tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(CONTENT, content)
    settings = Settings(content_dir=content, data_dir=tmp_path / "data")
    started, stop = asyncio.Event(), asyncio.Event()
    adapters: list[FakeAdapter] = []

    def build(
        settings: Settings, engine: Engine, feedback: FeedbackSink, admin: AdminDesk | None
    ) -> list[FakeAdapter]:
        assert isinstance(admin, AdminDesk)  # the adapters' admin commands get the running desk
        adapters.append(FakeAdapter(engine, feedback, started))
        return adapters

    serving = asyncio.create_task(
        serve_platforms(settings, load_library(content), "999", build=build, stop=stop)
    )
    await asyncio.wait_for(started.wait(), 10)
    engine = adapters[0].engine
    old = engine.library
    relief = content / "intents" / "relief.yaml"
    relief.write_text(
        relief.read_text(encoding="utf-8").replace("Often, yes", "Usually, yes"), encoding="utf-8"
    )
    for _ in range(60):  # the watcher reloads within ~0.5 s; give it 3
        if engine.library is not old:
            break
        await asyncio.sleep(0.05)
    assert engine.library is not old
    stop.set()
    await asyncio.wait_for(serving, 10)
    assert adapters[0].stopped

    async with Store(async_database_url(settings), cleanup_interval=None) as store:
        activity = await store.activity(utc_now() - timedelta(days=1))
        assert (activity.questions, activity.answered) == (1, 1)
        assert list((await store.feedback_counts()).values()) == [(1, 0)]
