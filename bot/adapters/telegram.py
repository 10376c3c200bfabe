"""The Telegram adapter: python-telegram-bot 22 around the core engine.

The core decides what to say; this module only decides whether a message was addressed to
the bot, hands its text to `Engine.handle`, and sends back whatever reply comes out.

How each kind of update is handled:

- Direct message with text: a question; always answered.
- Group or supergroup message: addressed when it mentions the bot (`@username`, compared
  case-insensitively, or a text mention of the bot's account), replies to one of the bot's
  messages, or is `/ask question` (also `/ask@botname`; `/ask` alone in reply to a message
  asks that message). Addressed messages are answered as a reply to the asker. Every other
  text goes to the core with `addressed=False`: it returns the urgent-care reply when the
  text describes a red flag (sent as a reply, without buttons) and None, silence, otherwise.
- Photo, video or document with a caption: the caption is the text, as above.
- Stickers, photos without a caption, voice notes, service messages: ignored (no text).
- Edited messages: never answered again (an edit is not a new question), but screened for
  red flags like unaddressed messages, because safety comes first: an edit that adds a red
  flag gets the urgent-care reply. An edit that only repeats the signs that message was
  already warned about gets nothing, so fixing a typo does not repeat the warning.
- Channel posts, and channel posts copied into a linked discussion group: ignored; nobody
  is asking. Polling and the webhook do not even request channel posts.
- Messages from other bots: ignored, so two bots never talk to each other. A member writing
  as the group (anonymous admin) or as their channel counts as a member.
- Commands: /start and /help (what the bot does, how to ask, examples), /ask, /topics,
  /sources (with trust levels), /urgent (the warning signs); registered with setMyCommands.
  Text after an informational command is screened for red flags too.
- Admin commands (bot/adapters/admin_commands.py): /reload, /stats and /unanswered, for the
  users ADMIN_IDS lists; anyone else gets a polite refusal and nothing more. /stats and
  /unanswered answer only in a direct message (in a group the admin is asked to send them
  there); /reload answers anywhere. An anonymous group admin has no user id to check, so
  is refused. They are not in the setMyCommands menu, so members never see them offered;
  the README documents them.
- Every message goes to the core with the sender's id (`user_id`) and a conversation per
  member: the chat in a direct message, "<chat id>:<sender id>" in a group, so that two
  members' follow-ups ("why?") never borrow each other's last question.
- Answers in a group are group-sized (core `group_form`: one-line lead, the best quote, its
  source) under one row of buttons: More, Sources, 👍, 👎. In a direct message the whole
  answer is sent.
- Button presses (More, Sources, 👍, 👎, follow-ups): bot/adapters/telegram_buttons.py.

This module builds the application, wires the handlers and runs it. Beside it:
telegram_messages.py (messages to the core and replies back), telegram_commands.py (the
commands), telegram_buttons.py, telegram_sending.py (sending, retries, and rate limits that
never delay a red-flag reply) and telegram_errors.py (what failures log, and what no log
holds). Updates are handled concurrently.

Polling is the default; TELEGRAM_WEBHOOK_URL switches to a webhook server on
0.0.0.0:TELEGRAM_WEBHOOK_PORT that checks Telegram's secret token header
(TELEGRAM_WEBHOOK_SECRET, or a random one per start when that is empty).
TELEGRAM_BASE_URL points the bot at a self-hosted Bot API server.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Sequence
from functools import partial
from typing import Any, TypeAlias
from urllib.parse import urlsplit

from telegram import Update
from telegram.error import InvalidToken, NetworkError, TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    BaseHandler,
    BaseRateLimiter,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot.adapters.admin_commands import ADMIN_COMMANDS, AdminAnswers, AdminCommands
from bot.adapters.startup import PlatformUnreachable, TokenRejected
from bot.adapters.telegram_buttons import TelegramButtons
from bot.adapters.telegram_commands import BOT_COMMANDS, INFO_COMMANDS, TelegramCommands
from bot.adapters.telegram_errors import TelegramErrors, quiet_library_loggers
from bot.adapters.telegram_messages import PLATFORM, TelegramMessages
from bot.adapters.telegram_sending import SEND_RETRY_DELAYS, TelegramSender, safety_first_rate_limiter
from bot.core.engine import Engine
from bot.core.feedback import FeedbackSink
from bot.ops.setting_checks import mask
from bot.ops.settings import Settings

log = logging.getLogger(__name__)

TelegramApplication: TypeAlias = Application[Any, Any, Any, Any, Any, Any]

ALLOWED_UPDATES = (Update.MESSAGE, Update.EDITED_MESSAGE, Update.CALLBACK_QUERY)
CONCURRENT_UPDATES = 256  # updates handled at once; one slow chat never holds up the others
BOOTSTRAP_RETRIES = 3  # for deleteWebhook / setWebhook at start-up
POLL_TIMEOUT = 10  # seconds of long polling per getUpdates
LISTEN_ADDRESS = "0.0.0.0"  # the webhook server listens on every interface (behind a TLS proxy)
_WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")


class TelegramAdapter:
    """Runs the bot on Telegram in the caller's event loop (`start()` returns once running)."""

    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        feedback: FeedbackSink,
        *,
        rate_limiter: BaseRateLimiter[Any] | None = None,
        send_retry_delays: Sequence[float] = SEND_RETRY_DELAYS,
        poll_timeout: int = POLL_TIMEOUT,
        admin: AdminAnswers | None = None,
    ) -> None:
        self.name = PLATFORM
        self._settings = settings
        self._poll_timeout = poll_timeout
        # An empty secret would leave the webhook open to anyone; a random one per start is
        # as good, since start_webhook registers it with Telegram every time.
        self._webhook_secret = settings.telegram_webhook_secret or secrets.token_urlsafe(32)
        self._errors = TelegramErrors(settings.telegram_bot_token)
        # Before the Bot exists: its constructor logs the API URL, token included, at DEBUG.
        quiet_library_loggers(log_message_text=settings.log_message_text)
        self.application = self._build_application(rate_limiter or safety_first_rate_limiter())
        self._sender = TelegramSender(self.application.bot, send_retry_delays, self._errors.scrub)
        messages = TelegramMessages(engine, settings, self.application.bot, self._sender)
        commands = TelegramCommands(engine, messages, self._sender, AdminCommands(settings, admin, PLATFORM))
        buttons = TelegramButtons(engine, feedback, self._sender)
        self.application.add_handlers(_handlers(messages, commands, buttons))
        self.application.add_error_handler(self._errors.on_error)

    async def start(self) -> None:
        """Connect (getMe), register the commands and start polling or the webhook server."""
        if self._settings.telegram_webhook_url and not _WEBHOOK_SECRET.fullmatch(self._webhook_secret):
            raise ValueError("TELEGRAM_WEBHOOK_SECRET: use 1 to 256 of A-Z, a-z, 0-9, _ and -")
        try:
            await self._initialize()
            await self._register_commands()
            await self.application.start()
            await self._start_receiving()
        except BaseException:
            await self.stop()  # leave nothing half-started behind
            raise
        self._warn_if_privacy_mode()

    async def _initialize(self) -> None:
        """getMe, with the library's errors in words an operator can act on (token masked)."""
        token = mask(self._settings.telegram_bot_token)
        try:
            await self.application.initialize()
        except (InvalidToken, NetworkError) as exc:  # TimedOut is a NetworkError too
            # The bot's HTTP clients opened before getMe failed; the application never started.
            await self.application.bot.shutdown()
            if isinstance(exc, InvalidToken):  # its own message would print the token in clear
                message = f"Telegram refused TELEGRAM_BOT_TOKEN {token}: copy it again from BotFather"
                raise TokenRejected(message) from None
            raise PlatformUnreachable(f"Telegram could not be reached ({type(exc).__name__})") from None

    async def stop(self) -> None:
        """Stop receiving, finish the updates in flight and close the connections."""
        application = self.application
        if application.updater is not None and application.updater.running:
            await application.updater.stop()
        if application.running:
            await application.stop()
        await application.shutdown()

    def _build_application(self, rate_limiter: BaseRateLimiter[Any]) -> TelegramApplication:
        builder = (
            ApplicationBuilder()
            .token(self._settings.telegram_bot_token)
            .concurrent_updates(CONCURRENT_UPDATES)
            .rate_limiter(rate_limiter)
        )
        if self._settings.telegram_base_url:
            builder = builder.base_url(self._settings.telegram_base_url)
        return builder.build()

    async def _register_commands(self) -> None:
        """setMyCommands; a failure only costs the command menu, so it is logged, not raised."""
        register = partial(self.application.bot.set_my_commands, BOT_COMMANDS)
        try:
            await self._sender.with_retries(register)
        except TelegramError as error:
            log.warning("Could not register the command menu: %s", self._errors.scrub(str(error)))

    async def _start_receiving(self) -> None:
        updater = self.application.updater
        if updater is None:  # only when the builder was told not to make one
            raise RuntimeError("the Telegram application has no updater")
        url = self._settings.telegram_webhook_url
        if not url:
            await updater.start_polling(
                timeout=self._poll_timeout,
                allowed_updates=ALLOWED_UPDATES,
                bootstrap_retries=BOOTSTRAP_RETRIES,
                error_callback=self._errors.on_polling_error,
            )
            return
        await updater.start_webhook(
            listen=self._settings.telegram_webhook_listen or LISTEN_ADDRESS,  # TELEGRAM_WEBHOOK_LISTEN
            port=self._settings.telegram_webhook_port,
            url_path=urlsplit(url).path.lstrip("/"),
            webhook_url=url,
            secret_token=self._webhook_secret,
            allowed_updates=ALLOWED_UPDATES,
            bootstrap_retries=BOOTSTRAP_RETRIES,
        )

    def _warn_if_privacy_mode(self) -> None:
        if self.application.bot.bot.can_read_all_group_messages:
            return
        log.warning(
            "Telegram privacy mode is on: in groups the bot sees only commands and replies to it, "
            "not @mentions or red flags. In BotFather: /setprivacy, Disable, then remove and re-add "
            "the bot to each group (or make it a group admin)."
        )


def _handlers(
    messages: TelegramMessages, commands: TelegramCommands, buttons: TelegramButtons
) -> list[BaseHandler[Any, Any, Any]]:
    """Commands first: in one handler group the first handler that matches wins."""
    new = filters.UpdateType.MESSAGE  # CommandHandler would also take edits by default
    with_text = filters.TEXT | filters.CAPTION
    handlers: list[BaseHandler[Any, Any, Any]] = [CommandHandler("ask", commands.on_ask, filters=new)]
    handlers += [
        CommandHandler(command, commands.info_command(info), filters=new) for command, info in INFO_COMMANDS
    ]
    handlers += [
        CommandHandler(command, commands.admin_command(command), filters=new) for command in ADMIN_COMMANDS
    ]
    handlers += [
        MessageHandler(new & with_text, messages.on_message),
        MessageHandler(filters.UpdateType.EDITED_MESSAGE & with_text, messages.on_edit),
        CallbackQueryHandler(buttons.on_button),
    ]
    return handlers
