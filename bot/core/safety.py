"""Red-flag screening: runs on every message, over its whole text, before anything else.

A sign fires when all term groups of one of its `match` patterns occur within a few words
of each other. Words match exactly, by prefix (`numb*`), by number range (`<50-99>`, an
age) or with one typo (words of six letters or more); filler words ("really", "kinda") are
skipped so that "cannot really feel" matches "cannot feel". The content builds terms from
concepts (sensation loss x body region, and so on; see content/red_flags.yaml).

Negation keeps to its own clause: a match with a negation cue shortly before it in the
same clause ("no numbness") or a reassurance right after it ("bladder totally normal")
counts as negated. A negated sign never fires, but it is never dropped either: it produces
a short "if you ever notice" line, because negation detection is wrong often enough that
silence would be unsafe. `mention` patterns catch negated mentions too loose to fire on
their own ("legs aren't weak"). Hedges ("not sure if", "not even") never negate. A denied
word does not hide an emergency or urgent sign told elsewhere: "I fell, no pain at first,
but now my back is agony" is matched again without "pain" and fires.

Cost: every look-up is a dictionary hit or a binary search in a sorted list of positions,
so screening is linear in the message's length (times a log), however it is written.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cache, cached_property, lru_cache

from rapidfuzz.distance import OSA

from bot.core.content import RedFlagRules, RedFlagSign
from bot.core.normalisation import WORD_CACHE_SIZE, NormalisedText, TypoIndex, normalise
from bot.core.red_flag_model import RedFlagModel, Verdict
from bot.core.types import Urgency
from bot.core.word_vectors import WordVectors, shipped_word_vectors

# Words in most messages: a term is filed under one of its other words (see `_Grouper`).
# fmt: off
_COMMON_WORDS = frozenset({
    "a", "all", "am", "an", "and", "any", "are", "at", "be", "been", "but", "can", "could", "did",
    "do", "does", "for", "get", "go", "got", "had", "has", "have", "i", "in", "is", "it", "just",
    "me", "my", "no", "not", "of", "on", "or", "so", "that", "the", "then", "this", "to", "up",
    "was", "were", "when", "will", "with", "would",
})
# fmt: on
# An `unless` term cancels a match when one of its words stands this close to one of the
# match's words ("hit by a massive headwind"), not anywhere in the sign's window: a headwind
# earlier in the run does not cancel "I slipped on ice and landed on my back".
UNLESS_REACH = 4
NEGATION_LOOKBACK = 5  # words before a match in which a negation cue negates it
NEGATION_LOOKAHEAD = 4  # words after a match in which a reassurance negates it
MIN_FUZZY_LENGTH = 6  # shorter words must match exactly: "takes" must not match "wakes"
POSSIBLE_RED_FLAG = "possible_red_flag"  # the sign id reported when only the model fired

_DOUBLED = re.compile(r"(\w)\1")
_NUMBER_RANGE = re.compile(r"^<(\d{1,3})-(\d{1,3})>$")  # a term word matching a number in a range

# "lost a stone in two weeks" is told in words as often as in digits.
# fmt: off
_NUMBER_WORDS = dict(zip(
    ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
     "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty",
     "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"],
    [*range(1, 21), *range(30, 100, 10)],
    strict=True,
))
# fmt: on
Term = tuple[str, ...]  # a term's words; "numb*" is a prefix, "#50-99" a number range


@dataclass(frozen=True, slots=True)
class _Group:
    """Alternative terms, filed by their key word (the word fewest terms share: "pee" in
    "could not pee") and then by their next rarest word ("" for a one-word term), so a
    message looks only at the few terms both of whose filing words it contains."""

    by_key: dict[str, dict[str, tuple[Term, ...]]]


Pattern = list[_Group]  # term groups that must all occur close together


@dataclass(frozen=True, slots=True)
class Screening:
    """What the screen found. `level` is the highest level among signs that fired."""

    level: Urgency | None
    fired: tuple[RedFlagSign, ...]
    negated: tuple[RedFlagSign, ...]
    # Leg words, or bladder, bowel or saddle-area words with back pain, or the learned line
    # half-reading a report, and no red flag: the answer ends with the check question about
    # the signs (people rarely name them unasked).
    worth_check: bool = False
    about_pain: bool = False  # the message mentions pain or the back
    # The learned second line read a red-flag report that no emergency or urgent pattern named.
    possible: bool = False

    @property
    def found_anything(self) -> bool:
        return bool(self.fired or self.negated or self.possible)


@dataclass(frozen=True, slots=True)
class _Words:
    """A message's words as sets of term words they satisfy, indexed by term word.

    `clause[i]` numbers the clause of word i; `clause_bounds[c]` is clause c's first and
    last word, so the negation scope of a match is found without walking.
    """

    forms: list[frozenset[str]]
    index: dict[str, list[int]]  # term word -> ascending positions
    clause: list[int]
    clause_bounds: list[tuple[int, int]]
    sentence: list[int]
    found: dict[Term, list[int]]  # memo of `_find`: many patterns share their terms


@dataclass(frozen=True, slots=True)
class _CompiledSign:
    sign: RedFlagSign
    match: list[Pattern]
    mention: list[Pattern]
    unless: _Group
    other_senses: _Group


class RedFlagScreener:
    """Compiled red-flag rules. Build once per library; `screen` is cheap and pure."""

    def __init__(
        self, rules: RedFlagRules, model: RedFlagModel | None = None, dictionary: WordVectors | None = None
    ) -> None:
        """`dictionary` knows the real English words (the shipped word vectors by default):
        a real word is never read as a typo of a term ("trapped" is not "tripped")."""
        self._model = model
        grouper = _Grouper(rules)
        self._signs = [
            _CompiledSign(
                sign,
                [grouper.pattern(p) for p in sign.patterns],
                [grouper.pattern(p) for p in sign.mentions],
                grouper.group(sign.unless),
                grouper.group(sign.other_senses),
            )
            for sign in rules.signs
        ]
        self._negations = grouper.group(rules.negation_cues)
        self._reassurances = grouper.group(rules.negation_after)
        self._hedges = grouper.group(rules.hedges)
        self._pain_context = grouper.group(rules.pain_context)
        self._leg_terms = grouper.group(rules.leg_symptom_terms)
        self._body_function_terms = grouper.group(rules.body_function_terms)
        self._file_patterns()
        fillers = {w for f in rules.fillers for w in normalise(f).words}
        words = dictionary or shipped_word_vectors()
        self._lexicon = _Lexicon({word for term in self._all_terms() for word in term}, fillers, words)

    def _file_patterns(self) -> None:
        """File each pattern under the keys of its most selective group: a message can only
        match patterns filed under one of its words. Each pattern's groups also get a bit
        each, set in every key word's mask, so a message rules out in one operation the
        patterns some group of which has no key word in it."""
        self._patterns_by_key: dict[str, list[int]] = {}
        self._pattern_owner: list[tuple[int, bool, Pattern]] = []  # (sign index, is mention, pattern)
        self._pattern_bits: list[int] = []  # per pattern, the bits of its groups
        self._key_bits: dict[str, int] = {}  # per key word, the bits of the groups it keys
        bit = 1
        for index, compiled in enumerate(self._signs):
            for is_mention, patterns in ((False, compiled.match), (True, compiled.mention)):
                for pattern in patterns:
                    key_group = min(pattern, key=lambda g: len(g.by_key))
                    for key in key_group.by_key:
                        self._patterns_by_key.setdefault(key, []).append(len(self._pattern_owner))
                    self._pattern_owner.append((index, is_mention, pattern))
                    bits = 0
                    for group in pattern:
                        bits |= bit
                        for key in group.by_key:
                            self._key_bits[key] = self._key_bits.get(key, 0) | bit
                        bit <<= 1
                    self._pattern_bits.append(bits)

    def _all_terms(self) -> list[Term]:
        """Every term the screen looks for, so the lexicon knows every word of them."""
        groups = [g for s in self._signs for p in (*s.match, *s.mention) for g in p]
        groups += [g for s in self._signs for g in (s.unless, s.other_senses)]
        groups += [self._pain_context, self._leg_terms, self._body_function_terms]
        groups += [self._negations, self._reassurances, self._hedges]
        return [t for g in groups for filed in g.by_key.values() for ts in filed.values() for t in ts]

    def screen(self, text: NormalisedText, *, pain_earlier: bool = False) -> Screening:
        """Find the red-flag signs in a normalised message.

        `pain_earlier`: the conversation was about back pain a moment ago, so a sign that
        needs pain context ("oh and I've had a fever since yesterday") has it.
        """
        screening = self._screen_patterns(text, pain_earlier)
        if self._model is None or screening.negated or _named_urgent(screening):
            return screening  # a pattern named it (or a denial already brings its safety line)
        verdict = self._model.verdict(text)
        if verdict is Verdict.ASKS:
            return replace(screening, worth_check=True)
        return replace(screening, possible=True) if verdict is Verdict.FIRES else screening

    def _screen_patterns(self, text: NormalisedText, pain_earlier: bool) -> Screening:
        words = self._lexicon.read(text)
        candidates: dict[int, tuple[list[Pattern], list[Pattern]]] = {}
        numbers = {n for word in words.index for n in self._patterns_by_key.get(word, ())}
        present = 0  # the bits of the groups that have a key word in the message
        for word in words.index:
            present |= self._key_bits.get(word, 0)
        for number in sorted(numbers):
            if self._pattern_bits[number] & ~present:
                continue  # some group of the pattern has no key word here: the common case
            sign_index, is_mention, pattern = self._pattern_owner[number]
            candidates.setdefault(sign_index, ([], []))[is_mention].append(pattern)
        about_pain = _occurs(self._pain_context, words)
        has_pain_context = about_pain or pain_earlier
        worth_check = _occurs(self._leg_terms, words) or (
            has_pain_context and _occurs(self._body_function_terms, words)
        )
        if not candidates:
            return Screening(None, (), (), worth_check, about_pain)
        negation = _NegationScope(words, self._negations, self._reassurances, self._hedges)
        fired: list[RedFlagSign] = []
        negated: list[RedFlagSign] = []
        for sign_index, (match, mention) in sorted(candidates.items()):
            compiled = self._signs[sign_index]
            sign = compiled.sign
            # Loose signs (fever, a fall) need the message to be about pain too.
            usable = has_pain_context or not sign.needs_pain_context
            spans = _occurrences(match, compiled, words) if usable else []
            if spans and sign.level.rank >= Urgency.URGENT.rank and all(map(negation.negates, spans)):
                # The nearest word may be the one denied ("no pain at first, but now my back
                # is agony"): matched again without denied words, the sign said elsewhere
                # fires. Not for "soon" signs: "hopping doesn't hurt, more an ache when I sit".
                spans = _occurrences(match, compiled, words, negation.denied) or spans
            if spans and not all(negation.negates(span) for span in spans):
                fired.append(sign)
            elif spans or any(negation.negates(span) for span in _occurrences(mention, compiled, words)):
                negated.append(sign)
        level = max((s.level for s in fired), key=lambda lvl: lvl.rank, default=None)
        return Screening(level, tuple(fired), tuple(negated), worth_check, about_pain)


class _NegationScope:
    """Negation cues and reassurances of one message, found once, asked per match."""

    def __init__(self, words: _Words, negations: _Group, reassurances: _Group, hedges: _Group) -> None:
        self._words = words
        self._cues = _sorted_starts(negations, words)
        self._reassurances = _sorted_starts(reassurances, words)
        self._hedged = _covered(hedges, words)

    @cached_property
    def denied(self) -> frozenset[int]:
        """The positions a cue or a reassurance in their clause may deny: the few words after
        a cue, the few before a reassurance."""
        words = self._words
        positions: set[int] = set()
        for cue in self._cues:
            if cue not in self._hedged:
                clause_last = words.clause_bounds[words.clause[cue]][1]
                positions.update(range(cue + 1, min(cue + NEGATION_LOOKBACK, clause_last) + 1))
        for reassurance in self._reassurances:
            clause_first = words.clause_bounds[words.clause[reassurance]][0]
            positions.update(range(max(reassurance - NEGATION_LOOKAHEAD, clause_first), reassurance))
        return frozenset(positions)

    def negates(self, span: _Span) -> bool:
        """A cue shortly before the match or between its terms, or a reassurance after it,
        in the match's own clause."""
        words = self._words
        start, end = span.first, span.last
        first = max(start - NEGATION_LOOKBACK, words.clause_bounds[words.clause[start]][0])
        last = min(end + NEGATION_LOOKAHEAD, words.clause_bounds[words.clause[end]][1])
        cues = self._cues
        for p in cues[bisect_left(cues, first) : bisect_left(cues, end)]:
            if p not in span.matched and p not in self._hedged and _same_clause_as_next(p, span, words):
                return True
        reassurances = self._reassurances
        return bisect_right(reassurances, last) > bisect_right(reassurances, end)


