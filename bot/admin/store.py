"""The admin store: reply counts, 👍/👎 feedback and (opt-in) unanswered questions.

Over SQLAlchemy's async engine: SQLite in a file under DATA_DIR by default (created on
first start, nothing to install), PostgreSQL when DATABASE_URL points at one, so several
replicas of the bot can share it. This module is the Store; store_schema.py holds the
tables (what each holds) and opens the database, store_writer.py the write-behind queue,
store_reports.py the reads behind /stats and /unanswered.

Writing never delays a reply: `Store` implements the core's `MessageRecorder` and
`FeedbackSink`, whose methods only put a record on a bounded queue; a background task writes
records in batches. When the queue is full (the database is down or too slow) a record is
dropped and counted, never waited for. `stop()` writes what is queued before closing.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any

from sqlalchemy import delete, insert
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.admin import store_reports as reports
from bot.admin.privacy import hash_user_id, redact
from bot.admin.store_schema import (
    Activity,
    FeedbackRecord,
    PurgeResult,
    Record,
    ReplyRecord,
    StoreError,
    UnansweredQuestion,
    async_database_url,
    build_tables,
    migrate,
    open_engine,
    reply_row,
    storable,
    utc_now,
)
from bot.admin.store_writer import QUEUE_SIZE, RecordWriter
from bot.core.types import IncomingMessage, Reply
from bot.ops.settings import Settings

log = logging.getLogger(__name__)

CLEANUP_INTERVAL = 3600.0  # seconds between retention clean-ups
STOP_TIMEOUT = 10.0  # seconds `stop()` waits for queued records to be written
STATS_DAYS = 30  # reply counts are kept at least this long, for /stats
# Telegram gives up redelivering an update after a day; claims outlive that a little.
CLAIM_DAYS = 2


class Store:
    """Admin data in a database; a `MessageRecorder` and a `FeedbackSink` for the core.

    Lifecycle: `await start()` (creates or migrates the schema, starts the writer and the
    retention clean-up), then `await stop()` (writes what is queued, closes the database);
    or `async with store:`. The read methods need a started store.
    `message_handled` and `record` must be called from the event loop's thread.
    """

    def __init__(
        self,
        url: URL | str,
        *,
        store_unanswered: bool = False,
        salt: str = "",
        retention_days: int = 30,
        schema: str | None = None,
        queue_size: int = QUEUE_SIZE,
        cleanup_interval: float | None = CLEANUP_INTERVAL,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._url = make_url(url)
        self._store_unanswered = store_unanswered
        self._salt = salt
        self._retention = timedelta(days=retention_days)
        self._schema = schema
        self._tables = build_tables(schema)
        self._writer = RecordWriter(self._write, queue_size)
        self._cleanup_interval = cleanup_interval
        self._now = clock
        self._engine: AsyncEngine | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._feedback_base: dict[str, tuple[int, int]] = {}
        self._feedback_local: Counter[tuple[str, bool]] = Counter()

    @classmethod
    def from_settings(cls, settings: Settings, *, cleanup_interval: float | None = CLEANUP_INTERVAL) -> Store:
        return cls(
            async_database_url(settings),
            store_unanswered=settings.store_unanswered,
            salt=settings.user_id_salt,
            retention_days=settings.retention_days,
            cleanup_interval=cleanup_interval,
        )

    @property
    def backend(self) -> str:
        """The database kind: sqlite or postgresql."""
        return self._url.get_backend_name()

    @property
    def dropped(self) -> int:
        """Records lost: the queue was full, the store stopped, or the database refused them."""
        return self._writer.dropped

    @property
    def reachable(self) -> bool:
        """False while writes fail for want of the database (/healthz says not ready)."""
        return self._writer.reachable

    @property
    def stores_unanswered(self) -> bool:
        return self._store_unanswered

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Open the database, create or migrate the schema, start the background tasks."""
        if self._engine is not None:
            return
        engine = self._engine = open_engine(self._url)
        try:
            await migrate(engine, self._tables, self._schema)
            self._feedback_base = await self.feedback_counts()
        except BaseException as exc:
            await engine.dispose()
            self._engine = None
            if isinstance(exc, StoreError) or not isinstance(exc, Exception):
                raise
            where = self._url.render_as_string(hide_password=True)
            raise StoreError(f"cannot open the database {where}: {exc}") from exc
        self._writer.accepting = True
        self._tasks.append(asyncio.create_task(self._writer.run(), name="store-writer"))
        if self._cleanup_interval:
            self._tasks.append(asyncio.create_task(self._clean_forever(), name="store-cleanup"))
        log.info("Store open (%s)", self.backend)

    async def stop(self) -> None:
        """Write what is queued (waiting at most STOP_TIMEOUT), then close the database."""
        self._writer.accepting = False
        if self._engine is None:
            return
        if not await self._writer.flush(STOP_TIMEOUT):
            log.warning("Store stopped with %d records not written", self._writer.waiting)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        await self._engine.dispose()
        self._engine = None
        if self.dropped:
            log.warning("Store dropped %d records in all", self.dropped)

    async def __aenter__(self) -> Store:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    async def flush(self, timeout: float | None = None) -> bool:
        """Wait until every record queued so far is written (or given up on); False on timeout."""
        return await self._writer.flush(timeout)

    # -- the core's interfaces (synchronous, never blocking) --------------------------------

    def message_handled(self, message: IncomingMessage, reply: Reply) -> None:
        """MessageRecorder: count the reply; keep the question only if unanswered and opted in."""
        level = reply.safety.level if reply.safety else None
        keep_text = (
            self._store_unanswered
            and message.addressed
            and not reply.answered
            and level is None  # a red-flag report got its answer: the safety message
            and bool(message.text.strip())
        )
        self._writer.enqueue(
            ReplyRecord(
                at=self._now(),
                platform=message.platform,
                addressed=message.addressed,
                answered=reply.answered,
                intent_id=reply.intent_id,
                topic=reply.topic,
                urgency=level.value if level else None,
                question=message.text if keep_text else None,
                user_id=message.user_id if keep_text else "",
            )
        )

    def record(self, platform: str, intent_id: str, helpful: bool) -> None:
        """FeedbackSink: count one 👍 (helpful) or 👎 for an intent's answer."""
        self._feedback_local[(intent_id, helpful)] += 1
        self._writer.enqueue(FeedbackRecord(self._now(), platform, intent_id, helpful))

    def counts(self) -> dict[str, tuple[int, int]]:
        """FeedbackSink: per intent (helpful, not helpful): the database at start plus this process.

        Other replicas' feedback since this one started is not included; `feedback_counts()`
        asks the database.
        """
        totals = {k: list(v) for k, v in self._feedback_base.items()}
        for (intent_id, helpful), n in self._feedback_local.items():
            totals.setdefault(intent_id, [0, 0])[0 if helpful else 1] += n
        return {k: (v[0], v[1]) for k, v in sorted(totals.items())}

    async def claim_update(self, platform: str, update_id: int) -> bool:
        """True for the first caller, in any process sharing the database, to claim this update.

        Unlike the recording methods this waits for the database: it decides whether to reply.
        """
        claims = self._tables.claims
        insert_ = postgresql_insert if self.backend == "postgresql" else sqlite_insert
        statement = (
            insert_(claims)
            .values(platform=platform, update_id=update_id, at=self._now())
            .on_conflict_do_nothing()
            .returning(claims.c.update_id)
        )
        async with self._begin() as conn:
            return (await conn.execute(statement)).first() is not None

    # -- reads (for admin reports) ----------------------------------------------------------

    async def activity(self, since: datetime, top: int = 5) -> Activity:
        """Questions, answers, urgent replies and the top intents since `since` (UTC, naive)."""
        async with self._connect() as conn:
            return await reports.activity(conn, self._tables.replies, since, top)

    async def feedback_counts(self) -> dict[str, tuple[int, int]]:
        """Per intent id, from the database (every replica): (helpful, not helpful)."""
        async with self._connect() as conn:
            return await reports.feedback_counts(conn, self._tables.feedback)

    async def unanswered(self, limit: int | None = None) -> list[UnansweredQuestion]:
        """Stored unanswered questions, newest first (all of them when `limit` is None)."""
        async with self._connect() as conn:
            return await reports.unanswered(conn, self._tables.unanswered, limit)

    async def delete_unanswered(self, ids: Iterable[int]) -> int:
        """Forget questions an admin has dealt with; the number deleted."""
        wanted = list(ids)
        if not wanted:
            return 0
        u = self._tables.unanswered
        async with self._begin() as conn:
            result = await conn.execute(delete(u).where(u.c.id.in_(wanted)))
        return int(result.rowcount)

    async def purge_expired(self, now: datetime | None = None) -> PurgeResult:
        """Delete questions older than RETENTION_DAYS, reply counts older than that or 30 days,
        and update claims older than CLAIM_DAYS."""
        now = now or self._now()
        u, r, c = self._tables.unanswered, self._tables.replies, self._tables.claims
        replies_kept = max(self._retention, timedelta(days=STATS_DAYS))
        async with self._begin() as conn:
            questions = await conn.execute(delete(u).where(u.c.at < now - self._retention))
            replies = await conn.execute(delete(r).where(r.c.at < now - replies_kept))
            claims = await conn.execute(delete(c).where(c.c.at < now - timedelta(days=CLAIM_DAYS)))
        return PurgeResult(questions.rowcount, replies.rowcount, claims.rowcount)

    # -- internals ---------------------------------------------------------------------------

    def _connect(self) -> Any:
        if self._engine is None:
            raise StoreError("the store is not started")
        return self._engine.connect()

    async def _reopen_if_the_file_vanished(self) -> None:
        """A deleted SQLite file would swallow every later write unseen (the open connection
        writes to the unlinked file): say so and start a new file."""
        path = self._url.database
        if self.backend != "sqlite" or not path or path == ":memory:" or Path(path).exists():
            return
        log.warning("Store: the SQLite file %s vanished; starting a new one (earlier records are gone)", path)
        if self._engine is not None:
            await self._engine.dispose()
        self._engine = open_engine(self._url)
        await migrate(self._engine, self._tables, self._schema)

    def _begin(self) -> Any:
        if self._engine is None:
            raise StoreError("the store is not started")
        return self._engine.begin()

    async def _write(self, batch: Sequence[Record]) -> None:
        await self._reopen_if_the_file_vanished()
        replies = [r for r in batch if isinstance(r, ReplyRecord)]
        feedback = [r for r in batch if isinstance(r, FeedbackRecord)]
        questions = [self._question_row(r) for r in replies if r.question is not None]
        t = self._tables
        async with self._begin() as conn:
            if replies:
                await conn.execute(insert(t.replies), [reply_row(r) for r in replies])
            if feedback:
                await conn.execute(
                    insert(t.feedback),
                    [
                        {"at": r.at, "platform": r.platform, "intent_id": r.intent_id, "helpful": r.helpful}
                        for r in feedback
                    ],
                )
            if questions:
                await conn.execute(insert(t.unanswered), questions)

    def _question_row(self, record: ReplyRecord) -> dict[str, Any]:
        return {
            "at": record.at,
            "platform": record.platform,
            "user_hash": hash_user_id(self._salt, record.platform, record.user_id),
            "text": storable(redact(" ".join((record.question or "").split()))),
        }

    async def _clean_forever(self) -> None:
        interval = self._cleanup_interval or CLEANUP_INTERVAL
        while True:
            try:
                result = await self.purge_expired()
                if result.unanswered or result.replies:
                    log.info(
                        "Store clean-up: %d old questions, %d old reply counts deleted",
                        result.unanswered,
                        result.replies,
                    )
            except Exception:  # try again next time; the writer keeps going meanwhile
                log.exception("Store clean-up failed")
            await asyncio.sleep(interval)
