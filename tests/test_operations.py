"""Operating the bot as a process: the image's entry point and health check, SIGTERM, logs.

Each test starts `python -m bot run` in a subprocess, as the container, systemd or a
terminal does, against the Telegram Bot API stand-in on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from bot.admin.store import Store
from bot.admin.store_schema import utc_now
from bot.ops.health import probe
from bot.ops.settings import ENVIRONMENT_PREFIXES
from tests.deploy_files import read_dockerfile
from tests.helpers import ROOT, free_port
from tests.telegram_standin import TOKEN, TelegramStandIn, member, private_chat

QUESTION = "why does my lower back hurt after long runs?"
SECRET = "webhook-secret-for-the-test"
START_TIMEOUT = 30.0


def clean_environment() -> dict[str, str]:
    """The test's environment without any of the bot's own settings."""
    return {k: v for k, v in os.environ.items() if not k.startswith(ENVIRONMENT_PREFIXES)}


async def wait_ready(port: int, process: asyncio.subprocess.Process) -> None:
    """Until /healthz says ready; fails early if the bot exits."""
    deadline = asyncio.get_running_loop().time() + START_TIMEOUT
    while asyncio.get_running_loop().time() < deadline:
        assert process.returncode is None, "the bot exited during start-up"
        ready, _ = await asyncio.to_thread(probe, "127.0.0.1", port, 1.0)
        if ready:
            return
        await asyncio.sleep(0.1)
    raise TimeoutError("the bot never became ready")


@dataclass
class BotProcess:
    """A running `python -m bot`; its standard error is read all along, so the pipe never fills."""

    process: asyncio.subprocess.Process
    reader: asyncio.Task[bytes]

    async def logs(self) -> str:
        """Everything the bot wrote to standard error (once it has exited)."""
        return (await asyncio.wait_for(self.reader, 10)).decode()


@asynccontextmanager
async def bot_process(command: list[str], env: dict[str, str], cwd: Path) -> AsyncIterator[BotProcess]:
    process = await asyncio.create_subprocess_exec(
        *command,
        cwd=cwd,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stderr is not None
    running = BotProcess(process, asyncio.create_task(process.stderr.read()))
    try:
        yield running
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        await asyncio.wait_for(running.reader, 10)


async def run_shell(*command: str, env: dict[str, str], cwd: Path) -> int:
    process = await asyncio.create_subprocess_exec(
        *command, env=env, cwd=cwd, stdout=asyncio.subprocess.DEVNULL
    )
    return await asyncio.wait_for(process.wait(), 20)


async def test_the_image_entry_point_and_health_check(tmp_path: Path) -> None:
    """What the container runs, with the image's settings: ready, scraped, stopped by SIGTERM."""
    image = read_dockerfile()
    health_port = free_port()
    async with TelegramStandIn() as api:
        env = {
            **clean_environment(),
            **{k: v for k, v in image.env.items() if k != "PATH"},
            # Where the image has /app/content and /app/data, this checkout and a temporary folder;
            # and loopback rather than every interface, since this is a developer's machine.
            "CONTENT_DIR": str(ROOT / "content"),
            "DATA_DIR": str(tmp_path / "data"),
            "HEALTH_HOST": "127.0.0.1",
            "HEALTH_PORT": str(health_port),
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_BASE_URL": api.base_url,
        }
        async with bot_process(image.command(), env, tmp_path) as bot:
            process = bot.process
            await wait_ready(health_port, process)
            assert await run_shell(*image.healthcheck_command(), env=env, cwd=tmp_path) == 0
            async with (
                aiohttp.ClientSession() as session,
                session.get(f"http://127.0.0.1:{health_port}/metrics") as response,
            ):
                assert 'backpain_bot_messages_total{platform="telegram"} 0.0' in await response.text()
            process.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(process.wait(), 20) == 0
        assert await run_shell(*image.healthcheck_command(), env=env, cwd=tmp_path) == 1


class SlowSends(TelegramStandIn):
    """The stand-in, taking `delay` seconds over each sendMessage: a reply stays in flight."""

    delay = 1.0

    async def _api_sendMessage(self, params: dict[str, Any]) -> web.Response:
        await asyncio.sleep(self.delay)
        return await super()._api_sendMessage(params)


