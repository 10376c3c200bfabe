"""The admin store: reply counts, 👍/👎 feedback and (opt-in) unanswered questions.

One small module over SQLAlchemy's async engine: SQLite in a file under DATA_DIR by default
(created on first start, nothing to install), PostgreSQL when DATABASE_URL points at one,
so several replicas of the bot can share it.

Writing never delays a reply: `Store` implements the core's `MessageRecorder` and
`FeedbackSink`, whose methods only put a record on a bounded queue; a background task writes
records in batches. When the queue is full (the database is down or too slow) a record is
dropped and counted, never waited for. `stop()` writes what is queued before closing.

What is stored (see the README's Privacy section):
- `replies`: one row per reply: time, platform, addressed or not, answered or not, intent
  and topic, red-flag level. No text, no user or chat id.
- `feedback`: time, platform, intent, helpful or not.
- `unanswered_questions`: only with STORE_UNANSWERED=true, and only addressed questions the
  bot could not answer (never a red-flag report): time, platform, the text with obvious
  personal data redacted, and a salted hash of the sender's id. Deleted after RETENTION_DAYS.
- `store_meta`: the schema version, for automatic migrations.
- `update_claims`: platform and update id of each update handled lately, so that replicas
  sharing the database answer an update Telegram delivers twice only once
  (`claim_update`, an `INSERT ... ON CONFLICT DO NOTHING`). Kept CLAIM_DAYS.
"""

from __future__ import annotations

import asyncio
import logging
import re
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    and_,
    case,
    delete,
    desc,
    event,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from bot.admin.privacy import hash_user_id, redact
from bot.core.types import IncomingMessage, Reply
from bot.ops.settings import Settings

log = logging.getLogger(__name__)

QUEUE_SIZE = 10_000  # records waiting to be written; beyond this they are dropped
BATCH_SIZE = 500  # records written in one transaction
CLEANUP_INTERVAL = 3600.0  # seconds between retention clean-ups
STOP_TIMEOUT = 10.0  # seconds `stop()` waits for queued records to be written
RETRY_PAUSE = 1.0  # seconds the writer rests after a failed write, doubling while it fails
MAX_RETRY_PAUSE = 30.0
STATS_DAYS = 30  # reply counts are kept at least this long, for /stats
DROP_LOG_EVERY = 100  # log the first dropped record, then every this many
CONNECT_TIMEOUT = 10.0  # seconds to reach PostgreSQL before start-up reports it unreachable
# Telegram gives up redelivering an update after a day; claims outlive that a little.
CLAIM_DAYS = 2
SQLITE_FILE = "bot.sqlite3"
_URGENT_LEVELS = ("emergency", "urgent")


class StoreError(RuntimeError):
    """The database cannot be used (for example its schema is newer than this bot)."""


def utc_now() -> datetime:
    """The current time in UTC, without tzinfo: how every time is stored."""
    return datetime.now(UTC).replace(tzinfo=None)


# --- records (in the queue) and results (from the queries) ----------------------------------


@dataclass(frozen=True, slots=True)
class _ReplyRecord:
    at: datetime
    platform: str
    addressed: bool
    answered: bool
    intent_id: str | None
    topic: str | None
    urgency: str | None
    question: str | None  # only an unanswered question, only when STORE_UNANSWERED is on
    user_id: str


@dataclass(frozen=True, slots=True)
class _FeedbackRecord:
    at: datetime
    platform: str
    intent_id: str
    helpful: bool


@dataclass(frozen=True, slots=True)
class Activity:
    """What the bot did since `since`: the numbers behind /stats."""

    since: datetime
    questions: int  # messages addressed to the bot
    answered: int  # ...answered from an intent
    urgent_replies: int  # replies opened by an emergency or urgent safety message
    soon_replies: int  # replies opened by a "see a doctor within days" message
    top_intents: tuple[tuple[str, int], ...]  # (intent id, answers), most frequent first

    @property
    def share_answered(self) -> float:
        """Answered questions as a share of all questions, 0.0 to 1.0."""
        return self.answered / self.questions if self.questions else 0.0


@dataclass(frozen=True, slots=True)
class UnansweredQuestion:
    id: int
    at: datetime
    platform: str
    text: str  # already redacted
    user_hash: str | None


@dataclass(frozen=True, slots=True)
class PurgeResult:
    unanswered: int
    replies: int
    claims: int = 0


# --- schema ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Tables:
    metadata: MetaData
    meta: Table
    replies: Table
    feedback: Table
    unanswered: Table
    claims: Table


def _id_column() -> Column[int]:
    # SQLite only auto-increments an INTEGER PRIMARY KEY (its rowid).
    return Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)


