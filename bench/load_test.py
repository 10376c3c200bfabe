"""Scale, measured: several bot processes in Telegram webhook mode sharing one PostgreSQL.

For each process count asked for (default: 1, then 2) the script
  1. creates a fresh PostgreSQL database (dropped at the end),
  2. starts a Telegram Bot API stand-in on 127.0.0.1 that records every reply,
  3. starts the bot processes (bench/load_bot.py: serve_platforms as `python -m bot run` runs
     it, rate limiter off), each with its own webhook port on 127.0.0.1, all sharing the
     database and the webhook secret, and waits until each one's /healthz says ready,
  4. POSTs the updates to the processes in turn, at most --window waiting at once:
     direct questions (each must get its reply), unaddressed group chatter (must stay
     unanswered), red-flag reports in groups (must get the urgent reply), then 👍/👎 presses
     on the replies (each must be acknowledged and counted); and it delivers --duplicates
     of them a second time to another process, at the same moment or after the reply, as
     Telegram does when it retries a delivery,
  5. stops the processes with SIGTERM and checks: every reply arrived exactly once, no
     chatter was answered, every press was acknowledged once, and the database holds
     exactly one reply row per reply, the exact feedback counts and one claim per update.

It prints updates per second and the latency from POST to reply (p50, p99) for each
process count, and exits 1 if anything was lost or duplicated. Everything runs on this
machine's loopback; the stand-in and the driver share one process, and every process
shares this machine's cores, so the figures say how the bot scales here, not on a cluster.

    .venv/bin/python bench/load_test.py [--processes 1,2] [--updates 3000] [--window 16]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import socket
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the stand-in lives in tests/, which is not an installed package
os.environ.setdefault("PTB_TIMEDELTA", "1")

import aiohttp  # noqa: E402
import asyncpg  # noqa: E402
from aiohttp import web  # noqa: E402

from bot.adapters.telegram_rendering import render_reply  # noqa: E402
from bot.core.content import load_library  # noqa: E402
from bot.core.engine import Engine  # noqa: E402
from bot.core.types import IncomingMessage  # noqa: E402
from bot.ops.health import probe  # noqa: E402
from bot.ops.settings import ENVIRONMENT_PREFIXES  # noqa: E402
from tests.telegram_standin import TOKEN, Sent, TelegramStandIn, group_chat, member, private_chat  # noqa: E402

QUESTIONS = (
    "why does my lower back hurt after long runs?",
    "should I keep running with back pain?",
    "how do I prevent back pain when running?",
    "ice or heat for a sore back?",
    "my back hurts on downhill runs",
    "what stretches help my lower back?",
)
CHATTER = ("anyone up for a run on saturday?", "great session tonight everyone", "who is doing the 10k?")
RED_FLAGS = ("my legs keep giving way", "cant pee properly and my back is killing me")
SECRET = "load-test-webhook-secret"
DEFAULT_ADMIN_URL = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
FIRST_CHAT = 500_000
WAIT_FOR_EFFECT = 60.0  # seconds one update may take before it counts as lost
QUIET = 1.0  # seconds to wait at the end for replies that should not come
START_TIMEOUT = 60.0


# --- the plan: what the driver sends and what must come of it --------------------------------


@dataclass
class Planned:
    """One update and its expected effect: `parts` messages in `chat_id`, or an acknowledged press."""

    update_id: int
    body: dict[str, Any]
    chat_id: int
    parts: int  # messages expected in chat_id; 0 for chatter that must stay unanswered
    query_id: str = ""  # a button press: answerCallbackQuery expected once
    duplicate: str = ""  # "together", "later" or ""
    latency: float | None = None


@dataclass
class Expected:
    """What the database must hold once the processes have stopped."""

    replies: int = 0
    feedback: Counter[tuple[str, bool]] = field(default_factory=Counter)


def reply_parts(engine: Engine, text: str, chat: int, *, addressed: bool) -> int:
    """How many messages the bot sends for `text` (0 when it stays quiet)."""
    reply = engine.handle(IncomingMessage(text, str(chat), addressed=addressed, platform="telegram"))
    return 0 if reply is None else len(render_reply(reply))


def plan_messages(api: TelegramStandIn, engine: Engine, count: int, duplicate_every: int) -> list[Planned]:
    """Questions in direct messages (60 %), group chatter (30 %) and group red flags (10 %)."""
    plans = []
    for i in range(count):
        chat_id = FIRST_CHAT + i
        kind = i % 10
        if kind < 6:
            text, chat, addressed = QUESTIONS[i % len(QUESTIONS)], private_chat(chat_id), True
        else:
            chat_id = -chat_id  # group ids are negative
            pool = RED_FLAGS if kind == 9 else CHATTER
            text, chat, addressed = pool[i % len(pool)], group_chat(chat_id), False
        message = api.message(chat, text, sender=member(abs(chat_id)))
        update_id = i + 1
        plans.append(
            Planned(
                update_id,
                {"update_id": update_id, "message": message},
                chat_id,
                reply_parts(engine, text, chat_id, addressed=addressed),
                duplicate=_duplicate_kind(i, duplicate_every),
            )
        )
    return plans


def plan_presses(sent: list[Sent], count: int, first_id: int, duplicate_every: int) -> Iterator[Planned]:
    """👍 (two in three) and 👎 presses on the direct replies that carry feedback buttons."""
    targets = [(s, intent) for s in sent if s.chat_id > 0 and (intent := _feedback_intent(s))]
    for i in range(count if targets else 0):
        message, intent = targets[i % len(targets)]
        data = f"fb:{intent}:{1 if i % 3 else 0}"
        query_id = f"press-{first_id + i}"
        query = {
            "id": query_id,
            "from": member(message.chat_id),
            "chat_instance": "load",
            "message": message.message,
            "data": data,
        }
        update_id = first_id + i
        yield Planned(
            update_id,
            {"update_id": update_id, "callback_query": query},
            message.chat_id,
            0,
            query_id=query_id,
            duplicate=_duplicate_kind(i, duplicate_every),
        )


def _feedback_intent(sent: Sent) -> str:
    """The intent a reply's 👍/👎 buttons are for ("" when it has none)."""
    return next((data.split(":")[1] for _, data in sent.buttons if data.startswith("fb:")), "")