async def test_sigterm_finishes_the_reply_in_flight_and_logs_json_without_secrets_or_text(
    tmp_path: Path,
) -> None:
    webhook_port, health_port = free_port(), free_port()
    async with SlowSends() as api:
        env = {
            **clean_environment(),
            "CONTENT_DIR": str(ROOT / "content"),
            "DATA_DIR": str(tmp_path),
            "WATCH_CONTENT": "false",
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_BASE_URL": api.base_url,
            "TELEGRAM_WEBHOOK_URL": f"http://127.0.0.1:{webhook_port}/telegram",
            "TELEGRAM_WEBHOOK_PORT": str(webhook_port),
            "TELEGRAM_WEBHOOK_SECRET": SECRET,
            "TELEGRAM_WEBHOOK_LISTEN": "127.0.0.1",
            "HEALTH_PORT": str(health_port),
            "LOG_LEVEL": "DEBUG",  # the most the bot ever logs
        }
        command = [sys.executable, "-m", "bot", "run"]
        async with bot_process(command, env, tmp_path) as bot:
            process = bot.process
            await wait_ready(health_port, process)
            update = {
                "update_id": 1,
                "message": api.message(private_chat(4242), QUESTION, sender=member(4242)),
            }
            async with (
                aiohttp.ClientSession() as session,
                session.post(
                    f"http://127.0.0.1:{webhook_port}/telegram",
                    json=update,
                    headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
                ) as response,
            ):
                assert response.status == 200
            await api.wait_calls("sendMessage", timeout=10)  # the reply is on its way, not yet there
            assert api.sent == []
            process.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(process.wait(), 20) == 0
            logs = await bot.logs()
        assert [sent.chat_id for sent in api.sent] == [4242]  # finished, not dropped

    async with Store(f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}", cleanup_interval=None) as store:
        assert (await store.activity(utc_now() - timedelta(hours=1))).answered == 1  # flushed on the way out

    entries = [json.loads(line) for line in logs.splitlines()]  # every line is one JSON object
    assert {"time", "level", "logger", "message"} <= set(entries[0])
    messages = [entry["message"] for entry in entries]
    assert any("telegram adapter stopped" in message for message in messages), messages
    for secret in (TOKEN, TOKEN.split(":")[1], SECRET, QUESTION, "lower back hurt"):
        assert secret not in logs


async def test_an_unreachable_database_stops_start_up_with_one_clear_line(tmp_path: Path) -> None:
    env = {
        **clean_environment(),
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_BASE_URL": "http://127.0.0.1:9/bot",  # never reached: the database comes first
        "DATABASE_URL": f"postgresql://bot:db-password-1@127.0.0.1:{free_port()}/bot",
        "CONTENT_DIR": str(ROOT / "content"),
    }
    async with bot_process([sys.executable, "-m", "bot", "run"], env, tmp_path) as bot:
        assert await asyncio.wait_for(bot.process.wait(), 30) == 1
        logs = await bot.logs()
    errors = [json.loads(line) for line in logs.splitlines() if '"ERROR"' in line]
    assert len(errors) == 1, logs
    assert errors[0]["message"].startswith("cannot open the database postgresql+asyncpg://bot:***@127.0.0.1:")
    assert "check DATABASE_URL" in errors[0]["message"] and "db-password-1" not in logs


async def test_a_rejected_token_stops_start_up_with_one_masked_line_and_the_configuration_status(
    tmp_path: Path,
) -> None:
    wrong = "987654321:WRONG-token-that-logs-never-show-xx"  # shaped right, refused by Telegram
    async with TelegramStandIn() as api:
        env = {
            **clean_environment(),
            "TELEGRAM_BOT_TOKEN": wrong,
            "TELEGRAM_BASE_URL": api.base_url,
            "CONTENT_DIR": str(ROOT / "content"),
            "DATA_DIR": str(tmp_path),
            "LOG_LEVEL": "DEBUG",
        }
        async with bot_process([sys.executable, "-m", "bot", "run"], env, tmp_path) as bot:
            assert await asyncio.wait_for(bot.process.wait(), 30) == 2  # systemd does not restart on 2
            logs = await bot.logs()
    errors = [json.loads(line) for line in logs.splitlines() if '"ERROR"' in line]
    assert len(errors) == 1 and "Traceback" not in logs, logs
    assert errors[0]["message"].startswith("Telegram refused TELEGRAM_BOT_TOKEN 9876")
    assert wrong not in logs and wrong.split(":")[1] not in logs


async def test_no_network_at_start_is_retried_with_a_line_per_try(tmp_path: Path) -> None:
    env = {
        **clean_environment(),
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_BASE_URL": f"http://127.0.0.1:{free_port()}/bot",  # nothing listens there
        "CONTENT_DIR": str(ROOT / "content"),
        "DATA_DIR": str(tmp_path),
    }
    async with bot_process([sys.executable, "-m", "bot", "run"], env, tmp_path) as bot:
        await asyncio.sleep(5)  # tries after 0, 1 and 3 seconds
        assert bot.process.returncode is None, "it gave up instead of trying again"
        bot.process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(bot.process.wait(), 20) == 0
        logs = await bot.logs()
    warnings = [json.loads(line)["message"] for line in logs.splitlines() if '"WARNING"' in line]
    tries = [m for m in warnings if m.startswith("Telegram could not be reached")]
    assert len(tries) >= 2 and "(try 1); trying again in 1 s" in tries[0], warnings
    assert "Traceback" not in logs


async def test_a_data_dir_that_cannot_be_created_is_one_clear_line(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    env = {
        **clean_environment(),
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_BASE_URL": "http://127.0.0.1:9/bot",  # never reached: the store comes first
        "DATA_DIR": str(blocker / "data"),
        "CONTENT_DIR": str(ROOT / "content"),
    }
    async with bot_process([sys.executable, "-m", "bot", "run"], env, tmp_path) as bot:
        assert await asyncio.wait_for(bot.process.wait(), 30) == 1
        logs = await bot.logs()
    errors = [json.loads(line)["message"] for line in logs.splitlines() if '"ERROR"' in line]
    assert len(errors) == 1 and "Traceback" not in logs, logs
    assert errors[0].startswith(f"cannot create the folder {blocker / 'data'} for the database")
