"""Content health: warnings beyond the loader's hard errors (`python -m bot validate --report`).

Five kinds, none of which stops the bot:
1. confusions: phrasings that match another intent better than their own. Each phrasing is
   held out of the index (5-fold: a fifth of every intent's phrasings at a time) and matched
   against the rest, as a member's new wording would be.
2. thin intents: fewer phrasings than recommended.
3. unquoted sources: documents no answer quotes.
4. long snippets: a quote, or a whole answer, too long to read comfortably in a chat.
5. coverage: per source, the share of its advice sentences that some answer quotes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import yaml

from bot.core.content import Library, normalise_quote
from bot.core.matching import IntentMatcher
from bot.core.normalisation import normalise
from bot.core.replies import render_plain
from bot.core.types import Reply

FOLDS = 5
RECOMMENDED_EXAMPLES = 10  # the loader's hard minimum is lower (MIN_EXAMPLES)
MAX_QUOTE_CHARS = 300  # one quote: about four lines on a phone
MAX_ANSWER_CHARS = 2000  # a whole answer as plain text: Discord's limit for one message
MIN_ADVICE_WORDS = 6
QUOTED_SHARE = 0.5  # a sentence counts as quoted when a quote covers half of it or more
# A sentence tells the reader what to do (or not) when it has one of these; a heuristic.
_ADVICE_CUES = re.compile(
    r"\b(should|shouldn['\u2019]t|try|avoid|stop|rest|make sure|don['\u2019]t|do not|never|always|best|"
    r"recommend\w*|important|need to|needs to|seek|see a|see your|consult|talk to|focus on|keep|start|"
    r"reduce|increase|wear|warm up|warm-up|stretch\w*|strengthen\w*|help\w*)\b",
    re.IGNORECASE,
)
_SENTENCE = re.compile(r"[^.!?]+[.!?]*")


@dataclass(frozen=True, slots=True)
class Confusion:
    intent_id: str
    phrasing: str
    matched_intent_id: str
    matched_score: float
    own_score: float  # 0 when its own intent was not among the ranked


@dataclass(frozen=True, slots=True)
class LongSnippet:
    intent_id: str
    where: str  # "answer[1] (source id)" or "whole answer"
    length: int
    limit: int


@dataclass(frozen=True, slots=True)
class SourceCoverage:
    source_id: str
    trust: str
    advice_sentences: int
    quoted: int

    @property
    def share(self) -> float:
        return self.quoted / self.advice_sentences if self.advice_sentences else 0.0


@dataclass(frozen=True, slots=True)
class HealthReport:
    confusions: tuple[Confusion, ...]
    thin_intents: tuple[tuple[str, int], ...]  # (intent id, phrasings)
    unquoted_sources: tuple[str, ...]
    long_snippets: tuple[LongSnippet, ...]
    coverage: tuple[SourceCoverage, ...]

    @property
    def warnings(self) -> int:
        return (
            len(self.confusions)
            + len(self.thin_intents)
            + len(self.unquoted_sources)
            + len(self.long_snippets)
        )

    def render(self, max_confusions: int | None = None) -> str:
        """Plain text, one section per kind of warning; at most `max_confusions` listed, clearest first."""
        lines = [f"Content health: {self.warnings} warning(s). Warnings never stop the bot.", ""]
        confusions = sorted(self.confusions, key=lambda c: c.own_score - c.matched_score)
        shown = confusions[:max_confusions] if max_confusions is not None else confusions
        more = (
            f" (the {len(shown)} clearest shown; --all lists every one)"
            if len(shown) < len(confusions)
            else ""
        )
        lines.append(f"1. Phrasings that match another intent better than their own: {len(confusions)}{more}")
        lines += [
            f"   {c.intent_id}: \u201c{c.phrasing}\u201d -> {c.matched_intent_id} "
            f"({c.matched_score:.0f} vs {c.own_score:.0f})"
            for c in shown
        ]
        if self.confusions:
            lines.append("   Fix: reword the phrasing, move it to the intent it matches, or add phrasings.")
        lines.append(
            f"2. Intents with few phrasings (under {RECOMMENDED_EXAMPLES}): {len(self.thin_intents)}"
        )
        lines += [f"   {intent_id}: {n} phrasings" for intent_id, n in self.thin_intents]
        lines.append(f"3. Sources never quoted: {len(self.unquoted_sources)}")
        lines += [f"   {source_id}" for source_id in self.unquoted_sources]
        lines.append(f"4. Snippets too long for a chat message: {len(self.long_snippets)}")
        lines += [
            f"   {s.intent_id} {s.where}: {s.length} characters (limit {s.limit})" for s in self.long_snippets
        ]
        lines.append("5. Coverage of each source (its advice sentences quoted somewhere):")
        lines += [
            f"   {c.source_id} ({c.trust}): {c.quoted} of {c.advice_sentences} advice sentences "
            f"quoted ({c.share:.0%})"
            for c in self.coverage
        ]
        return "\n".join(lines)


def check_health(library: Library, content_dir: Path) -> HealthReport:
    """Every warning for a library that already passed `load_library`."""
    quoted_ids = {s.source.id for i in library.intents for s in i.snippets}
    return HealthReport(
        confusions=tuple(find_confusions(library)),
        thin_intents=tuple(
            (i.id, len(i.examples)) for i in library.intents if len(i.examples) < RECOMMENDED_EXAMPLES
        ),
        unquoted_sources=tuple(sorted(set(library.sources) - quoted_ids)),
        long_snippets=tuple(_long_snippets(library)),
        coverage=tuple(_coverage(library, content_dir)),
    )


def find_confusions(library: Library, folds: int = FOLDS) -> list[Confusion]:
    """Phrasings that, held out of the index, match another intent better than their own."""
    found: list[Confusion] = []
    for fold in range(folds):
        kept = [replace(i, examples=_fold(i.examples, fold, folds, keep=True)) for i in library.intents]
        matcher = IntentMatcher(kept, library.vocabulary)
        for intent in library.intents:
            for phrasing in _fold(intent.examples, fold, folds, keep=False):
                ranked = matcher.match(normalise(phrasing)).ranked
                if not ranked or ranked[0].intent.id == intent.id:
                    continue
                own = next((r.score for r in ranked if r.intent.id == intent.id), 0.0)
                found.append(Confusion(intent.id, phrasing, ranked[0].intent.id, ranked[0].score, own))
    order = {intent.id: n for n, intent in enumerate(library.intents)}
    return sorted(found, key=lambda c: (order[c.intent_id], c.phrasing))


def _fold(examples: Sequence[str], fold: int, folds: int, *, keep: bool) -> tuple[str, ...]:
    return tuple(e for n, e in enumerate(examples) if (n % folds != fold) == keep)


def _long_snippets(library: Library) -> list[LongSnippet]:
    found: list[LongSnippet] = []
    for intent in library.intents:
        for n, snippet in enumerate(intent.snippets):
            if len(snippet.quote) > MAX_QUOTE_CHARS:
                where = f"answer[{n}] ({snippet.source.id})"
                found.append(LongSnippet(intent.id, where, len(snippet.quote), MAX_QUOTE_CHARS))
        reply = Reply(
            answered=True,
            intent_id=intent.id,
            lead_in=intent.lead_in,
            snippets=intent.snippets,
            disclaimer=library.messages.disclaimer if intent.snippets else "",
        )
        length = len(render_plain(reply))
        if length > MAX_ANSWER_CHARS:
            found.append(LongSnippet(intent.id, "whole answer", length, MAX_ANSWER_CHARS))
    return found


# --- coverage --------------------------------------------------------------------------------


def _coverage(library: Library, content_dir: Path) -> list[SourceCoverage]:
    quotes: dict[str, list[str]] = {}
    for intent in library.intents:
        for snippet in intent.snippets:
            quotes.setdefault(snippet.source.id, []).append(normalise_quote(snippet.quote))
    result = []
    for source_id, body in _source_bodies(content_dir).items():
        source = library.sources.get(source_id)
        if source is None:
            continue
        sentences = advice_sentences(body)
        quoted = sum(1 for s in sentences if _is_quoted(s, quotes.get(source_id, [])))
        result.append(SourceCoverage(source_id, source.trust, len(sentences), quoted))
    return result


def advice_sentences(body: str) -> list[str]:
    """The body's sentences that give advice, normalised like quotes (a heuristic, see _ADVICE_CUES)."""
    found = []
    for line in body.splitlines():
        for match in _SENTENCE.finditer(line):
            sentence = match.group().strip()
            if (
                sentence.endswith((".", "!"))
                and len(sentence.split()) >= MIN_ADVICE_WORDS
                and _ADVICE_CUES.search(sentence)
            ):
                found.append(normalise_quote(sentence))
    return found


def _is_quoted(sentence: str, quotes: Sequence[str]) -> bool:
    """A quote covers at least half of the sentence (quotes may span or cut sentences)."""
    for quote in quotes:
        if quote in sentence:
            if len(quote) >= QUOTED_SHARE * len(sentence):
                return True
        elif sentence in quote or _overlap(sentence, quote) >= QUOTED_SHARE * len(sentence):
            return True
    return False


def _overlap(sentence: str, quote: str) -> int:
    """Characters shared at the seam: the sentence's end opening the quote, or its start ending it."""
    best = 0
    for size in range(len(sentence), 0, -1):
        if quote.startswith(sentence[-size:]) or quote.endswith(sentence[:size]):
            best = size
            break
    return best


def _source_bodies(content_dir: Path) -> dict[str, str]:
    """Source id -> the document text after its front matter."""
    bodies = {}
    for path in sorted((content_dir / "sources").glob("*.txt")):
        parts = path.read_text(encoding="utf-8").split("---\n", 2)
        if len(parts) < 3:
            continue
        meta = yaml.safe_load(parts[1])
        if isinstance(meta, dict) and meta.get("id"):
            bodies[str(meta["id"])] = parts[2]
    return bodies
