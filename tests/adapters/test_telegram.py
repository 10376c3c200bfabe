"""The Telegram adapter end to end: the real python-telegram-bot Application, through
TelegramAdapter, against the Bot API stand-in on 127.0.0.1, with the shipped content.

Expected texts are rendered from what the engine itself replies, so these tests check the
adapter (addressing, rendering, buttons, faults), not the content's wording.
"""

from __future__ import annotations

import os

from tests.helpers import CONTENT, free_port

os.environ.setdefault("PTB_TIMEDELTA", "1")  # before telegram is imported; see conftest.py

import asyncio
import contextlib
import logging
import re
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from telegram.ext import AIORateLimiter

from bot.adapters.admin_commands import NOT_AVAILABLE, REFUSAL
from bot.adapters.button_actions import AskPress, FeedbackPress, MorePress, SourcesPress, parse_button_data
from bot.adapters.startup import PlatformUnreachable, TokenRejected
from bot.adapters.telegram import TelegramAdapter
from bot.adapters.telegram_rendering import (
    render_reply,
    reply_keyboard,
    telegram_length,
    wrap,
)
from bot.adapters.telegram_sending import SafetyFirstRateLimiter
from bot.admin.desk import AdminDesk
from bot.admin.privacy import hash_user_id
from bot.core.content import Library, load_library
from bot.core.engine import Engine
from bot.core.replies import group_form
from bot.core.types import IncomingMessage, Reply, SafetyNotice, Snippet, Source, Suggestion, Urgency
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
from tests.helpers import InMemoryFeedback
from tests.recording_engine import RecordingEngine
from tests.telegram_standin import (
    BOT_ID,
    BOT_USERNAME,
    MEMBER_ID,
    TOKEN,
    TelegramStandIn,
    entity,
    group_chat,
    html_problem,
    member,
    private_chat,
)

QUESTION = "why does my lower back hurt after long runs?"
OTHER_QUESTION = "should I keep running with back pain?"
RED_FLAG = "my legs keep giving way"
CHATTER = "anyone up for a run on saturday?"
QUIET = 0.15  # how long to wait to be sure nothing more is sent
ADMIN = frozenset({("telegram", str(MEMBER_ID))})  # Ann, the default sender, is the admin
OTHER_MEMBER = 2002


@dataclass
class Running:
    """A started adapter and what the tests look at."""

    api: TelegramStandIn
    adapter: TelegramAdapter
    engine: Engine
    feedback: InMemoryFeedback

    def expected(self, text: str, *, addressed: bool = True) -> Reply:
        reply = self.engine.handle(IncomingMessage(text, addressed=addressed, platform="telegram"))
        assert reply is not None
        return reply

    def expected_in_group(self, text: str) -> Reply:
        """The group-sized answer a group gets."""
        return group_form(self.expected(text))


@pytest.fixture
async def api() -> AsyncIterator[TelegramStandIn]:
    async with TelegramStandIn() as standin:
        yield standin


@pytest.fixture
async def bot(api: TelegramStandIn, library: Library) -> AsyncIterator[Running]:
    async with running(api, Engine(library)) as started:
        yield started


@contextlib.asynccontextmanager
async def running(
    api: TelegramStandIn,
    engine: Engine,
    limiter: SafetyFirstRateLimiter | None = None,
    admin: AdminDesk | None = None,
    **settings: Any,
) -> AsyncIterator[Running]:
    """The adapter started against `api`, with short retry pauses; stopped afterwards."""
    feedback = InMemoryFeedback()
    config = Settings(telegram_bot_token=TOKEN, telegram_base_url=api.base_url, **settings)
    adapter = TelegramAdapter(
        engine,
        config,
        feedback,
        rate_limiter=limiter,
        send_retry_delays=(0.01, 0.01),
        poll_timeout=5,
        admin=admin,
    )
    async with asyncio.timeout(3):
        await adapter.start()
    try:
        yield Running(api, adapter, engine, feedback)
    finally:
        async with asyncio.timeout(3):
            await adapter.stop()


async def assert_nothing_more(api: TelegramStandIn, count: int) -> None:
    """No message beyond the first `count` arrives within a short while."""
    await asyncio.sleep(QUIET)
    assert len(api.sent) == count, [s.text for s in api.sent[count:]]


def mention(text: str, name: str = f"@{BOT_USERNAME}") -> dict[str, Any]:
    return entity("mention", text, name)


def command(text: str) -> dict[str, Any]:
    return entity("bot_command", text, text.split()[0])


# -- direct messages and groups ------------------------------------------------------------


