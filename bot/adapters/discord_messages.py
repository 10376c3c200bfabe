"""Discord messages to the core: whether a message speaks to the bot, which conversation it
belongs to, and the reply posted back (rules in bot/adapters/discord.py).
"""

from __future__ import annotations

import re

import discord

from bot.adapters.discord_replies import InFlight, log_event, send_reply, sized
from bot.core.engine import Engine
from bot.core.types import IncomingMessage
from bot.ops.settings import Settings

PLATFORM = "discord"
_MESSAGE_KINDS = (discord.MessageType.default, discord.MessageType.reply)


class DiscordMessages:
    """Hands channel messages and DMs to the core and posts what it replies."""

    def __init__(
        self, engine: Engine, settings: Settings, client: discord.Client, in_flight: InFlight
    ) -> None:
        self._engine = engine
        self._settings = settings
        self._client = client
        self._in_flight = in_flight

    async def on_message(self, message: discord.Message) -> None:
        """Answer DMs, mentions and replies to the bot; screen other channel messages."""
        me = self._client.user
        if me is None or message.author.bot or message.type not in _MESSAGE_KINDS:
            return
        addressed = message.guild is None or _mentions(message, me.id) or _replies_to(message, me.id)
        text = _without_mention(message.content, me.id)
        with self._in_flight.tracked():
            reply = self._engine.handle(
                IncomingMessage(
                    text,
                    conversation_id(
                        message.channel.id, message.author.id, in_server=message.guild is not None
                    ),
                    addressed=addressed,
                    platform=PLATFORM,
                    user_id=str(message.author.id),
                )
            )
            log_event("message", reply, text, log_message_text=self._settings.log_message_text)
            if reply is not None:
                await send_reply(message, sized(reply, in_server=message.guild is not None))


def conversation_id(channel_id: int | None, user_id: int, *, in_server: bool) -> str:
    """The channel in a DM; channel and member in a server, one follow-up memory per member."""
    return f"{channel_id}:{user_id}" if in_server else str(channel_id)


def _mentions(message: discord.Message, bot_id: int) -> bool:
    # Not `client.user.mentioned_in(message)`: that is also true for @everyone.
    return any(user.id == bot_id for user in message.mentions)


def _replies_to(message: discord.Message, bot_id: int) -> bool:
    reference = message.reference
    if reference is None or reference.type is not discord.MessageReferenceType.reply:
        return False
    target = reference.resolved or reference.cached_message
    return isinstance(target, discord.Message) and target.author.id == bot_id


def _without_mention(content: str, bot_id: int) -> str:
    """The text without the bot's own mention, so that it does not disturb the matching."""
    return re.sub(rf"<@!?{bot_id}>", " ", content).strip()