def _duplicate_kind(i: int, every: int) -> str:
    if not every or i % every:
        return ""
    return "together" if (i // every) % 2 == 0 else "later"


# --- the stand-in, waking the driver when an effect arrives ----------------------------------


class RecordingStandIn(TelegramStandIn):
    """The Bot API stand-in that also tells the driver when a reply or a press answer arrives."""

    def __init__(self) -> None:
        super().__init__(max_hold=0.2)
        self.replies: defaultdict[int, list[float]] = defaultdict(list)
        self.answers: defaultdict[str, list[float]] = defaultdict(list)
        self._waiting: dict[tuple[str, Any], tuple[int, asyncio.Event]] = {}

    def expect(self, kind: str, key: Any, count: int) -> asyncio.Event:
        event = asyncio.Event()
        self._waiting[(kind, key)] = (count, event)
        self._wake(kind, key)
        return event

    async def _api_sendMessage(self, params: dict[str, Any]) -> web.Response:
        response = await super()._api_sendMessage(params)
        if response.status == 200:
            chat = int(params["chat_id"])
            self.replies[chat].append(time.perf_counter())
            self._wake("chat", chat)
        return response

    async def _api_answerCallbackQuery(self, params: dict[str, Any]) -> web.Response:
        query_id = str(params.get("callback_query_id"))
        self.answers[query_id].append(time.perf_counter())
        self._wake("query", query_id)
        return await super()._api_answerCallbackQuery(params)

    def _wake(self, kind: str, key: Any) -> None:
        waiting = self._waiting.get((kind, key))
        arrived = len(self.replies[key]) if kind == "chat" else len(self.answers[key])
        if waiting and arrived >= waiting[0]:
            waiting[1].set()


# --- the bot processes ------------------------------------------------------------------------


@dataclass
class BotProcess:
    process: asyncio.subprocess.Process
    webhook: str
    health_port: int
    log: Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def bot_environment(
    api: TelegramStandIn, database_url: str, webhook_port: int, health_port: int
) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(ENVIRONMENT_PREFIXES)},
        "PLATFORMS": "telegram",
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_BASE_URL": api.base_url,
        "TELEGRAM_WEBHOOK_URL": f"http://127.0.0.1:{webhook_port}/telegram",
        "TELEGRAM_WEBHOOK_PORT": str(webhook_port),
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "TELEGRAM_WEBHOOK_LISTEN": "127.0.0.1",
        "HEALTH_PORT": str(health_port),
        "HEALTH_HOST": "127.0.0.1",
        "DATABASE_URL": database_url,
        "CONTENT_DIR": str(ROOT / "content"),
        "WATCH_CONTENT": "false",
        "LOG_LEVEL": "WARNING",
    }


