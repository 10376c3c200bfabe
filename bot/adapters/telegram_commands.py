"""The Telegram commands: /ask, the informational ones (/start, /help, /topics, /sources,
/urgent) and the admin ones (/reload, /stats, /unanswered; rules in admin_commands.py).

Text after an informational or admin command still goes through the red-flag screen, so
a command is never a way around it. Only the first two groups are in the setMyCommands
menu (BOT_COMMANDS); members are never offered the admin commands.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, TypeAlias

from telegram import BotCommand, Update
from telegram.constants import ChatType
from telegram.ext import ContextTypes

from bot.adapters.admin_commands import AdminCommands
from bot.adapters.telegram_messages import TelegramMessages, command_argument, is_from_member, sender_id
from bot.adapters.telegram_rendering import render_info, render_plain
from bot.adapters.telegram_sending import TelegramSender
from bot.core.commands import InfoText, help_info, sources_info, topics_info, urgent_info
from bot.core.content import Library
from bot.core.engine import Engine

Handler: TypeAlias = Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]

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


class TelegramCommands:
    """The handlers behind each command; the adapter registers them."""

    def __init__(
        self, engine: Engine, messages: TelegramMessages, sender: TelegramSender, admin: AdminCommands
    ) -> None:
        self._engine = engine
        self._messages = messages
        self._sender = sender
        self._admin = admin

    async def on_ask(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """`/ask question`; `/ask` alone in reply to a message asks that message."""
        message = update.message
        if message is None or not is_from_member(message):
            return
        question = command_argument(message.text or "")
        replied = message.reply_to_message
        if not question and replied is not None:
            question = replied.text or replied.caption or ""
        await self._messages.answer(message, question, addressed=True)

    def info_command(self, info: Callable[[Library, str], InfoText]) -> Handler:
        """A handler that sends one informational text (/help, /topics...)."""

        async def send_info(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
            message = update.message
            if message is None or not is_from_member(message):
                return
            argument = command_argument(message.text or "")
            if argument:  # "/help my legs went numb" still gets the red-flag screen
                await self._messages.answer(message, argument, addressed=False)
            await self._sender.send(
                message, render_info(info(self._engine.library, self._engine.emergency_number)), None
            )

        return send_info

    def admin_command(self, command: str) -> Handler:
        """A handler for one admin command (/reload, /stats, /unanswered)."""

        async def run_admin(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
            message = update.message
            if message is None or not is_from_member(message):
                return
            argument = command_argument(message.text or "")
            if argument:  # an admin command is never a way around the red-flag screen
                await self._messages.answer(message, argument, addressed=False)
            private = message.chat.type == ChatType.PRIVATE
            text = await self._admin.answer(command, sender_id(message), private=private)
            await self._sender.send(message, render_plain(text), None)

        return run_admin
