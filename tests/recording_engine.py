"""The real engine, remembering what the adapters handed it (for conversation-id tests)."""

from __future__ import annotations

from bot.core.content import Library
from bot.core.engine import Engine
from bot.core.types import IncomingMessage, Reply


class RecordingEngine(Engine):
    """The real engine, keeping every message it was handed."""

    def __init__(self, library: Library) -> None:
        super().__init__(library)
        self.seen: list[IncomingMessage] = []

    def handle(self, message: IncomingMessage) -> Reply | None:
        self.seen.append(message)
        return super().handle(message)
