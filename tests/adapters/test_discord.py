"""The Discord adapter against the real discord.py, talking to a local stand-in of Discord.

Gateway payloads (MESSAGE_CREATE, INTERACTION_CREATE) go through discord.py's own parsing,
so real discord.Message and discord.Interaction objects reach the handlers; what the bot
sends is read at the HTTP layer. The engine runs on the shipped content library.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import discord
import pytest
import yarl

from bot.adapters import discord_rendering as rendering
from bot.adapters.admin_commands import NOT_AVAILABLE, REFUSAL
from bot.adapters.button_actions import AskPress, FeedbackPress, ask_data, feedback_data, parse_button_data
from bot.adapters.discord import DiscordAdapter
from bot.adapters.startup import TokenRejected
from bot.admin.desk import AdminDesk
from bot.admin.privacy import hash_user_id
from bot.core.content import Library
from bot.core.engine import Engine
from bot.core.types import Reply, SafetyNotice, Snippet, Source, Suggestion, Urgency
from bot.ops.settings import Settings
from tests.admin_desk import (
    ANSWERED,
    BROKEN_FIELD,
    BROKEN_FILE,
    SALT,
    UNANSWERED,
    AdminParts,
    running_desk,
)
from tests.discord_standin import (
    BOT_ID,
    BOT_USER,
    CHANNEL_ID,
    DM_CHANNEL_ID,
    GUILD_ID,
    LOCKED_CHANNEL_ID,
    MEMBER_ID,
    MESSAGE_CONTENT_INTENT,
    OTHER_BOT,
    OWNER_ID,
    DiscordStandIn,
    Sent,
    user_payload,
)
from tests.helpers import InMemoryFeedback, shipped_library
from tests.recording_engine import RecordingEngine

TOKEN = "test-token-never-logged"
RED = discord.Colour.red().value
CAUSES = "why does my lower back hurt after long runs?"
# The answer's best quote, as the library has it (an admin's edit must not break the tests).
CAUSES_SNIPPET = shipped_library().intent("causes_overview").snippets[0]
CAUSES_QUOTE = CAUSES_SNIPPET.quote[:60]
SHOULD_I_RUN = "should I keep running with back pain?"
FALL = "I fell off my bike yesterday and now my back hurts"
MENTION = f"<@{BOT_ID}>"
ADAPTER_LOG = "bot.adapters.discord"
ADMIN = frozenset({("discord", str(MEMBER_ID))})  # the stand-in's member uses every command
NOT_THE_MEMBER = frozenset({("discord", str(OWNER_ID))})
ADMIN_COMMANDS = ("reload", "stats", "unanswered")
WALKER = user_payload(1_000_005, "walker")  # a second member
QUIET = 0.15  # how long to wait to be sure nothing more is sent


@dataclasses.dataclass
class Harness:
    adapter: DiscordAdapter
    standin: DiscordStandIn
    feedback: InMemoryFeedback

    async def say(self, content: str, **where: Any) -> None:
        """A member's message; `where` as for DiscordStandIn.message_create."""
        await self.standin.dispatch("MESSAGE_CREATE", self.standin.message_create(content, **where))

    async def command(self, name: str, options: dict[str, str] | None = None) -> Sent:
        await self.standin.dispatch("INTERACTION_CREATE", self.standin.command_interaction(name, options))
        return await self.standin.next_sent()

    async def press(self, custom_id: str, on: Sent) -> Sent:
        await self.standin.dispatch(
            "INTERACTION_CREATE", self.standin.button_interaction(custom_id, on.message)
        )
        return await self.standin.next_sent()

    async def admin_command(self, name: str) -> Sent:
        """An admin command's answer: deferred ephemerally, then one ephemeral follow-up."""
        deferred = await self.command(name)
        assert (deferred.kind, deferred.body["type"], deferred.ephemeral) == ("callback", 5, True)
        answer = await self.standin.next_sent(timeout=5.0)
        assert answer.kind == "followup" and answer.ephemeral
        await self.nothing_more()
        return answer

    async def nothing_more(self) -> None:
        await asyncio.sleep(QUIET)
        assert self.standin.sent.empty()