class _Grouper:
    """Compiles term groups, keying each term by its word that the fewest terms share."""

    def __init__(self, rules: RedFlagRules) -> None:
        raw_terms = {
            raw
            for sign in rules.signs
            for patterns in (sign.patterns, sign.mentions)
            for pattern in patterns
            for group in pattern
            for raw in group
        } | {*rules.pain_context, *rules.leg_symptom_terms, *rules.body_function_terms}
        self._frequency = Counter(word for raw in raw_terms for word in set(_compile_term(raw)))

    def pattern(self, groups: Sequence[Sequence[str]]) -> Pattern:
        return [self.group(group) for group in groups]

    def group(self, raw_terms: Sequence[str]) -> _Group:
        by_key: dict[str, dict[str, list[Term]]] = {}
        for raw in raw_terms:
            term = _compile_term(raw)
            if term:
                key, second, *_ = (*sorted(dict.fromkeys(term), key=self._rarity), "")
                by_key.setdefault(key, {}).setdefault(second, []).append(term)
        return _Group(
            {key: {second: tuple(terms) for second, terms in filed.items()} for key, filed in by_key.items()}
        )

    def _rarity(self, word: str) -> tuple[bool, int, int]:
        """Words common in any message last; then fewest terms first; then the longest word.
        A term keyed by "have" ("did not have any feeling") is tried on most messages."""
        return word in _COMMON_WORDS, self._frequency[word], -len(word)


