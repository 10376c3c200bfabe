"""Shared by the core tests: the shipped library, loaded once per session."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from bot.core.content import Library, load_library

CONTENT = Path(__file__).parents[2] / "content"


@cache
def shipped_library() -> Library:
    return load_library(CONTENT)