@contextlib.asynccontextmanager
async def bot_processes(
    count: int, api: TelegramStandIn, database_url: str, workdir: Path, production_limiter: bool
) -> AsyncIterator[list[BotProcess]]:
    """Start `count` bot processes and wait until each is ready; SIGTERM them afterwards."""
    command = ["-m", "bot", "run"] if production_limiter else [str(ROOT / "bench" / "load_bot.py")]
    bots: list[BotProcess] = []
    try:
        for index in range(count):
            webhook_port, health_port = free_port(), free_port()
            log = workdir / f"bot-{index}.log"
            with log.open("wb") as sink:  # the child keeps its own copy of the descriptor
                process = await asyncio.create_subprocess_exec(
                    sys.executable,
                    *command,
                    cwd=workdir,  # no .env from the repository
                    env=bot_environment(api, database_url, webhook_port, health_port),
                    stdin=asyncio.subprocess.DEVNULL,
                    stdout=sink,
                    stderr=sink,
                )
            bots.append(BotProcess(process, f"http://127.0.0.1:{webhook_port}/telegram", health_port, log))
        await asyncio.gather(*(wait_ready(bot) for bot in bots))
        yield bots
    finally:
        await stop_all(bots)


async def wait_ready(bot: BotProcess) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if bot.process.returncode is not None:
            raise RuntimeError(f"a bot process exited during start-up:\n{tail(bot.log)}")
        if (await asyncio.to_thread(probe, "127.0.0.1", bot.health_port, 1.0))[0]:
            return
        await asyncio.sleep(0.1)
    raise TimeoutError(f"a bot process was not ready within {START_TIMEOUT:.0f} s:\n{tail(bot.log)}")


async def stop_all(bots: list[BotProcess]) -> list[int | None]:
    """SIGTERM every process (they finish replies in flight and flush the store), then wait."""
    for bot in bots:
        if bot.process.returncode is None:
            bot.process.send_signal(signal.SIGTERM)
    codes: list[int | None] = []
    for bot in bots:
        try:
            codes.append(await asyncio.wait_for(bot.process.wait(), 30))
        except TimeoutError:
            bot.process.kill()
            codes.append(await bot.process.wait())
    return codes


def tail(log: Path, lines: int = 15) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:]) if log.exists() else "(no log)"


# --- the database -----------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def fresh_database(admin_url: str) -> AsyncIterator[str]:
    """A new, empty database on the server of `admin_url`; dropped afterwards."""
    name = f"backpain_load_{uuid.uuid4().hex[:10]}"
    admin_url = admin_url.replace("postgresql+asyncpg://", "postgresql://", 1)  # asyncpg's own form
    admin = await asyncpg.connect(admin_url, timeout=10)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield admin_url.rsplit("/", 1)[0] + f"/{name}"
        finally:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


async def database_counts(url: str) -> tuple[int, Counter[tuple[str, bool]], int]:
    """(reply rows, feedback per (intent, helpful), update claims) as the processes left them."""
    conn = await asyncpg.connect(url, timeout=10)
    try:
        replies = await conn.fetchval("SELECT count(*) FROM replies")
        rows = await conn.fetch("SELECT intent_id, helpful, count(*) AS n FROM feedback GROUP BY 1, 2")
        claims = await conn.fetchval("SELECT count(*) FROM update_claims")
    finally:
        await conn.close()
    return int(replies), Counter({(r["intent_id"], r["helpful"]): int(r["n"]) for r in rows}), int(claims)