def _present(group: _Group, words: _Words) -> list[Term]:
    """The group's terms whose filing words the message has: the only ones that can occur.
    Two set intersections per key word, not a look-up per term (most terms of a concept
    share their key word with many others)."""
    present = words.index.keys()
    terms: list[Term] = []
    for key in group.by_key.keys() & present:
        filed = group.by_key[key]
        terms += filed.get("", ())
        for second in filed.keys() & present:
            terms += filed[second]
    return terms


def _occurs(group: _Group, words: _Words) -> bool:
    """Whether any of the group's terms occurs in the message."""
    return any(_find(t, words) for t in _present(group, words))


@cache
def _compile_term(term: str) -> Term:
    """Normalise a content term the way messages are normalised, keeping stars and ranges."""
    words: list[str] = []
    for raw in term.split():
        number_range = _NUMBER_RANGE.match(raw)
        if number_range:
            words.append(f"#{int(number_range[1])}-{int(number_range[2])}")
            continue
        star = raw.endswith("*")
        normalised = normalise(raw.rstrip("*")).words
        words.extend(normalised[:-1])
        if normalised:
            words.append(normalised[-1] + ("*" if star else ""))
    return tuple(words)


class _Lexicon:
    """Maps a message word to the set of term words it satisfies (exact, prefix, range, typo)."""

    def __init__(self, vocabulary: set[str], fillers: set[str], dictionary: WordVectors) -> None:
        self._dictionary = dictionary
        self._exact = {w for w in vocabulary if not w.endswith("*") and not w.startswith("#")}
        self._prefixes = {w[:-1] for w in vocabulary if w.endswith("*")}
        # Fuzzy prefixes are tried only for words with the same first letter.
        self._fuzzy_prefixes: dict[str, list[str]] = {}
        for stem in sorted(self._prefixes):
            if len(stem) >= MIN_FUZZY_LENGTH - 1:
                self._fuzzy_prefixes.setdefault(stem[0], []).append(stem)
        self._ranges = [
            (w, int(low), int(high))
            for w in sorted(vocabulary)
            if w.startswith("#")
            for low, high in [w[1:].split("-")]
        ]
        self._typos = TypoIndex(sorted(self._exact), MIN_FUZZY_LENGTH, keep_first_letter=True)
        self._fillers = fillers - self._exact  # a filler that is also a term word is kept
        self.forms = lru_cache(maxsize=WORD_CACHE_SIZE)(self._forms)

    def _forms(self, word: str) -> frozenset[str]:
        forms = {word[:n] + "*" for n in range(1, len(word) + 1) if word[:n] in self._prefixes}
        if word in self._exact:
            forms.add(word)
        digits = word.isascii() and word.isdigit() and len(word) <= 3
        number = int(word) if digits else _NUMBER_WORDS.get(word)
        if number is not None:
            forms.update(name for name, low, high in self._ranges if low <= number <= high)
        if word in self._exact or self._dictionary.row(word) is not None:
            return frozenset(forms)  # a real word is no typo of another ("hopping", "trapped")
        forms.update(
            stem + "*" for stem in self._fuzzy_prefixes.get(word[:1], ()) if _near_prefix(word, stem)
        )
        forms.update(self._typos.near(word))
        single = _DOUBLED.sub(r"\1", word)  # "numbb" -> "numb", after repeats were cut to two
        if single != word and single in self._exact:
            forms.add(single)
        return frozenset(forms)

    def read(self, text: NormalisedText) -> _Words:
        """The message's words as term-word sets, fillers skipped, clauses numbered."""
        forms_of, fillers = self.forms, self._fillers
        clause_starts, sentence_starts = text.clause_starts, text.sentence_starts
        forms: list[frozenset[str]] = []
        clause: list[int] = []
        sentence: list[int] = []
        clause_bounds: list[tuple[int, int]] = []
        index: dict[str, list[int]] = {}
        sentence_number = clause_start = 0
        for position, word in enumerate(text.words):
            if position in clause_starts and len(forms) > clause_start:  # a clause with words ends
                clause_bounds.append((clause_start, len(forms) - 1))
                clause_start = len(forms)
            if position and position in sentence_starts:
                sentence_number += 1
            if word in fillers:
                continue
            word_forms = forms_of(word)
            for form in word_forms:
                index.setdefault(form, []).append(len(forms))
            forms.append(word_forms)
            clause.append(len(clause_bounds))
            sentence.append(sentence_number)
        if len(forms) > clause_start:
            clause_bounds.append((clause_start, len(forms) - 1))
        return _Words(forms, index, clause, clause_bounds, sentence, {})


