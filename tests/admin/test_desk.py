"""The admin commands' data and texts (/reload, /stats, /unanswered), platform-neutral."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bot.admin.desk import AdminDesk, render_reload
from bot.admin.store import Store
from bot.core.content import load_library
from bot.core.engine import Engine
from bot.core.located_yaml import ContentProblem
from bot.core.types import IncomingMessage
from bot.ops.reloader import ContentReloader, ReloadResult
from tests.admin_desk import BROKEN_FIELD, BROKEN_FILE, running_desk
from tests.helpers import CONTENT

NOW = datetime(2026, 6, 30, 9, 0)


@pytest.fixture
def content(tmp_path: Path) -> Path:
    shutil.copytree(CONTENT, tmp_path / "content")
    return tmp_path / "content"


async def desk_for(tmp_path: Path, content: Path, *, store_unanswered: bool) -> AsyncIterator[AdminDesk]:
    clock_now = [NOW]
    store = Store(
        f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}",
        store_unanswered=store_unanswered,
        salt="a-salt-that-is-long-enough",
        cleanup_interval=None,
        clock=lambda: clock_now[0],
    )
    engine = Engine(load_library(content), recorder=store)
    reloader = ContentReloader(engine, content, watch=False, handle_sighup=False)
    async with store:
        clock_now[0] = NOW - timedelta(days=10)
        engine.handle(IncomingMessage("why does my back hurt after running", "c1", platform="telegram"))
        clock_now[0] = NOW - timedelta(days=2)
        engine.handle(IncomingMessage("should i use ice or heat on my back", "c2", platform="discord"))
        engine.handle(IncomingMessage("is a foam roller good for quads", "c3", platform="telegram"))
        engine.handle(
            IncomingMessage("I can't control my bladder", "c4", addressed=False, platform="telegram")
        )
        store.record("telegram", "relief_ice_heat", True)
        store.record("discord", "relief_ice_heat", False)
        store.record("discord", "causes_overview", True)
        clock_now[0] = NOW
        yield AdminDesk(store, reloader, clock=lambda: NOW)


@pytest.fixture
async def desk(tmp_path: Path, content: Path) -> AsyncIterator[AdminDesk]:
    async for d in desk_for(tmp_path, content, store_unanswered=True):
        yield d


async def test_stats(desk: AdminDesk) -> None:
    stats = await desk.stats()
    week, month = stats.windows
    assert stats.window_days == (7, 30)
    assert (week.questions, week.answered, week.urgent_replies) == (2, 1, 1)
    assert (month.questions, month.answered) == (3, 2)
    assert dict(month.top_intents) == {"causes_overview": 1, "relief_ice_heat": 1}
    assert [(f.intent_id, f.helpful, f.not_helpful) for f in stats.feedback] == [
        ("relief_ice_heat", 1, 1),
        ("causes_overview", 1, 0),
    ]
    text = stats.render()
    assert "Last 7 days: 2 questions, 50% answered, 1 urgent replies" in text
    assert "Last 30 days: 3 questions, 67% answered" in text
    assert "relief_ice_heat: 1 / 1" in text and "Top intents (last 30 days):" in text


async def test_unanswered(desk: AdminDesk) -> None:
    latest = await desk.unanswered()
    assert [q.text for q in latest.questions] == ["is a foam roller good for quads"]
    assert "is a foam roller good for quads" in latest.render() and "(telegram)" in latest.render()


async def test_unanswered_when_not_collected(tmp_path: Path, content: Path) -> None:
    async for desk in desk_for(tmp_path, content, store_unanswered=False):
        latest = await desk.unanswered()
        assert latest.questions == () and not latest.stored
        assert "STORE_UNANSWERED=true" in latest.render()


async def test_reload_reports_success_or_every_problem(desk: AdminDesk, content: Path) -> None:
    assert (await desk.reload()).render().startswith("Content reloaded: ")
    relief = content / "intents" / "relief.yaml"
    original = relief.read_text(encoding="utf-8")
    broken = original.count("topic: relief")  # one problem per intent of the file
    relief.write_text(original.replace("topic: relief", "topic: relif"), encoding="utf-8")
    text = (await desk.reload()).render()
    assert broken >= 2
    assert text.startswith(
        f"Content NOT reloaded: {broken} problem(s). Still answering from the last good library."
    )
    assert text.count("unknown topic 'relif'") == broken


def test_render_limits_problems_to_one_message() -> None:
    problems = tuple(
        ContentProblem("content/intents/x.yaml", n, "intents[0].id", "bad") for n in range(1, 26)
    )
    text = ReloadResult(False, "admin", Path("content"), problems=problems).render()
    assert text.count("x.yaml:") == 10 and "...and 15 more (run: python -m bot validate)" in text


async def test_a_failed_automatic_reload_shows_until_a_reload_succeeds(tmp_path: Path) -> None:
    async with running_desk(tmp_path) as parts:
        desk, relief = parts.desk, parts.content / "intents" / BROKEN_FILE
        good = relief.read_text(encoding="utf-8")
        line = parts.break_content()
        failed = await parts.reloader.reload("watch")  # as the file watcher calls it
        assert desk.failed_reload == failed
        stats = (await desk.stats()).render()
        assert "Warning: the content reload after a file change at " in stats
        assert f"{BROKEN_FILE}:{line}: {BROKEN_FIELD}: unknown topic 'relif'" in stats
        earlier = desk.failed_reload
        again = render_reload(await desk.reload(), earlier)
        assert again.startswith("Content NOT reloaded")
        assert "(Before this, the automatic reload after a file change at " in again
        relief.write_text(good, encoding="utf-8")
        earlier = desk.failed_reload
        fixed = render_reload(await desk.reload(), earlier)
        assert fixed.startswith("Content reloaded: ") and "failed" not in fixed  # an admin saw that one
        assert desk.failed_reload is None and "Warning" not in (await desk.stats()).render()


async def test_reload_notes_the_automatic_failure_it_replaces(tmp_path: Path) -> None:
    async with running_desk(tmp_path) as parts:
        relief = parts.content / "intents" / BROKEN_FILE
        good = relief.read_text(encoding="utf-8")
        parts.break_content()
        await parts.reloader.reload("signal")
        relief.write_text(good, encoding="utf-8")
        earlier = parts.desk.failed_reload
        text = render_reload(await parts.desk.reload(), earlier)
        assert text.startswith("Content reloaded: ")
        assert "(This replaces the automatic reload on SIGHUP at " in text and "which had failed.)" in text