# --- driving ----------------------------------------------------------------------------------


@dataclass
class Driver:
    api: RecordingStandIn
    session: aiohttp.ClientSession
    bots: list[BotProcess]
    window: asyncio.Semaphore
    duplicates_sent: int = 0

    async def deliver_all(self, plans: list[Planned]) -> None:
        await asyncio.gather(*(self.deliver(index, plan) for index, plan in enumerate(plans)))

    async def deliver(self, index: int, plan: Planned) -> None:
        """POST one update (and its duplicate) and wait for its effect; note the latency."""
        first, other = self.bots[index % len(self.bots)], self.bots[(index + 1) % len(self.bots)]
        async with self.window:
            effect = self._effect(plan)
            started = time.perf_counter()
            if plan.duplicate == "together":
                await asyncio.gather(self.post(first, plan), self.post(other, plan))
                self.duplicates_sent += 1
            else:
                await self.post(first, plan)
            if effect is not None:
                with contextlib.suppress(TimeoutError):  # a lost update shows in the checks
                    await asyncio.wait_for(effect.wait(), WAIT_FOR_EFFECT)
                    arrivals = (
                        self.api.answers[plan.query_id] if plan.query_id else self.api.replies[plan.chat_id]
                    )
                    plan.latency = arrivals[0] - started
            if plan.duplicate == "later":
                await self.post(other, plan)
                self.duplicates_sent += 1

    def _effect(self, plan: Planned) -> asyncio.Event | None:
        if plan.query_id:
            return self.api.expect("query", plan.query_id, 1)
        return self.api.expect("chat", plan.chat_id, plan.parts) if plan.parts else None

    async def post(self, bot: BotProcess, plan: Planned) -> None:
        headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
        async with self.session.post(bot.webhook, json=plan.body, headers=headers) as response:
            if response.status != 200:
                raise RuntimeError(f"the webhook answered {response.status} for update {plan.update_id}")


@dataclass
class RunResult:
    processes: int
    updates: int
    duplicates: int
    seconds: float
    latencies: list[float]
    problems: list[str]

    @property
    def per_second(self) -> float:
        return self.updates / self.seconds

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * share))] * 1000 if ordered else float("nan")


async def run_once(
    processes: int, updates: int, window: int, duplicate_every: int, admin_url: str, production_limiter: bool
) -> RunResult:
    """One measured run with `processes` bot processes; returns its figures and problems."""
    engine = Engine(load_library(ROOT / "content"))
    press_count = updates // 5
    api = RecordingStandIn()
    with tempfile.TemporaryDirectory(prefix="backpain-load-") as workdir:
        async with (
            fresh_database(admin_url) as database_url,
            api,
            bot_processes(processes, api, database_url, Path(workdir), production_limiter) as bots,
            aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=window * 2)) as session,
        ):
            driver = Driver(api, session, bots, asyncio.Semaphore(window))
            messages = plan_messages(api, engine, updates - press_count, duplicate_every)
            started = time.perf_counter()
            await driver.deliver_all(messages)
            presses = list(plan_presses(api.sent, press_count, len(messages) + 1, duplicate_every))
            await driver.deliver_all(presses)
            elapsed = time.perf_counter() - started
            await asyncio.sleep(QUIET)  # replies to duplicates would arrive now
            codes = await stop_all(bots)
            counts = await database_counts(database_url)
    plans = messages + presses
    problems = check(api, messages, presses, counts, expected_database(messages, presses))
    problems += [f"bot process {i} exited with {code}" for i, code in enumerate(codes) if code != 0]
    latencies = [p.latency for p in plans if p.latency is not None]
    return RunResult(processes, len(plans), driver.duplicates_sent, elapsed, latencies, problems)