def _near_prefix(word: str, prefix: str) -> bool:
    """A longer form of `prefix` with one typo ("tingeling" for "tingl*"); not for short stems."""
    if len(word) < len(prefix) + 2 or word[0] != prefix[0]:
        return False
    return any(OSA.distance(word[: len(prefix) + extra], prefix) <= 1 for extra in (0, 1))


def _find(term: Term, words: _Words) -> list[int]:
    """Ascending start positions where the term's words occur consecutively."""
    index = words.index
    starts = index.get(term[0])
    if not starts:
        return []
    if len(term) == 1:
        return starts
    found = words.found.get(term)
    if found is None:
        found = []
        if all(word in index for word in term):  # most terms of a concept fail here, cheaply
            # Walk the positions of the term's rarest word: linear in the fewest occurrences.
            offset = min(range(len(term)), key=lambda k: len(index[term[k]]))
            forms, span = words.forms, len(term)
            found = [
                i
                for p in index[term[offset]]
                if (i := p - offset) >= 0
                and i + span <= len(forms)
                and all(term[k] in forms[i + k] for k in range(span))
            ]
        words.found[term] = found
    return found


def _sorted_starts(group: _Group, words: _Words) -> list[int]:
    return sorted({start for term in _present(group, words) for start in _find(term, words)})


