"""Presses on the buttons under the bot's Discord replies (the custom_ids are in button_actions.py).

A suggestion posts that intent's answer, sized for where it was pressed; "More" shows the
whole answer and "Sources" its sources, both only to the member who pressed; 👍/👎 records
feedback. Each press is answered from its custom_id alone, so buttons on old messages keep
working after a restart and discord.py keeps no view object per message.
"""

from __future__ import annotations

import logging

import discord

from bot.adapters.button_actions import AskPress, FeedbackPress, MorePress, SourcesPress, parse_button_data
from bot.adapters.discord_messages import PLATFORM
from bot.adapters.discord_rendering import info_embeds, reply_embeds, reply_view
from bot.adapters.discord_replies import InFlight, apologise, respond, sized
from bot.core.commands import answer_sources_info
from bot.core.engine import Engine
from bot.core.feedback import FeedbackSink

log = logging.getLogger(__name__)

_THANKS = "Thanks for the feedback!"
_GONE = "That question is no longer in my library; please ask it again in your own words."


class DiscordButtons:
    """The handler for button presses, with what each kind of press needs."""

    def __init__(self, engine: Engine, feedback: FeedbackSink, in_flight: InFlight) -> None:
        self._engine = engine
        self._feedback = feedback
        self._in_flight = in_flight

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """Answer presses on this bot's buttons; slash commands go through the tree."""
        if interaction.type is not discord.InteractionType.component or interaction.data is None:
            return
        custom_id = interaction.data.get("custom_id")
        press = parse_button_data(custom_id) if isinstance(custom_id, str) else None
        if press is None:
            return
        with self._in_flight.tracked():
            try:
                if isinstance(press, FeedbackPress):
                    await self._record_feedback(interaction, press)
                elif isinstance(press, SourcesPress):
                    await self._show_sources(interaction, press)
                else:
                    await self._answer_press(interaction, press)
            except Exception:
                await apologise(interaction)
                raise  # on_error logs it

    async def _answer_press(self, interaction: discord.Interaction, press: AskPress | MorePress) -> None:
        """A follow-up question (sized for where it was pressed), or "More": the whole answer,
        shown only to the member who pressed it, so the channel is not flooded."""
        reply = self._engine.reply_for_intent(press.intent_id)
        intent = self._engine.library.intents_by_id.get(press.intent_id)
        log.info("Discord button: intent=%s", press.intent_id)
        if reply is None or intent is None:  # removed by a content reload since it was sent
            await interaction.response.send_message(_GONE, ephemeral=True)
            return
        more = isinstance(press, MorePress)
        if not more:
            reply = sized(reply, in_server=interaction.guild_id is not None)
        await respond(interaction, reply_embeds(reply, intent.question), reply_view(reply), ephemeral=more)

    async def _show_sources(self, interaction: discord.Interaction, press: SourcesPress) -> None:
        info = answer_sources_info(self._engine.library, press.intent_id)
        if info is None:
            await interaction.response.send_message(_GONE, ephemeral=True)
            return
        await respond(interaction, info_embeds(info), None, ephemeral=True)

    async def _record_feedback(self, interaction: discord.Interaction, press: FeedbackPress) -> None:
        if press.intent_id in self._engine.library.intents_by_id:
            self._feedback.record(PLATFORM, press.intent_id, press.helpful)
            log.info("Discord feedback: intent=%s helpful=%s", press.intent_id, press.helpful)
        await interaction.response.send_message(_THANKS, ephemeral=True)
