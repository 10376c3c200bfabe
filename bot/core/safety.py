"""Red-flag screening: runs on every message before anything else.

A sign fires when all term groups of one of its patterns occur within a few words of each
other. Words are matched exactly, by prefix (`numb*`) or with one typo (words of five
letters or more). A match preceded in its clause by a negation cue ("no", "never",
"without"...) counts as negated: it still produces a short "if you ever notice" line,
because negation detection is wrong often enough that silence would be unsafe.
Hedges ("kinda", "not sure if") never negate.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from bot.core.content import RedFlagRules, RedFlagSign
from bot.core.normalisation import NormalisedText, deletion_variants, normalise
from bot.core.types import Urgency

NEGATION_LOOKBACK = 5  # words before a match in which a negation cue negates it
MIN_FUZZY_LENGTH = 5  # shorter words must match exactly: "numb" must not match "dumb"

Term = tuple[str, ...]  # a term's words; a word ending in "*" is a prefix


@dataclass(frozen=True, slots=True)
class Screening:
    """What the screen found. `level` is the highest level among signs that fired."""

    level: Urgency | None
    fired: tuple[RedFlagSign, ...]
    negated: tuple[RedFlagSign, ...]

    @property
    def found_anything(self) -> bool:
        return bool(self.fired or self.negated)


class RedFlagScreener:
    """Compiled red-flag rules. Build once per library; `screen` is cheap and pure."""

    def __init__(self, rules: RedFlagRules) -> None:
        self._signs = rules.signs
        self._patterns = {
            sign.id: [[[_compile_term(t) for t in group] for group in p] for p in sign.patterns]
            for sign in rules.signs
        }
        self._unless = {sign.id: [_compile_term(t) for t in sign.unless] for sign in rules.signs}
        all_terms = [t for pats in self._patterns.values() for p in pats for g in p for t in g]
        all_terms += [t for terms in self._unless.values() for t in terms]
        self._negations = [_compile_term(cue) for cue in rules.negation_cues]
        self._hedges = [_compile_term(hedge) for hedge in rules.hedges]
        self._pain_context = [_compile_term(term) for term in rules.pain_context]
        self.leg_terms = [_compile_term(term) for term in rules.leg_symptom_terms]
        vocabulary = _vocabulary(
            [*all_terms, *self._negations, *self._hedges, *self._pain_context, *self.leg_terms]
        )
        self._lexicon = _Lexicon(vocabulary)

    def screen(self, text: NormalisedText) -> Screening:
        """Find the red-flag signs in a normalised message."""
        words = self._lexicon.read(text)
        hedged = _covered_positions(self._hedges, words)
        has_pain_context = any(_find(term, words) for term in self._pain_context)
        fired: list[RedFlagSign] = []
        negated: list[RedFlagSign] = []
        for sign in self._signs:
            if sign.needs_pain_context and not has_pain_context:
                continue
            starts = [
                start
                for pattern in self._patterns[sign.id]
                for start in _pattern_matches(pattern, words, sign.window)
                if not _near_any(self._unless[sign.id], words, start, sign.window)
            ]
            if not starts:
                continue
            if all(self._is_negated(start, words, text.clause_starts, hedged) for start in starts):
                negated.append(sign)
            else:
                fired.append(sign)
        level = max((s.level for s in fired), key=lambda lvl: lvl.rank, default=None)
        return Screening(level, tuple(fired), tuple(negated))

    def mentions_any(self, text: NormalisedText, terms: Iterable[Term]) -> bool:
        """Whether any of the compiled `terms` occurs in the message."""
        words = self._lexicon.read(text)
        return any(_find(term, words) for term in terms)

    def _is_negated(self, start: int, words: _Words, clause_starts: frozenset[int], hedged: set[int]) -> bool:
        first = start
        while first > 0 and start - first < NEGATION_LOOKBACK and first not in clause_starts:
            first -= 1
        return any(
            first <= position < start and position not in hedged
            for cue in self._negations
            for position in _find(cue, words)
        )


def _compile_term(term: str) -> Term:
    """Normalise a content term the way messages are normalised, keeping prefix stars."""
    words = []
    for raw in term.split():
        star = raw.endswith("*")
        normalised = normalise(raw.rstrip("*")).words
        words.extend(normalised[:-1])
        if normalised:
            words.append(normalised[-1] + ("*" if star else ""))
    return tuple(words)


def _vocabulary(terms: list[Term]) -> set[str]:
    return {word for term in terms for word in term}


class _Lexicon:
    """Maps a message word to the set of term words it satisfies (exact, prefix, one typo)."""

    def __init__(self, vocabulary: set[str]) -> None:
        self._exact = {w for w in vocabulary if not w.endswith("*")}
        self._prefixes = sorted(w for w in vocabulary if w.endswith("*"))
        self._variants: dict[str, set[str]] = {}
        for word in self._exact:
            if len(word) >= MIN_FUZZY_LENGTH:
                for variant in deletion_variants(word) | {word}:
                    self._variants.setdefault(variant, set()).add(word)
        self.forms = lru_cache(maxsize=65536)(self._forms)

    def read(self, text: NormalisedText) -> _Words:
        forms = [self.forms(word) for word in text.words]
        index: dict[str, list[int]] = {}
        for position, word_forms in enumerate(forms):
            for form in word_forms:
                index.setdefault(form, []).append(position)
        return _Words(forms, index)

    def _forms(self, word: str) -> frozenset[str]:
        forms = {p for p in self._prefixes if word.startswith(p[:-1])}
        if word in self._exact:
            forms.add(word)
        if len(word) >= MIN_FUZZY_LENGTH - 1:  # one typo may have dropped a letter
            for variant in deletion_variants(word) | {word}:
                forms.update(self._variants.get(variant, ()))
        return frozenset(forms)


@dataclass(frozen=True, slots=True)
class _Words:
    """A message's words as term-word sets, with an index from term word to positions."""

    forms: list[frozenset[str]]
    index: dict[str, list[int]]


def _find(term: Term, words: _Words) -> list[int]:
    """Start positions where the term's words occur consecutively."""
    starts = words.index.get(term[0], [])
    if len(term) == 1:
        return starts
    forms, span = words.forms, len(term)
    return [
        i for i in starts if i + span <= len(forms) and all(term[k] in forms[i + k] for k in range(1, span))
    ]


def _near_any(terms: list[Term], words: _Words, position: int, window: int) -> bool:
    return any(abs(s - position) <= window for term in terms for s in _find(term, words))


def _covered_positions(terms: list[Term], words: _Words) -> set[int]:
    return {start + k for term in terms for start in _find(term, words) for k in range(len(term))}


def _pattern_matches(pattern: list[list[Term]], words: _Words, window: int) -> list[int]:
    """Earliest start of each occurrence where every group has a term within `window` words."""
    group_starts = [sorted({s for term in group for s in _find(term, words)}) for group in pattern]
    if not all(group_starts):
        return []
    results = []
    for anchor in group_starts[0]:
        chosen = [anchor]
        for starts in group_starts[1:]:
            near = [s for s in starts if abs(s - anchor) <= window]
            if not near:
                break
            chosen.append(min(near, key=lambda s: abs(s - anchor)))
        else:
            results.append(min(chosen))
    return results
