"""`python -m bot doctor`: one line per check, what to fix, exit 1 on a problem, no secrets shown."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli.doctor import mask, run_doctor
from bot.ops.settings import Settings
from tests.helpers import CONTENT, shipped_library
from tests.postgres import postgres_reachable

TELEGRAM = "1234567890:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1"
DISCORD = "MTEyMzQ1Njc4OTAxMjM0NTY3OA.GAbcde.abcdefghijklmnopqrstuvwxyz0123"
PG_URL = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")


def doctor(env: dict[str, str]) -> tuple[int, list[str]]:
    out = io.StringIO()
    status = run_doctor(env, out, database_timeout=2.0)
    return status, out.getvalue().splitlines()


def test_a_good_setup_passes_with_masked_tokens(tmp_path: Path) -> None:
    env = {
        "TELEGRAM_BOT_TOKEN": TELEGRAM,
        "TELEGRAM_WEBHOOK_URL": "https://bot.example.org/telegram",
        "TELEGRAM_WEBHOOK_SECRET": "a-webhook-secret",
        "DISCORD_BOT_TOKEN": DISCORD,
        "DISCORD_SHARD_IDS": "0-1",
        "DISCORD_SHARD_COUNT": "4",
        "HEALTH_PORT": "8080",
        "CONTENT_DIR": str(CONTENT),
        "DATA_DIR": str(tmp_path / "data"),
    }
    status, lines = doctor(env)
    assert status == 0 and lines[-1] == "Everything checked is in order."
    assert all(line.startswith("✓") for line in lines[:-2]), lines
    assert any("TELEGRAM_BOT_TOKEN 1234… (46 characters) is shaped like" in line for line in lines)
    assert any("token of bot 1123456789012345678" in line for line in lines)
    assert any(line.startswith("✓ Discord: shards 0, 1 of 4") for line in lines)
    intents = len(shipped_library().intents)
    assert any(line.startswith(f"✓ content: {intents} intents") for line in lines)
    assert any("is created at first start" in line for line in lines)
    assert not (tmp_path / "data").exists()  # the doctor looks, it does not create
    text = "\n".join(lines)
    assert TELEGRAM not in text and DISCORD not in text and "a-webhook-secret" not in text


def test_every_problem_is_one_line_saying_what_to_fix(tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(CONTENT, content)
    relief = content / "intents" / "relief.yaml"
    relief.write_text(relief.read_text(encoding="utf-8").replace("topic: relief", "topic: reliefs", 1))
    env = {
        "ADMIN_IDS": "telegram:abc",
        "TELEGRAM_BOT_TOKEN": TELEGRAM,
        "TELEGRAM_WEBHOOK_URL": "http://bot.example.org/telegram",
        "DISCORD_BOT_TOKEN": "not.a-discord.token-at-all",
        "DATABASE_URL": "postgresql://bot:db-secret-pw@127.0.0.1:1/bot",
        "CONTENT_DIR": str(content),
    }
    status, lines = doctor(env)
    failed = [line for line in lines if line.startswith("✗")]
    assert status == 1 and lines[-1] == f"{len(failed)} problem(s) to fix."
    expected_starts = [
        "✗ configuration: ADMIN_IDS: 'telegram:abc' is not platform:user-id",
        "✗ configuration: DISCORD_BOT_TOKEN not.… (26 characters): not shaped like a Discord bot token",
        "✗ Telegram: webhook http://bot.example.org/telegram -> port 8443: Telegram only calls https://",
        f"✗ content: {relief}:",
        "✗ content: fix the files above, then run: python -m bot validate",
        "✗ database: cannot reach postgresql://bot:***@127.0.0.1:1/bot:",
    ]
    for start in expected_starts:
        assert any(line.startswith(start) for line in failed), (start, failed)
    assert any(line.startswith("! TELEGRAM_WEBHOOK_SECRET is empty") for line in lines)
    text = "\n".join(lines)
    for secret in (TELEGRAM, "db-secret-pw", "a-discord.token"):
        assert secret not in text


@pytest.mark.parametrize(
    ("name", "token", "says"),
    [
        ("TELEGRAM_BOT_TOKEN", "123456789:short", "not shaped like a BotFather token"),
        ("TELEGRAM_BOT_TOKEN", "garbage", "not shaped like a BotFather token"),
        ("DISCORD_BOT_TOKEN", "fake.token.value", "three parts joined by dots, the first at least 16"),
    ],
)
def test_a_misshapen_token_is_one_configuration_problem_as_run_says(
    tmp_path: Path, name: str, token: str, says: str
) -> None:
    env = {name: token, "DATA_DIR": str(tmp_path), "CONTENT_DIR": str(CONTENT)}
    status, lines = doctor(env)
    assert status == 1
    problems = [line for line in lines if line.startswith("✗")]
    assert len(problems) == 1 and problems[0].startswith(f"✗ configuration: {name} ") and says in problems[0]
    assert not any("no TELEGRAM_BOT_TOKEN or DISCORD_BOT_TOKEN" in line for line in lines)
    assert token not in "\n".join(lines)
    _, run_problems = Settings.parse(env)  # `run` refuses it with the same line
    assert [f"✗ configuration: {problem}" for problem in run_problems] == problems


def test_an_unwritable_data_dir_is_reported(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    status, lines = doctor({"CONTENT_DIR": str(CONTENT), "DATA_DIR": str(blocker / "data")})
    assert status == 1 and any(line.startswith("✗ database: cannot create") for line in lines)


@pytest.mark.skipif(not postgres_reachable(), reason="PostgreSQL is not reachable on 127.0.0.1:5432")
def test_a_reachable_postgresql_passes() -> None:
    status, lines = doctor({"DATABASE_URL": PG_URL, "CONTENT_DIR": str(CONTENT)})
    assert status == 0 and any(line.startswith("✓ database: postgresql://") for line in lines)


def test_mask_shows_only_a_few_characters() -> None:
    assert mask(TELEGRAM) == "1234… (46 characters)"
    assert mask("12:x") == "1… (4 characters)"  # a short secret shows even less


def test_the_cli_runs_the_doctor(tmp_path: Path) -> None:
    clean = {k: v for k, v in os.environ.items() if not k.endswith("_TOKEN")}
    env = {**clean, "TELEGRAM_BOT_TOKEN": "12:x", "DATA_DIR": str(tmp_path), "CONTENT_DIR": str(CONTENT)}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "doctor"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=60,
    )
    assert result.returncode == 1, result.stderr
    assert "✗ configuration: TELEGRAM_BOT_TOKEN 1… (4 characters): not shaped like" in result.stdout


def test_a_near_miss_variable_name_is_pointed_out(tmp_path: Path) -> None:
    _, out = doctor(
        {"TELEGRAM_TOKEN": "123456789:" + "a" * 35, "EMERGENCY_NUMBR": "112", "DATA_DIR": str(tmp_path)}
    )
    text = "\n".join(out)
    assert (
        "TELEGRAM_TOKEN is not a setting the bot reads, so it is ignored: did you mean TELEGRAM_BOT_TOKEN?"
        in text
    )
    assert (
        "EMERGENCY_NUMBR is not a setting the bot reads, so it is ignored: did you mean EMERGENCY_NUMBER?"
        in text
    )
    assert "123456789" not in text  # a value is never printed
