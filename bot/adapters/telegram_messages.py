"""Telegram messages to the core and its replies back: who sent a message, whether it
speaks to the bot, which conversation it belongs to, and what is sent in return.

New messages are answered when addressed and screened for red flags otherwise; edits are
only screened, and warned about once per set of signs (SafetyMemory). The rules for each
kind of update are in bot/adapters/telegram.py.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

from telegram import Message, MessageEntity, Update, User
from telegram.constants import ChatType
from telegram.ext import ContextTypes, ExtBot

from bot.adapters.telegram_rendering import render_reply, reply_keyboard
from bot.adapters.telegram_sending import TelegramSender
from bot.core.engine import Engine
from bot.core.replies import group_form
from bot.core.types import IncomingMessage, Reply
from bot.ops.settings import Settings

log = logging.getLogger(__name__)

PLATFORM = "telegram"
SAFETY_MEMORY_SIZE = 4096  # recent messages whose red-flag warnings are remembered for edits


class TelegramMessages:
    """Hands new and edited messages to the core and sends back what it replies."""

    def __init__(self, engine: Engine, settings: Settings, bot: ExtBot[Any], sender: TelegramSender) -> None:
        self._engine = engine
        self._settings = settings
        self._bot = bot
        self._sender = sender
        self._warned = SafetyMemory(SAFETY_MEMORY_SIZE)

    async def on_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A new message with text or a caption: answer it, or screen it if unaddressed."""
        message = update.message
        if message is None or not is_from_member(message):
            return
        text = message.text or message.caption or ""
        addressed, question = addressing(message, text, self._bot)
        await self.answer(message, question, addressed=addressed)

    async def on_edit(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """An edited message: screened for red flags only, warned once per set of signs."""
        message = update.edited_message
        if message is None or not is_from_member(message):
            return
        incoming = _incoming(message, message.text or message.caption or "", addressed=False)
        reply = self._engine.handle(incoming)
        self._log_handled(message, incoming, reply)
        if reply is not None and self._warned.record(message, reply):
            await self._sender.send(message, render_reply(reply), None, urgent=_is_red_flag(reply))

    async def answer(self, message: Message, text: str, *, addressed: bool) -> None:
        """Ask the core and send its reply; buttons only on replies to addressed messages."""
        incoming = _incoming(message, text, addressed=addressed)
        reply = self._engine.handle(incoming)
        self._log_handled(message, incoming, reply)
        if reply is None:
            return
        self._warned.record(message, reply)
        reply = sized_for(message, reply)
        keyboard = reply_keyboard(reply) if addressed else None
        await self._sender.send(message, render_reply(reply), keyboard, urgent=_is_red_flag(reply))

    def _log_handled(self, message: Message, incoming: IncomingMessage, reply: Reply | None) -> None:
        outcome = "silent" if reply is None else (reply.intent_id or reply.topic or "no match")
        level = logging.DEBUG if reply is None else logging.INFO
        where = f"{message.chat.type} chat {message.chat_id}"
        if self._settings.log_message_text:
            log.log(level, "%s, addressed=%s: %r -> %s", where, incoming.addressed, incoming.text, outcome)
        else:
            log.log(level, "%s, addressed=%s -> %s", where, incoming.addressed, outcome)


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


def addressing(message: Message, text: str, bot: ExtBot[Any]) -> tuple[bool, str]:
    """Whether the message speaks to the bot, and the question without the bot's name."""
    if message.chat.type == ChatType.PRIVATE:
        return True, text
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


def sized_for(message: Message, reply: Reply) -> Reply:
    """A group gets the group-sized answer; a direct message the whole one."""
    return reply if message.chat.type == ChatType.PRIVATE else group_form(reply)


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


def _incoming(message: Message, text: str, *, addressed: bool) -> IncomingMessage:
    return IncomingMessage(
        text=text,
        conversation_id=conversation_id(message),
        addressed=addressed,
        platform=PLATFORM,
        user_id=sender_id(message),
    )


def _is_red_flag(reply: Reply) -> bool:
    """The reply opens with a fired red-flag warning (not only an "if you ever notice")."""
    return reply.safety is not None and reply.safety.level is not None


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
