"""The Discord adapter (discord.py 2.7): slash commands, mentions, replies and DMs in;
embeds and buttons out. It holds no advice logic: the core decides what to say, and when
to stay quiet.

What arrives and what the bot does
- A direct message: always a question.
- A server-channel message that mentions the bot (a real mention in `message.mentions`;
  @everyone and role mentions do not count) or replies to one of its messages: a question.
- Any other channel message goes to the core unaddressed; it returns the urgent-care reply
  for a red flag and None otherwise, and the bot then stays quiet.
- Messages from bots, this one included, are ignored.
- Slash commands /ask, /topics, /sources, /urgent and /help, synced at start-up: globally,
  or to DISCORD_GUILD_ID when set (instant, for testing). /ask is answered directly,
  without defer(): the core answers in well under a millisecond, far inside Discord's
  3-second limit. The other four answer ephemerally, visible only to the member who asked.
- Admin slash commands /reload, /stats and /unanswered (bot/adapters/admin_commands.py):
  registered for server members with Manage Server (default_member_permissions, so other
  members do not see them offered; server admins can change that under Integrations) and
  not in DMs; and each use is still checked against ADMIN_IDS: anyone else gets a polite
  refusal and nothing more. Answers are ephemeral, seen only by the admin who asked, so
  all three work in any channel. A reload or the database may take longer than Discord's
  3 seconds, so an admin's command is deferred first and answered in follow-ups.
- Every message goes to the core with the author's id (`user_id`) and a conversation per
  member: the channel in a DM, "<channel id>:<user id>" in a server, so that two members'
  follow-ups ("why?") never borrow each other's last question.
- Answers in a server are group-sized (core `group_form`: one-line lead, the best quote,
  its source) with buttons More, Sources, 👍, 👎; a DM gets the whole answer.
- Buttons (a suggestion, More, Sources, 👍/👎): bot/adapters/discord_buttons.py.

This module builds the client, wires the events and the command tree, and runs it. Beside
it: discord_messages.py (messages to the core), discord_commands.py (the slash commands),
discord_buttons.py, and discord_replies.py (sending replies, shared by all three).

The message-content intent (privileged)
Without it Discord still delivers the text of direct messages, of messages that mention
the bot and of replies to it (a reply mentions its author unless the member switches the
reply's @ off), and slash commands carry their options. So everything works without it
except red-flag watching: reading unaddressed channel messages so that a red-flag report
gets the urgent-care reply even when nobody addressed the bot. DISCORD_MESSAGE_CONTENT
(default true) requests it; it must also be switched on in the developer portal (Bot →
Privileged Gateway Intents → Message Content), or Discord refuses the connection (close
code 4014) and start-up fails with PrivilegedIntentsRequired. Set it to false to run
without red-flag watching.

Scale: DISCORD_SHARDED (default true) uses AutoShardedClient, which asks Discord how many
shards the bot needs and runs them all in this process; false uses a plain Client (one
connection, enough below 2,500 servers). Besides message content, only the intents the
bot uses are requested (guilds, server and DM messages), which keeps gateway traffic down.

Faults: an exception in one event is logged (its kind and traceback, never message text
or the token) and the bot carries on; discord.py's own rate-limit handling and
reconnection (resume after a gateway drop) stay in charge. discord.py logs whole events
and request bodies at DEBUG, so its gateway and HTTP loggers are held at INFO unless
LOG_MESSAGE_TEXT is true.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp
import discord
from discord import app_commands

from bot.adapters.admin_commands import AdminAnswers, AdminCommands
from bot.adapters.discord_buttons import DiscordButtons
from bot.adapters.discord_commands import DiscordCommands
from bot.adapters.discord_messages import PLATFORM, DiscordMessages
from bot.adapters.discord_replies import InFlight
from bot.adapters.startup import PlatformUnreachable, TokenRejected
from bot.core.engine import Engine
from bot.core.feedback import FeedbackSink
from bot.ops.setting_checks import mask
from bot.ops.settings import Settings

log = logging.getLogger(__name__)

STOP_TIMEOUT = 5.0  # seconds to let replies in flight finish, then to close the gateway


def build_client(settings: Settings, guild_ready_timeout: float = 2.0) -> discord.Client:
    """A sharded or plain client with the intents the bot needs and no pings from its text."""
    intents = discord.Intents.none()
    intents.guilds = True  # channel and thread cache, needed to parse server messages
    intents.guild_messages = True
    intents.dm_messages = True
    intents.message_content = settings.discord_message_content
    client_class = discord.AutoShardedClient if settings.discord_sharded else discord.Client
    return client_class(
        intents=intents,
        # Replies echo members' words: @everyone or a role in them must never ping.
        allowed_mentions=discord.AllowedMentions.none(),
        chunk_guilds_at_startup=False,
        guild_ready_timeout=guild_ready_timeout,
        **_shard_options(settings),  # this replica's share of the shards (DISCORD_SHARD_IDS)
    )


def _shard_options(settings: Settings) -> dict[str, Any]:
    """AutoShardedClient's shard_ids and shard_count when set; else it asks Discord for all."""
    options: dict[str, Any] = {}
    if settings.discord_shard_count:
        options["shard_count"] = settings.discord_shard_count
    if settings.discord_shard_ids:
        options["shard_ids"] = list(settings.discord_shard_ids)
    return options


