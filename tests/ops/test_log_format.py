"""Structured logs: JSON off a terminal, text on one; secrets never appear in either."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from bot.ops.log_format import configure_logging, secrets_of, wants_json
from bot.ops.scrubbing import HIDDEN, Scrubber
from bot.ops.settings import Settings

TOKEN = "123456:TEST-secret-token-value"
SETTINGS = Settings(
    telegram_bot_token=TOKEN,
    discord_bot_token="discord.secret.token",
    telegram_webhook_secret="webhook-secret-42",
    database_url="postgresql://bot:db-password-9@db:5432/bot",
    log_format="json",
)


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_json_lines_carry_time_level_logger_message_and_extras(restore_logging: None) -> None:
    stream = io.StringIO()
    configure_logging(SETTINGS, stream)
    logging.getLogger("bot.test").info("reply sent in %d ms", 12, extra={"platform": "telegram"})
    entry = json.loads(stream.getvalue())
    assert entry["level"] == "INFO" and entry["logger"] == "bot.test"
    assert entry["message"] == "reply sent in 12 ms" and entry["platform"] == "telegram"
    assert entry["time"].endswith("+00:00")


def test_secrets_are_hidden_in_messages_tracebacks_and_extras(restore_logging: None) -> None:
    stream = io.StringIO()
    configure_logging(SETTINGS, stream)
    log = logging.getLogger("bot.test")
    try:
        raise RuntimeError(f"POST https://api.telegram.org/bot{TOKEN}/sendMessage failed")
    except RuntimeError:
        log.exception("send failed for %s", TOKEN.replace(":", "%3A"), extra={"url": f"/bot{TOKEN}/getMe"})
    log.warning("db postgresql://bot:db-password-9@db/bot; secret webhook-secret-42; discord.secret.token")
    output = stream.getvalue()
    for secret in (TOKEN, "TEST-secret-token-value", "db-password-9", "webhook-secret-42", "discord.secret"):
        assert secret not in output
    assert output.count(HIDDEN) >= 6
    assert all(json.loads(line) for line in output.splitlines())


def test_text_on_a_terminal_json_elsewhere(restore_logging: None) -> None:
    terminal = Terminal()
    configure_logging(Settings(telegram_bot_token=TOKEN), terminal)
    logging.getLogger("bot.test").warning("token %s", TOKEN)
    assert " WARNING bot.test: token [hidden]" in terminal.getvalue()
    assert wants_json("auto", io.StringIO()) and not wants_json("auto", Terminal())
    assert wants_json("json", Terminal()) and not wants_json("text", io.StringIO())


def test_short_values_are_not_treated_as_secrets() -> None:
    assert (
        Scrubber(["pw", "longer-secret"])("pw is fine, longer-secret is not") == "pw is fine, [hidden] is not"
    )
    assert secrets_of(Settings()) == []
