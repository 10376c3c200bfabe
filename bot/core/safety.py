"""Red-flag screening: runs on every message before anything else.

A sign fires when all term groups of one of its `match` patterns occur within a few words
of each other. Words match exactly, by prefix (`numb*`) or with one typo (words of five
letters or more); filler words ("really", "kinda") are skipped so that "cannot really
feel" matches "cannot feel".

Negation: a match with a negation cue shortly before it in its clause ("no numbness") or
a reassurance right after it ("bladder totally normal") counts as negated. A negated sign
never fires, but it is never dropped either: it produces a short "if you ever notice"
line, because negation detection is wrong often enough that silence would be unsafe.
`mention` patterns catch negated mentions too loose to fire on their own ("legs aren't
weak"). Hedges ("not sure if", "kinda") never negate.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz.distance import OSA

from bot.core.content import RedFlagRules, RedFlagSign
from bot.core.normalisation import NormalisedText, TypoIndex, normalise
from bot.core.types import Urgency

NEGATION_LOOKBACK = 5  # words before a match in which a negation cue negates it
NEGATION_LOOKAHEAD = 4  # words after a match in which a reassurance negates it
MIN_FUZZY_LENGTH = 6  # shorter words must match exactly: "takes" must not match "wakes"

_DOUBLED = re.compile(r"(\w)\1")

Term = tuple[str, ...]  # a term's words; a word ending in "*" is a prefix


@dataclass(frozen=True, slots=True)
class _Group:
    """Alternative terms; `heads` (their first words) lets a message skip it at a glance."""

    terms: tuple[Term, ...]
    heads: frozenset[str]


Pattern = list[_Group]  # term groups that must all occur close together


@dataclass(frozen=True, slots=True)
class Screening:
    """What the screen found. `level` is the highest level among signs that fired."""

    level: Urgency | None
    fired: tuple[RedFlagSign, ...]
    negated: tuple[RedFlagSign, ...]
    leg_symptoms: bool = False  # leg words without a red flag: the answer ends with a check
    about_pain: bool = False  # the message mentions pain or the back

    @property
    def found_anything(self) -> bool:
        return bool(self.fired or self.negated)


@dataclass(frozen=True, slots=True)
class _Words:
    """A message's words as sets of term words they satisfy, indexed by term word."""

    forms: list[frozenset[str]]
    index: dict[str, list[int]]
    clause_starts: frozenset[int]


@dataclass(frozen=True, slots=True)
class _CompiledSign:
    sign: RedFlagSign
    match: list[Pattern]
    mention: list[Pattern]
    unless: list[Term]