def _same_clause_as_next(position: int, span: _Span, words: _Words) -> bool:
    """Whether `position` lies in the clause of the next matched word after it."""
    following = [p for p in span.matched if p > position]
    return not following or words.clause[position] == words.clause[min(following)]


@dataclass(frozen=True, slots=True)
class _Span:
    """Where one pattern occurrence lies, and which positions its terms cover."""

    first: int
    last: int
    matched: frozenset[int]


def _occurrences(
    patterns: list[Pattern], compiled: _CompiledSign, words: _Words, excluded: frozenset[int] = frozenset()
) -> list[_Span]:
    """Every occurrence of the patterns that uses no word of an `other_senses` phrase nor at
    an `excluded` position, and that no `unless` term lies near."""
    sign, window = compiled.sign, compiled.sign.window
    sentence = words.sentence if sign.same_sentence else None
    spans = [s for pattern in patterns for s in _pattern_matches(pattern, words, window, sentence, excluded)]
    if spans and compiled.other_senses.by_key:
        elsewhere = _covered(compiled.other_senses, words)
        if any(not elsewhere.isdisjoint(span.matched) for span in spans):
            # Matched again without those words: "painkillers kicked in" takes its pain word
            # out too, so a fall nearby is matched with the next pain word, not dropped.
            also = elsewhere | excluded
            spans = [s for p in patterns for s in _pattern_matches(p, words, window, sentence, also)]
    if sentence is not None:  # a term itself may run on past a sentence's end
        spans = [s for s in spans if sentence[s.first] == sentence[s.last]]
    if not spans or not compiled.unless.by_key:
        return spans
    cancels = sorted(_covered(compiled.unless, words))
    return [span for span in spans if not any(_near(cancels, p, UNLESS_REACH) for p in span.matched)]


