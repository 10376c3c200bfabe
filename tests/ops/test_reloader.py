"""Live reload: a running engine with the watcher on a temporary copy of the content."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.core.content import load_library
from bot.core.engine import Engine
from bot.core.types import IncomingMessage
from bot.ops.reloader import ContentReloader, ReloadResult
from tests.helpers import CONTENT

QUESTION = "will rest fix my lower back pain"
OLD_LEAD_IN = "Often, yes: rest is the first thing to try."
WAIT = 3.0  # seconds: a reload normally lands well within 2


class Results:
    """A reload listener that lets a test wait for the next result."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[ReloadResult] = asyncio.Queue()

    def __call__(self, result: ReloadResult) -> None:
        self.queue.put_nowait(result)

    async def next(self, timeout: float = WAIT) -> ReloadResult:
        return await asyncio.wait_for(self.queue.get(), timeout)


@pytest.fixture
def content(tmp_path: Path) -> Path:
    shutil.copytree(CONTENT, tmp_path / "content")
    return tmp_path / "content"


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def lead_in(engine: Engine) -> str:
    reply = engine.handle(IncomingMessage(QUESTION, conversation_id="reload-test"))
    assert reply is not None and reply.intent_id == "relief_rest"
    return reply.lead_in


@pytest.fixture
async def running(content: Path) -> AsyncIterator[tuple[Engine, ContentReloader, Results]]:
    engine = Engine(load_library(content))
    reloader = ContentReloader(engine, content, handle_sighup=False)
    results = Results()
    reloader.add_listener(results)
    await reloader.start()
    try:
        yield engine, reloader, results
    finally:
        await asyncio.wait_for(reloader.stop(), WAIT)


async def test_an_edit_changes_the_answers(
    running: tuple[Engine, ContentReloader, Results], content: Path
) -> None:
    engine, _, results = running
    assert lead_in(engine) == OLD_LEAD_IN
    edit(content / "intents" / "relief.yaml", OLD_LEAD_IN, "Rest first, then ease back in.")
    result = await results.next()
    assert result.ok and result.trigger == "watch" and result.intents == len(engine.library.intents)
    assert lead_in(engine) == "Rest first, then ease back in."
    assert result.render().startswith("Content reloaded:")


async def test_a_broken_edit_keeps_the_last_good_library(
    running: tuple[Engine, ContentReloader, Results], content: Path
) -> None:
    engine, reloader, results = running
    good = engine.library
    relief = content / "intents" / "relief.yaml"
    edit(relief, "topic: relief", "topic: relif")
    result = await results.next()
    assert not result.ok and engine.library is good and lead_in(engine) == OLD_LEAD_IN
    [problem] = result.problems
    line = relief.read_text(encoding="utf-8").splitlines().index("    topic: relif") + 1
    assert (Path(problem.file).name, problem.line, problem.field) == ("relief.yaml", line, "intents[0].topic")
    assert f"relief.yaml:{line}: intents[0].topic: unknown topic 'relif'" in result.render()
    assert reloader.last_result is result

    edit(relief, "topic: relif", "topic: relief")  # fixed: the next change reloads again
    assert (await results.next()).ok and engine.library is not good


async def test_an_unreadable_file_is_a_failed_reload_not_a_dead_watcher(
    running: tuple[Engine, ContentReloader, Results], content: Path
) -> None:
    _engine, _, results = running
    (content / "sources" / "broken.txt").write_bytes(b"---\nid: x\n---\n\xff\xfe not utf-8")
    result = await results.next()
    # The file and line, not just the folder (it used to say only "could not be loaded").
    assert not result.ok and "broken.txt:4: not UTF-8 text" in result.render()
    (content / "sources" / "broken.txt").unlink()
    assert (await results.next()).ok


async def test_editor_swap_files_are_ignored(
    running: tuple[Engine, ContentReloader, Results], content: Path
) -> None:
    _, _, results = running
    (content / "intents" / ".relief.yaml.swp").write_text("junk", encoding="utf-8")
    (content / "intents" / "notes.md").write_text("junk", encoding="utf-8")
    with pytest.raises(TimeoutError):
        await results.next(timeout=1.0)


async def test_sighup_reloads(content: Path) -> None:
    engine = Engine(load_library(content))
    reloader = ContentReloader(engine, content, watch=False)  # installs the SIGHUP handler
    results = Results()
    reloader.add_listener(results)
    await reloader.start()
    try:
        edit(content / "intents" / "relief.yaml", OLD_LEAD_IN, "Edited, then SIGHUP.")
        os.kill(os.getpid(), signal.SIGHUP)
        assert (await results.next()).trigger == "signal"
        assert lead_in(engine) == "Edited, then SIGHUP."
        reloader.on_sighup()  # the handler itself, as the loop calls it
        assert (await results.next()).ok
    finally:
        await reloader.stop()
    assert signal.getsignal(signal.SIGHUP) == signal.SIG_DFL


async def test_admin_reload_returns_the_result(content: Path) -> None:
    reloader = ContentReloader(Engine(load_library(content)), content, watch=False, handle_sighup=False)
    edit(content / "messages.yaml", "help:", "help_typo:")
    result = await reloader.reload()
    assert not result.ok and result.trigger == "admin" and "messages.yaml" in result.render()
    assert "Still answering from the last good library" in result.render()


async def test_messages_in_flight_see_one_consistent_library(content: Path) -> None:
    """A reply never mixes two libraries: its lead-in and its follow-up's question come from one."""
    engine = Engine(load_library(content))
    reloader = ContentReloader(engine, content, watch=False, handle_sighup=False)
    relief = content / "intents" / "relief.yaml"
    version_a = relief.read_text(encoding="utf-8")
    version_b = version_a.replace(OLD_LEAD_IN, "Version B lead-in.").replace(
        '"How long until my back', '"Version B: how long until my back'
    )
    assert version_b.count("Version B") == 2
    mixed: list[str] = []
    replies = 0
    stop = threading.Event()

    def ask_repeatedly() -> None:
        nonlocal replies
        while not stop.is_set():
            reply = engine.handle(IncomingMessage(QUESTION, conversation_id="consistency"))
            assert reply is not None and reply.suggestions[0].intent_id == "relief_how_long"
            if ("Version B" in reply.lead_in) != ("Version B" in reply.suggestions[0].question):
                mixed.append(f"{reply.lead_in} / {reply.suggestions[0].question}")
            replies += 1
            time.sleep(0)  # as a bot between messages: the reloading thread gets the interpreter

    asker = threading.Thread(target=ask_repeatedly)
    asker.start()
    try:
        for version in [version_b, version_a] * 4:
            relief.write_text(version, encoding="utf-8")
            assert (await reloader.reload()).ok
    finally:
        stop.set()
        asker.join(timeout=WAIT)
    assert mixed == [] and replies > 0
    assert lead_in(engine) == OLD_LEAD_IN