async def test_a_direct_message_is_answered_with_quotes_and_buttons(bot: Running) -> None:
    bot.api.push_message(private_chat(), QUESTION)
    [sent] = await bot.api.wait_sent(1)
    expected = bot.expected(QUESTION)
    assert expected.answered and expected.snippets
    assert sent.text == render_reply(expected)[0]
    assert "<blockquote>" in sent.text and expected.snippets[0].source.label in sent.text
    assert len(expected.snippets) > 1 and all(
        s.quote in sent.text for s in expected.snippets
    )  # the whole answer
    assert sent.reply_to is None  # no quoting in a private chat
    data = [d for _, d in sent.buttons]
    assert [f"ask:{s.intent_id}" for s in expected.suggestions] == data[:-3]
    assert data[-3:] == [
        f"src:{expected.intent_id}",
        f"fb:{expected.intent_id}:1",
        f"fb:{expected.intent_id}:0",
    ]


async def test_a_group_mention_is_answered_whatever_the_case(bot: Running) -> None:
    text = f"@{BOT_USERNAME.lower()} {OTHER_QUESTION}"
    asked = bot.api.push_message(group_chat(), text, entities=[mention(text, f"@{BOT_USERNAME.lower()}")])
    [sent] = await bot.api.wait_sent(1)
    assert sent.reply_to == asked["message_id"]
    assert sent.text == render_reply(bot.expected_in_group(OTHER_QUESTION))[0]


async def test_a_text_mention_of_the_bot_is_answered(bot: Running) -> None:
    text = f"Back Pain Bot {QUESTION}"
    bot_account = {"id": BOT_ID, "is_bot": True, "first_name": "Back Pain Bot"}
    tagged = entity("text_mention", text, "Back Pain Bot", user=bot_account)
    asked = bot.api.push_message(group_chat(), text, entities=[tagged])
    [sent] = await bot.api.wait_sent(1)
    assert sent.reply_to == asked["message_id"]
    assert sent.text == render_reply(bot.expected_in_group(QUESTION))[0]


async def test_a_reply_to_the_bot_is_answered(bot: Running) -> None:
    earlier = bot.api.message(group_chat(), "Short answer: ease off.", sender=bot.api.bot_user())
    asked = bot.api.push_message(group_chat(), OTHER_QUESTION, reply_to=earlier)
    [sent] = await bot.api.wait_sent(1)
    assert sent.reply_to == asked["message_id"]
    assert sent.text == render_reply(bot.expected_in_group(OTHER_QUESTION))[0]


async def test_ask_with_the_bot_name_is_answered_and_other_bots_commands_are_not(bot: Running) -> None:
    other = f"/ask@SomeOtherBot {QUESTION}"
    bot.api.push_message(group_chat(), other, entities=[command(other)])
    text = f"/ask@{BOT_USERNAME} {QUESTION}"
    asked = bot.api.push_message(group_chat(), text, entities=[command(text)])
    [sent] = await bot.api.wait_sent(1)
    assert sent.reply_to == asked["message_id"]
    assert sent.text == render_reply(bot.expected_in_group(QUESTION))[0]
    await assert_nothing_more(bot.api, 1)


async def test_ask_alone_in_reply_to_a_member_asks_that_message(bot: Running) -> None:
    original = bot.api.message(group_chat(), QUESTION, sender=member(2002, name="Bo"))
    asked = bot.api.push_message(group_chat(), "/ask", entities=[command("/ask")], reply_to=original)
    [sent] = await bot.api.wait_sent(1)
    assert sent.reply_to == asked["message_id"]
    assert sent.text == render_reply(bot.expected_in_group(QUESTION))[0]


async def test_unaddressed_group_chatter_gets_no_answer(bot: Running) -> None:
    bot.api.push_message(group_chat(), CHATTER)
    bot.api.push_message(group_chat(), QUESTION)  # a question, but not to the bot
    sentinel = bot.api.push_message(private_chat(), QUESTION)
    [sent] = await bot.api.wait_sent(1)
    assert sent.chat_id == sentinel["chat"]["id"]
    await assert_nothing_more(bot.api, 1)


async def test_an_unaddressed_red_flag_gets_the_urgent_reply_without_buttons(bot: Running) -> None:
    said = bot.api.push_message(group_chat(), RED_FLAG)
    [sent] = await bot.api.wait_sent(1)
    expected = bot.expected(RED_FLAG, addressed=False)
    assert expected.safety is not None and expected.safety.is_urgent
    assert sent.reply_to == said["message_id"]
    assert sent.text.startswith("<b>") and sent.text == render_reply(expected)[0]
    assert sent.reply_markup is None