def expected_database(messages: list[Planned], presses: list[Planned]) -> Expected:
    expected = Expected(replies=sum(1 for m in messages if m.parts))
    for press in presses:
        _, intent, helpful = press.body["callback_query"]["data"].split(":")
        expected.feedback[(intent, helpful == "1")] += 1
    return expected


def check(
    api: RecordingStandIn,
    messages: list[Planned],
    presses: list[Planned],
    counts: tuple[int, Counter[tuple[str, bool]], int],
    expected: Expected,
) -> list[str]:
    """Every way the run could have lost or duplicated something, one line each."""
    problems = []
    lost = [m.update_id for m in messages if len(api.replies[m.chat_id]) < m.parts]
    doubled = [m.update_id for m in messages if len(api.replies[m.chat_id]) > m.parts]
    unacknowledged = [p.update_id for p in presses if not api.answers[p.query_id]]
    acknowledged_twice = [p.update_id for p in presses if len(api.answers[p.query_id]) > 1]
    for label, ids in (
        ("updates never answered", lost),
        ("updates answered more than once (or chatter answered)", doubled),
        ("presses never acknowledged", unacknowledged),
        ("presses acknowledged more than once", acknowledged_twice),
    ):
        if ids:
            problems.append(f"{len(ids)} {label}: update ids {ids[:10]}")
    replies, feedback, claims = counts
    if replies != expected.replies:
        problems.append(f"database: {replies} reply rows, expected {expected.replies}")
    if feedback != expected.feedback:
        problems.append(f"database: feedback {dict(feedback)}, expected {dict(expected.feedback)}")
    if claims != len(messages) + len(presses):
        problems.append(f"database: {claims} update claims, expected {len(messages) + len(presses)}")
    return problems


def report(result: RunResult) -> str:
    verdict = (
        "every update answered exactly once, feedback counts exact" if not result.problems else "PROBLEMS"
    )
    return (
        f"{result.processes} process(es): {result.updates} updates (+{result.duplicates} delivered twice) "
        f"in {result.seconds:.1f} s = {result.per_second:.0f} updates/s; "
        f"latency p50 {result.percentile(0.5):.0f} ms, p99 {result.percentile(0.99):.0f} ms; {verdict}"
    )


async def main(arguments: argparse.Namespace) -> int:
    results = []
    for processes in arguments.processes:
        async with asyncio.timeout(arguments.timeout):
            result = await run_once(
                processes,
                arguments.updates,
                arguments.window,
                arguments.duplicate_every,
                arguments.admin_url,
                arguments.production_limiter,
            )
        print(report(result), flush=True)
        for problem in result.problems:
            print(f"  ✗ {problem}", flush=True)
        results.append(result)
    if len(results) > 1 and not any(r.problems for r in results):
        base = results[0].per_second
        print(
            "scaling: " + ", ".join(f"{r.processes} -> {r.per_second / base:.2f}x" for r in results),
            flush=True,
        )
    return 1 if any(r.problems for r in results) else 0


def _process_counts(raw: str) -> list[int]:
    counts = [int(part) for part in raw.split(",") if part.strip()]
    if not counts or min(counts) < 1 or max(counts) > 8:
        raise argparse.ArgumentTypeError("give 1 to 8 processes, e.g. 1,2")
    return counts


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--processes", type=_process_counts, default=[1, 2], help="process counts to run, e.g. 1,2,3"
    )
    parser.add_argument(
        "--updates", type=int, default=3000, help="updates per run (a fifth are button presses)"
    )
    parser.add_argument("--window", type=int, default=16, help="updates waiting for their effect at once")
    parser.add_argument(
        "--duplicate-every", type=int, default=20, help="deliver every n-th update twice (0: never)"
    )
    parser.add_argument(
        "--admin-url", default=DEFAULT_ADMIN_URL, help="a PostgreSQL database to create the run's in"
    )
    parser.add_argument(
        "--production-limiter", action="store_true", help="run `python -m bot run` as is (30 msg/s)"
    )
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds one run may take at most")
    raise SystemExit(asyncio.run(main(parser.parse_args())))
