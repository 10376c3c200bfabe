"""Presses on the buttons under the bot's Telegram replies (the data is in button_actions.py).

`ask:<intent>` sends that intent's answer; `more:<intent>` the whole answer, as a reply to
the short one; `src:<intent>` names the answer's sources in a pop-up only the presser sees
(a message if too long for one); `fb:<intent>:1` or `:0` records 👍 or 👎 through the
feedback sink and answers the press with a short thanks.
"""

from __future__ import annotations

from telegram import CallbackQuery, Message, Update
from telegram.ext import ContextTypes

from bot.adapters.button_actions import AskPress, FeedbackPress, SourcesPress, parse_button_data
from bot.adapters.telegram_messages import PLATFORM, sized_for
from bot.adapters.telegram_rendering import render_info, render_reply, reply_keyboard, telegram_length
from bot.adapters.telegram_sending import TelegramSender, acknowledge
from bot.core.commands import InfoText, answer_sources_info
from bot.core.engine import Engine
from bot.core.feedback import FeedbackSink

THANKS = "Thanks for the feedback!"
GONE = "That answer is no longer available; please ask me again."
POP_UP_LIMIT = 200  # Telegram's limit for the text of a button press's pop-up


class TelegramButtons:
    """Answers button presses from their callback data alone, so old buttons keep working."""

    def __init__(self, engine: Engine, feedback: FeedbackSink, sender: TelegramSender) -> None:
        self._engine = engine
        self._feedback = feedback
        self._sender = sender

    async def on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A button under one of the bot's replies: a follow-up, More, Sources, 👍 or 👎."""
        query = update.callback_query
        if query is None:
            return
        press = parse_button_data(query.data)
        if isinstance(press, FeedbackPress):
            self._feedback.record(PLATFORM, press.intent_id, press.helpful)
            await acknowledge(query, THANKS)
            return
        if isinstance(press, SourcesPress):
            await self._show_sources(query, answer_sources_info(self._engine.library, press.intent_id))
            return
        reply = self._engine.reply_for_intent(press.intent_id) if press is not None else None
        if reply is None or not isinstance(query.message, Message):
            await acknowledge(query, GONE)
            return
        await acknowledge(query, None)
        if isinstance(press, AskPress):
            reply = sized_for(query.message, reply)
        await self._sender.send(query.message, render_reply(reply), reply_keyboard(reply))

    async def _show_sources(self, query: CallbackQuery, info: InfoText | None) -> None:
        """In a pop-up only the presser sees; a message in the chat if it is too long for one."""
        if info is None or not isinstance(query.message, Message):
            await acknowledge(query, GONE)
        elif telegram_length(info.plain()) <= POP_UP_LIMIT:
            await acknowledge(query, info.plain(), alert=True)
        else:
            await acknowledge(query, None)
            await self._sender.send(query.message, render_info(info), None)