class DiscordAdapter:
    """Runs the bot on Discord around one engine; `start` returns once the bot is ready.

    `guild_ready_timeout` is how long discord.py waits for more servers to stream in before
    it calls the bot ready (tests shorten it); `ready_timeout` bounds the whole start.
    """

    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        feedback: FeedbackSink,
        *,
        guild_ready_timeout: float = 2.0,
        ready_timeout: float = 60.0,
        admin: AdminAnswers | None = None,
    ) -> None:
        self.name = PLATFORM
        self._settings = settings
        self._ready_timeout = ready_timeout
        self._in_flight = InFlight()
        self.client = build_client(settings, guild_ready_timeout)
        self.tree = app_commands.CommandTree(self.client)
        commands = DiscordCommands(
            engine, settings, AdminCommands(settings, admin, PLATFORM), self._in_flight
        )
        commands.add_to(self.tree)
        self.tree.error(commands.on_app_command_error)
        messages = DiscordMessages(engine, settings, self.client, self._in_flight)
        buttons = DiscordButtons(engine, feedback, self._in_flight)
        # client.event registers each handler under its function's name, hence on_message etc.
        for handler in (messages.on_message, buttons.on_interaction, self.on_error):
            self.client.event(handler)
        self._gateway: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Log in, sync the slash commands, connect, and wait until Discord says ready."""
        _keep_payloads_out_of_logs(self._settings.log_message_text)
        try:
            await self._login()
        except BaseException:
            await self.client.close()  # login opened an HTTP session
            raise
        await self._sync_commands()
        self._gateway = asyncio.create_task(self.client.connect(reconnect=True), name="discord gateway")
        self._gateway.add_done_callback(_report_gateway_end)
        await self._wait_until_ready(self._gateway)

    async def _login(self) -> None:
        """Log in, with the library's errors in words an operator can act on (token masked)."""
        token = mask(self._settings.discord_bot_token)
        try:
            await self.client.login(self._settings.discord_bot_token)
        except discord.LoginFailure:
            message = (
                f"Discord refused DISCORD_BOT_TOKEN {token}: reset it in the Developer Portal and copy it"
            )
            raise TokenRejected(message) from None
        except (aiohttp.ClientConnectionError, TimeoutError) as exc:
            raise PlatformUnreachable(f"Discord could not be reached ({type(exc).__name__})") from None

    async def stop(self) -> None:
        """Let replies in flight finish (briefly), then close the gateway and HTTP session."""
        await self._in_flight.wait(STOP_TIMEOUT)
        await self.client.close()
        if self._gateway is not None and not self._gateway.done():
            done, _ = await asyncio.wait({self._gateway}, timeout=STOP_TIMEOUT)
            if not done:
                self._gateway.cancel()

    async def _wait_until_ready(self, gateway: asyncio.Task[None]) -> None:
        ready = asyncio.create_task(self.client.wait_until_ready())
        done, _ = await asyncio.wait(
            {ready, gateway}, timeout=self._ready_timeout, return_when="FIRST_COMPLETED"
        )
        if ready in done:
            return
        ready.cancel()
        await self.stop()
        if gateway in done:
            error = None if gateway.cancelled() else gateway.exception()
            # PrivilegedIntentsRequired and LoginFailure say best what the admin must fix.
            raise error or RuntimeError("Discord closed the connection before it was ready")
        raise TimeoutError(f"Discord was not ready within {self._ready_timeout:.0f} s")

    async def _sync_commands(self) -> None:
        """Register the slash commands: to DISCORD_GUILD_ID when set (instant), else globally."""
        guild_id = self._settings.discord_guild_id
        try:
            if guild_id is None:
                synced = await self.tree.sync()
            else:
                guild = discord.Object(id=guild_id)
                self.tree.copy_global_to(guild=guild)
                synced = await self.tree.sync(guild=guild)
        except discord.HTTPException as error:
            # Not fatal: mentions, replies, DMs and red-flag watching work without commands.
            log.error("Could not sync the slash commands (HTTP %s, code %s)", error.status, error.code)
            return
        where = "globally" if guild_id is None else f"to guild {guild_id}"
        log.info("Synced %d slash commands %s", len(synced), where)

    async def on_error(self, event_method: str, /, *args: object, **kwargs: object) -> None:
        """Log a failed event by kind and traceback (never its text) and carry on."""
        log.exception("Discord %s handler failed", event_method)


def _report_gateway_end(task: asyncio.Task[None]) -> None:
    """Log why the gateway connection ended, when it ended with an error."""
    if not task.cancelled() and task.exception() is not None:
        log.error("Discord gateway connection ended", exc_info=task.exception())


def _keep_payloads_out_of_logs(log_message_text: bool) -> None:
    """Hold discord.py's payload logging (whole events and request bodies, at DEBUG) at INFO
    unless LOG_MESSAGE_TEXT allows message text in the logs."""
    if log_message_text:
        return
    for name in ("discord.gateway", "discord.http"):
        logger = logging.getLogger(name)
        if logger.getEffectiveLevel() < logging.INFO:
            logger.setLevel(logging.INFO)