def _tables(schema: str | None) -> _Tables:
    """The tables, built per store so a test can put them in a schema of its own."""
    metadata = MetaData(schema=schema)
    meta = Table(
        "store_meta",
        metadata,
        Column("key", String(64), primary_key=True),
        Column("value", String(200), nullable=False),
    )
    replies = Table(
        "replies",
        metadata,
        _id_column(),
        Column("at", DateTime, nullable=False, index=True),
        Column("platform", String(16), nullable=False),
        Column("addressed", Boolean, nullable=False),
        Column("answered", Boolean, nullable=False),
        Column("intent_id", String(100)),
        Column("topic", String(32)),
        Column("urgency", String(16)),
    )
    feedback = Table(
        "feedback",
        metadata,
        _id_column(),
        Column("at", DateTime, nullable=False),
        Column("platform", String(16), nullable=False),
        Column("intent_id", String(100), nullable=False, index=True),
        Column("helpful", Boolean, nullable=False),
    )
    unanswered = Table(
        "unanswered_questions",
        metadata,
        _id_column(),
        Column("at", DateTime, nullable=False, index=True),
        Column("platform", String(16), nullable=False),
        Column("user_hash", String(64)),
        Column("text", Text, nullable=False),
    )
    claims = Table(
        "update_claims",
        metadata,
        Column("platform", String(16), primary_key=True),
        Column("update_id", BigInteger, primary_key=True, autoincrement=False),
        Column("at", DateTime, nullable=False, index=True),
    )
    return _Tables(metadata, meta, replies, feedback, unanswered, claims)


def _migration_1(connection: Connection, tables: _Tables) -> None:
    """Version 1: replies, feedback and unanswered questions."""
    tables.metadata.create_all(
        connection, tables=[tables.replies, tables.feedback, tables.unanswered], checkfirst=True
    )


def _migration_2(connection: Connection, tables: _Tables) -> None:
    """Version 2: update claims, so replicas answer a redelivered update once."""
    tables.metadata.create_all(connection, tables=[tables.claims], checkfirst=True)


# Append-only: migration n brings a database from version n-1 to n. Never edit a shipped one.
MIGRATIONS: tuple[Callable[[Connection, _Tables], None], ...] = (_migration_1, _migration_2)


def async_database_url(settings: Settings) -> URL:
    """The SQLAlchemy address for the settings: DATABASE_URL, else SQLite under DATA_DIR."""
    if not settings.database_url:
        return URL.create("sqlite+aiosqlite", database=str(settings.data_dir / SQLITE_FILE))
    url = make_url(settings.database_url)
    if url.get_backend_name() in ("postgresql", "postgres"):
        return url.set(drivername="postgresql+asyncpg")
    return url.set(drivername="sqlite+aiosqlite")


