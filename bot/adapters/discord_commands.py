"""The Discord slash commands: /ask, the informational ones (/topics, /sources, /urgent,
/help) and the admin ones (/reload, /stats, /unanswered; rules in admin_commands.py).

/ask is answered at once in the channel; the informational commands ephemerally, for the
member who asked. Admin commands are offered only to members who may manage the server,
checked against ADMIN_IDS on every use, and deferred first, since a reload or the database
may take longer than the 3 seconds Discord allows.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any

import discord
from discord import app_commands

from bot.adapters.admin_commands import ADMIN_COMMANDS, AdminCommands
from bot.adapters.discord_messages import PLATFORM, conversation_id
from bot.adapters.discord_rendering import info_embeds, plain_messages, reply_embeds, reply_view
from bot.adapters.discord_replies import InFlight, apologise, log_event, respond, sized
from bot.core.commands import InfoText, help_info, sources_info, topics_info, urgent_info
from bot.core.content import Library
from bot.core.engine import Engine
from bot.core.types import IncomingMessage
from bot.ops.settings import Settings

log = logging.getLogger(__name__)

_INFO_COMMANDS: tuple[tuple[str, str, Callable[[Library, str], InfoText]], ...] = (
    ("topics", "What I can answer, with an example question per topic", topics_info),
    ("sources", "The articles my answers quote, and how far each is trusted", sources_info),
    ("urgent", "Warning signs that need a doctor, most serious first", urgent_info),
    ("help", "How to ask me questions", help_info),
)


class DiscordCommands:
    """The callbacks behind each slash command; `add_to` puts them on the command tree."""

    def __init__(self, engine: Engine, settings: Settings, admin: AdminCommands, in_flight: InFlight) -> None:
        self._engine = engine
        self._settings = settings
        self._admin = admin
        self._in_flight = in_flight

    def add_to(self, tree: app_commands.CommandTree[discord.Client]) -> None:
        tree.add_command(
            app_commands.Command(
                name="ask", description="Ask about lower back pain from running", callback=self._ask
            )
        )
        for name, description, info in _INFO_COMMANDS:
            tree.add_command(
                app_commands.Command(name=name, description=description, callback=self._info_command(info))
            )
        for name, description in ADMIN_COMMANDS.items():
            command: app_commands.Command[Any, [], None] = app_commands.Command(
                name=name, description=description, callback=self._admin_command(name)
            )
            # Offered only to members who may manage the server; ADMIN_IDS still decides.
            command = app_commands.default_permissions(manage_guild=True)(command)
            tree.add_command(app_commands.guild_only()(command))

    @app_commands.describe(question="For example: why does my lower back hurt after long runs?")
    async def _ask(self, interaction: discord.Interaction, question: str) -> None:
        """Answer /ask at once: the core is far quicker than the 3 s Discord allows."""
        user_id = interaction.user.id
        in_server = interaction.guild_id is not None
        with self._in_flight.tracked():
            reply = self._engine.handle(
                IncomingMessage(
                    question,
                    conversation_id(interaction.channel_id, user_id, in_server=in_server),
                    addressed=True,
                    platform=PLATFORM,
                    user_id=str(user_id),
                )
            )
            log_event("/ask", reply, question, log_message_text=self._settings.log_message_text)
            if reply is None:  # an addressed message always gets a reply; kept for the type
                return
            title = discord.utils.escape_markdown(question)
            reply = sized(reply, in_server=in_server)
            await respond(interaction, reply_embeds(reply, title), reply_view(reply))

    def _info_command(
        self, info: Callable[[Library, str], InfoText]
    ) -> Callable[[discord.Interaction], Coroutine[Any, Any, None]]:
        async def show(interaction: discord.Interaction) -> None:
            # Reference text for the member who asked; the channel need not see it.
            await respond(
                interaction,
                info_embeds(info(self._engine.library, self._engine.emergency_number)),
                None,
                ephemeral=True,
            )

        return show

    def _admin_command(self, command: str) -> Callable[[discord.Interaction], Coroutine[Any, Any, None]]:
        async def run_admin(interaction: discord.Interaction) -> None:
            # Every answer is ephemeral: only the asker sees it, wherever it was asked.
            refused = self._admin.refusal(command, str(interaction.user.id), private=True)
            if refused is not None:
                await interaction.response.send_message(refused, ephemeral=True)
                return
            with self._in_flight.tracked():
                # A reload or a slow database may outlast the 3 s Discord allows: answer later.
                await interaction.response.defer(ephemeral=True, thinking=True)
                for part in plain_messages(await self._admin.run(command)):
                    await interaction.followup.send(
                        part, ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
                    )

        return run_admin

    async def on_app_command_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        """Log a failed slash command and tell the member, without stopping the bot."""
        name = interaction.command.name if interaction.command is not None else "unknown"
        log.error("Discord /%s failed", name, exc_info=error)
        await apologise(interaction)
