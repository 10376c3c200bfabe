"""Fuzzing: any text a member can send gets a reply or silence, never an exception, and both
platforms can render every reply within their limits. Bounded so the suite stays quick."""

from __future__ import annotations

import discord
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.adapters.discord_rendering import reply_embeds
from bot.adapters.telegram_rendering import render_reply, telegram_length
from bot.core.engine import Engine
from bot.core.replies import render_plain
from bot.core.types import IncomingMessage
from tests.helpers import shipped_library

ENGINE = Engine(shipped_library())
# Words the screen and the matcher care about, mixed with anything at all.
WORDS = st.sampled_from(
    [
        "back",
        "pain",
        "numb",
        "legs",
        "both",
        "no",
        "not",
        "pee",
        "fell",
        "chest",
        "fever",
        "ache",
        "down there",
        "can't",
        "run",
        "?",
        ".",
        ",",
        "\n",
        "😅",
        "<b>",
        "&",
        "**",
        "@bot",
        "١٢٣",
        "ß",
    ]
)
MESSAGES = st.one_of(
    st.text(max_size=300),
    st.lists(WORDS, max_size=80).map(" ".join),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=3000, max_size=4500),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=MESSAGES, addressed=st.booleans())
def test_any_message_gets_a_reply_or_silence_and_renders_on_both_platforms(
    text: str, addressed: bool
) -> None:
    reply = ENGINE.handle(IncomingMessage(text=text, conversation_id="fuzz", addressed=addressed))
    if reply is None:
        assert not addressed
        return
    plain = render_plain(reply)
    if reply.safety and reply.safety.level is not None:
        assert plain.startswith(reply.safety.text.split("\n")[0])
    assert all(telegram_length(part) <= 4096 for part in render_reply(reply))
    for embed in reply_embeds(reply):
        assert isinstance(embed, discord.Embed) and len(embed) <= 6000
