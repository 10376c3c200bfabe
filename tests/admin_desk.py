"""A real AdminDesk for the adapters' admin-command tests.

The real Store, built from Settings, on a temporary SQLite file, recording what the engine
answers; a ContentReloader (no watcher, no SIGHUP) on a temporary copy of the content, so a
test can break a file and /reload it.
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from bot.admin.desk import AdminDesk
from bot.admin.store import Store
from bot.core.content import load_library
from bot.core.engine import Engine
from bot.ops.reloader import ContentReloader
from bot.ops.settings import Settings
from tests.helpers import CONTENT

SALT = "a-salt-long-enough-for-the-tests"
BROKEN_FILE = "relief.yaml"
BROKEN_FIELD = "intents[0].topic"
ANSWERED = "should I put ice or heat on my back?"  # answered from relief.yaml
UNANSWERED = "is a foam roller good for my quads"


@dataclass
class AdminParts:
    """What a test drives and inspects: the engine to give the adapter, the desk, the store."""

    engine: Engine
    desk: AdminDesk
    store: Store
    reloader: ContentReloader
    content: Path

    def break_content(self) -> int:
        """Give relief.yaml's first intent an unknown topic; returns that line's number."""
        path = self.content / "intents" / BROKEN_FILE
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        line = next(n for n, text in enumerate(lines) if text.strip() == "topic: relief")
        lines[line] = lines[line].replace("topic: relief", "topic: relif")
        path.write_text("".join(lines), encoding="utf-8")
        return line + 1


@contextlib.asynccontextmanager
async def running_desk(tmp_path: Path, *, store_unanswered: bool = True) -> AsyncIterator[AdminParts]:
    """A started store and a desk on a copy of the content; the store is stopped afterwards."""
    content = tmp_path / "content"
    shutil.copytree(CONTENT, content)
    settings = Settings(
        content_dir=content, data_dir=tmp_path, store_unanswered=store_unanswered, user_id_salt=SALT
    )
    store = Store.from_settings(settings, cleanup_interval=None)
    engine = Engine(load_library(content), recorder=store)
    reloader = ContentReloader(engine, content, watch=False, handle_sighup=False)
    async with store:
        yield AdminParts(engine, AdminDesk(store, reloader), store, reloader, content)
