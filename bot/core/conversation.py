"""A short per-conversation memory, so that "why?" or "and stretching?" make sense.

Only what the last exchange was about is kept (its normalised words, and whether the
member spoke of pain: then "oh and I've had a fever" is a red flag), in memory, for a
few minutes, for a bounded number of conversations: nothing is written anywhere.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

MEMORY_SECONDS = 600.0
MAX_CONVERSATIONS = 10_000
MAX_CONTEXT_WORDS = 30  # a follow-up needs the gist of the last question, not a whole story


@dataclass(frozen=True, slots=True)
class _Entry:
    words: tuple[str, ...]
    expires: float
    about_pain: bool = False


class ConversationMemory:
    """The words of the last answered question per conversation, with expiry (LRU-bounded)."""

    def __init__(
        self,
        seconds: float = MEMORY_SECONDS,
        max_conversations: int = MAX_CONVERSATIONS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._seconds = seconds
        self._max = max_conversations
        self._clock = clock
        self._entries: OrderedDict[str, _Entry] = OrderedDict()

    def recall(self, conversation_id: str) -> tuple[str, ...]:
        """The remembered words, or () when there are none or they expired."""
        entry = self._live(conversation_id)
        return entry.words if entry else ()

    def recalls_pain(self, conversation_id: str) -> bool:
        """Whether the member spoke of pain or the back in the last few minutes."""
        entry = self._live(conversation_id)
        return bool(entry and entry.about_pain)

    def remember(self, conversation_id: str, words: tuple[str, ...]) -> None:
        """The words of the last answered question."""
        entry = self._live(conversation_id)
        about_pain = bool(entry and entry.about_pain)
        self._store(conversation_id, _Entry(words[-MAX_CONTEXT_WORDS:], self._expiry(), about_pain))

    def remember_pain(self, conversation_id: str) -> None:
        """The member spoke of pain or the back (kept as long as the words are)."""
        entry = self._live(conversation_id)
        self._store(conversation_id, _Entry(entry.words if entry else (), self._expiry(), about_pain=True))

    def _live(self, conversation_id: str) -> _Entry | None:
        entry = self._entries.get(conversation_id)
        if entry is not None and entry.expires < self._clock():
            del self._entries[conversation_id]
            return None
        return entry

    def _expiry(self) -> float:
        return self._clock() + self._seconds

    def _store(self, conversation_id: str, entry: _Entry) -> None:
        self._entries[conversation_id] = entry
        self._entries.move_to_end(conversation_id)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)
