"""How the bot's logs look: one JSON object per line for log collectors, plain text on a terminal.

`LOG_FORMAT=auto` (the default) writes JSON when standard error is not a terminal (a
container, systemd's journal, a log file) and readable text when it is. Each JSON line has
`time` (UTC, ISO 8601), `level`, `logger`, `message`, `exception` when there is one, and
whatever the call passed in `extra=`.

What never appears: message text (the adapters log it only with LOG_MESSAGE_TEXT=true) and
secrets. The formatters replace every secret they are given (the platform tokens, the
webhook secret, the database password, the user-id salt) with `[hidden]` in the message
and the traceback, as a last line of defence behind the adapters' own care: a library's
error text can quote a request URL, and a Telegram request URL contains the token.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

from sqlalchemy.engine import make_url

from bot.ops.scrubbing import Scrubber
from bot.ops.settings import Settings

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Attributes every LogRecord has; anything else on a record came from `extra=`.
_STANDARD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "taskName",
}


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, exception and extras."""

    def __init__(self, scrub: Scrubber) -> None:
        super().__init__()
        self._scrub = scrub

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": self._scrub(record.getMessage()),
        }
        if record.exc_info:
            entry["exception"] = self._scrub(self.formatException(record.exc_info))
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRIBUTES and key not in entry:
                entry[key] = (
                    value if isinstance(value, int | float | bool | None) else self._scrub(str(value))
                )
        return json.dumps(entry, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """The usual `time LEVEL logger: message` lines, with the secrets hidden."""

    def __init__(self, scrub: Scrubber) -> None:
        super().__init__(TEXT_FORMAT)
        self._scrub = scrub

    def format(self, record: logging.LogRecord) -> str:
        return self._scrub(super().format(record))


def secrets_of(settings: Settings) -> list[str]:
    """Every secret the settings hold: tokens, webhook secret, database password, salt."""
    password = make_url(settings.database_url).password if settings.database_url else None
    return [
        value
        for value in (
            settings.telegram_bot_token,
            settings.discord_bot_token,
            settings.telegram_webhook_secret,
            settings.user_id_salt,
            str(password) if password else "",
        )
        if value
    ]


def wants_json(log_format: str, stream: TextIO) -> bool:
    """JSON when asked for, or with `auto` when the stream is not a terminal."""
    if log_format != "auto":
        return log_format == "json"
    isatty = getattr(stream, "isatty", None)
    return not (isatty and isatty())


def configure_logging(settings: Settings, stream: TextIO | None = None) -> logging.Handler:
    """Send every log record to `stream` (standard error) in the configured format."""
    stream = stream or sys.stderr
    scrub = Scrubber(secrets_of(settings))
    handler = logging.StreamHandler(stream)
    handler.setFormatter(
        JsonFormatter(scrub) if wants_json(settings.log_format, stream) else TextFormatter(scrub)
    )
    logging.basicConfig(level=settings.log_level, handlers=[handler], force=True)
    return handler
