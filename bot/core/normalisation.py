"""Turning a raw chat message into clean lower-case words, once per message.

Both the red-flag screen and the matcher read the result, so a message is normalised the
same way for both, and content terms are normalised with the same function at load time.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz.distance import OSA

MAX_MESSAGE_CHARS = 4000  # matching reads no further (it bounds its work); the red-flag screen reads all
# Bound of the per-word caches (stems, features, typo look-ups) that every reader keeps: a
# chat's working vocabulary. On 3,572 real messages, 95% of words hit at 8,192 entries, as
# with no bound. Unbounded (and with a cache per word pair), a bot grew from 69 to 228 MB
# over 20,000 messages full of new words; bounded (and with no pair caches), to 81 MB
# (bench/core_bench.py).
WORD_CACHE_SIZE = 8192

# Links, Discord markup (<@123>, <:emoji:123>), @handles and emoji all become a space.
_NOISE = re.compile(
    r"(?:https?://|www\.)\S+|<[@#][!&]?\d+>|<a?:\w+:\d+>|(?<!\w)@\w+"
    "|[\U0001f000-\U0001faff\u2600-\u27bf\u2300-\u23ff\u2b00-\u2bff\ufe0e\ufe0f\u200d\u20e3]"
)
_APOSTROPHES = "'\u2019\u2018`\u00b4"
# "back's" -> "back", "can't" -> "cant"
_APOSTROPHE = re.compile(r"(\w)(?:['\u2019]s\b|['\u2019\u2018`\u00b4](?=\w))")
_DIGIT = re.compile(r"\d")
_UNIT = re.compile(r"(\d)(?=(?:kg|kgs|kilos|lbs|lb|st|stone|km|mi|k|am|pm)\b)")  # "6kg" -> "6 kg"
_REPEATS = re.compile(r"(\w)\1{2,}")  # "sooooo" -> "soo"
_TOKEN = re.compile(r"[^\W_]+|[.!?;,\n]")
_CLAUSE_BREAK = frozenset(".!?;,\n")
_SENTENCE_BREAK = frozenset(".!?\n")
_CLAUSE_WORDS = frozenset({"but", "although", "though", "however"})

# Apostrophes are dropped first, so "can't" and "cant" both arrive here as "cant".
_EXPANSIONS: dict[str, str] = {
    "cant": "cannot",
    "cnt": "cannot",
    "dont": "do not",
    "doesnt": "does not",
    "didnt": "did not",
    "wont": "will not",
    "isnt": "is not",
    "wasnt": "was not",
    "arent": "are not",
    "werent": "were not",
    "havent": "have not",
    "hasnt": "has not",
    "hadnt": "had not",
    "shouldnt": "should not",
    "couldnt": "could not",
    "wouldnt": "would not",
    "aint": "is not",
    "im": "i am",
    "ive": "i have",
    "id": "i would",
    "ill": "i will",
    "youre": "you are",
    "whats": "what is",
    "hows": "how is",
    "thats": "that is",
    "theres": "there is",
    "idk": "i do not know",
    # runner and chat abbreviations
    "lbp": "lower back pain",
    "hammies": "hamstrings",
    "hammy": "hamstring",
    "physio": "physiotherapist",
    "physios": "physiotherapist",
    "pt": "physiotherapist",
    "doc": "doctor",
    "dr": "doctor",
    "gp": "doctor",
    "xt": "cross training",
    "u": "you",
    "ur": "your",
    "r": "are",
    "pls": "please",
    "plz": "please",
    "thx": "thanks",
    "ty": "thanks",
    "tho": "though",
    "bc": "because",
    "cuz": "because",
    "coz": "because",
    "w": "with",
    "rn": "right now",
    "smth": "something",
    "abt": "about",
    "b4": "before",
    "ibu": "ibuprofen",
    "bk": "back",
    "lwr": "lower",
}
_EXPANDED = {short: tuple(long.split()) for short, long in _EXPANSIONS.items()}


@dataclass(frozen=True, slots=True)
class NormalisedText:
    """A message as words. `clause_starts` and `sentence_starts` mark where those begin."""

    words: tuple[str, ...]
    clause_starts: frozenset[int]
    sentence_starts: frozenset[int] = frozenset({0})
    question_ends: frozenset[int] = frozenset()  # where a sentence ending in "?" ends

    def sentences(self) -> list[tuple[int, int]]:
        """(start, end) word positions of each non-empty sentence, in order."""
        starts = sorted(s for s in self.sentence_starts if s < len(self.words))
        ends = [*starts[1:], len(self.words)] if starts else []
        return list(zip(starts, ends, strict=True))

    def part(self, start: int, end: int) -> NormalisedText:
        """The words from `start` up to `end`, with their clause and sentence marks."""
        return NormalisedText(
            self.words[start:end],
            frozenset(c - start for c in self.clause_starts if start <= c < end),
            frozenset(s - start for s in self.sentence_starts if start <= s < end) | {0},
            frozenset(q - start for q in self.question_ends if start < q <= end),
        )

    @property
    def text(self) -> str:
        return " ".join(self.words)


def normalise(raw: str, limit: int | None = MAX_MESSAGE_CHARS) -> NormalisedText:
    """NFKC, case, links, mentions, emoji, repeated letters, contractions, abbreviations.

    Only the first `limit` characters are read; `limit=None` reads the whole text (the
    red-flag screen must see every character, at a cost linear in the length).
    """
    text = unicodedata.normalize("NFKC", raw[:limit]).casefold()
    if not text.isascii() or "@" in text or "<" in text or "www" in text or "http" in text:
        text = _NOISE.sub(" ", text)  # most messages have none of these: skip the scan
    if any(mark in text for mark in _APOSTROPHES):
        text = _APOSTROPHE.sub(r"\1", text)
    if _DIGIT.search(text):
        text = _UNIT.sub(r"\1 ", text)
    text = _REPEATS.sub(r"\1\1", text)
    words: list[str] = []
    clause_starts: set[int] = {0}
    sentence_starts: set[int] = {0}
    question_ends: set[int] = set()
    for token in _TOKEN.findall(text):
        if token in _CLAUSE_BREAK:
            clause_starts.add(len(words))
            if token in _SENTENCE_BREAK:
                sentence_starts.add(len(words))
            if token == "?":
                question_ends.add(len(words))
            continue
        if token in _CLAUSE_WORDS:
            clause_starts.add(len(words))
        expansion = _EXPANDED.get(token)
        if expansion is None:
            words.append(token)
        else:
            words.extend(expansion)
    return NormalisedText(
        tuple(words), frozenset(clause_starts), frozenset(sentence_starts), frozenset(question_ends)
    )


class PhraseSet:
    """Word runs ("upper back", "thank you") to look for in a message's words."""

    def __init__(self, phrases: Iterable[tuple[str, ...]]) -> None:
        self._phrases = frozenset(p for p in phrases if p)
        self._first_words = frozenset(p[0] for p in self._phrases)

    def found_in(self, words: tuple[str, ...]) -> bool:
        if self._first_words.isdisjoint(words):  # the usual case
            return False
        return any(words[i : i + len(p)] == p for p in self._phrases for i in range(len(words) - len(p) + 1))