class RedFlagScreener:
    """Compiled red-flag rules. Build once per library; `screen` is cheap and pure."""

    def __init__(self, rules: RedFlagRules) -> None:
        self._signs = [
            _CompiledSign(
                sign,
                [_compile_pattern(p) for p in sign.patterns],
                [_compile_pattern(p) for p in sign.mentions],
                [_compile_term(t) for t in sign.unless],
            )
            for sign in rules.signs
        ]
        self._negations = [_compile_term(cue) for cue in rules.negation_cues]
        self._reassurances = [_compile_term(cue) for cue in rules.negation_after]
        self._hedges = [_compile_term(hedge) for hedge in rules.hedges]
        self._pain_context = [_compile_term(term) for term in rules.pain_context]
        self._leg_terms = [_compile_term(term) for term in rules.leg_symptom_terms]
        terms = [
            *(t for s in self._signs for p in (*s.match, *s.mention) for g in p for t in g.terms),
            *(t for s in self._signs for t in s.unless),
            *self._negations,
            *self._reassurances,
            *self._hedges,
            *self._pain_context,
            *self._leg_terms,
        ]
        # Each pattern is filed under the heads of its most selective group: a message can
        # only match patterns filed under one of its words.
        self._patterns_by_head: dict[str, list[int]] = {}
        self._pattern_owner: list[tuple[int, bool, Pattern]] = []  # (sign index, is mention, pattern)
        for index, compiled in enumerate(self._signs):
            for is_mention, patterns in ((False, compiled.match), (True, compiled.mention)):
                for pattern in patterns:
                    key_group = min(pattern, key=lambda g: len(g.heads))
                    for head in key_group.heads:
                        self._patterns_by_head.setdefault(head, []).append(len(self._pattern_owner))
                    self._pattern_owner.append((index, is_mention, pattern))
        fillers = {w for f in rules.fillers for w in normalise(f).words}
        self._lexicon = _Lexicon({word for term in terms for word in term}, fillers)

    def screen(self, text: NormalisedText, *, pain_earlier: bool = False) -> Screening:
        """Find the red-flag signs in a normalised message.

        `pain_earlier`: the conversation was about back pain a moment ago, so a sign that
        needs pain context ("oh and I've had a fever since yesterday") has it.
        """
        words = self._lexicon.read(text)
        candidates: dict[int, tuple[list[Pattern], list[Pattern]]] = {}
        for number in sorted({n for word in words.index for n in self._patterns_by_head.get(word, ())}):
            sign_index, is_mention, pattern = self._pattern_owner[number]
            candidates.setdefault(sign_index, ([], []))[is_mention].append(pattern)
        leg_symptoms = any(_find(term, words) for term in self._leg_terms)
        about_pain = any(_find(term, words) for term in self._pain_context)
        if not candidates:
            return Screening(None, (), (), leg_symptoms, about_pain)
        hedged = _LazyPositions(lambda: _covered_positions(self._hedges, words))
        has_pain_context = about_pain or pain_earlier
        fired: list[RedFlagSign] = []
        negated: list[RedFlagSign] = []
        for sign_index, (match, mention) in sorted(candidates.items()):
            compiled = self._signs[sign_index]
            sign = compiled.sign
            # Loose signs (fever, a fall) need the message to be about pain too.
            usable = has_pain_context or not sign.needs_pain_context
            spans = self._occurrences(match, compiled.unless, words, sign.window) if usable else []
            if spans and not all(self._is_negated(span, words, hedged) for span in spans):
                fired.append(sign)
            elif spans or any(
                self._is_negated(span, words, hedged)
                for span in self._occurrences(mention, compiled.unless, words, sign.window)
            ):
                negated.append(sign)
        level = max((s.level for s in fired), key=lambda lvl: lvl.rank, default=None)
        return Screening(level, tuple(fired), tuple(negated), leg_symptoms, about_pain)

    def _occurrences(
        self, patterns: list[Pattern], unless: list[Term], words: _Words, window: int
    ) -> list[_Span]:
        return [
            span
            for pattern in patterns
            for span in _pattern_matches(pattern, words, window)
            if not any(abs(s - span.first) <= window for term in unless for s in _find(term, words))
        ]

    def _is_negated(self, span: _Span, words: _Words, hedged: _LazyPositions) -> bool:
        """A cue shortly before the match or between its terms, or a reassurance after it."""
        start, end = span.first, span.last
        first = start
        while first > 0 and start - first < NEGATION_LOOKBACK and first not in words.clause_starts:
            first -= 1
        last = end
        while (
            last < len(words.forms) - 1
            and last - end < NEGATION_LOOKAHEAD
            and last + 1 not in words.clause_starts
        ):
            last += 1
        before = any(
            first <= p < end
            and p not in span.matched
            and p not in hedged
            and _same_clause_as_next(p, span, words)
            for cue in self._negations
            for p in _find(cue, words)
        )
        after = any(end < p <= last for cue in self._reassurances for p in _find(cue, words))
        return before or after


def _compile_pattern(groups: Sequence[Sequence[str]]) -> Pattern:
    compiled = []
    for group in groups:
        terms = tuple(_compile_term(term) for term in group)
        compiled.append(_Group(terms, frozenset(term[0] for term in terms)))
    return compiled


def _compile_term(term: str) -> Term:
    """Normalise a content term the way messages are normalised, keeping prefix stars."""
    words: list[str] = []
    for raw in term.split():
        star = raw.endswith("*")
        normalised = normalise(raw.rstrip("*")).words
        words.extend(normalised[:-1])
        if normalised:
            words.append(normalised[-1] + ("*" if star else ""))
    return tuple(words)