async def test_a_red_flag_reply_skips_the_group_queue(api: TelegramStandIn, library: Library) -> None:
    # One message per 1.5 s in a group, so the second answer has to wait in the queue.
    pacing = AIORateLimiter(group_max_rate=1, group_time_period=1.5, max_retries=3)
    async with running(api, Engine(library), SafetyFirstRateLimiter(pacing)):
        text = f"@{BOT_USERNAME} {QUESTION}"
        api.push_message(group_chat(), text, entities=[mention(text)])
        await api.wait_sent(1)
        api.push_message(group_chat(), text, entities=[mention(text)])
        flagged = api.push_message(group_chat(), RED_FLAG)
        sent = await api.wait_sent(2, timeout=1.0)
        assert sent[1].reply_to == flagged["message_id"]  # ahead of the queued answer
        await api.wait_sent(3, timeout=2.5)  # the queued answer still comes


async def test_an_unaddressed_reply_never_carries_buttons(api: TelegramStandIn, library: Library) -> None:
    reply_with_buttons = replace(_long_reply(library), snippets=(), suggestions=(Suggestion("x", "Why?"),))
    engine = FixedReplyEngine(library, reply_with_buttons, unaddressed_too=True)
    async with running(api, engine) as bot:
        bot.api.push_message(group_chat(), CHATTER)
        [sent] = await bot.api.wait_sent(1)
        assert sent.reply_markup is None


async def test_a_photo_caption_is_read_as_text(bot: Running) -> None:
    caption = f"@{BOT_USERNAME} {QUESTION}"
    photo = [{"file_id": "photo-1", "file_unique_id": "u1", "width": 90, "height": 90}]
    asked = bot.api.push_message(
        group_chat(), photo=photo, caption=caption, caption_entities=[mention(caption)]
    )
    [sent] = await bot.api.wait_sent(1)
    assert sent.reply_to == asked["message_id"]
    assert sent.text == render_reply(bot.expected_in_group(QUESTION))[0]


async def test_bots_channel_posts_stickers_and_bare_photos_are_ignored(bot: Running) -> None:
    api = bot.api
    sticker = {
        "file_id": "sticker-1", "file_unique_id": "s1", "type": "regular",
        "width": 512, "height": 512, "is_animated": False, "is_video": False,
    }  # fmt: skip
    photo = [{"file_id": "photo-1", "file_unique_id": "u1", "width": 90, "height": 90}]
    other_bot = member(777, is_bot=True, name="Other Bot")
    channel = {"id": -1009999, "type": "channel", "title": "Club news"}
    api.push_message(private_chat(), sticker=sticker)
    api.push_message(private_chat(), photo=photo)
    api.push_message(private_chat(), RED_FLAG, sender=other_bot)
    api.push_message(group_chat(), f"@{BOT_USERNAME} {RED_FLAG}", sender=other_bot)
    api.push_message(channel, RED_FLAG, sender_chat=channel, kind="channel_post")
    api.push_message(group_chat(), RED_FLAG, sender_chat=channel, is_automatic_forward=True)
    sentinel = api.push_message(private_chat(4004), QUESTION, sender=member(4004))
    [sent] = await api.wait_sent(1)
    assert sent.chat_id == sentinel["chat"]["id"]
    await assert_nothing_more(api, 1)


async def test_an_edit_is_screened_for_red_flags_once_and_never_re_answered(bot: Running) -> None:
    api = bot.api
    question = api.push_message(private_chat(), QUESTION)
    await api.wait_sent(1)
    api.push("edited_message", {**question, "text": OTHER_QUESTION, "edit_date": question["date"]})
    flagged = {**question, "text": f"{QUESTION} and {RED_FLAG}", "edit_date": question["date"]}
    api.push("edited_message", flagged)
    sent = await api.wait_sent(2)
    assert sent[1].text == render_reply(bot.expected(flagged["text"], addressed=False))[0]
    assert sent[1].reply_markup is None
    api.push("edited_message", {**flagged, "text": f"{flagged['text']}!"})  # same signs again
    await assert_nothing_more(api, 2)


# -- commands ------------------------------------------------------------------------------


async def test_commands_are_registered_at_start(bot: Running) -> None:
    [call] = await bot.api.wait_calls("setMyCommands")
    names = [c["command"] for c in call.params["commands"]]
    assert names == ["ask", "help", "topics", "sources", "urgent"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/start", "/ask"),
        ("/help", "In a group"),
        ("/topics", "Topics I know"),
        ("/sources", "trust: clinical"),
        ("/urgent", "EMERGENCY"),
    ],
)
async def test_info_commands(bot: Running, text: str, expected: str) -> None:
    bot.api.push_message(private_chat(), text, entities=[command(text)])
    [sent] = await bot.api.wait_sent(1)
    assert sent.text.startswith("<b>") and expected in sent.text


