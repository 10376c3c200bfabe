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
- Buttons: a suggestion button ("ask:<intent_id>") posts that intent's answer; "More"
  ("more:<intent_id>") shows the whole answer and "Sources" ("src:<intent_id>") its sources,
  both only to the member who pressed (ephemeral); 👍/👎 ("fb:<intent_id>:1" / ":0") records
  feedback. Presses are answered in `on_interaction`
  from the custom_id alone, so buttons on old messages keep working after a restart and
  discord.py keeps no view object per message.

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
import re
from collections.abc import Callable, Coroutine, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import aiohttp
import discord
from discord import app_commands

from bot.adapters.admin_commands import ADMIN_COMMANDS, AdminAnswers, AdminCommands
from bot.adapters.button_actions import AskPress, FeedbackPress, MorePress, SourcesPress, parse_button_data
from bot.adapters.discord_rendering import (
    info_embeds,
    pack_messages,
    plain_messages,
    reply_embeds,
    reply_view,
)
from bot.adapters.startup import PlatformUnreachable, TokenRejected
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
from bot.ops.setting_checks import mask
from bot.ops.settings import Settings

log = logging.getLogger(__name__)

PLATFORM = "discord"
STOP_TIMEOUT = 5.0  # seconds to let replies in flight finish, then to close the gateway
_MESSAGE_KINDS = (discord.MessageType.default, discord.MessageType.reply)
_INFO_COMMANDS: tuple[tuple[str, str, Callable[[Library, str], InfoText]], ...] = (
    ("topics", "What I can answer, with an example question per topic", topics_info),
    ("sources", "The articles my answers quote, and how far each is trusted", sources_info),
    ("urgent", "Warning signs that need a doctor, most serious first", urgent_info),
    ("help", "How to ask me questions", help_info),
)
_THANKS = "Thanks for the feedback!"
_GONE = "That question is no longer in my library; please ask it again in your own words."
_SORRY = "Sorry, something went wrong on my side. Please try again."


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
        self._engine = engine
        self._settings = settings
        self._feedback = feedback
        self._admin = AdminCommands(settings, admin, PLATFORM)
        self._ready_timeout = ready_timeout
        self.client = build_client(settings, guild_ready_timeout)
        self.tree = app_commands.CommandTree(self.client)
        self._add_commands()
        self.tree.error(self.on_app_command_error)
        for handler in (self.on_message, self.on_interaction, self.on_error):
            self.client.event(handler)
        self._gateway: asyncio.Task[None] | None = None
        self._in_flight: set[asyncio.Task[object]] = set()

    # Lifecycle

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
        if self._in_flight:
            await asyncio.wait(self._in_flight, timeout=STOP_TIMEOUT)
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

    # Messages

    async def on_message(self, message: discord.Message) -> None:
        """Answer DMs, mentions and replies to the bot; screen other channel messages."""
        me = self.client.user
        if me is None or message.author.bot or message.type not in _MESSAGE_KINDS:
            return
        addressed = message.guild is None or _mentions(message, me.id) or _replies_to(message, me.id)
        text = _without_mention(message.content, me.id)
        with self._tracked():
            reply = self._engine.handle(
                IncomingMessage(
                    text,
                    _conversation_id(
                        message.channel.id, message.author.id, in_server=message.guild is not None
                    ),
                    addressed=addressed,
                    platform=PLATFORM,
                    user_id=str(message.author.id),
                )
            )
            self._log_event("message", reply, text)
            if reply is not None:
                await self._send(message, _sized(reply, in_server=message.guild is not None))

    async def _send(self, message: discord.Message, reply: Reply) -> None:
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

    # Slash commands

    def _add_commands(self) -> None:
        self.tree.add_command(
            app_commands.Command(
                name="ask", description="Ask about lower back pain from running", callback=self._ask
            )
        )
        for name, description, info in _INFO_COMMANDS:
            self.tree.add_command(
                app_commands.Command(name=name, description=description, callback=self._info_command(info))
            )
        for name, description in ADMIN_COMMANDS.items():
            command: app_commands.Command[Any, [], None] = app_commands.Command(
                name=name, description=description, callback=self._admin_command(name)
            )
            # Offered only to members who may manage the server; ADMIN_IDS still decides.
            command = app_commands.default_permissions(manage_guild=True)(command)
            self.tree.add_command(app_commands.guild_only()(command))

    @app_commands.describe(question="For example: why does my lower back hurt after long runs?")
    async def _ask(self, interaction: discord.Interaction, question: str) -> None:
        """Answer /ask at once: the core is far quicker than the 3 s Discord allows."""
        user_id = interaction.user.id
        in_server = interaction.guild_id is not None
        with self._tracked():
            reply = self._engine.handle(
                IncomingMessage(
                    question,
                    _conversation_id(interaction.channel_id, user_id, in_server=in_server),
                    addressed=True,
                    platform=PLATFORM,
                    user_id=str(user_id),
                )
            )
            self._log_event("/ask", reply, question)
            if reply is None:  # an addressed message always gets a reply; kept for the type
                return
            title = discord.utils.escape_markdown(question)
            reply = _sized(reply, in_server=in_server)
            await _respond(interaction, reply_embeds(reply, title), reply_view(reply))

    def _info_command(
        self, info: Callable[[Library, str], InfoText]
    ) -> Callable[[discord.Interaction], Coroutine[Any, Any, None]]:
        async def show(interaction: discord.Interaction) -> None:
            # Reference text for the member who asked; the channel need not see it.
            await _respond(
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
            with self._tracked():
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
        await _apologise(interaction)

    # Buttons

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """Answer presses on this bot's buttons; slash commands go through the tree."""
        if interaction.type is not discord.InteractionType.component or interaction.data is None:
            return
        custom_id = interaction.data.get("custom_id")
        press = parse_button_data(custom_id) if isinstance(custom_id, str) else None
        if press is None:
            return
        with self._tracked():
            try:
                if isinstance(press, FeedbackPress):
                    await self._record_feedback(interaction, press)
                elif isinstance(press, SourcesPress):
                    await self._show_sources(interaction, press)
                else:
                    await self._answer_press(interaction, press)
            except Exception:
                await _apologise(interaction)
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
            reply = _sized(reply, in_server=interaction.guild_id is not None)
        await _respond(interaction, reply_embeds(reply, intent.question), reply_view(reply), ephemeral=more)

    async def _show_sources(self, interaction: discord.Interaction, press: SourcesPress) -> None:
        info = answer_sources_info(self._engine.library, press.intent_id)
        if info is None:
            await interaction.response.send_message(_GONE, ephemeral=True)
            return
        await _respond(interaction, info_embeds(info), None, ephemeral=True)

    async def _record_feedback(self, interaction: discord.Interaction, press: FeedbackPress) -> None:
        if press.intent_id in self._engine.library.intents_by_id:
            self._feedback.record(PLATFORM, press.intent_id, press.helpful)
            log.info("Discord feedback: intent=%s helpful=%s", press.intent_id, press.helpful)
        await interaction.response.send_message(_THANKS, ephemeral=True)

    # Faults and logging

    async def on_error(self, event_method: str, /, *args: object, **kwargs: object) -> None:
        """Log a failed event by kind and traceback (never its text) and carry on."""
        log.exception("Discord %s handler failed", event_method)

    @contextmanager
    def _tracked(self) -> Iterator[None]:
        """Mark the current task as a reply in flight, for `stop` to wait on."""
        task = asyncio.current_task()
        if task is not None:
            self._in_flight.add(task)
        try:
            yield
        finally:
            if task is not None:
                self._in_flight.discard(task)

    def _log_event(self, kind: str, reply: Reply | None, text: str) -> None:
        if reply is None:
            log.debug("Discord %s: stayed quiet", kind)
            return
        urgency = reply.safety.level.value if reply.safety and reply.safety.level else None
        log.info("Discord %s: intent=%s urgency=%s", kind, reply.intent_id, urgency)
        if self._settings.log_message_text:
            log.info("Discord %s text: %r", kind, text)


def _sized(reply: Reply, *, in_server: bool) -> Reply:
    """A server channel gets the group-sized answer; a direct message the whole one."""
    return group_form(reply) if in_server else reply


async def _respond(
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


async def _apologise(interaction: discord.Interaction) -> None:
    """Tell the member something failed, if the interaction is still unanswered."""
    if interaction.response.is_done():
        return
    try:
        await interaction.response.send_message(_SORRY, ephemeral=True)
    except discord.HTTPException as error:
        log.warning("Could not apologise for a failed interaction (HTTP %s)", error.status)


def _conversation_id(channel_id: int | None, user_id: int, *, in_server: bool) -> str:
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