StartBot = Callable[..., Awaitable[Harness]]


@pytest.fixture
async def standin(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[DiscordStandIn]:
    server = DiscordStandIn()
    await server.start()
    # Configuration, not mocking: the two addresses discord.py reads Discord's location from.
    monkeypatch.setattr(discord.http.Route, "BASE", server.rest_base)
    monkeypatch.setattr(discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(server.gateway_url))
    yield server
    await server.close()
    assert server.unexpected == []


@pytest.fixture
async def start_bot(standin: DiscordStandIn, library: Library) -> AsyncIterator[StartBot]:
    """Start adapters on the stand-in (settings as keyword overrides); stop them afterwards."""
    adapters: list[DiscordAdapter] = []

    async def start(
        library: Library = library,
        engine: Engine | None = None,
        admin: AdminDesk | None = None,
        **overrides: Any,
    ) -> Harness:
        settings = Settings(discord_bot_token=TOKEN, **overrides)
        feedback = InMemoryFeedback()
        adapter = DiscordAdapter(
            engine or Engine(library),
            settings,
            feedback,
            guild_ready_timeout=0.05,
            ready_timeout=5.0,
            admin=admin,
        )
        adapters.append(adapter)
        await asyncio.wait_for(adapter.start(), 5.0)
        return Harness(adapter, standin, feedback)

    yield start
    for adapter in adapters:
        await asyncio.wait_for(adapter.stop(), 10.0)


@pytest.fixture
async def bot(start_bot: StartBot) -> Harness:
    return await start_bot()


async def until(condition: Callable[[], bool]) -> None:
    """Return once `condition` holds; callers bound the wait with asyncio.wait_for."""
    while not condition():
        await asyncio.sleep(0.01)


def no_pings(sent: Sent) -> bool:
    return bool(sent.data.get("allowed_mentions", {}).get("parse") == [])


# Messages


@pytest.mark.parametrize("sharded", [True, False], ids=["auto-sharded", "plain-client"])
async def test_direct_message_is_a_question(start_bot: StartBot, sharded: bool) -> None:
    bot = await start_bot(discord_sharded=sharded)
    assert isinstance(bot.adapter.client, discord.AutoShardedClient) is sharded
    await bot.say(CAUSES, channel_id=DM_CHANNEL_ID)
    sent = await bot.standin.next_sent()
    assert (sent.kind, sent.target) == ("channel", DM_CHANNEL_ID)
    assert "message_reference" not in sent.body  # a DM needs no reply arrow
    assert f"> {CAUSES_QUOTE}" in sent.text
    assert CAUSES_SNIPPET.source.title[:20] in sent.text  # the source, named in the field
    assert "not medical advice" in sent.embeds[-1]["footer"]["text"]
    assert "fb:causes_overview:1" in sent.custom_ids and "fb:causes_overview:0" in sent.custom_ids
    assert any(custom_id.startswith("ask:") for custom_id in sent.custom_ids)
    assert no_pings(sent)


async def test_mention_is_answered_as_a_reply_without_pinging(bot: Harness) -> None:
    message = bot.standin.message_create(f"{MENTION} {SHOULD_I_RUN}", mentions=(BOT_USER,))
    await bot.standin.dispatch("MESSAGE_CREATE", message)
    sent = await bot.standin.next_sent()
    assert (sent.kind, sent.target) == ("channel", CHANNEL_ID)
    assert str(sent.body["message_reference"]["message_id"]) == message["id"]
    assert sent.body["message_reference"]["fail_if_not_exists"] is False
    assert sent.body["allowed_mentions"] == {"parse": [], "replied_user": False}
    assert "fb:should_i_run_with_pain:1" in sent.custom_ids


async def test_reply_to_the_bot_is_a_question(bot: Harness) -> None:
    await bot.say(f"{MENTION} {CAUSES}", mentions=(BOT_USER,))
    first = await bot.standin.next_sent()
    await bot.say(SHOULD_I_RUN, reply_to=first.message)  # no mention: only the reply arrow
    sent = await bot.standin.next_sent()
    assert "fb:should_i_run_with_pain:1" in sent.custom_ids


async def test_unaddressed_chatter_gets_no_reply(bot: Harness) -> None:
    await bot.say(CAUSES)  # a question, but not to the bot
    await bot.say("great run this morning everyone")
    await bot.say(f"@everyone {CAUSES}", mention_everyone=True)  # @everyone is not a mention of the bot
    await bot.say(f"{MENTION} {CAUSES}", author=OTHER_BOT, mentions=(BOT_USER,))  # bots are ignored
    await bot.say(SHOULD_I_RUN, channel_id=DM_CHANNEL_ID)  # the marker: handled after the others
    sent = await bot.standin.next_sent()
    assert sent.target == DM_CHANNEL_ID
    await asyncio.sleep(0.05)
    assert bot.standin.sent.empty()


async def test_unaddressed_red_flag_gets_the_urgent_reply(bot: Harness) -> None:
    await bot.say(FALL)
    sent = await bot.standin.next_sent()
    assert sent.target == CHANNEL_ID
    [embed] = sent.embeds  # the safety block and nothing else
    assert embed["color"] == RED
    assert embed["description"].startswith("🚨 URGENT:") and "Call 999" in embed["description"]
    assert sent.custom_ids == []


async def test_safety_block_comes_first_in_an_addressed_answer(bot: Harness) -> None:
    await bot.say(
        f"{MENTION} my legs keep giving way, should I keep running with back pain?", mentions=(BOT_USER,)
    )
    sent = await bot.standin.next_sent()
    assert sent.embeds[0]["color"] == RED
    assert sent.embeds[0]["description"].startswith("🚨 URGENT:")


async def test_everyone_in_a_question_never_pings(bot: Harness) -> None:
    await bot.say(f"{MENTION} @everyone <@&{GUILD_ID}> {CAUSES}", mentions=(BOT_USER,), mention_everyone=True)
    sent = await bot.standin.next_sent()
    assert no_pings(sent)
    asked = await bot.command("ask", {"question": f"@everyone {CAUSES}"})
    assert no_pings(asked)


# Slash commands and buttons


async def test_commands_are_synced_globally_at_start(bot: Harness) -> None:
    [(path, commands)] = bot.standin.command_syncs
    assert path.endswith(f"/applications/{BOT_ID}/commands")
    assert {c["name"] for c in commands} == {"ask", "topics", "sources", "urgent", "help", *ADMIN_COMMANDS}
    [ask] = [c for c in commands if c["name"] == "ask"]
    assert [(o["name"], o["type"], o["required"]) for o in ask["options"]] == [("question", 3, True)]


async def test_commands_are_synced_to_the_test_guild_when_set(start_bot: StartBot) -> None:
    bot = await start_bot(discord_guild_id=GUILD_ID)
    [(path, commands)] = bot.standin.command_syncs
    assert path.endswith(f"/guilds/{GUILD_ID}/commands")
    assert len(commands) == 5 + len(ADMIN_COMMANDS)


async def test_ask_command_is_answered_directly(bot: Harness) -> None:
    sent = await bot.command("ask", {"question": CAUSES})
    assert sent.kind == "callback" and sent.body["type"] == 4  # a message, not a deferral
    assert sent.embeds[0]["title"] == CAUSES
    assert CAUSES_QUOTE in sent.text
    assert not sent.ephemeral


async def test_ask_with_a_bare_red_flag_gets_the_safety_block_alone(bot: Harness) -> None:
    sent = await bot.command("ask", {"question": FALL})
    [embed] = sent.embeds
    assert embed["color"] == RED and "Call 999" in embed["description"]


@pytest.mark.parametrize(("name", "title"), [("help", "How to use me"), ("topics", "Topics I know")])
async def test_info_commands_answer_the_asker_only(bot: Harness, name: str, title: str) -> None:
    sent = await bot.command(name)
    assert sent.embeds[0]["title"] == title
    assert sent.ephemeral


async def test_a_server_answer_is_group_sized_and_more_shows_the_whole_to_the_presser(
    bot: Harness, library: Library
) -> None:
    answer = await bot.command("ask", {"question": CAUSES})
    causes = library.intent("causes_overview")
    fields = [f for e in answer.embeds for f in e.get("fields", [])]
    assert len(fields) == 1 and fields[0]["name"] == causes.snippets[0].source.label
    assert not answer.ephemeral and answer.custom_ids == [
        "more:causes_overview",
        "src:causes_overview",
        "fb:causes_overview:1",
        "fb:causes_overview:0",
    ]
    whole = await bot.press("more:causes_overview", on=answer)
    assert whole.ephemeral
    quoted = " ".join(f["value"] for e in whole.embeds for f in e.get("fields", []))
    assert all(s.quote in quoted for s in causes.snippets)
    sources = await bot.press("src:causes_overview", on=answer)
    assert sources.ephemeral and causes.snippets[0].source.label in sources.text


async def test_suggestion_button_asks_that_question(bot: Harness, library: Library) -> None:
    answer = await bot.press("more:causes_overview", on=await bot.command("ask", {"question": CAUSES}))
    custom_id = next(c for c in answer.custom_ids if c.startswith("ask:"))
    intent = library.intent(custom_id.removeprefix("ask:"))
    sent = await bot.press(custom_id, on=answer)
    assert sent.kind == "callback"
    assert sent.embeds[0]["title"] == intent.question
    assert f"fb:{intent.id}:1" in sent.custom_ids


async def test_feedback_buttons_are_recorded(bot: Harness) -> None:
    answer = await bot.command("ask", {"question": CAUSES})
    thanks = await bot.press("fb:causes_overview:1", on=answer)
    await bot.press("fb:causes_overview:0", on=answer)
    await bot.press("fb:causes_overview:1", on=answer)
    assert thanks.ephemeral
    assert bot.feedback.counts() == {"causes_overview": (2, 1)}


async def test_button_of_a_removed_intent_says_so(bot: Harness) -> None:
    answer = await bot.command("ask", {"question": CAUSES})
    sent = await bot.press("ask:no_longer_there", on=answer)
    assert sent.ephemeral and "no longer" in sent.text


# Admin commands


@pytest.fixture
async def desk(tmp_path: Path) -> AsyncIterator[AdminParts]:
    async with running_desk(tmp_path) as parts:
        yield parts


@pytest.fixture
async def admin_bot(start_bot: StartBot, desk: AdminParts) -> Harness:
    return await start_bot(engine=desk.engine, admin=desk.desk, admin_ids=ADMIN)


async def test_admin_commands_are_offered_to_server_managers_only(bot: Harness) -> None:
    [(_, commands)] = bot.standin.command_syncs
    for command in (c for c in commands if c["name"] in ADMIN_COMMANDS):
        manage_guild = 1 << 5
        assert int(command["default_member_permissions"]) == manage_guild
        assert command["dm_permission"] is False
    [ask] = [c for c in commands if c["name"] == "ask"]
    assert ask["default_member_permissions"] is None  # members' commands stay open to all


async def test_an_admin_reloads_the_content(admin_bot: Harness, desk: AdminParts) -> None:
    answer = await admin_bot.admin_command("reload")
    assert answer.text.startswith(f"Content reloaded: {len(desk.engine.library.intents)} intents")
    assert no_pings(answer)


async def test_a_failed_reload_names_file_line_and_field_and_the_old_library_answers(
    admin_bot: Harness, desk: AdminParts
) -> None:
    old = desk.engine.library
    line = desk.break_content()
    answer = await admin_bot.admin_command("reload")
    assert answer.text.startswith("Content NOT reloaded")
    # Markdown is escaped (a "_" shows as written); the admin reads the unescaped text.
    shown = answer.text.replace("\\", "")
    assert f"{BROKEN_FILE}:{line}: {BROKEN_FIELD}: unknown topic 'relif'" in shown
    assert desk.engine.library is old
    asked = await admin_bot.command("ask", {"question": ANSWERED})
    assert "fb:relief_ice_heat:1" in asked.custom_ids


async def test_stats_count_what_members_asked(admin_bot: Harness) -> None:
    await admin_bot.say(ANSWERED, channel_id=DM_CHANNEL_ID)
    await admin_bot.say(f"{MENTION} {UNANSWERED}", mentions=(BOT_USER,))
    await admin_bot.say(FALL)  # unaddressed: an urgent reply, no question
    for _ in range(3):
        await admin_bot.standin.next_sent()
    answer = await admin_bot.admin_command("stats")
    assert "Last 7 days: 2 questions, 50% answered, 1 urgent replies" in answer.text
    assert "relief\\_ice\\_heat: 1" in answer.text  # markdown escaped: shown as written


async def test_unanswered_lists_questions_stored_with_the_askers_id_hashed(
    admin_bot: Harness, desk: AdminParts
) -> None:
    await admin_bot.say(f"{MENTION} {UNANSWERED}", author=WALKER, mentions=(BOT_USER,))
    await admin_bot.standin.next_sent()
    answer = await admin_bot.admin_command("unanswered")
    assert f"(discord): {UNANSWERED}" in answer.text
    [stored] = await desk.store.unanswered()
    assert stored.user_hash == hash_user_id(SALT, "discord", WALKER["id"])


@pytest.mark.parametrize("name", ADMIN_COMMANDS)
async def test_a_non_admin_gets_a_refusal_and_nothing_else(
    start_bot: StartBot, desk: AdminParts, name: str
) -> None:
    bot = await start_bot(engine=desk.engine, admin=desk.desk, admin_ids=NOT_THE_MEMBER)
    desk.break_content()  # a reload would fail loudly: the refusal must not run one
    sent = await bot.command(name)
    assert (sent.kind, sent.body["type"], sent.ephemeral) == ("callback", 4, True)
    assert sent.text == REFUSAL.format(command=name)
    await bot.nothing_more()
    assert desk.reloader.last_result is None


async def test_admin_commands_without_a_desk_are_not_available(start_bot: StartBot) -> None:
    bot = await start_bot(admin_ids=ADMIN)
    sent = await bot.command("stats")
    assert sent.ephemeral and sent.text == NOT_AVAILABLE


# Conversations


async def test_two_members_in_a_channel_keep_their_own_follow_ups(
    start_bot: StartBot, library: Library
) -> None:
    engine = RecordingEngine(library)
    bot = await start_bot(engine=engine)
    await bot.say(f"{MENTION} {SHOULD_I_RUN}", mentions=(BOT_USER,))
    await bot.standin.next_sent()
    await bot.say(f"{MENTION} why?", author=WALKER, mentions=(BOT_USER,))
    walker = await bot.standin.next_sent()
    await bot.say(f"{MENTION} why?", mentions=(BOT_USER,))
    member = await bot.standin.next_sent()
    assert not any(c.startswith("fb:") for c in walker.custom_ids)  # not answered: no earlier question
    assert "fb:should_i_run_with_pain:1" in member.custom_ids  # the member's own follow-up
    runner, other = (
        (f"{CHANNEL_ID}:{MEMBER_ID}", str(MEMBER_ID)),
        (f"{CHANNEL_ID}:{WALKER['id']}", WALKER["id"]),
    )
    assert [(m.conversation_id, m.user_id) for m in engine.seen] == [runner, other, runner]


@pytest.mark.parametrize(
    ("first", "then", "expected"),
    [
        ("upper back between shoulder blades aches on runs", "thanks mate", "smalltalk_thanks"),
        ("upper back between shoulder blades aches on runs", "best marathon shoes?", "off_topic"),
        ("what stretches help my lower back?", "and foam rolling?", "not_covered"),
    ],
)
async def test_a_channel_exchange_reads_the_second_message_on_its_merits(
    bot: Harness, library: Library, first: str, then: str, expected: str
) -> None:
    await bot.say(f"{MENTION} {first}", mentions=(BOT_USER,))
    answer = await bot.standin.next_sent()
    await bot.say(f"{MENTION} {then}", mentions=(BOT_USER,))
    second = await bot.standin.next_sent()
    first_intent = next(c for c in answer.custom_ids if c.startswith("fb:")).split(":")[1]
    if expected == "smalltalk_thanks":  # the thank-you, not the answer again
        assert library.intent(expected).lead_in in second.text
        assert f"fb:{first_intent}:1" not in second.custom_ids
    elif expected == "off_topic":  # kit, not the back: declined
        assert library.messages.off_topic in second.text
        assert not any(c.startswith("fb:") for c in second.custom_ids)
    else:  # the nearest advice, said to be no more than that
        assert library.messages.not_covered in second.text


async def test_a_dm_and_a_slash_command_carry_the_sender_id(start_bot: StartBot, library: Library) -> None:
    engine = RecordingEngine(library)
    bot = await start_bot(engine=engine)
    await bot.say(CAUSES, channel_id=DM_CHANNEL_ID)
    await bot.standin.next_sent()
    await bot.command("ask", {"question": CAUSES})
    dm, asked = engine.seen
    assert (dm.conversation_id, dm.user_id) == (str(DM_CHANNEL_ID), str(MEMBER_ID))
    assert (asked.conversation_id, asked.user_id) == (f"{CHANNEL_ID}:{MEMBER_ID}", str(MEMBER_ID))


# Long answers


def long_reply() -> Reply:
    source = Source("clinic", "A clinic's article", "A clinic", "clinical")
    words = " ".join(f"word{i}" for i in range(700))  # about 5,500 characters
    return Reply(
        answered=True,
        intent_id="long",
        safety=SafetyNotice(Urgency.URGENT, ("fever",), (), "⚠️ Please see a doctor today. " * 200),
        lead_in="Lead-in paragraph.\n\n" * 300,
        snippets=tuple(Snippet(f"{i} {words}", source) for i in range(6)),
        suggestions=tuple(Suggestion(f"intent_{i}", f"Question {i}? " * 10) for i in range(7)),
        closing_check="Quick check?",
        disclaimer="Not medical advice.",
    )


def test_split_text_cuts_at_breaks_and_keeps_every_word() -> None:
    text = "First paragraph.\n\nSecond one is longer than the rest.\nIts second line.\n\n" + "x" * 25
    pieces = rendering.split_text(text, 20)
    assert all(len(piece) <= 20 for piece in pieces)
    assert pieces[0] == "First paragraph."
    assert "".join(pieces).replace(" ", "") == text.replace(" ", "").replace("\n", "")


async def test_long_reply_is_split_within_every_limit() -> None:
    reply = long_reply()
    embeds = rendering.reply_embeds(reply, title="Q" * 300)
    messages = rendering.pack_messages(embeds)
    assert len(messages) > 1
    for message in messages:
        assert len(message) <= 10 and sum(len(embed) for embed in message) <= 6000
    for embed in embeds:
        assert len(embed) <= 6000 and len(embed.fields) <= 25
        assert len(embed.description or "") <= 4096 and len(embed.title or "") <= 256
        assert all(len(f.name or "") <= 256 and len(f.value or "") <= 1024 for f in embed.fields)
    safety = [e for e in embeds if e.colour == discord.Colour.red()]
    assert embeds[: len(safety)] == safety  # the whole safety block comes first
    shown = " ".join((e.description or "") + " ".join(f.value or "" for f in e.fields) for e in embeds)
    assert shown.count("word699") == 6 and "Quick check?" in shown
    quotes = [f.value or "" for e in embeds for f in e.fields if f.value != "Quick check?"]
    assert all(value.startswith("> ") for value in quotes)
    view = rendering.reply_view(reply)
    assert view is not None and view.is_finished()  # stopped: discord.py will not store it
    rows = {item.row for item in view.children}
    assert len(rows) <= 5 and len(view.children) == 4 + 3  # four suggestions, then Sources, 👍, 👎
    assert all(len(item.label or "") <= 80 for item in view.children if isinstance(item, discord.ui.Button))


async def test_long_answer_arrives_in_several_messages(start_bot: StartBot, library: Library) -> None:
    causes = library.intent("causes_overview")
    long_quotes = tuple(Snippet(s.quote * 12, s.source) for s in causes.snippets)  # about 12,000 chars
    intents = tuple(
        dataclasses.replace(i, snippets=long_quotes) if i is causes else i for i in library.intents
    )
    bot = await start_bot(library=dataclasses.replace(library, intents=intents))
    short = await bot.command("ask", {"question": CAUSES})
    parts = [await bot.press("more:causes_overview", on=short)]
    while not parts[-1].custom_ids:  # the buttons come under the last part
        parts.append(await bot.standin.next_sent())
    assert [sent.kind for sent in parts] == ["callback"] + ["followup"] * (len(parts) - 1)
    assert len(parts) >= 2 and "fb:causes_overview:1" in parts[-1].custom_ids
    for sent in parts:
        assert len(sent.embeds) <= 10 and sum(len(discord.Embed.from_dict(e)) for e in sent.embeds) <= 6000
    quoted = [f["value"] for sent in parts for e in sent.embeds for f in e.get("fields", [])]
    assert all(value.startswith("> ") for value in quoted)
    shown_words = " ".join(value.removeprefix("> ") for value in quoted).split()
    assert shown_words == " ".join(s.quote for s in long_quotes).split()  # nothing lost, in order


# Faults, reconnection, intents


async def test_a_failing_event_is_logged_and_the_bot_carries_on(
    start_bot: StartBot, caplog: pytest.LogCaptureFixture
) -> None:
    def failures() -> list[logging.LogRecord]:
        return [r for r in caplog.records if r.name == ADAPTER_LOG and r.levelno >= logging.ERROR]

    caplog.set_level(logging.DEBUG)  # before the start: the most a careless admin could log
    bot = await start_bot()
    await bot.say(f"{MENTION} {SHOULD_I_RUN}", channel_id=LOCKED_CHANNEL_ID, mentions=(BOT_USER,))  # 403
    await asyncio.wait_for(until(lambda: bool(failures())), 3.0)
    await bot.say(f"{MENTION} {CAUSES}", mentions=(BOT_USER,))
    sent = await bot.standin.next_sent()
    assert sent.target == CHANNEL_ID and CAUSES_QUOTE in sent.text
    [failure] = failures()
    assert "on_message" in failure.getMessage()
    assert failure.exc_info is not None and isinstance(failure.exc_info[1], discord.Forbidden)
    assert "keep running" not in caplog.text and "lower back hurt" not in caplog.text
    assert TOKEN not in caplog.text


async def test_reconnects_after_a_gateway_drop_and_still_answers(bot: Harness) -> None:
    await bot.standin.drop_connection()
    await bot.standin.wait_for_sessions(2)
    assert len(bot.standin.resumes) == 1 and len(bot.standin.identifies) == 1  # resumed, not re-identified
    await bot.say(CAUSES, channel_id=DM_CHANNEL_ID)
    sent = await bot.standin.next_sent()
    assert CAUSES_QUOTE in sent.text


@pytest.mark.parametrize("wanted", [True, False])
async def test_message_content_intent_follows_the_setting(start_bot: StartBot, wanted: bool) -> None:
    bot = await start_bot(discord_message_content=wanted)
    [identify] = bot.standin.identifies
    assert bool(identify["intents"] & MESSAGE_CONTENT_INTENT) is wanted


async def test_message_content_not_enabled_in_the_portal_fails_start_clearly(
    start_bot: StartBot, standin: DiscordStandIn
) -> None:
    standin.message_content_enabled = False
    with pytest.raises(discord.PrivilegedIntentsRequired):
        await start_bot()
    bot = await start_bot(discord_message_content=False)  # the admin's way out
    await bot.say(CAUSES, channel_id=DM_CHANNEL_ID)
    assert CAUSES_QUOTE in (await bot.standin.next_sent()).text


async def test_wrong_token_fails_start_clearly(start_bot: StartBot, standin: DiscordStandIn) -> None:
    standin.token = "the-real-token"
    with pytest.raises(TokenRejected) as info:
        await start_bot()
    assert str(info.value).startswith("Discord refused DISCORD_BOT_TOKEN") and TOKEN not in str(info.value)
    assert standin.identifies == []


def test_custom_ids_round_trip() -> None:
    assert parse_button_data(ask_data("relief_ice")) == AskPress("relief_ice")
    assert parse_button_data(feedback_data("relief_ice", False)) == (FeedbackPress("relief_ice", False))
    assert parse_button_data("fb:relief_ice:maybe") is None
    assert parse_button_data("someone-elses-button") is None
