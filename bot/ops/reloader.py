"""Live reload of the content library: on a file change, on SIGHUP, or on an admin's /reload.

A reload loads and checks the whole folder in a worker thread, so replies keep flowing,
and hands the new library to `Engine.replace_library`, which compiles it before swapping one
reference: a message is always answered from one consistent library. A library that fails
validation is never swapped in: the engine keeps the last good one, the error is logged
with file, line and field, and the result goes to whoever asked (the return value of
`reload()`) and to every listener.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import signal
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from watchfiles import Change, awatch

from bot.core.content import Library, load_library
from bot.core.engine import Engine
from bot.core.located_yaml import ContentError, ContentProblem

log = logging.getLogger(__name__)

WATCHED_SUFFIXES = (".yaml", ".yml", ".txt")
DEBOUNCE_MS = 300  # an editor's save is often several writes: wait for them to settle
MAX_PROBLEMS_SHOWN = 10  # in the chat rendering; the log has them all

ReloadListener = Callable[["ReloadResult"], Awaitable[None] | None]


@dataclass(frozen=True, slots=True)
class ReloadResult:
    """The outcome of one reload. On failure the engine still serves the previous library."""

    ok: bool
    trigger: str  # "watch", "signal", "admin" or whatever the caller passed
    content_dir: Path
    intents: int = 0
    phrasings: int = 0
    problems: tuple[ContentProblem, ...] = ()
    finished_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    seconds: float = 0.0

    def render(self) -> str:
        """Plain text for an admin: a one-line success, or every problem (up to ten)."""
        if self.ok:
            return (
                f"Content reloaded: {self.intents} intents, {self.phrasings} phrasings "
                f"({self.seconds:.2f} s)."
            )
        shown = [f"- {problem}" for problem in self.problems[:MAX_PROBLEMS_SHOWN]]
        more = len(self.problems) - len(shown)
        if more > 0:
            shown.append(f"- ...and {more} more (run: python -m bot validate)")
        return "\n".join(
            [
                f"Content NOT reloaded: {len(self.problems)} problem(s). "
                "Still answering from the last good library.",
                *shown,
            ]
        )


def _is_content_file(_change: Change, path: str) -> bool:
    """Only content files count: editors' swap and backup files are ignored."""
    name = Path(path).name
    return name.endswith(WATCHED_SUFFIXES) and not name.startswith((".", "~", "#"))


class ContentReloader:
    """Reloads `content_dir` into `engine` on demand, on file changes and on SIGHUP.

    `await start()` begins watching (when `watch` is true) and installs the SIGHUP handler
    (when `handle_sighup` is true); `await stop()` undoes both. `await reload(trigger)`
    reloads now and returns the result; reloads never overlap.
    """

    def __init__(
        self,
        engine: Engine,
        content_dir: Path | str,
        *,
        watch: bool = True,
        handle_sighup: bool = True,
        debounce_ms: int = DEBOUNCE_MS,
    ) -> None:
        self._engine = engine
        self.content_dir = Path(content_dir)
        self._watch = watch
        self._handle_sighup = handle_sighup
        self._debounce_ms = debounce_ms
        self._lock = asyncio.Lock()
        self._listeners: list[ReloadListener] = []
        self._tasks: set[asyncio.Task[object]] = set()
        self._stop_watching = asyncio.Event()
        self._sighup_installed = False
        self.last_result: ReloadResult | None = None

    def add_listener(self, listener: ReloadListener) -> None:
        """Call `listener(result)` after every reload (sync or async; errors are logged)."""
        self._listeners.append(listener)

    async def start(self) -> None:
        """Start watching the folder and listening for SIGHUP, as configured."""
        if self._handle_sighup:
            asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, self.on_sighup)
            self._sighup_installed = True
        if self._watch:
            self._stop_watching.clear()
            ready = asyncio.Event()
            self._spawn(self._watch_forever(ready))
            await ready.wait()
        log.info("Content reload ready (watching %s: %s)", self.content_dir, self._watch)

    async def stop(self) -> None:
        """Stop watching and listening; wait for a reload in progress to finish."""
        if self._sighup_installed:
            asyncio.get_running_loop().remove_signal_handler(signal.SIGHUP)
            self._sighup_installed = False
        self._stop_watching.set()
        tasks = list(self._tasks)
        if tasks:
            await asyncio.wait(tasks, timeout=5.0)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def on_sighup(self) -> None:
        """The SIGHUP handler: schedule a reload (a signal handler must not wait)."""
        self._spawn(self.reload("signal"))

    async def reload(self, trigger: str = "admin") -> ReloadResult:
        """Load and check the folder now; swap it in if it is valid. Never raises ContentError."""
        async with self._lock:  # a later reload reads the disk later, so it always wins
            started = time.monotonic()
            try:
                library = await asyncio.to_thread(self._load_and_swap)
            except ContentError as exc:
                result = self._failed(trigger, tuple(exc.problems))
            except Exception as exc:  # an unreadable file, say: the watcher must survive it
                problem = ContentProblem(str(self.content_dir), 0, "", f"could not be loaded: {exc!r}")
                result = self._failed(trigger, (problem,))
            else:
                result = ReloadResult(
                    True,
                    trigger,
                    self.content_dir,
                    intents=len(library.intents),
                    phrasings=sum(len(i.examples) for i in library.intents),
                    seconds=time.monotonic() - started,
                )
                log.info("Content reloaded (%s): %d intents", trigger, result.intents)
            self.last_result = result
        await self._notify(result)
        return result

    def _failed(self, trigger: str, problems: tuple[ContentProblem, ...]) -> ReloadResult:
        listing = "\n".join(str(p) for p in problems)
        log.error("Content reload (%s) failed; still serving the last good library:\n%s", trigger, listing)
        return ReloadResult(False, trigger, self.content_dir, problems=problems)

    def _load_and_swap(self) -> Library:
        """In a worker thread: load, then compile and swap (one reference, atomic)."""
        library = load_library(self.content_dir)
        self._engine.replace_library(library)
        return library

    async def _notify(self, result: ReloadResult) -> None:
        for listener in self._listeners:
            try:
                outcome = listener(result)
                if inspect.isawaitable(outcome):
                    await outcome
            except Exception:  # one failing listener must not silence the others
                log.exception("Reload listener failed")

    async def _watch_forever(self, ready: asyncio.Event) -> None:
        changes = awatch(
            self.content_dir,
            watch_filter=_is_content_file,
            debounce=self._debounce_ms,
            stop_event=self._stop_watching,
        )
        # No await between here and the first step of the loop, which starts the watcher:
        # once start() resumes, changes are being watched.
        ready.set()
        try:
            async for _changed in changes:
                await self.reload("watch")
        except Exception:  # e.g. the system's limit of watched folders: keep serving
            log.exception("Content watcher stopped; SIGHUP and /reload still reload the content")

    def _spawn(self, coroutine: Awaitable[object]) -> None:
        task: asyncio.Task[object] = asyncio.ensure_future(coroutine)
        self._tasks.add(task)  # keep a reference, or the task may be collected mid-run
        task.add_done_callback(self._tasks.discard)