# --- the store -------------------------------------------------------------------------------


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
        self._tables = _tables(schema)
        self._queue: asyncio.Queue[_ReplyRecord | _FeedbackRecord] = asyncio.Queue(queue_size)
        self._cleanup_interval = cleanup_interval
        self._now = clock
        self._engine: AsyncEngine | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._accepting = True
        self._dropped = 0
        self.reachable = True  # False while writes fail for want of the database (/healthz)
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
        return self._dropped

    @property
    def stores_unanswered(self) -> bool:
        return self._store_unanswered

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Open the database, create or migrate the schema, start the background tasks."""
        if self._engine is not None:
            return
        engine = self._engine = self._create_engine()
        try:
            await self._migrate()
            self._feedback_base = await self.feedback_counts()
        except BaseException as exc:
            await engine.dispose()
            self._engine = None
            if isinstance(exc, StoreError) or not isinstance(exc, Exception):
                raise
            where = self._url.render_as_string(hide_password=True)
            raise StoreError(f"cannot open the database {where}: {exc}") from exc
        self._accepting = True
        self._tasks.append(asyncio.create_task(self._write_forever(), name="store-writer"))
        if self._cleanup_interval:
            self._tasks.append(asyncio.create_task(self._clean_forever(), name="store-cleanup"))
        log.info("Store open (%s)", self.backend)

    async def stop(self) -> None:
        """Write what is queued (waiting at most STOP_TIMEOUT), then close the database."""
        self._accepting = False
        if self._engine is None:
            return
        try:
            await asyncio.wait_for(self._queue.join(), STOP_TIMEOUT)
        except TimeoutError:
            log.warning("Store stopped with %d records not written", self._queue.qsize())
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        await self._engine.dispose()
        self._engine = None
        if self._dropped:
            log.warning("Store dropped %d records in all", self._dropped)

    async def __aenter__(self) -> Store:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    async def flush(self, timeout: float | None = None) -> bool:
        """Wait until every record queued so far is written (or given up on); False on timeout."""
        try:
            await asyncio.wait_for(self._queue.join(), timeout)
        except TimeoutError:
            return False
        return True

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
        self._enqueue(
            _ReplyRecord(
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
        self._enqueue(_FeedbackRecord(self._now(), platform, intent_id, helpful))

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

    def _enqueue(self, record: _ReplyRecord | _FeedbackRecord) -> None:
        if not self._accepting:
            self._drop("the store is stopped")
            return
        try:
            self._queue.put_nowait(record)
        except asyncio.QueueFull:
            self._drop("the queue is full: the database is down or too slow")

    def _drop(self, why: str) -> None:
        self._dropped += 1
        if self._dropped == 1 or self._dropped % DROP_LOG_EVERY == 0:
            log.warning("Store record dropped (%s); %d dropped so far", why, self._dropped)

    # -- reads (for admin reports) ----------------------------------------------------------

    async def activity(self, since: datetime, top: int = 5) -> Activity:
        """Questions, answers, urgent replies and the top intents since `since` (UTC, naive)."""
        r = self._tables.replies
        totals = select(
            func.sum(case((r.c.addressed, 1), else_=0)),
            func.sum(case((and_(r.c.addressed, r.c.answered), 1), else_=0)),
            func.sum(case((r.c.urgency.in_(_URGENT_LEVELS), 1), else_=0)),
            func.sum(case((r.c.urgency == "soon", 1), else_=0)),
        ).where(r.c.at >= since)
        answers = func.count().label("answers")
        top_query = (
            select(r.c.intent_id, answers)
            .where(r.c.at >= since, r.c.answered, r.c.intent_id.is_not(None))
            .group_by(r.c.intent_id)
            .order_by(desc(answers), r.c.intent_id)
            .limit(top)
        )
        async with self._connect() as conn:
            row = (await conn.execute(totals)).one()
            ranked = (await conn.execute(top_query)).all()
        questions, answered, urgent, soon = (int(value or 0) for value in row)
        return Activity(since, questions, answered, urgent, soon, tuple((i, int(n)) for i, n in ranked))

    async def feedback_counts(self) -> dict[str, tuple[int, int]]:
        """Per intent id, from the database (every replica): (helpful, not helpful)."""
        f = self._tables.feedback
        query = (
            select(
                f.c.intent_id,
                func.sum(case((f.c.helpful, 1), else_=0)),
                func.sum(case((f.c.helpful, 0), else_=1)),
            )
            .group_by(f.c.intent_id)
            .order_by(f.c.intent_id)
        )
        async with self._connect() as conn:
            rows = (await conn.execute(query)).all()
        return {intent_id: (int(up or 0), int(down or 0)) for intent_id, up, down in rows}

    async def unanswered(self, limit: int | None = None) -> list[UnansweredQuestion]:
        """Stored unanswered questions, newest first (all of them when `limit` is None)."""
        u = self._tables.unanswered
        query = select(u.c.id, u.c.at, u.c.platform, u.c.text, u.c.user_hash).order_by(
            desc(u.c.at), desc(u.c.id)
        )
        if limit is not None:
            query = query.limit(limit)
        async with self._connect() as conn:
            rows = (await conn.execute(query)).all()
        return [UnansweredQuestion(*row) for row in rows]

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

    def _create_engine(self) -> AsyncEngine:
        if self.backend != "sqlite":
            # Without a timeout an unreachable server holds start-up for a minute or more.
            return create_async_engine(
                self._url,
                pool_pre_ping=True,
                connect_args={"timeout": CONNECT_TIMEOUT},
                hide_parameters=True,  # a failed write must not log members' words
            )
        if self._url.database and self._url.database != ":memory:":
            folder = Path(self._url.database).parent
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(
                    f"cannot create the folder {folder} for the database: {exc.strerror}"
                ) from None
        engine = create_async_engine(self._url, hide_parameters=True)
        event.listen(engine.sync_engine, "connect", _sqlite_connected)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
        return engine

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
        self._engine = self._create_engine()
        await self._migrate()

    def _begin(self) -> Any:
        if self._engine is None:
            raise StoreError("the store is not started")
        return self._engine.begin()

    async def _migrate(self) -> None:
        """Bring the schema to the latest version, in one transaction, one process at a time."""
        async with self._connect() as conn, (await conn.execution_options(sqlite_immediate=True)).begin():
            if self.backend == "postgresql":
                # Replicas starting together: the first migrates, the others wait and find it done.
                key = zlib.crc32(f"backpain-bot:{self._schema or 'public'}".encode())
                await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
            await conn.run_sync(self._tables.meta.create, checkfirst=True)
            version = await self._schema_version(conn)
            if version > len(MIGRATIONS):
                raise StoreError(
                    f"the database schema is version {version}, newer than this bot knows "
                    f"({len(MIGRATIONS)}): upgrade the bot"
                )
            for number in range(version, len(MIGRATIONS)):
                await conn.run_sync(MIGRATIONS[number], self._tables)
                log.info("Store schema migrated to version %d", number + 1)
            if version < len(MIGRATIONS):
                meta = self._tables.meta
                await conn.execute(delete(meta).where(meta.c.key == "schema_version"))
                await conn.execute(insert(meta).values(key="schema_version", value=str(len(MIGRATIONS))))

    async def _schema_version(self, conn: AsyncConnection) -> int:
        meta = self._tables.meta
        value = (await conn.execute(select(meta.c.value).where(meta.c.key == "schema_version"))).scalar()
        return int(value) if value else 0

    async def _write_forever(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < BATCH_SIZE and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                await self._write_or_count_lost(batch)
            finally:
                for _ in batch:
                    self._queue.task_done()

    async def _write_or_count_lost(self, batch: Sequence[_ReplyRecord | _FeedbackRecord]) -> None:
        """Write a batch. While the database is unreachable, try again with growing pauses
        (`reachable` is False meanwhile, and new records wait in the queue); when it refuses
        the batch itself, write record by record, so a bad record loses only itself. Every
        record lost is counted in `dropped`."""
        pause = RETRY_PAUSE
        while True:
            try:
                await self._write(batch)
                self.reachable = True
                return
            except Exception as exc:  # a database hiccup must not end recording for good
                if not _unreachable(exc):
                    break
                # The type only: the database's own message can quote members' words.
                log.warning(
                    "Store cannot reach the database (%s); %d records wait, trying again in %g s",
                    type(exc).__name__,
                    len(batch) + self._queue.qsize(),
                    pause,
                )
                self.reachable = False
            if not self._accepting:  # stopping: waiting longer only delays the shutdown
                for _ in batch:
                    self._drop("the store stopped while the database was unreachable")
                return
            await asyncio.sleep(pause)
            pause = min(pause * 2, MAX_RETRY_PAUSE)
        for record in batch:
            try:
                await self._write([record])
            except Exception as exc:
                self._drop(f"the database refused it: {type(exc).__name__}")

    async def _write(self, batch: Sequence[_ReplyRecord | _FeedbackRecord]) -> None:
        await self._reopen_if_the_file_vanished()
        replies = [r for r in batch if isinstance(r, _ReplyRecord)]
        feedback = [r for r in batch if isinstance(r, _FeedbackRecord)]
        questions = [self._question_row(r) for r in replies if r.question is not None]
        t = self._tables
        async with self._begin() as conn:
            if replies:
                await conn.execute(insert(t.replies), [_reply_row(r) for r in replies])
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

    def _question_row(self, record: _ReplyRecord) -> dict[str, Any]:
        return {
            "at": record.at,
            "platform": record.platform,
            "user_hash": hash_user_id(self._salt, record.platform, record.user_id),
            "text": _storable(redact(" ".join((record.question or "").split()))),
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


def _reply_row(record: _ReplyRecord) -> dict[str, Any]:
    return {
        "at": record.at,
        "platform": record.platform,
        "addressed": record.addressed,
        "answered": record.answered,
        "intent_id": record.intent_id,
        "topic": record.topic,
        "urgency": record.urgency,
    }


def _sqlite_connected(dbapi_connection: Any, _record: Any) -> None:
    """WAL lets `python -m bot report` read while the bot writes; wait for locks, don't fail.

    The driver's own transaction handling is switched off (it would not put DDL in a
    transaction); `_sqlite_begin` opens every transaction instead.
    """
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=5000")
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
    except Exception as exc:
        # Another process is creating the file and switching it right now (the mode is kept in
        # the file), and this pragma does not wait for locks. WAL only adds concurrency.
        if "locked" not in str(exc):
            raise
    finally:
        cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    """BEGIN IMMEDIATE for a migration (two processes starting at once take turns), else BEGIN."""
    immediate = connection.get_execution_options().get("sqlite_immediate", False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")  # NUL and lone surrogates: no database takes them


def _storable(text: str) -> str:
    """The text without characters a database refuses (a member can send them)."""
    return _UNSTORABLE.sub("\ufffd", text)


def _unreachable(exc: BaseException) -> bool:
    """Whether a failed write is the database being out of reach (worth waiting for), not
    the database refusing what was written."""
    if isinstance(exc, OSError):  # connection refused, reset, timed out
        return True
    if isinstance(exc, DBAPIError):
        return exc.connection_invalidated or isinstance(exc, OperationalError | InterfaceError)
    return False
