"""Texts for the informational commands (/help, /topics, /sources, /urgent), platform-neutral.

Each takes the library and the emergency number and returns a title and plain-text lines;
adapters add their own markup.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.content import TRUST_LEVELS, Library
from bot.core.types import TOPICS, Urgency


@dataclass(frozen=True, slots=True)
class InfoText:
    title: str
    lines: tuple[str, ...]

    def plain(self) -> str:
        return "\n".join((self.title, *self.lines))


def help_info(library: Library, emergency_number: str) -> InfoText:
    return InfoText("How to use me", tuple(library.messages.help.splitlines()))


def topics_info(library: Library, emergency_number: str) -> InfoText:
    """Each answerable topic with one example question from the library."""
    lines = []
    for topic in TOPICS:
        if topic in ("urgent", "smalltalk"):
            continue
        questions = [i.question for i in library.intents if i.topic == topic]
        if questions:
            lines.append(f'{topic.replace("_", " ")}: e.g. "{questions[0]}" ({len(questions)} questions)')
    return InfoText("Topics I know", tuple(lines))


def sources_info(library: Library, emergency_number: str) -> InfoText:
    by_trust = sorted(library.sources.values(), key=lambda s: TRUST_LEVELS.index(s.trust))
    lines = [f"{s.title} ({s.publisher}), trust: {s.trust}" for s in by_trust]
    return InfoText("Where my answers come from", tuple(lines))


def urgent_info(library: Library, emergency_number: str) -> InfoText:
    """The warning signs by level, most serious first."""
    lines = []
    for level in Urgency:
        labels = [s.label for s in library.red_flags.signs if s.level is level]
        if labels:
            lines.append(f"{level.value.upper()}: " + "; ".join(labels))
    lines.append(f"With an EMERGENCY sign, call {emergency_number} or go to an emergency department now.")
    return InfoText("Warning signs that need a doctor", tuple(lines))
