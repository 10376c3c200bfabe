"""Every intent's group-sized answer fits a busy chat: at most 8 lines and 700 characters,
as Telegram and Discord render it (the leg check included, as the longest case)."""

from __future__ import annotations

import dataclasses
import html
import re

import pytest

from bot.adapters.discord_rendering import reply_embeds
from bot.adapters.telegram_rendering import render_reply
from bot.core.content import load_library
from bot.core.engine import Engine
from bot.core.replies import group_form
from bot.core.types import Reply
from tests.helpers import CONTENT

MAX_LINES = 8
MAX_CHARS = 700
LIBRARY = load_library(CONTENT)
ENGINE = Engine(LIBRARY)


def longest_group_answer(intent_id: str) -> Reply:
    whole = ENGINE.reply_for_intent(intent_id)
    assert whole is not None
    return group_form(dataclasses.replace(whole, closing_check=LIBRARY.messages.leg_check))


def telegram_text(reply: Reply) -> str:
    [part] = render_reply(reply)
    return html.unescape(re.sub(r"<[^>]+>", "", part))


def discord_text(reply: Reply) -> str:
    lines: list[str] = []
    for embed in reply_embeds(reply):
        lines += [embed.title or "", embed.description or ""]
        lines += [f"{field.name}\n{field.value}" for field in embed.fields]
        lines.append(embed.footer.text or "")
    return "\n".join(line for line in lines if line)


@pytest.mark.parametrize("intent", [i.id for i in LIBRARY.intents if i.snippets])
@pytest.mark.parametrize("render", [telegram_text, discord_text])
def test_a_group_answer_fits_a_busy_chat(intent: str, render) -> None:  # type: ignore[no-untyped-def]
    text = render(longest_group_answer(intent))
    assert len(text) <= MAX_CHARS and len(text.splitlines()) <= MAX_LINES, text