async def test_a_red_flag_after_an_info_command_is_not_missed(bot: Running) -> None:
    text = f"/help {RED_FLAG}"
    bot.api.push_message(group_chat(), text, entities=[command(text)])
    first, second = await bot.api.wait_sent(2)
    assert first.text == render_reply(bot.expected(RED_FLAG, addressed=False))[0]
    assert "/ask" in second.text


# -- admin commands ------------------------------------------------------------------------


@pytest.fixture
async def desk(tmp_path: Path) -> AsyncIterator[AdminParts]:
    async with running_desk(tmp_path) as parts:
        yield parts


@pytest.fixture
async def admin_bot(api: TelegramStandIn, desk: AdminParts) -> AsyncIterator[Running]:
    async with running(api, desk.engine, admin=desk.desk, admin_ids=ADMIN) as started:
        yield started


def push_command(api: TelegramStandIn, text: str, chat: dict[str, Any] | None = None, **fields: Any) -> int:
    """Queue a command message (private chat with Ann unless `chat`); returns its message id."""
    message = api.push_message(chat or private_chat(), text, entities=[command(text)], **fields)
    return int(message["message_id"])


async def test_an_admin_reloads_the_content(admin_bot: Running, desk: AdminParts) -> None:
    push_command(admin_bot.api, "/reload")
    [sent] = await admin_bot.api.wait_sent(1, timeout=5)
    intents = len(desk.engine.library.intents)
    assert sent.message["text"].startswith(f"Content reloaded: {intents} intents")
    assert desk.reloader.last_result is not None and desk.reloader.last_result.ok


async def test_a_failed_reload_names_file_line_and_field_and_the_old_library_answers(
    admin_bot: Running, desk: AdminParts
) -> None:
    api, old = admin_bot.api, desk.engine.library
    line = desk.break_content()
    asked = push_command(api, f"/reload@{BOT_USERNAME}", group_chat())  # /reload works in groups
    [sent] = await api.wait_sent(1, timeout=5)
    text = sent.message["text"]  # as the admin reads it (the HTML was escaped and accepted)
    assert text.startswith("Content NOT reloaded") and sent.reply_to == asked
    assert f"{BROKEN_FILE}:{line}: {BROKEN_FIELD}: unknown topic 'relif'" in text
    assert desk.engine.library is old
    api.push_message(private_chat(), ANSWERED)
    answer = (await api.wait_sent(2))[1]
    assert answer.text == render_reply(admin_bot.expected(ANSWERED))[0]
    assert "fb:relief_ice_heat:1" in [data for _, data in answer.buttons]


async def test_stats_count_what_members_asked(admin_bot: Running) -> None:
    api, bo = admin_bot.api, member(OTHER_MEMBER, name="Bo")
    api.push_message(private_chat(OTHER_MEMBER), ANSWERED, sender=bo)
    api.push_message(private_chat(OTHER_MEMBER), UNANSWERED, sender=bo)
    api.push_message(group_chat(), RED_FLAG, sender=bo)  # unaddressed: an urgent reply, no question
    await api.wait_sent(3)
    push_command(api, "/stats")
    text = (await api.wait_sent(4, timeout=5))[3].message["text"]
    assert "Last 7 days: 2 questions, 50% answered, 1 urgent replies" in text
    assert "Last 30 days: 2 questions" in text and "relief_ice_heat: 1" in text


async def test_unanswered_lists_questions_stored_with_the_askers_id_hashed(
    admin_bot: Running, desk: AdminParts
) -> None:
    api = admin_bot.api
    api.push_message(private_chat(OTHER_MEMBER), UNANSWERED, sender=member(OTHER_MEMBER, name="Bo"))
    await api.wait_sent(1)
    push_command(api, "/unanswered")
    text = (await api.wait_sent(2, timeout=5))[1].message["text"]
    assert f"(telegram): {UNANSWERED}" in text
    [stored] = await desk.store.unanswered()
    assert stored.user_hash == hash_user_id(SALT, "telegram", str(OTHER_MEMBER))


@pytest.mark.parametrize("name", ["stats", "unanswered"])
async def test_stats_and_unanswered_in_a_group_ask_for_a_direct_message(
    admin_bot: Running, name: str
) -> None:
    asked = push_command(admin_bot.api, f"/{name}@{BOT_USERNAME}", group_chat())
    [sent] = await admin_bot.api.wait_sent(1)
    assert "in a direct message" in sent.message["text"] and sent.reply_to == asked
    await assert_nothing_more(admin_bot.api, 1)


