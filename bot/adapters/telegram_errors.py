"""What the Telegram adapter logs when something fails, and what it keeps out of every log.

An exception while handling an update is logged by the update's kind, chat and code
location, without message text or token, and the bot keeps serving other updates; polling
retries network errors by itself. Error texts are scrubbed, because Telegram's errors can
quote the token or the message. Message text is logged only when LOG_MESSAGE_TEXT is on,
and the libraries' loggers are set so they never log it or the token.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Sequence

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.ops.scrubbing import Scrubber

log = logging.getLogger(__name__)


class TelegramErrors:
    """The application's error handler and the polling error callback."""

    def __init__(self, token: str) -> None:
        self._token = token

    def scrub(self, text: str, texts: Sequence[str] = ()) -> str:
        """`text` without the token and the given message texts (error texts can quote them)."""
        return Scrubber((self._token, *texts))(text)

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log a failed update by kind, chat and code location, never its text or the token."""
        error = context.error
        if error is None:
            return
        texts = _texts_of(update) if isinstance(update, Update) else ()
        log.error(
            "Telegram update %s failed: %s: %s (at %s)",
            _describe(update),
            type(error).__name__,
            self.scrub(str(error), texts),
            _where(error),
        )

    def on_polling_error(self, error: TelegramError) -> None:
        """getUpdates failed; the updater retries by itself with a growing pause."""
        log.warning("Polling Telegram failed, retrying: %s", self.scrub(str(error)))


def quiet_library_loggers(*, log_message_text: bool) -> None:
    """Keep the token and message text out of the libraries' logs.

    httpx logs every request URL at INFO, and a Bot API URL contains the token; PTB's debug
    logs carry the parameters of every call, message text included. The levels are set on
    the loggers themselves, so a root logger turned to DEBUG later cannot undo them, and
    are only ever raised.
    """
    quiet = [("httpx", logging.WARNING)]
    if not log_message_text:
        quiet.append(("telegram", logging.INFO))
    for name, level in quiet:
        logger = logging.getLogger(name)
        logger.setLevel(max(level, logger.getEffectiveLevel()))


def _texts_of(update: Update) -> tuple[str, ...]:
    message = update.effective_message
    if message is None:
        return ()
    return tuple(t for t in (message.text, message.caption) if t)


def _describe(update: object) -> str:
    """An update by id, kind and chat: enough to find it, nothing a member wrote."""
    if not isinstance(update, Update):
        return "(none)"
    kind = next((k for k in Update.ALL_TYPES if getattr(update, k, None) is not None), "unknown")
    chat = update.effective_chat
    where = f" in {chat.type} chat {chat.id}" if chat else ""
    return f"{update.update_id} ({kind}{where})"


def _where(error: BaseException) -> str:
    """The innermost three frames of the traceback, as file:line in function."""
    frames = traceback.extract_tb(error.__traceback__)[-3:]
    return " <- ".join(f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno} in {f.name}" for f in reversed(frames))
