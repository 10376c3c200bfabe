"""Feedback from members (👍/👎 per intent), behind one small interface.

Adapters record through `FeedbackSink`; the in-memory sink serves until the admin store
(a database) takes its place with the same two methods.
"""

from __future__ import annotations

from collections import Counter
from typing import Protocol


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