@pytest.mark.parametrize("name", ["reload", "stats", "unanswered"])
async def test_a_non_admin_gets_a_refusal_and_nothing_else(
    admin_bot: Running, desk: AdminParts, name: str
) -> None:
    desk.break_content()  # a reload would fail loudly: the refusal must not run one
    push_command(admin_bot.api, f"/{name}", private_chat(OTHER_MEMBER), sender=member(OTHER_MEMBER))
    [sent] = await admin_bot.api.wait_sent(1)
    assert sent.message["text"] == REFUSAL.format(command=name)
    await assert_nothing_more(admin_bot.api, 1)
    assert desk.reloader.last_result is None


async def test_a_red_flag_after_an_admin_command_is_not_missed(admin_bot: Running) -> None:
    push_command(admin_bot.api, f"/stats {RED_FLAG}", group_chat(), sender=member(OTHER_MEMBER))
    first, second = await admin_bot.api.wait_sent(2)
    assert first.text == render_reply(admin_bot.expected(RED_FLAG, addressed=False))[0]
    assert second.message["text"] == REFUSAL.format(command="stats")


async def test_admin_commands_without_a_desk_are_not_available(
    api: TelegramStandIn, library: Library
) -> None:
    async with running(api, Engine(library), admin_ids=ADMIN):
        push_command(api, "/reload")
        [sent] = await api.wait_sent(1)
    assert sent.message["text"] == NOT_AVAILABLE


# -- conversations -------------------------------------------------------------------------


async def test_two_members_in_a_group_keep_their_own_follow_ups(
    api: TelegramStandIn, library: Library
) -> None:
    engine = RecordingEngine(library)
    ann, bo, group = member(), member(OTHER_MEMBER, name="Bo"), group_chat()
    ask, why = f"@{BOT_USERNAME} {OTHER_QUESTION}", f"@{BOT_USERNAME} why?"
    async with running(api, engine):
        api.push_message(group, ask, entities=[mention(ask)], sender=ann)
        await api.wait_sent(1)
        api.push_message(group, why, entities=[mention(why)], sender=bo)
        await api.wait_sent(2)
        api.push_message(group, why, entities=[mention(why)], sender=ann)
        sent = await api.wait_sent(3)
    alone = Engine(library).handle(IncomingMessage("why?"))
    assert alone is not None and not alone.answered
    assert sent[1].text == render_reply(group_form(alone))[0]  # Bo's "why?" does not borrow Ann's question
    assert "fb:should_i_run_with_pain:1" in [data for _, data in sent[2].buttons]  # Ann's does
    ids = [(m.conversation_id, m.user_id) for m in engine.seen]
    ann_id, bo_id = (f"{group['id']}:{MEMBER_ID}", str(MEMBER_ID)), (f"{group['id']}:{OTHER_MEMBER}", "2002")
    assert ids == [ann_id, bo_id, ann_id]


UPPER_BACK = "upper back between shoulder blades aches on runs"


@pytest.mark.parametrize(
    ("first", "then", "expected_topic"),
    [
        (UPPER_BACK, "thanks mate", "smalltalk"),  # the thank-you, not the answer again
        (UPPER_BACK, "best marathon shoes?", None),  # declined: kit, not the back
        ("what stretches help my lower back?", "and foam rolling?", "relief"),  # said not covered
    ],
)
async def test_a_group_exchange_reads_the_second_message_on_its_merits(
    bot: Running, library: Library, first: str, then: str, expected_topic: str | None
) -> None:
    group = group_chat()
    for number, text in enumerate((first, then), start=1):
        addressed = f"@{BOT_USERNAME} {text}"
        bot.api.push_message(group, addressed, entities=[mention(addressed)])
        sent = await bot.api.wait_sent(number)
    conversation = Engine(library)
    conversation.handle(IncomingMessage(first, "one member"))
    reply = conversation.handle(IncomingMessage(then, "one member"))
    assert reply is not None and reply.topic == expected_topic
    assert reply.explanation.follow_up == (expected_topic == "relief")
    if expected_topic == "relief":
        assert reply.lead_in.startswith(library.messages.not_covered)
    assert sent[1].text == render_reply(group_form(reply))[0]


async def test_a_direct_message_is_one_conversation_and_carries_the_sender_id(
    api: TelegramStandIn, library: Library
) -> None:
    engine = RecordingEngine(library)
    async with running(api, engine):
        api.push_message(private_chat(), QUESTION)
        await api.wait_sent(1)
    [seen] = engine.seen
    assert (seen.conversation_id, seen.user_id, seen.platform) == (str(MEMBER_ID), str(MEMBER_ID), "telegram")