class TypoIndex:
    """Finds the known words one typo away from a word (insert, delete, replace or swap).

    Candidates come from a table of one-letter deletions (fast); each is then confirmed
    with the optimal-string-alignment distance, since two words that share a deletion can
    be two edits apart ("aches" and "chest").
    """

    def __init__(self, words: Iterable[str], min_length: int, *, keep_first_letter: bool = False) -> None:
        """Index `words` of at least `min_length` letters.

        `keep_first_letter` accepts only typos that keep the first letter: real words one
        edit apart mostly differ there ("wearing"/"tearing", "hills"/"chills").
        """
        self._min_length = min_length
        self._keep_first_letter = keep_first_letter
        self._by_variant: dict[str, list[str]] = {}
        self._preference: dict[str, int] = {}  # the caller's order: earlier words are preferred
        for word in words:
            if len(word) >= min_length and word not in self._preference:
                self._preference[word] = len(self._preference)
                for variant in {word, *_deletions(word)}:
                    self._by_variant.setdefault(variant, []).append(word)

    def near(self, word: str) -> list[str]:
        """Known words within one edit of `word`, in preference order."""
        if len(word) < self._min_length - 1:
            return []
        found: dict[str, None] = {}
        for variant in (word, *_deletions(word)):
            for known in self._by_variant.get(variant, ()):
                if known == word or (self._keep_first_letter and known[0] != word[0]):
                    continue
                if OSA.distance(word, known) <= 1:
                    found[known] = None
        # In the caller's order, not the order the variants were tried in: that one follows
        # the process's hash seed, and a tie would be corrected differently run to run.
        return sorted(found, key=self._preference.__getitem__)


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}
