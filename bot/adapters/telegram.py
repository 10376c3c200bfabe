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
- Button presses: `ask:<intent>` sends that intent's answer; `more:<intent>` the whole answer,
  as a reply to the short one; `src:<intent>` names the answer's sources in a pop-up only the
  presser sees (a message if too long for one); `fb:<intent>:1` or `:0` records 👍 or 👎
  through the feedback sink and answers the press with a short thanks.

Under load and faults: updates are handled concurrently. AIORateLimiter keeps sends within
Telegram's limits and retries after a 429 (RetryAfter), except that a red-flag reply never
waits in the per-chat queue (SafetyFirstRateLimiter: nothing delays the safety message). A
send that fails with a network error or a 5xx is retried a few times (a duplicate message
is better than a lost safety reply); polling retries network errors by itself. An exception
while handling an update goes to the error handler, which logs it without message text or
token, and the bot keeps serving other updates. Message text is logged only when
LOG_MESSAGE_TEXT is on, and the libraries' loggers are set so they never log it or the token.

Polling is the default; TELEGRAM_WEBHOOK_URL switches to a webhook server on
0.0.0.0:TELEGRAM_WEBHOOK_PORT that checks Telegram's secret token header
(TELEGRAM_WEBHOOK_SECRET, or a random one per start when that is empty).
TELEGRAM_BASE_URL points the bot at a self-hosted Bot API server.
"""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
import traceback
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from functools import partial
from typing import Any, TypeAlias
from urllib.parse import urlsplit

from telegram import (
    BotCommand,
    CallbackQuery,
    InlineKeyboardMarkup,
    Message,
    MessageEntity,
    ReplyParameters,
    Update,
    User,
)
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest, InvalidToken, NetworkError, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    BaseHandler,
    BaseRateLimiter,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.adapters.admin_commands import ADMIN_COMMANDS, AdminAnswers, AdminCommands
from bot.adapters.button_actions import AskPress, FeedbackPress, SourcesPress, parse_button_data
from bot.adapters.startup import PlatformUnreachable, TokenRejected
from bot.adapters.telegram_rendering import (
    render_info,
    render_plain,
    render_reply,
    reply_keyboard,
    telegram_length,
)
from bot.core.commands import (
    InfoText,
    answer_sources_info,
    help_info,
    sources_info,
    topics_info,
    urgent_info,
)
from bot.core.content import Library
from bot.core.engine import Engine
from bot.core.feedback import FeedbackSink
from bot.core.replies import group_form
from bot.core.types import IncomingMessage, Reply
from bot.ops.scrubbing import Scrubber
from bot.ops.setting_checks import mask
from bot.ops.settings import Settings

log = logging.getLogger(__name__)

TelegramApplication: TypeAlias = Application[Any, Any, Any, Any, Any, Any]
Handler: TypeAlias = Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]

PLATFORM = "telegram"
ALLOWED_UPDATES = (Update.MESSAGE, Update.EDITED_MESSAGE, Update.CALLBACK_QUERY)
RATE_LIMIT_RETRIES = 3  # retries after a 429 before a send is given up
CONCURRENT_UPDATES = 256  # updates handled at once; one slow chat never holds up the others
SEND_RETRY_DELAYS = (1.0, 3.0)  # seconds before each retry of a send that hit a network error
BOOTSTRAP_RETRIES = 3  # for deleteWebhook / setWebhook at start-up
POLL_TIMEOUT = 10  # seconds of long polling per getUpdates
LISTEN_ADDRESS = "0.0.0.0"  # the webhook server listens on every interface (behind a TLS proxy)
SAFETY_MEMORY_SIZE = 4096  # recent messages whose red-flag warnings are remembered for edits
THANKS = "Thanks for the feedback!"
GONE = "That answer is no longer available; please ask me again."
POP_UP_LIMIT = 200  # Telegram's limit for the text of a button press's pop-up
BOT_COMMANDS = (
    BotCommand("ask", "Ask a question about back pain from running"),
    BotCommand("help", "What I do and how to ask me in a group"),
    BotCommand("topics", "What I can answer, with examples"),
    BotCommand("sources", "Where my answers come from and how far each is trusted"),
    BotCommand("urgent", "Warning signs that need a doctor"),
)
INFO_COMMANDS: tuple[tuple[str, Callable[[Library, str], InfoText]], ...] = (
    ("start", help_info),
    ("help", help_info),
    ("topics", topics_info),
    ("sources", sources_info),
    ("urgent", urgent_info),
)
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
        self._engine = engine
        self._settings = settings
        self._feedback = feedback
        self._admin = AdminCommands(settings, admin, PLATFORM)
        self._send_retry_delays = tuple(send_retry_delays)
        self._poll_timeout = poll_timeout
        # An empty secret would leave the webhook open to anyone; a random one per start is
        # as good, since start_webhook registers it with Telegram every time.
        self._webhook_secret = settings.telegram_webhook_secret or secrets.token_urlsafe(32)
        self._warned = SafetyMemory(SAFETY_MEMORY_SIZE)
        # Before the Bot exists: its constructor logs the API URL, token included, at DEBUG.
        quiet_library_loggers(log_message_text=settings.log_message_text)
        self.application = self._build_application(
            rate_limiter or SafetyFirstRateLimiter(AIORateLimiter(max_retries=RATE_LIMIT_RETRIES))
        )

    # -- lifecycle -------------------------------------------------------------------------

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
        application = builder.build()
        application.add_handlers(self._handlers())
        application.add_error_handler(self._on_error)
        return application

    def _handlers(self) -> list[BaseHandler[Any, Any, Any]]:
        """Commands first: in one handler group the first handler that matches wins."""
        new = filters.UpdateType.MESSAGE  # CommandHandler would also take edits by default
        with_text = filters.TEXT | filters.CAPTION
        handlers: list[BaseHandler[Any, Any, Any]] = [CommandHandler("ask", self._on_ask, filters=new)]
        handlers += [
            CommandHandler(command, self._info_command(info), filters=new) for command, info in INFO_COMMANDS
        ]
        handlers += [
            CommandHandler(command, self._admin_command(command), filters=new) for command in ADMIN_COMMANDS
        ]
        handlers += [
            MessageHandler(new & with_text, self._on_message),
            MessageHandler(filters.UpdateType.EDITED_MESSAGE & with_text, self._on_edit),
            CallbackQueryHandler(self._on_button),
        ]
        return handlers

    async def _register_commands(self) -> None:
        """setMyCommands; a failure only costs the command menu, so it is logged, not raised."""
        register = partial(self.application.bot.set_my_commands, BOT_COMMANDS)
        try:
            await self._with_retries(register)
        except TelegramError as error:
            log.warning("Could not register the command menu: %s", self._scrub(str(error)))

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
                error_callback=self._on_polling_error,
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

    # -- updates ---------------------------------------------------------------------------

    async def _on_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A new message with text or a caption: answer it, or screen it if unaddressed."""
        message = update.message
        if message is None or not is_from_member(message):
            return
        text = message.text or message.caption or ""
        addressed, question = self._addressing(message, text)
        await self._answer(message, question, addressed=addressed)

    async def _on_ask(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """`/ask question`; `/ask` alone in reply to a message asks that message."""
        message = update.message
        if message is None or not is_from_member(message):
            return
        question = command_argument(message.text or "")
        replied = message.reply_to_message
        if not question and replied is not None:
            question = replied.text or replied.caption or ""
        await self._answer(message, question, addressed=True)

    def _info_command(self, info: Callable[[Library, str], InfoText]) -> Handler:
        """A handler that sends one informational text (/help, /topics...)."""

        async def send_info(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
            message = update.message
            if message is None or not is_from_member(message):
                return
            argument = command_argument(message.text or "")
            if argument:  # "/help my legs went numb" still gets the red-flag screen
                await self._answer(message, argument, addressed=False)
            await self._send(
                message, render_info(info(self._engine.library, self._engine.emergency_number)), None
            )

        return send_info

    def _admin_command(self, command: str) -> Handler:
        """A handler for one admin command (/reload, /stats, /unanswered)."""

        async def run_admin(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
            message = update.message
            if message is None or not is_from_member(message):
                return
            argument = command_argument(message.text or "")
            if argument:  # an admin command is never a way around the red-flag screen
                await self._answer(message, argument, addressed=False)
            private = message.chat.type == ChatType.PRIVATE
            text = await self._admin.answer(command, sender_id(message), private=private)
            await self._send(message, render_plain(text), None)

        return run_admin

    async def _on_edit(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """An edited message: screened for red flags only, warned once per set of signs."""
        message = update.edited_message
        if message is None or not is_from_member(message):
            return
        incoming = self._incoming(message, message.text or message.caption or "", addressed=False)
        reply = self._engine.handle(incoming)
        self._log_handled(message, incoming, reply)
        if reply is not None and self._warned.record(message, reply):
            await self._send(message, render_reply(reply), None, urgent=_is_red_flag(reply))

    async def _on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A button under one of the bot's replies: a follow-up, More, Sources, 👍 or 👎."""
        query = update.callback_query
        if query is None:
            return
        press = parse_button_data(query.data)
        if isinstance(press, FeedbackPress):
            self._feedback.record(PLATFORM, press.intent_id, press.helpful)
            await self._acknowledge(query, THANKS)
            return
        if isinstance(press, SourcesPress):
            await self._show_sources(query, answer_sources_info(self._engine.library, press.intent_id))
            return
        reply = self._engine.reply_for_intent(press.intent_id) if press is not None else None
        if reply is None or not isinstance(query.message, Message):
            await self._acknowledge(query, GONE)
            return
        await self._acknowledge(query, None)
        if isinstance(press, AskPress):
            reply = self._sized_for(query.message, reply)
        await self._send(query.message, render_reply(reply), reply_keyboard(reply))

    async def _show_sources(self, query: CallbackQuery, info: InfoText | None) -> None:
        """In a pop-up only the presser sees; a message in the chat if it is too long for one."""
        if info is None or not isinstance(query.message, Message):
            await self._acknowledge(query, GONE)
        elif telegram_length(info.plain()) <= POP_UP_LIMIT:
            await self._acknowledge(query, info.plain(), alert=True)
        else:
            await self._acknowledge(query, None)
            await self._send(query.message, render_info(info), None)

    @staticmethod
    def _sized_for(message: Message, reply: Reply) -> Reply:
        """A group gets the group-sized answer; a direct message the whole one."""
        return reply if message.chat.type == ChatType.PRIVATE else group_form(reply)

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log a failed update by kind, chat and code location, never its text or the token."""
        error = context.error
        if error is None:
            return
        texts = _texts_of(update) if isinstance(update, Update) else ()
        log.error(
            "Telegram update %s failed: %s: %s (at %s)",
            _describe(update),
            type(error).__name__,
            self._scrub(str(error), texts),
            _where(error),
        )

    def _on_polling_error(self, error: TelegramError) -> None:
        """getUpdates failed; the updater retries by itself with a growing pause."""
        log.warning("Polling Telegram failed, retrying: %s", self._scrub(str(error)))

    # -- answering -------------------------------------------------------------------------

    def _addressing(self, message: Message, text: str) -> tuple[bool, str]:
        """Whether the message speaks to the bot, and the question without the bot's name."""
        if message.chat.type == ChatType.PRIVATE:
            return True, text
        bot = self.application.bot
        names = [part for entity, part in _mentions(message).items() if _is_bot(entity, part, bot.bot)]
        if names:
            return True, _without(text, names)
        replied = message.reply_to_message
        # In a forum topic, a plain message "replies" to the topic's opening service message.
        is_reply_to_bot = (
            replied is not None
            and replied.forum_topic_created is None
            and replied.from_user is not None
            and replied.from_user.id == bot.id
        )
        return is_reply_to_bot, text

    async def _answer(self, message: Message, text: str, *, addressed: bool) -> None:
        """Ask the core and send its reply; buttons only on replies to addressed messages."""
        incoming = self._incoming(message, text, addressed=addressed)
        reply = self._engine.handle(incoming)
        self._log_handled(message, incoming, reply)
        if reply is None:
            return
        self._warned.record(message, reply)
        reply = self._sized_for(message, reply)
        keyboard = reply_keyboard(reply) if addressed else None
        await self._send(message, render_reply(reply), keyboard, urgent=_is_red_flag(reply))

    @staticmethod
    def _incoming(message: Message, text: str, *, addressed: bool) -> IncomingMessage:
        return IncomingMessage(
            text=text,
            conversation_id=conversation_id(message),
            addressed=addressed,
            platform=PLATFORM,
            user_id=sender_id(message),
        )

    async def _send(
        self,
        message: Message,
        parts: Sequence[str],
        keyboard: InlineKeyboardMarkup | None,
        *,
        urgent: bool = False,
    ) -> None:
        """Send the parts in order, in groups as replies to `message`; buttons on the last part.

        `urgent` sends skip the rate limiter's per-chat queue (see SafetyFirstRateLimiter).
        """
        in_group = message.chat.type != ChatType.PRIVATE
        # The asker may have deleted the question meanwhile: send the answer anyway.
        quote = ReplyParameters(message.message_id, allow_sending_without_reply=True) if in_group else None
        for index, part in enumerate(parts):
            send = partial(
                self.application.bot.send_message,
                chat_id=message.chat_id,
                text=part,
                parse_mode=ParseMode.HTML,
                reply_markup=keyboard if index == len(parts) - 1 else None,
                reply_parameters=quote,
                message_thread_id=message.message_thread_id if message.is_topic_message else None,
                rate_limit_args=True if urgent else None,
            )
            await self._with_retries(send)

    async def _with_retries(self, call: Callable[[], Awaitable[object]]) -> None:
        """Run a Bot API call, retrying network errors and 5xx (not a refused request)."""
        for delay in (*self._send_retry_delays, None):
            try:
                await call()
                return
            except BadRequest:
                raise  # Telegram refused the request itself: the same request fails again
            except NetworkError as error:
                if delay is None:
                    raise
                log.warning(
                    "Telegram request failed (%s); retrying in %.1f s", self._scrub(str(error)), delay
                )
                await asyncio.sleep(delay)

    @staticmethod
    async def _acknowledge(query: CallbackQuery, text: str | None, *, alert: bool = False) -> None:
        """Answer a button press; failing only leaves a spinner, so it never stops the reply."""
        try:
            await query.answer(text, show_alert=alert)
        except TelegramError as error:
            log.warning("Could not answer a button press: %s", type(error).__name__)

    def _log_handled(self, message: Message, incoming: IncomingMessage, reply: Reply | None) -> None:
        outcome = "silent" if reply is None else (reply.intent_id or reply.topic or "no match")
        level = logging.DEBUG if reply is None else logging.INFO
        where = f"{message.chat.type} chat {message.chat_id}"
        if self._settings.log_message_text:
            log.log(level, "%s, addressed=%s: %r -> %s", where, incoming.addressed, incoming.text, outcome)
        else:
            log.log(level, "%s, addressed=%s -> %s", where, incoming.addressed, outcome)

    def _scrub(self, text: str, texts: Sequence[str] = ()) -> str:
        """`text` without the token and the given message texts (error texts can quote them)."""
        return Scrubber((self._settings.telegram_bot_token, *texts))(text)


class SafetyFirstRateLimiter(BaseRateLimiter[bool]):
    """AIORateLimiter's pacing, except that a red-flag reply never waits in its chat's queue.

    Telegram allows about 20 messages a minute in one group and 30 a second overall; the
    inner limiter paces sends to stay under that. A send made with `rate_limit_args=True`
    (a red-flag reply) skips that pacing, because nothing may delay the safety message; it
    still waits out a 429 (RetryAfter) and is retried like every other request.
    """

    def __init__(self, inner: AIORateLimiter) -> None:
        self._inner = inner

    async def initialize(self) -> None:
        await self._inner.initialize()

    async def shutdown(self) -> None:
        await self._inner.shutdown()

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: bool | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        if rate_limit_args:
            # The inner limiter paces by `chat_id` in `data`; the request itself travels in
            # `args`, so a copy without it skips the pacing and still sends to the chat.
            data = {key: value for key, value in data.items() if key != "chat_id"}
        return await self._inner.process_request(callback, args, kwargs, endpoint, data, None)


class SafetyMemory:
    """The red-flag signs each recent message was already warned about (bounded, oldest out)."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._signs: OrderedDict[tuple[int, int], frozenset[str]] = OrderedDict()

    def record(self, message: Message, reply: Reply) -> bool:
        """Remember the signs of `reply` for `message`; True when any of them is new."""
        if reply.safety is None:
            return True
        # A negated sign that later fires is a new warning, so the two are kept apart.
        signs = frozenset(
            [f"+{sign}" for sign in reply.safety.signs] + [f"-{sign}" for sign in reply.safety.negated_signs]
        )
        key = (message.chat_id, message.message_id)
        known = self._signs.pop(key, frozenset())
        self._signs[key] = known | signs
        while len(self._signs) > self._size:
            self._signs.popitem(last=False)
        return not signs <= known


def _is_red_flag(reply: Reply) -> bool:
    """The reply opens with a fired red-flag warning (not only an "if you ever notice")."""
    return reply.safety is not None and reply.safety.level is not None


def is_from_member(message: Message) -> bool:
    """False for other bots and for channel posts copied into a discussion group."""
    if message.is_automatic_forward:
        return False
    if message.sender_chat is not None:
        return True  # an anonymous admin, or a member posting as their channel
    return message.from_user is not None and not message.from_user.is_bot


def sender_id(message: Message) -> str:
    """Who sent it: the member's user id, or the chat they posted as (anonymous admin, channel)."""
    if message.sender_chat is not None:
        return str(message.sender_chat.id)
    return str(message.from_user.id) if message.from_user is not None else ""


def conversation_id(message: Message) -> str:
    """The chat in a direct message; chat and sender in a group, one memory per member."""
    if message.chat.type == ChatType.PRIVATE:
        return str(message.chat_id)
    return f"{message.chat_id}:{sender_id(message)}"


def command_argument(text: str) -> str:
    """What follows the command word: "/ask@bot  why?" -> "why?"."""
    parts = text.split(None, 1)
    return parts[1].strip() if len(parts) > 1 else ""


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


def _mentions(message: Message) -> dict[MessageEntity, str]:
    types: list[str | None] = [MessageEntity.MENTION, MessageEntity.TEXT_MENTION]
    return message.parse_entities(types) if message.text else message.parse_caption_entities(types)


def _is_bot(entity: MessageEntity, part: str, me: User) -> bool:
    if entity.type == MessageEntity.TEXT_MENTION:
        return entity.user is not None and entity.user.id == me.id
    return bool(me.username) and part.casefold() == f"@{me.username}".casefold()


def _without(text: str, names: Sequence[str]) -> str:
    """The text with the bot's mentions removed, so they do not count as words of the question."""
    for name in names:
        text = text.replace(name, "", 1)
    return text.strip()


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
