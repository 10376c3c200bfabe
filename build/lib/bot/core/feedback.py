"""What the bot records for admins, behind two small interfaces.

- `FeedbackSink`: 👍/👎 per intent, recorded by the adapters on a button press.
- `MessageRecorder`: every reply the engine gives, recorded by the engine itself.
Both are synchronous and must not block: an implementation backed by a database queues
the record and writes it in the background. The in-memory ones serve the terminal and tests.
"""

from __future__ import annotations

from collections import Counter
from typing import Protocol

from bot.core.types import IncomingMessage, Reply


class FeedbackSink(Protocol):
    def record(self, platform: str, intent_id: str, helpful: bool) -> None:
        """Count one 👍 (helpful) or 👎 for an intent's answer."""

    def counts(self) -> dict[str, tuple[int, int]]:
        """Per intent id: (helpful, not helpful)."""


class InMemoryFeedback:
    """Feedback kept in the process: enough for the terminal and for tests."""

    def __init__(self) -> None:
        self._helpful: Counter[str] = Counter()
        self._unhelpful: Counter[str] = Counter()

    def record(self, platform: str, intent_id: str, helpful: bool) -> None:
        (self._helpful if helpful else self._unhelpful)[intent_id] += 1

    def counts(self) -> dict[str, tuple[int, int]]:
        ids = self._helpful.keys() | self._unhelpful.keys()
        return {i: (self._helpful[i], self._unhelpful[i]) for i in sorted(ids)}


class MessageRecorder(Protocol):
    def message_handled(self, message: IncomingMessage, reply: Reply) -> None:
        """Note one reply given (answered or not, urgent or not); must return at once."""


class NoRecording:
    """Records nothing: the terminal chat and `ask` keep no statistics."""

    def message_handled(self, message: IncomingMessage, reply: Reply) -> None:
        return None