class _Lexicon:
    """Maps a message word to the set of term words it satisfies (exact, prefix, one typo)."""

    def __init__(self, vocabulary: set[str], fillers: set[str]) -> None:
        self._exact = {w for w in vocabulary if not w.endswith("*")}
        self._prefixes = sorted(w for w in vocabulary if w.endswith("*"))
        self._typos = TypoIndex(sorted(self._exact), MIN_FUZZY_LENGTH, keep_first_letter=True)
        self._fillers = fillers - self._exact  # a filler that is also a term word is kept
        self.forms = lru_cache(maxsize=65536)(self._forms)

    def _forms(self, word: str) -> frozenset[str]:
        forms = {p for p in self._prefixes if word.startswith(p[:-1]) or _near_prefix(word, p[:-1])}
        if word in self._exact:
            forms.add(word)
        forms.update(self._typos.near(word))
        single = _DOUBLED.sub(r"\1", word)  # "numbb" -> "numb", after repeats were cut to two
        if single != word and single in self._exact:
            forms.add(single)
        return frozenset(forms)

    def read(self, text: NormalisedText) -> _Words:
        """The message's words as term-word sets, fillers skipped, clause starts kept."""
        forms: list[frozenset[str]] = []
        clause_starts: set[int] = set()
        for position, word in enumerate(text.words):
            if position in text.clause_starts:
                clause_starts.add(len(forms))
            if word not in self._fillers:
                forms.append(self.forms(word))
        index: dict[str, list[int]] = {}
        for position, word_forms in enumerate(forms):
            for form in word_forms:
                index.setdefault(form, []).append(position)
        return _Words(forms, index, frozenset(clause_starts))


def _near_prefix(word: str, prefix: str) -> bool:
    """A longer form of `prefix` with one typo ("tingeling" for "tingl*"); not for short stems."""
    if len(prefix) < MIN_FUZZY_LENGTH - 1 or len(word) < len(prefix) + 2 or word[0] != prefix[0]:
        return False
    return any(OSA.distance(word[: len(prefix) + extra], prefix) <= 1 for extra in (0, 1))


def _find(term: Term, words: _Words) -> list[int]:
    """Start positions where the term's words occur consecutively."""
    starts = words.index.get(term[0], [])
    if len(term) == 1:
        return starts
    forms, span = words.forms, len(term)
    return [
        i for i in starts if i + span <= len(forms) and all(term[k] in forms[i + k] for k in range(1, span))
    ]


class _LazyPositions:
    """A set of positions computed on first use: most messages never need it."""

    def __init__(self, compute: Callable[[], set[int]]) -> None:
        self._compute = compute
        self._positions: set[int] | None = None

    def __contains__(self, position: object) -> bool:
        if self._positions is None:
            self._positions = self._compute()
        return position in self._positions


def _covered_positions(terms: list[Term], words: _Words) -> set[int]:
    return {start + k for term in terms for start in _find(term, words) for k in range(len(term))}


def _same_clause_as_next(position: int, span: _Span, words: _Words) -> bool:
    """Whether no clause break separates `position` from the next matched word after it."""
    following = [p for p in span.matched if p > position]
    if not following:
        return True
    return not any(position < c <= min(following) for c in words.clause_starts)


@dataclass(frozen=True, slots=True)
class _Span:
    """Where one pattern occurrence lies, and which positions its terms cover."""

    first: int
    last: int
    matched: frozenset[int]


def _pattern_matches(pattern: Pattern, words: _Words, window: int) -> list[_Span]:
    """Each occurrence where a term of every group lies within `window` of the first group's."""
    if not all(group.heads & words.index.keys() for group in pattern):
        return []  # some group has no term starting here: the common, cheap case
    group_spans = [
        sorted({(s, s + len(t) - 1) for t in group.terms if t[0] in words.index for s in _find(t, words)})
        for group in pattern
    ]
    if not all(group_spans):
        return []
    results = []
    for anchor in group_spans[0]:
        chosen = [anchor]
        for spans in group_spans[1:]:
            near = [s for s in spans if abs(s[0] - anchor[0]) <= window]
            if not near:
                break
            chosen.append(min(near, key=lambda s: abs(s[0] - anchor[0])))
        else:
            covered = frozenset(p for first, last in chosen for p in range(first, last + 1))
            results.append(_Span(min(covered), max(covered), covered))
    return results
