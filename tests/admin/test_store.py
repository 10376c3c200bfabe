"""The admin store, the same tests on SQLite (a temporary file) and PostgreSQL (a real server).

PostgreSQL runs against 127.0.0.1:5432 (user postgres, database `test`, or TEST_DATABASE_URL),
each test in a schema of its own that is dropped afterwards, so parallel runs never collide.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import MetaData, select, text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.admin.privacy import hash_user_id
from bot.admin.store import Store
from bot.admin.store_schema import MIGRATIONS, StoreError, async_database_url, utc_now
from bot.core.types import IncomingMessage, Reply, SafetyNotice, Urgency
from bot.ops.settings import Settings
from tests.helpers import Clock
from tests.postgres import postgres_reachable

PG_URL = os.environ.get("TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
SALT = "a-test-salt-of-enough-length"
START = datetime(2026, 3, 1, 12, 0, 0)


@dataclass(frozen=True)
class Backend:
    url: str
    schema: str | None


@pytest.fixture(params=["sqlite", "postgresql"])
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backend]:
    if request.param == "sqlite":
        yield Backend(f"sqlite+aiosqlite:///{tmp_path / 'new-folder' / 'bot.sqlite3'}", None)
        return
    if not postgres_reachable():
        pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432 (start it to run these tests)")
    schema = f"test_store_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(PG_URL)
    try:
        async with admin.begin() as conn:
            await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        yield Backend(PG_URL, schema)
    finally:
        async with admin.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        await admin.dispose()


StoreFactory = Callable[..., Store]


@pytest.fixture
async def make_store(backend: Backend) -> AsyncIterator[StoreFactory]:
    """Build stores on the backend; every one is stopped at the end of the test."""
    made: list[Store] = []

    def make(**options: Any) -> Store:
        options.setdefault("cleanup_interval", None)
        store = Store(backend.url, schema=backend.schema, **options)
        made.append(store)
        return store

    yield make
    for store in made:
        await store.stop()


def message(
    text: str = "why does my back hurt", *, addressed: bool = True, user_id: str = ""
) -> IncomingMessage:
    return IncomingMessage(text, "chat-1", addressed=addressed, platform="telegram", user_id=user_id)


def answered(intent_id: str = "causes_overview") -> Reply:
    return Reply(answered=True, intent_id=intent_id, topic="causes", score=80.0)


def urgent() -> Reply:
    safety = SafetyNotice(Urgency.EMERGENCY, ("bladder",), (), "Call 999")
    return Reply(answered=False, topic="urgent", safety=safety)


UNANSWERED = Reply(answered=False, score=20.0)


async def all_rows(store: Store) -> list[str]:
    """Every row of every table, as text: to prove what is and is not stored."""
    rows: list[str] = []
    metadata = MetaData(schema=store._schema)
    engine = store._engine
    assert engine is not None
    async with engine.connect() as conn:
        await conn.run_sync(metadata.reflect)
        for table in metadata.sorted_tables:
            rows += [repr(tuple(row)) for row in (await conn.execute(select(table))).all()]
    return rows


# --- schema -----------------------------------------------------------------------------------


async def test_schema_is_created_on_first_start_and_reused(
    make_store: StoreFactory, backend: Backend
) -> None:
    first = make_store()
    await first.start()
    first.record("telegram", "relief_rest", True)
    await first.stop()
    if backend.schema is None:
        assert Path(backend.url.split("///", 1)[1]).is_file()  # the folder was created too
    second = make_store()
    await second.start()  # the same schema again: nothing to migrate, nothing lost
    assert await second.feedback_counts() == {"relief_rest": (1, 0)}
    assert second.counts() == {"relief_rest": (1, 0)}


async def test_replicas_starting_together_migrate_once(make_store: StoreFactory) -> None:
    stores = [make_store() for _ in range(3)]
    await asyncio.wait_for(asyncio.gather(*(s.start() for s in stores)), timeout=30)
    for store in stores:
        store.record("discord", "relief_rest", False)
    await asyncio.gather(*(s.flush(5) for s in stores))
    assert await stores[0].feedback_counts() == {"relief_rest": (0, 3)}


async def test_a_newer_schema_is_refused(make_store: StoreFactory) -> None:
    store = make_store()
    await store.start()
    async with store._begin() as conn:
        meta = store._tables.meta
        await conn.execute(meta.update().values(value=str(len(MIGRATIONS) + 1)))
    await store.stop()
    with pytest.raises(StoreError, match="newer than this bot knows"):
        await make_store().start()


# --- counting -----------------------------------------------------------------------------


async def test_activity_counts_questions_answers_urgent_replies_and_top_intents(
    make_store: StoreFactory,
) -> None:
    clock = Clock(START)
    store = make_store(clock=clock)
    await store.start()
    clock.now = START - timedelta(days=20)
    for _ in range(2):
        store.message_handled(message(), answered("relief_rest"))
    clock.now = START - timedelta(days=1)
    for _ in range(2):
        store.message_handled(message(), answered("causes_overview"))
    store.message_handled(message(), answered("relief_rest"))
    store.message_handled(message(), UNANSWERED)
    store.message_handled(message("cant pee", addressed=False), urgent())  # unaddressed: not a question
    await store.flush(5)

    week = await store.activity(START - timedelta(days=7))
    assert (week.questions, week.answered, week.urgent_replies, week.soon_replies) == (4, 3, 1, 0)
    assert week.share_answered == pytest.approx(0.75)
    assert week.top_intents == (("causes_overview", 2), ("relief_rest", 1))
    month = await store.activity(START - timedelta(days=30))
    assert month.questions == 6 and month.top_intents == (("relief_rest", 3), ("causes_overview", 2))


async def test_feedback_is_counted_per_intent(make_store: StoreFactory) -> None:
    store = make_store()
    for helpful in (True, True, False):
        store.record("telegram", "relief_ice_heat", helpful)  # before start: queued, then written
    await store.start()
    store.record("discord", "causes_disc", False)
    assert store.counts() == {"causes_disc": (0, 1), "relief_ice_heat": (2, 1)}
    await store.flush(5)
    assert await store.feedback_counts() == {"causes_disc": (0, 1), "relief_ice_heat": (2, 1)}


# --- privacy --------------------------------------------------------------------------------


async def test_no_message_text_is_stored_by_default(make_store: StoreFactory) -> None:
    store = make_store()
    await store.start()
    store.message_handled(message("my secret foam roller question", user_id="4242"), UNANSWERED)
    store.message_handled(message("why does my back hurt", user_id="4242"), answered())
    await store.flush(5)
    rows = "\n".join(await all_rows(store))
    assert await store.unanswered() == []
    assert "foam roller" not in rows and "back hurt" not in rows and "4242" not in rows
    assert "chat-1" not in rows  # no chat id either


async def test_unanswered_questions_are_redacted_and_hashed(make_store: StoreFactory) -> None:
    store = make_store(store_unanswered=True, salt=SALT)
    await store.start()
    text_in = "Hi I'm Anna, mail anna@example.org or +44 7700 900123, @coach said: foam roller ok?"
    store.message_handled(message(text_in, user_id="4242"), UNANSWERED)
    store.message_handled(message("why does my back hurt", user_id="4242"), answered())  # answered: no text
    store.message_handled(message("cant pee my back hurts", user_id="4242"), urgent())  # red flag: no text
    store.message_handled(message("foam roller?", addressed=False), UNANSWERED)  # not addressed: no text
    await store.flush(5)

    [stored] = await store.unanswered()
    assert stored.text == "Hi I'm [name], mail [email] or [phone], [handle] said: foam roller ok?"
    assert stored.user_hash == hash_user_id(SALT, "telegram", "4242") and stored.platform == "telegram"
    rows = "\n".join(await all_rows(store))
    for secret in ("Anna", "anna@example.org", "7700", "@coach", "4242", "cant pee", "why does my back"):
        assert secret not in rows


async def test_clean_up_deletes_rows_past_retention(make_store: StoreFactory) -> None:
    clock = Clock(START)
    store = make_store(store_unanswered=True, salt=SALT, retention_days=10, clock=clock)
    await store.start()
    for days_ago in (40, 11, 1):
        clock.now = START - timedelta(days=days_ago)
        store.message_handled(message(f"question from {days_ago} days ago"), UNANSWERED)
    await store.flush(5)

    result = await store.purge_expired(now=START)
    # Questions: older than RETENTION_DAYS. Reply counts (no text): older than 30 days at least.
    assert (result.unanswered, result.replies) == (2, 1)
    assert [q.text for q in await store.unanswered()] == ["question from 1 days ago"]
    assert (await store.activity(START - timedelta(days=365))).questions == 2


async def test_periodic_clean_up_runs_from_start(make_store: StoreFactory) -> None:
    clock = Clock(START - timedelta(days=100))
    store = make_store(store_unanswered=True, salt=SALT, clock=clock)
    store.message_handled(message("an old question"), UNANSWERED)
    await store.start()
    await store.flush(5)
    await store.stop()
    clock.now = START
    restarted = make_store(store_unanswered=True, salt=SALT, clock=clock, cleanup_interval=0.05)
    await restarted.start()
    deadline = time.monotonic() + 5
    while await restarted.unanswered() and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert await restarted.unanswered() == []


async def test_delete_unanswered(make_store: StoreFactory) -> None:
    store = make_store(store_unanswered=True, salt=SALT)
    await store.start()
    for n in range(3):
        store.message_handled(message(f"question {n}"), UNANSWERED)
    await store.flush(5)
    newest, _, oldest = await store.unanswered()
    assert await store.delete_unanswered([newest.id, oldest.id]) == 2
    assert [q.text for q in await store.unanswered(limit=5)] == ["question 1"]


# --- the queue ------------------------------------------------------------------------------


async def test_a_full_queue_drops_and_counts_instead_of_blocking(make_store: StoreFactory) -> None:
    store = make_store(queue_size=2)
    started = time.perf_counter()
    for _ in range(5):  # not started: nothing drains the queue
        store.message_handled(message(), answered())
    assert time.perf_counter() - started < 0.05
    assert store.dropped == 3
    await store.start()
    assert await store.flush(5)
    assert (await store.activity(START - timedelta(days=3650))).questions == 2


async def test_stop_writes_what_is_queued(make_store: StoreFactory) -> None:
    store = make_store()
    await store.start()
    for _ in range(50):
        store.message_handled(message(), answered())
    await store.stop()  # no flush first
    store.message_handled(message(), answered())  # after stop: dropped, counted
    assert store.dropped == 1
    reopened = make_store()
    await reopened.start()
    assert (await reopened.activity(START - timedelta(days=3650))).questions == 50


def test_database_url_from_settings(tmp_path: Path) -> None:
    sqlite = async_database_url(Settings(data_dir=tmp_path))
    assert sqlite.drivername == "sqlite+aiosqlite" and sqlite.database == str(tmp_path / "bot.sqlite3")
    pg = async_database_url(Settings(database_url="postgres://u:p@db:5432/bot"))
    assert pg.drivername == "postgresql+asyncpg" and pg.host == "db" and pg.database == "bot"
    assert async_database_url(Settings(database_url="sqlite:///x.db")).drivername == "sqlite+aiosqlite"


async def test_an_unreachable_database_is_one_clear_error() -> None:
    store = Store("postgresql+asyncpg://bot:secret-pw@127.0.0.1:1/none", cleanup_interval=None)
    with pytest.raises(StoreError) as info:
        await store.start()
    assert str(info.value).startswith(
        "cannot open the database postgresql+asyncpg://bot:***@127.0.0.1:1/none"
    )
    assert "secret-pw" not in str(info.value)


# --- update claims: replicas answer a redelivered update once ---------------------------------


async def test_each_update_is_claimed_once_across_replicas(make_store: StoreFactory) -> None:
    replicas = [make_store() for _ in range(3)]
    await asyncio.gather(*(s.start() for s in replicas))
    attempts = [
        replica.claim_update("telegram", update_id) for update_id in range(40) for replica in replicas
    ]
    won = await asyncio.gather(*attempts)
    assert sum(won) == 40  # every update exactly once, whoever got there first
    assert await replicas[0].claim_update("discord", 1)  # ids are per platform


async def test_old_claims_are_cleaned_up(make_store: StoreFactory) -> None:
    clock = Clock(START - timedelta(days=3))
    store = make_store(clock=clock)
    await store.start()
    assert await store.claim_update("telegram", 7)
    clock.now = START
    assert await store.claim_update("telegram", 8)
    assert (await store.purge_expired(now=START)).claims == 1
    assert await store.claim_update("telegram", 7) and not await store.claim_update("telegram", 8)


async def test_a_deleted_sqlite_file_is_reported_and_started_again(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "bot.sqlite3"
    async with Store(f"sqlite+aiosqlite:///{path}", cleanup_interval=None) as store:
        store.message_handled(message(), answered())
        assert await store.flush(5)
        path.unlink()  # an admin's clean-up, a disk swap...
        store.message_handled(message(), answered())
        assert await store.flush(5)
        assert path.exists() and store.dropped == 0
        assert (await store.activity(utc_now() - timedelta(hours=1))).questions == 1  # the new one
    assert any("vanished" in r.getMessage() and r.levelno == logging.WARNING for r in caplog.records)
