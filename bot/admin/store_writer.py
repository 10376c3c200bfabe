"""Writing behind the replies: records wait on a bounded queue and a task writes them in
batches, so recording never delays an answer.

A full queue (the database is down or too slow) drops a record and counts it, never waits.
While the database is out of reach a batch is tried again with growing pauses (`reachable`
is False meanwhile, for /healthz); a batch the database refuses is written record by
record, so a bad record loses only itself. Every record lost is counted in `dropped`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence

from bot.admin.store_schema import Record, unreachable

log = logging.getLogger(__name__)

QUEUE_SIZE = 10_000  # records waiting to be written; beyond this they are dropped
BATCH_SIZE = 500  # records written in one transaction
RETRY_PAUSE = 1.0  # seconds the writer rests after a failed write, doubling while it fails
MAX_RETRY_PAUSE = 30.0
DROP_LOG_EVERY = 100  # log the first dropped record, then every this many

Write = Callable[[Sequence[Record]], Awaitable[None]]


class RecordWriter:
    """The queue, the batches, the retries and the count of lost records."""

    def __init__(self, write: Write, queue_size: int = QUEUE_SIZE) -> None:
        self._write = write
        self._queue: asyncio.Queue[Record] = asyncio.Queue(queue_size)
        self.accepting = True
        self.dropped = 0
        self.reachable = True

    @property
    def waiting(self) -> int:
        return self._queue.qsize()

    def enqueue(self, record: Record) -> None:
        """Queue a record; never waits (a full queue or a stopped store drops it)."""
        if not self.accepting:
            self.drop("the store is stopped")
            return
        try:
            self._queue.put_nowait(record)
        except asyncio.QueueFull:
            self.drop("the queue is full: the database is down or too slow")

    def drop(self, why: str) -> None:
        self.dropped += 1
        if self.dropped == 1 or self.dropped % DROP_LOG_EVERY == 0:
            log.warning("Store record dropped (%s); %d dropped so far", why, self.dropped)

    async def flush(self, timeout: float | None = None) -> bool:
        """Wait until every record queued so far is written (or given up on); False on timeout."""
        try:
            await asyncio.wait_for(self._queue.join(), timeout)
        except TimeoutError:
            return False
        return True

    async def run(self) -> None:
        """Write batches for ever (the store cancels this task when it stops)."""
        while True:
            batch = [await self._queue.get()]
            while len(batch) < BATCH_SIZE and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                await self._write_or_count_lost(batch)
            finally:
                for _ in batch:
                    self._queue.task_done()

    async def _write_or_count_lost(self, batch: Sequence[Record]) -> None:
        pause = RETRY_PAUSE
        while True:
            try:
                await self._write(batch)
                self.reachable = True
                return
            except Exception as exc:  # a database hiccup must not end recording for good
                if not unreachable(exc):
                    break
                # The type only: the database's own message can quote members' words.
                log.warning(
                    "Store cannot reach the database (%s); %d records wait, trying again in %g s",
                    type(exc).__name__,
                    len(batch) + self._queue.qsize(),
                    pause,
                )
                self.reachable = False
            if not self.accepting:  # stopping: waiting longer only delays the shutdown
                for _ in batch:
                    self.drop("the store stopped while the database was unreachable")
                return
            await asyncio.sleep(pause)
            pause = min(pause * 2, MAX_RETRY_PAUSE)
        for record in batch:
            try:
                await self._write([record])
            except Exception as exc:
                self.drop(f"the database refused it: {type(exc).__name__}")