# -- buttons -------------------------------------------------------------------------------


async def test_a_follow_up_button_asks_its_question(bot: Running) -> None:
    bot.api.push_message(private_chat(), QUESTION)
    [answer] = await bot.api.wait_sent(1)
    follow_up = bot.expected(QUESTION).suggestions[0]
    bot.api.push_press(answer, f"ask:{follow_up.intent_id}")
    sent = await bot.api.wait_sent(2)
    expected = bot.engine.reply_for_intent(follow_up.intent_id)
    assert expected is not None and sent[1].text == render_reply(expected)[0]
    assert sent[1].reply_markup == reply_keyboard(expected).to_dict()  # type: ignore[union-attr]
    await bot.api.wait_calls("answerCallbackQuery")


async def test_a_group_answer_is_group_sized_and_more_gives_the_whole(bot: Running) -> None:
    text = f"@{BOT_USERNAME} {QUESTION}"
    bot.api.push_message(group_chat(), text, entities=[mention(text)])
    [short] = await bot.api.wait_sent(1)
    whole = bot.expected(QUESTION)
    assert len(whole.snippets) > 1 and whole.snippets[1].quote not in short.text
    assert short.text.count("<blockquote>") == 1 and short.text.count(whole.snippets[0].source.label) == 1
    intent = whole.intent_id
    assert [data for _, data in short.buttons] == [
        f"more:{intent}",
        f"src:{intent}",
        f"fb:{intent}:1",
        f"fb:{intent}:0",
    ]
    assert [label for label, _ in short.buttons][:2] == ["More", "Sources"]
    bot.api.push_press(short, f"more:{intent}")
    sent = await bot.api.wait_sent(2)
    assert sent[1].text == render_reply(whole)[0] and sent[1].reply_to == short.message["message_id"]
    assert all(s.quote in sent[1].text for s in whole.snippets)


async def test_sources_press_names_the_answers_sources_to_the_presser_only(bot: Running) -> None:
    bot.api.push_message(private_chat(), QUESTION)
    [answer] = await bot.api.wait_sent(1)
    whole = bot.expected(QUESTION)
    bot.api.push_press(answer, f"src:{whole.intent_id}")
    [pop_up] = await bot.api.wait_calls("answerCallbackQuery")
    assert pop_up.params["show_alert"] is True
    assert all(source.label in pop_up.params["text"] for source in whole.sources)
    await assert_nothing_more(bot.api, 1)  # nothing posted in the chat


async def test_feedback_buttons_are_recorded_and_thanked(bot: Running) -> None:
    bot.api.push_message(private_chat(), QUESTION)
    [answer] = await bot.api.wait_sent(1)
    intent_id = bot.expected(QUESTION).intent_id
    bot.api.push_press(answer, f"fb:{intent_id}:1")
    bot.api.push_press(answer, f"fb:{intent_id}:0", sender=member(2002))
    bot.api.push_press(answer, f"fb:{intent_id}:1", sender=member(3003))
    answers = await bot.api.wait_calls("answerCallbackQuery", 3)
    assert all("Thanks" in a.params["text"] for a in answers)
    assert bot.feedback.counts() == {intent_id: (2, 1)}
    await assert_nothing_more(bot.api, 1)


def test_callback_data_round_trips() -> None:
    assert parse_button_data("ask:causes_overview") == AskPress("causes_overview")
    assert parse_button_data("more:causes_overview") == MorePress("causes_overview")
    assert parse_button_data("src:causes_overview") == SourcesPress("causes_overview")
    assert parse_button_data("more:") is None
    assert parse_button_data("fb:causes_overview:1") == FeedbackPress("causes_overview", helpful=True)
    assert parse_button_data("fb:causes_overview:0") == FeedbackPress("causes_overview", helpful=False)
    assert parse_button_data("fb:causes_overview:x") is None
    assert parse_button_data("something else") is None
    assert parse_button_data(None) is None


def test_buttons_whose_data_would_exceed_64_bytes_are_left_out() -> None:
    long_id = "x" * 61
    reply = Reply(
        answered=True,
        intent_id=long_id,
        snippets=(_snippet("quote"),),
        suggestions=(Suggestion("fine", "A fine question?"), Suggestion(long_id, "Too long?")),
    )
    keyboard = reply_keyboard(reply)
    assert keyboard is not None
    assert [[b.callback_data for b in row] for row in keyboard.inline_keyboard] == [["ask:fine"]]


