"""The group-sized answer: a one-line lead and the best quote cut to whole sentences; no safety text lost."""

from __future__ import annotations

import dataclasses

import pytest

from bot.core.engine import Engine
from bot.core.replies import GROUP_QUOTE_CHARS, excerpt, group_form, render_plain
from bot.core.types import IncomingMessage, Reply
from tests.helpers import shipped_library


def whole(engine: Engine, text: str) -> Reply:
    reply = engine.handle(IncomingMessage(text=text, conversation_id=text))
    assert reply is not None
    return reply


@pytest.mark.parametrize("intent", [i.id for i in shipped_library().intents if i.snippets])
def test_every_answer_has_one_verbatim_quote_within_the_limit(engine: Engine, intent: str) -> None:
    full = engine.reply_for_intent(intent)
    assert full is not None
    short = group_form(full)
    [snippet] = short.snippets
    assert len(snippet.quote) <= GROUP_QUOTE_CHARS + 2  # the cut's " …"
    kept = snippet.quote.removesuffix(" \u2026").removesuffix("\u2026")
    assert " ".join(full.snippets[0].quote.split()).startswith(kept)  # words unchanged, opening kept
    assert "\n" not in short.lead_in and short.suggestions == ()
    assert short.more == (full != dataclasses.replace(short, more=False))


def test_the_safety_block_and_the_leg_check_are_never_cut(engine: Engine) -> None:
    flagged = whole(engine, "numb down there since my run, why does my back hurt after long runs?")
    assert flagged.safety is not None and group_form(flagged).safety == flagged.safety
    leg = whole(engine, "sciatica down my left leg when I run, what helps?")
    assert leg.closing_check and group_form(leg).closing_check == leg.closing_check


def test_replies_that_are_not_answers_are_left_alone(engine: Engine) -> None:
    unsure = whole(engine, "back thing weird")
    assert group_form(unsure) is unsure


def test_a_long_quote_is_cut_at_a_sentence_end_else_a_word_break() -> None:
    two = "First sentence is here. " + "word " * 80 + "end."
    assert excerpt(two, 60) == "First sentence is here. \u2026"
    one = "word " * 100
    cut = excerpt(one, 50)
    assert cut.endswith("\u2026") and len(cut) <= 50 and set(cut[:-1].split()) == {"word"}
    assert excerpt("Short quote.", 50) == "Short quote."


def test_the_plain_text_names_the_source_once(engine: Engine) -> None:
    short = group_form(whole(engine, "why does my lower back hurt after long runs?"))
    text = render_plain(short)
    label = short.snippets[0].source.label
    assert text.count(label) == 1 and "(" + short.snippets[0].source.publisher not in text
