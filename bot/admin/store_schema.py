"""The admin store's database: what is stored, the tables, their migrations, and opening
SQLite or PostgreSQL.

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

import logging
import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
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
    delete,
    event,
    insert,
    select,
    text,
)
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from bot.ops.settings import Settings

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 10.0  # seconds to reach PostgreSQL before start-up reports it unreachable
SQLITE_FILE = "bot.sqlite3"


class StoreError(RuntimeError):
    """The database cannot be used (for example its schema is newer than this bot)."""


def utc_now() -> datetime:
    """The current time in UTC, without tzinfo: how every time is stored."""
    return datetime.now(UTC).replace(tzinfo=None)


# --- records (in the queue) and results (from the queries) ----------------------------------


@dataclass(frozen=True, slots=True)
class ReplyRecord:
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
class FeedbackRecord:
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


Record = ReplyRecord | FeedbackRecord


@dataclass(frozen=True, slots=True)
class Tables:
    metadata: MetaData
    meta: Table
    replies: Table
    feedback: Table
    unanswered: Table
    claims: Table


def _id_column() -> Column[int]:
    # SQLite only auto-increments an INTEGER PRIMARY KEY (its rowid).
    return Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)


def build_tables(schema: str | None) -> Tables:
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
    return Tables(metadata, meta, replies, feedback, unanswered, claims)


def _migration_1(connection: Connection, tables: Tables) -> None:
    """Version 1: replies, feedback and unanswered questions."""
    tables.metadata.create_all(
        connection, tables=[tables.replies, tables.feedback, tables.unanswered], checkfirst=True
    )


def _migration_2(connection: Connection, tables: Tables) -> None:
    """Version 2: update claims, so replicas answer a redelivered update once."""
    tables.metadata.create_all(connection, tables=[tables.claims], checkfirst=True)


# Append-only: migration n brings a database from version n-1 to n. Never edit a shipped one.
MIGRATIONS: tuple[Callable[[Connection, Tables], None], ...] = (_migration_1, _migration_2)


def async_database_url(settings: Settings) -> URL:
    """The SQLAlchemy address for the settings: DATABASE_URL, else SQLite under DATA_DIR."""
    if not settings.database_url:
        return URL.create("sqlite+aiosqlite", database=str(settings.data_dir / SQLITE_FILE))
    url = make_url(settings.database_url)
    if url.get_backend_name() in ("postgresql", "postgres"):
        return url.set(drivername="postgresql+asyncpg")
    return url.set(drivername="sqlite+aiosqlite")


def open_engine(url: URL) -> AsyncEngine:
    """An engine for the address; for SQLite the file's folder is created and WAL set up."""
    if url.get_backend_name() != "sqlite":
        # Without a timeout an unreachable server holds start-up for a minute or more.
        return create_async_engine(
            url,
            pool_pre_ping=True,
            connect_args={"timeout": CONNECT_TIMEOUT},
            hide_parameters=True,  # a failed write must not log members' words
        )
    if url.database and url.database != ":memory:":
        folder = Path(url.database).parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the folder {folder} for the database: {exc.strerror}") from None
    engine = create_async_engine(url, hide_parameters=True)
    event.listen(engine.sync_engine, "connect", _sqlite_connected)
    event.listen(engine.sync_engine, "begin", _sqlite_begin)
    return engine


async def migrate(engine: AsyncEngine, tables: Tables, schema: str | None) -> None:
    """Bring the schema to the latest version, in one transaction, one process at a time."""
    async with engine.connect() as conn, (await conn.execution_options(sqlite_immediate=True)).begin():
        if engine.url.get_backend_name() == "postgresql":
            # Replicas starting together: the first migrates, the others wait and find it done.
            key = zlib.crc32(f"backpain-bot:{schema or 'public'}".encode())
            await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
        await conn.run_sync(tables.meta.create, checkfirst=True)
        version = await _schema_version(conn, tables)
        if version > len(MIGRATIONS):
            raise StoreError(
                f"the database schema is version {version}, newer than this bot knows "
                f"({len(MIGRATIONS)}): upgrade the bot"
            )
        for number in range(version, len(MIGRATIONS)):
            await conn.run_sync(MIGRATIONS[number], tables)
            log.info("Store schema migrated to version %d", number + 1)
        if version < len(MIGRATIONS):
            meta = tables.meta
            await conn.execute(delete(meta).where(meta.c.key == "schema_version"))
            await conn.execute(insert(meta).values(key="schema_version", value=str(len(MIGRATIONS))))


async def _schema_version(conn: AsyncConnection, tables: Tables) -> int:
    meta = tables.meta
    value = (await conn.execute(select(meta.c.value).where(meta.c.key == "schema_version"))).scalar()
    return int(value) if value else 0


def reply_row(record: ReplyRecord) -> dict[str, Any]:
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


def storable(text: str) -> str:
    """The text without characters a database refuses (a member can send them)."""
    return _UNSTORABLE.sub("\ufffd", text)


def unreachable(exc: BaseException) -> bool:
    """Whether a failed write is the database being out of reach (worth waiting for), not
    the database refusing what was written."""
    if isinstance(exc, OSError):  # connection refused, reset, timed out
        return True
    if isinstance(exc, DBAPIError):
        return exc.connection_invalidated or isinstance(exc, OperationalError | InterfaceError)
    return False