# -- rendering -----------------------------------------------------------------------------


def test_rendering_escapes_everything_and_puts_safety_first_in_bold() -> None:
    reply = Reply(
        answered=True,
        intent_id="x",
        safety=SafetyNotice(Urgency.EMERGENCY, ("fall",), (), "Call 999 if pain > 7 & <rising>"),
        lead_in="Lead <b>in</b> & out > here",
        snippets=(_snippet("a < b && c > d"),),
        closing_check="Check <this>",
        disclaimer="Not advice & <i>so on</i>",
    )
    [text] = render_reply(reply)
    assert text.startswith("<b>Call 999 if pain &gt; 7 &amp; &lt;rising&gt;</b>\n\n")
    assert "Lead &lt;b&gt;in&lt;/b&gt; &amp; out &gt; here" in text
    assert (
        "<blockquote>a &lt; b &amp;&amp; c &gt; d</blockquote>\n"
        "<i>\u2014 Pub &amp; Co, \u201cTitle &lt;1&gt;\u201d</i>" in text
    )
    assert "Check &lt;this&gt;" in text and text.endswith("<i>Not advice &amp; &lt;i&gt;so on&lt;/i&gt;</i>")
    assert html_problem(text) is None


def test_a_long_reply_is_split_between_paragraphs_in_order(library: Library) -> None:
    reply = _long_reply(library)
    parts = render_reply(reply)
    assert len(parts) >= 2
    assert all(telegram_length(p) <= 4096 and html_problem(p) is None for p in parts)
    assert parts[0].startswith("<b>")  # the safety block opens the first part
    assert all(p.count("<blockquote>") == p.count("</blockquote>") for p in parts)
    [whole] = render_reply(reply, limit=10**6)
    assert "\n\n".join(parts) == whole  # nothing lost or moved


def test_one_paragraph_over_the_limit_is_cut_inside_its_tags() -> None:
    text = ("Tom & Jerry <run> far. " * 300) + "x" * 5000
    pieces = wrap("blockquote", text)
    assert len(pieces) >= 3
    for piece in pieces:
        assert piece.startswith("<blockquote>") and piece.endswith("</blockquote>")
        assert telegram_length(piece) <= 4096 and html_problem(piece) is None


async def test_a_long_reply_arrives_in_parts_with_buttons_on_the_last(
    api: TelegramStandIn, library: Library
) -> None:
    engine = FixedReplyEngine(library, _long_reply(library))
    async with running(api, engine) as bot:
        bot.api.push_message(private_chat(), QUESTION)
        parts = render_reply(engine.reply)
        sent = await bot.api.wait_sent(len(parts))
        assert [s.text for s in sent] == parts
        assert all(s.reply_markup is None for s in sent[:-1]) and sent[-1].buttons
        await assert_nothing_more(bot.api, len(parts))


