"""The store when PostgreSQL goes away under load: nothing is lost unseen.

The real PostgreSQL at 127.0.0.1:5432 sits behind a small TCP proxy on 127.0.0.1 that the
test can take down (every connection cut, new ones refused) and bring back, as a restart
or a network fault would. Skipped, saying why, when no server answers there.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.admin import store_writer
from bot.admin.store import Store
from bot.admin.store_schema import utc_now
from bot.core.types import IncomingMessage, Reply
from bot.ops.health import Readiness
from tests.postgres import postgres_reachable

PG_URL = os.environ.get("TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
pytestmark = pytest.mark.skipif(not postgres_reachable(), reason="no PostgreSQL at 127.0.0.1:5432")


class Outage:
    """A TCP proxy in front of PostgreSQL that can be taken down and brought back."""

    def __init__(self) -> None:
        self.port = 0
        self._server: asyncio.Server | None = None
        self._pipes: set[asyncio.Task[None]] = set()

    async def up(self) -> None:
        self._server = await asyncio.start_server(self._connect, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def down(self) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()
        for pipe in list(self._pipes):
            pipe.cancel()
        await asyncio.gather(*self._pipes, return_exceptions=True)

    async def _connect(self, client_in: asyncio.StreamReader, client_out: asyncio.StreamWriter) -> None:
        server_in, server_out = await asyncio.open_connection("127.0.0.1", 5432)
        pipes = {
            asyncio.create_task(_pipe(client_in, server_out)),
            asyncio.create_task(_pipe(server_in, client_out)),
        }
        self._pipes |= pipes
        try:
            await asyncio.wait(pipes, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for pipe in pipes:
                pipe.cancel()
            self._pipes -= pipes
            for writer in (client_out, server_out):
                writer.close()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()


@pytest.fixture
async def schema() -> AsyncIterator[str]:
    name = f"test_outage_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(PG_URL)
    try:
        async with admin.begin() as conn:
            await conn.execute(text(f'CREATE SCHEMA "{name}"'))
        yield name
    finally:
        async with admin.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
        await admin.dispose()


async def test_a_database_away_for_seconds_under_load_loses_nothing_unseen(
    schema: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_writer, "RETRY_PAUSE", 0.2)  # the test's own clock: seconds, not minutes
    outage = Outage()
    await outage.up()
    url = PG_URL.replace("127.0.0.1:5432", f"127.0.0.1:{outage.port}")
    store = Store(url, schema=schema, cleanup_interval=None)
    readiness = Readiness()
    readiness.depends_on(lambda: store.reachable)
    readiness.mark_ready()
    await store.start()
    try:
        sent = 0
        for _ in range(40):  # steady traffic before
            store.message_handled(IncomingMessage("hi", "c"), Reply(answered=True, intent_id="x"))
            sent += 1
            await asyncio.sleep(0.01)
        await store.flush(5)
        await outage.down()
        went_not_ready = False
        for _ in range(120):  # about 3 s of traffic while the database is away
            store.message_handled(IncomingMessage("hi", "c"), Reply(answered=True, intent_id="x"))
            sent += 1
            await asyncio.sleep(0.025)
            went_not_ready = went_not_ready or not readiness.ready
        assert went_not_ready, "/healthz never said not ready while the database was away"
        await outage.up()
        assert await store.flush(30), "the queued records were never written"
        assert readiness.ready
        activity = await store.activity(utc_now() - timedelta(hours=1))
        assert activity.questions + store.dropped == sent  # every record written or counted
        assert activity.questions == sent  # and here, with room in the queue, none was lost
    finally:
        await store.stop()
        with contextlib.suppress(AssertionError):
            await outage.down()


async def test_text_a_database_refuses_is_cleaned_and_a_batch_is_never_lost_for_one_record(
    schema: str,
) -> None:
    store = Store(PG_URL, schema=schema, cleanup_interval=None, store_unanswered=True)
    await store.start()
    try:
        for question in ("nul\x00inside", "lone \ud800 surrogate", "an ordinary question"):
            store.message_handled(
                IncomingMessage(question, "c", platform="telegram", user_id="7"), Reply(answered=False)
            )
        assert await store.flush(10)
        assert store.dropped == 0
        assert (await store.activity(utc_now() - timedelta(hours=1))).questions == 3
    finally:
        await store.stop()
