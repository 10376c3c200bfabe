"""A short per-conversation memory, so that "why?" or "and stretching?" make sense.

Only what the last exchange was about is kept (its normalised words), in memory, for a
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
        entry = self._entries.get(conversation_id)
        if entry is None:
            return ()
        if entry.expires < self._clock():
            del self._entries[conversation_id]
            return ()
        return entry.words

    def remember(self, conversation_id: str, words: tuple[str, ...]) -> None:
        self._entries[conversation_id] = _Entry(words[-MAX_CONTEXT_WORDS:], self._clock() + self._seconds)
        self._entries.move_to_end(conversation_id)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)

    def forget(self, conversation_id: str) -> None:
        self._entries.pop(conversation_id, None)
