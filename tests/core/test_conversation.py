"""The per-conversation memory: what it keeps, for how long, for how many."""

from __future__ import annotations

from bot.core.conversation import ConversationMemory
from tests.helpers import Clock


def test_words_and_pain_are_kept_for_a_while_then_forgotten() -> None:
    clock = Clock(0.0)
    memory = ConversationMemory(seconds=60, clock=clock)
    memory.remember_pain("c")
    memory.remember("c", ("back", "hurts"))
    assert memory.recall("c") == ("back", "hurts") and memory.recalls_pain("c")
    assert memory.recall("other") == () and not memory.recalls_pain("other")
    clock.now = 61
    assert memory.recall("c") == () and not memory.recalls_pain("c")


def test_an_answered_question_alone_does_not_mean_pain() -> None:
    memory = ConversationMemory()
    memory.remember("c", ("hi",))
    assert not memory.recalls_pain("c")


def test_the_oldest_conversation_goes_first() -> None:
    memory = ConversationMemory(max_conversations=2)
    for name in ("a", "b", "c"):
        memory.remember(name, (name,))
    assert memory.recall("a") == () and memory.recall("c") == ("c",)