def _near(positions: list[int], position: int, reach: int) -> bool:
    """Whether a sorted list has a position within `reach` words of `position`."""
    return bisect_right(positions, position + reach) > bisect_left(positions, position - reach)


def _covered(group: _Group, words: _Words) -> frozenset[int]:
    """The positions of every word inside an occurrence of one of the group's terms."""
    return frozenset(
        start + k for term in _present(group, words) for start in _find(term, words) for k in range(len(term))
    )


def _pattern_matches(
    pattern: Pattern,
    words: _Words,
    window: int,
    sentence: list[int] | None = None,
    excluded: frozenset[int] = frozenset(),
) -> list[_Span]:
    """Each occurrence where a term of every group lies within `window` of the first group's
    (given the words' `sentence` numbers, in its sentence), using no word at an `excluded`
    position."""
    group_spans = []
    for group in pattern:
        spans = sorted({(s, s + len(t) - 1) for t in _present(group, words) for s in _find(t, words)})
        if excluded:  # rare: only when matching again around other senses or denied words
            spans = [span for span in spans if excluded.isdisjoint(range(span[0], span[1] + 1))]
        if not spans:
            return []
        group_spans.append(spans)
    starts = [[s for s, _ in spans] for spans in group_spans]
    results = []
    for anchor in group_spans[0]:
        chosen = [anchor]
        for spans, group_starts in zip(group_spans[1:], starts[1:], strict=True):
            nearest = _nearest(spans, group_starts, anchor, window, sentence)
            if nearest is None:
                break
            chosen.append(nearest)
        else:
            covered = frozenset(p for first, last in chosen for p in range(first, last + 1))
            results.append(_Span(min(covered), max(covered), covered))
    return results


def _nearest(
    spans: list[tuple[int, int]],
    starts: list[int],
    anchor: tuple[int, int],
    window: int,
    sentence: list[int] | None = None,
) -> tuple[int, int] | None:
    """The span nearest the anchor (the earlier on a tie), if within `window` and, given the
    words' `sentence` numbers, in the anchor's sentence. A span after the anchor is counted
    from the anchor's last word, so a long term ("have not been able to feel when i need")
    does not use up the window. Those numbers only grow, so the nearest in the sentence is
    still one of the two spans around the anchor: "Legs tired. Now numbness creeping to both
    my calves" pairs the numbness with the calves."""
    position, end = anchor
    i = bisect_left(starts, position)
    nearest, distance = -1, window + 1
    if i > 0 and (sentence is None or sentence[starts[i - 1]] == sentence[position]):
        nearest, distance = i - 1, position - starts[i - 1]
    after = max(0, starts[i] - end) if i < len(starts) else distance
    if after < distance and (sentence is None or sentence[starts[i]] == sentence[position]):
        nearest, distance = i, after  # strictly nearer: the earlier one wins a tie
    return spans[nearest] if distance <= window else None


def _named_urgent(screening: Screening) -> bool:
    return screening.level is not None and screening.level.rank >= Urgency.URGENT.rank
