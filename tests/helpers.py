"""Shared by every test: where things are, the shipped library, a free port, a settable clock."""

from __future__ import annotations

import socket
from collections import Counter
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Generic, TypeVar

from bot.core.content import Library, load_library

ROOT = Path(__file__).resolve().parent.parent
CONTENT = ROOT / "content"
TEST_DATA = ROOT / "tests" / "data"
DEPLOY = ROOT / "deploy"

T = TypeVar("T")


@cache
def shipped_library() -> Library:
    """The shipped library, loaded once per session."""
    return load_library(CONTENT)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Clock(Generic[T]):
    """A settable clock: whatever reads it gets the time the test says."""

    now: T

    def __call__(self) -> T:
        return self.now


class InMemoryFeedback:
    """👍/👎 kept in memory, for adapters run without a store (tests and benchmarks)."""

    def __init__(self) -> None:
        self._helpful: Counter[str] = Counter()
        self._unhelpful: Counter[str] = Counter()

    def record(self, platform: str, intent_id: str, helpful: bool) -> None:
        (self._helpful if helpful else self._unhelpful)[intent_id] += 1

    def counts(self) -> dict[str, tuple[int, int]]:
        ids = self._helpful.keys() | self._unhelpful.keys()
        return {i: (self._helpful[i], self._unhelpful[i]) for i in sorted(ids)}
