"""Sending replies on Discord, shared by channel messages, slash commands and buttons.

A server channel gets the group-sized answer and a DM the whole one; embeds beyond one
message's limits go in further messages or follow-ups. Each reply being sent is tracked as
in flight, so that stopping the bot lets it finish.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import discord

from bot.adapters.discord_rendering import pack_messages, reply_embeds, reply_view
from bot.core.replies import group_form
from bot.core.types import Reply

log = logging.getLogger(__name__)

_SORRY = "Sorry, something went wrong on my side. Please try again."


class InFlight:
    """The tasks sending a reply right now, for the adapter's `stop` to wait on."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[object]] = set()

    @contextmanager
    def tracked(self) -> Iterator[None]:
        """Mark the current task as a reply in flight while the block runs."""
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            yield
        finally:
            if task is not None:
                self._tasks.discard(task)

    async def wait(self, timeout: float) -> None:
        """Let the replies in flight finish, for at most `timeout` seconds."""
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=timeout)


def sized(reply: Reply, *, in_server: bool) -> Reply:
    """A server channel gets the group-sized answer; a direct message the whole one."""
    return group_form(reply) if in_server else reply


async def send_reply(message: discord.Message, reply: Reply) -> None:
    """Post a reply in the message's channel; in a server, as a reply to the message."""
    batches = pack_messages(reply_embeds(reply))
    view = reply_view(reply)
    for index, embeds in enumerate(batches):
        last = index == len(batches) - 1
        with_view = view if last and view is not None else discord.utils.MISSING
        if index == 0 and message.guild is not None:
            # In a busy channel the reply must point at what it answers; a deleted
            # original must not make Discord refuse it.
            reference = message.to_reference(fail_if_not_exists=False)
            await message.channel.send(
                embeds=embeds, view=with_view, reference=reference, mention_author=False
            )
        else:
            await message.channel.send(embeds=embeds, view=with_view)


async def respond(
    interaction: discord.Interaction,
    embeds: Sequence[discord.Embed],
    view: discord.ui.View | None,
    *,
    ephemeral: bool = False,
) -> None:
    """Answer an interaction; embeds beyond one message's limits go in follow-ups."""
    batches = pack_messages(embeds)
    for index, batch in enumerate(batches):
        last = index == len(batches) - 1
        # MISSING, not None: discord.py would call methods on a None view here.
        with_view = view if last and view is not None else discord.utils.MISSING
        if index == 0:
            await interaction.response.send_message(embeds=batch, view=with_view, ephemeral=ephemeral)
        else:
            await interaction.followup.send(embeds=batch, view=with_view, ephemeral=ephemeral)


async def apologise(interaction: discord.Interaction) -> None:
    """Tell the member something failed, if the interaction is still unanswered."""
    if interaction.response.is_done():
        return
    try:
        await interaction.response.send_message(_SORRY, ephemeral=True)
    except discord.HTTPException as error:
        log.warning("Could not apologise for a failed interaction (HTTP %s)", error.status)


def log_event(kind: str, reply: Reply | None, text: str, *, log_message_text: bool) -> None:
    """What was answered (intent and urgency); the member's text only when LOG_MESSAGE_TEXT allows."""
    if reply is None:
        log.debug("Discord %s: stayed quiet", kind)
        return
    urgency = reply.safety.level.value if reply.safety and reply.safety.level else None
    log.info("Discord %s: intent=%s urgency=%s", kind, reply.intent_id, urgency)
    if log_message_text:
        log.info("Discord %s text: %r", kind, text)
