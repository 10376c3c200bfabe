"""What the bot records for admins, behind two small interfaces.

- `FeedbackSink`: 👍/👎 per intent, recorded by the adapters on a button press.
- `MessageRecorder`: every reply the engine gives, recorded by the engine itself.
Both are synchronous and must not block: an implementation backed by a database queues
the record and writes it in the background. The in-memory ones serve the terminal and tests.
"""

from __future__ import annotations

from typing import Protocol

from bot.core.types import IncomingMessage, Reply


class FeedbackSink(Protocol):
    def record(self, platform: str, intent_id: str, helpful: bool) -> None:
        """Count one 👍 (helpful) or 👎 for an intent's answer."""

    def counts(self) -> dict[str, tuple[int, int]]:
        """Per intent id: (helpful, not helpful)."""


class MessageRecorder(Protocol):
    def message_handled(self, message: IncomingMessage, reply: Reply) -> None:
        """Note one reply given (answered or not, urgent or not); must return at once."""


class NoRecording:
    """Records nothing: the terminal chat and `ask` keep no statistics."""

    def message_handled(self, message: IncomingMessage, reply: Reply) -> None:
        return None
