"""Building the platform-neutral reply, and its plain-text rendering."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from bot.core.content import Intent, Messages, RedFlagSign
from bot.core.safety import POSSIBLE_RED_FLAG, Screening
from bot.core.types import Reply, SafetyNotice, Snippet, Suggestion, Urgency, shorten

GROUP_QUOTE_CHARS = 300  # the one quote of a group-sized answer
_SENTENCE_END = re.compile(r"[.!?][\u201d\"')]?(?=\s)")


def safety_notice(screening: Screening, messages: Messages, emergency_number: str) -> SafetyNotice | None:
    """The safety block for what the screen found, or None when it found nothing."""
    if not screening.found_anything:
        return None
    lines = []
    if screening.possible:  # the learned line's urgent-level message lists the emergency signs itself
        lines.append(_fill(messages.safety["possible"], (), emergency_number))
    if screening.level is not None:
        signs = [s for s in screening.fired if s.level == screening.level]
        lines.append(_fill(messages.safety[screening.level.value], signs, emergency_number))
    if screening.negated:
        lines.append(_fill(messages.safety["negated"], screening.negated, emergency_number))
    possible = (POSSIBLE_RED_FLAG,) if screening.possible else ()
    return SafetyNotice(
        level=Urgency.URGENT if screening.possible else screening.level,
        signs=possible + tuple(s.id for s in screening.fired),
        negated_signs=tuple(s.id for s in screening.negated),
        text="\n".join(lines),
    )


def _fill(template: str, signs: Sequence[RedFlagSign], number: str) -> str:
    labels = [s.label for s in signs] or ["these signs"]
    joined = labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]
    return template.format(signs=joined, number=number)


def suggestions_for(intents: Sequence[Intent]) -> tuple[Suggestion, ...]:
    return tuple(Suggestion(intent.id, intent.question) for intent in intents)


def group_form(reply: Reply) -> Reply:
    """The answer sized for a busy group chat: its lead's first line and its best quote only.

    The safety block and the leg check are never cut. `more` tells the adapters that the
    whole answer (every quote, the follow-up questions) is one "More" away.
    """
    if not reply.answered or not reply.snippets:
        return reply
    best = reply.snippets[0]
    lead = reply.lead_in.strip().split("\n", 1)[0]
    quote = excerpt(best.quote, GROUP_QUOTE_CHARS)
    cut = len(reply.snippets) > 1 or quote != best.quote or lead != reply.lead_in.strip() or reply.suggestions
    return replace(
        reply, lead_in=lead, snippets=(Snippet(quote, best.source),), suggestions=(), more=bool(cut)
    )


def excerpt(quote: str, limit: int) -> str:
    """The quote's opening whole sentences within `limit` characters, then "…" (words unchanged).

    A first sentence longer than the limit is cut at a word break instead.
    """
    quote = " ".join(quote.split())
    if len(quote) <= limit:
        return quote
    ends = [m.end() for m in _SENTENCE_END.finditer(quote, 0, limit)]
    if ends and ends[-1] > limit // 3:
        return quote[: ends[-1]] + " \u2026"
    return shorten(quote, limit)


def render_plain(reply: Reply) -> str:
    """The whole reply as plain text: what the terminal shows and `ask --json` reports."""
    parts: list[str] = []
    if reply.safety:
        parts.append(reply.safety.text)
    if reply.lead_in:
        parts.append(reply.lead_in)
    for snippet in reply.snippets:
        parts.append(f"\u201c{snippet.quote}\u201d\n  \u2014 {source_line(snippet)}")
    if reply.suggestions:
        label = "You could also ask:" if reply.answered else ""
        items = "\n".join(f"  \u2022 {s.question}" for s in reply.suggestions)
        parts.append(f"{label}\n{items}".strip("\n") if label else items)
    if reply.closing_check:
        parts.append(reply.closing_check)
    if reply.disclaimer:
        parts.append(reply.disclaimer)
    return "\n\n".join(parts)


def source_line(snippet: Snippet) -> str:
    """The source under a quote: its label, and its address when the library has one."""
    source = snippet.source
    return f"{source.label} {source.url}" if source.url else source.label
