"""Texts for the informational commands (/help, /topics, /sources, /urgent), platform-neutral.

Each takes the library and the emergency number and returns a title and plain-text lines;
adapters add their own markup.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.content import TRUST_LEVELS, Library
from bot.core.types import TOPICS, Source, Urgency


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
    return InfoText("Where my answers come from", tuple(map(_source_line, by_trust)))


def answer_sources_info(library: Library, intent_id: str) -> InfoText | None:
    """The sources one answer quotes (the "Sources" button); None if the intent is gone."""
    intent = library.intents_by_id.get(intent_id)
    if intent is None:
        return None
    sources = {snippet.source.id: snippet.source for snippet in intent.snippets}
    return InfoText("Sources of this answer", tuple(map(_source_line, sources.values())))


def _source_line(source: Source) -> str:
    line = f"{source.label}, trust: {source.trust}"
    return f"{line}, {source.url}" if source.url else line


def urgent_info(library: Library, emergency_number: str) -> InfoText:
    """The warning signs by level, most serious first."""
    lines = []
    for level in Urgency:
        labels = [s.label for s in library.red_flags.signs if s.level is level]
        if labels:
            lines.append(f"{level.value.upper()}: " + "; ".join(labels))
    lines.append(f"With an EMERGENCY sign, call {emergency_number} or go to an emergency department now.")
    return InfoText("Warning signs that need a doctor", tuple(lines))