async def test_html_in_the_content_is_escaped_end_to_end(api: TelegramStandIn, tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(CONTENT, content)
    messages = content / "messages.yaml"
    odd = "Ask me <b>anything</b> about back pain & running > walking"
    messages.write_text(re.sub(r"^empty: .*$", f'empty: "{odd}"', messages.read_text(), flags=re.M))
    async with running(api, Engine(load_library(content))) as bot:
        bot.api.push_message(private_chat(), "/ask", entities=[command("/ask")])
        [sent] = await bot.api.wait_sent(1)  # the stand-in refuses HTML Telegram would refuse
    assert "Ask me &lt;b&gt;anything&lt;/b&gt; about back pain &amp; running &gt; walking" in sent.text
    assert sent.message["text"].endswith(odd)  # what the member reads


# -- faults --------------------------------------------------------------------------------


async def test_a_retry_after_is_waited_out_and_the_message_still_arrives(bot: Running) -> None:
    bot.api.fail_next_sends(429)
    bot.api.push_message(private_chat(), QUESTION)
    [sent] = await bot.api.wait_sent(1, timeout=2.5)
    attempts = [c for c in bot.api.calls if c.method == "sendMessage"]
    assert len(attempts) == 2 and attempts[1].at - attempts[0].at >= 1.0
    assert sent.text == render_reply(bot.expected(QUESTION))[0]


async def test_a_single_server_error_is_retried(bot: Running) -> None:
    bot.api.fail_next_sends(500)
    bot.api.push_message(private_chat(), QUESTION)
    [sent] = await bot.api.wait_sent(1)
    assert sent.text == render_reply(bot.expected(QUESTION))[0]


async def test_a_failing_update_is_logged_without_text_or_token_and_the_bot_goes_on(
    bot: Running, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    secret_question = "why does my lower back hurt after long runs? (Zebra-Quokka-42)"
    bot.api.fail_next_sends(500, times=3)  # the first try and both retries
    bot.api.push_message(private_chat(), secret_question)
    await bot.api.wait_calls("sendMessage", 3)
    bot.api.push_message(private_chat(5005), OTHER_QUESTION, sender=member(5005))
    [sent] = await bot.api.wait_sent(1)
    assert sent.chat_id == 5005
    failures = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert any("NetworkError" in r.getMessage() and "private chat" in r.getMessage() for r in failures)
    logged = "\n".join(r.getMessage() + str(r.exc_text or "") for r in caplog.records)
    assert "Zebra-Quokka" not in logged and OTHER_QUESTION not in logged
    assert TOKEN not in logged and TOKEN.split(":")[1] not in logged


async def test_privacy_mode_is_reported_at_start(library: Library, caplog: pytest.LogCaptureFixture) -> None:
    async with TelegramStandIn(can_read_all_group_messages=False) as api, running(api, Engine(library)):
        pass
    assert any("privacy mode" in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)


# -- webhook -------------------------------------------------------------------------------


async def test_webhook_mode_checks_the_secret_and_answers(api: TelegramStandIn, library: Library) -> None:
    port = free_port()
    url = "https://bot.example.org/telegram-hook"
    settings = {
        "telegram_webhook_url": url,
        "telegram_webhook_port": port,
        "telegram_webhook_secret": "s3cret",
    }
    async with running(api, Engine(library), **settings) as bot, aiohttp.ClientSession() as http:
        [registered] = await api.wait_calls("setWebhook")
        assert registered.params["url"] == url and registered.params["secret_token"] == "s3cret"
        update = {"update_id": 1, "message": api.message(private_chat(), QUESTION)}
        local = f"http://127.0.0.1:{port}/telegram-hook"
        forged = await http.post(local, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"})
        assert forged.status == 403
        genuine = await http.post(local, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret"})
        assert genuine.status == 200
        [sent] = await api.wait_sent(1)
        assert sent.text == render_reply(bot.expected(QUESTION))[0]
        await assert_nothing_more(api, 1)


# -- helpers -------------------------------------------------------------------------------


class FixedReplyEngine(Engine):
    """The real engine, except that every addressed message (or every one) gets one reply."""

    def __init__(self, library: Library, reply: Reply, *, unaddressed_too: bool = False) -> None:
        super().__init__(library)
        self.reply = reply
        self._unaddressed_too = unaddressed_too

    def handle(self, message: IncomingMessage) -> Reply | None:
        return self.reply if message.addressed or self._unaddressed_too else super().handle(message)


def _snippet(quote: str) -> Snippet:
    return Snippet(quote, Source("s", "Title <1>", "Pub & Co", "clinical"))


def _long_reply(library: Library) -> Reply:
    """Every snippet of the library in one reply: well over 4096 characters."""
    snippets = tuple(s for intent in library.intents for s in intent.snippets)
    first = library.intents[0]
    return Reply(
        answered=True,
        intent_id=first.id,
        safety=SafetyNotice(Urgency.SOON, ("x",), (), "Stop running for now & see a physio."),
        lead_in=first.lead_in,
        snippets=snippets,
        suggestions=(Suggestion(first.id, first.question),),
        disclaimer=library.messages.disclaimer,
    )


# -- start-up failures -----------------------------------------------------------------------


async def test_a_rejected_token_is_one_clear_error_with_the_token_masked(
    api: TelegramStandIn, library: Library, caplog: pytest.LogCaptureFixture
) -> None:
    wrong = "987654:WRONG-token-that-must-never-be-printed"
    settings = Settings(telegram_bot_token=wrong, telegram_base_url=api.base_url)
    adapter = TelegramAdapter(Engine(library), settings, InMemoryFeedback())
    with pytest.raises(TokenRejected) as info:
        await adapter.start()
    assert str(info.value).startswith("Telegram refused TELEGRAM_BOT_TOKEN 9876")
    assert wrong not in str(info.value) and all(wrong not in r.getMessage() for r in caplog.records)


async def test_no_network_at_start_is_reported_as_unreachable(library: Library) -> None:
    closed = f"http://127.0.0.1:{free_port()}/bot"
    settings = Settings(telegram_bot_token=TOKEN, telegram_base_url=closed)
    adapter = TelegramAdapter(Engine(library), settings, InMemoryFeedback())
    with pytest.raises(PlatformUnreachable, match="Telegram could not be reached"):
        await adapter.start()
