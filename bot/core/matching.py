"""Intent matching: score a normalised message against every intent's phrasings.

Two stages, both prepared at load time:
1. Weighted word overlap over stemmed content words, computed for all phrasings at once
   with numpy (an inverted index; rare words weigh more, as in IDF). Unknown words one
   typo away from a known word are corrected first.
2. The few best intents are re-scored with rapidfuzz on the corrected text, which
   rewards word order and near-identical wording.
An intent's score is its best phrasing's score, 0 to 100.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import snowballstemmer
from rapidfuzz import fuzz

from bot.core.content import Intent
from bot.core.normalisation import NormalisedText, TypoIndex, normalise

# Words that carry no topic. Question words ("why", "should", "how") are kept on purpose:
# they separate causes from prevention from should-I-run.
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "i",
        "me",
        "my",
        "mine",
        "myself",
        "you",
        "your",
        "it",
        "its",
        "is",
        "are",
        "am",
        "was",
        "were",
        "be",
        "been",
        "being",
        "to",
        "of",
        "and",
        "or",
        "in",
        "on",
        "at",
        "for",
        "so",
        "do",
        "does",
        "did",
        "doing",
        "this",
        "that",
        "these",
        "those",
        "just",
        "really",
        "very",
        "quite",
        "get",
        "got",
        "have",
        "has",
        "had",
        "with",
        "from",
        "as",
        "by",
        "about",
        "some",
        "any",
        "there",
        "here",
        "then",
        "than",
        "too",
        "also",
        "again",
        "still",
        "we",
        "our",
        "us",
        "he",
        "she",
        "they",
        "them",
        "his",
        "her",
        "their",
        "what",
        "which",
        "who",
        "whom",
        "would",
        "could",
        "will",
        "shall",
        "one",
        "bit",
        "lot",
        "lots",
        "thing",
        "things",
        "like",
        "kind",
        "kinda",
        "sort",
        "sorta",
        "guys",
        "hey",
        "ok",
        "okay",
        "yeah",
        "well",
    ]
)
RERANK_INTENTS = 6  # how many intents the second stage re-scores
LEXICAL_WEIGHT = 0.75  # share of the final score from stage 1; the rest from rapidfuzz
PHRASING_COVERAGE_EXPONENT = 0.7  # how much "the message says all a phrasing says" counts
MIN_CORRECTION_LENGTH = 4  # shorter known words are never typo targets


@dataclass(frozen=True, slots=True)
class RankedIntent:
    intent: Intent
    score: float
    phrasing: str


@dataclass(frozen=True, slots=True)
class MatchResult:
    """The intents ranked best first (at most RERANK_INTENTS), and the message's own words."""

    ranked: tuple[RankedIntent, ...]
    content_words: tuple[str, ...]

    @property
    def best(self) -> RankedIntent | None:
        return self.ranked[0] if self.ranked else None


class IntentMatcher:
    """Prepared index over a library's phrasings. Immutable once built."""

    def __init__(self, intents: Sequence[Intent]) -> None:
        self._intents = tuple(intents)
        self._stem = lru_cache(maxsize=65536)(snowballstemmer.stemmer("english").stemWord)
        phrasings, owners, texts = self._collect_phrasings()
        self._phrasing_texts = texts
        self._phrasing_raw = phrasings
        self._phrasing_owner = np.array(owners, dtype=np.int32)
        self._intent_starts = np.searchsorted(self._phrasing_owner, np.arange(len(self._intents)))
        self._build_vocabulary(texts)
        self._build_index(texts)
        self._correct = lru_cache(maxsize=65536)(self._correct_uncached)

    def match(self, text: NormalisedText) -> MatchResult:
        """Rank intents for a message; empty when it has no usable words."""
        words = tuple(self._correct(w) for w in text.words if w not in STOPWORDS)
        stems = {self._stem(w) for w in words}
        if not stems or not self._intents:
            return MatchResult((), words)
        lexical = self._lexical_scores(stems)
        per_intent = np.maximum.reduceat(lexical, self._intent_starts)
        top = np.argsort(-per_intent)[:RERANK_INTENTS]
        query = " ".join(words)
        ranked = [self._rescore(int(i), lexical, query) for i in top if per_intent[i] > 0]
        ranked.sort(key=lambda r: r.score, reverse=True)
        return MatchResult(tuple(ranked), words)

    # --- load time ---------------------------------------------------------------------

    def _collect_phrasings(self) -> tuple[list[str], list[int], list[tuple[str, ...]]]:
        phrasings, owners, texts = [], [], []
        for index, intent in enumerate(self._intents):
            for phrasing in dict.fromkeys((intent.question, *intent.examples)):
                words = tuple(w for w in normalise(phrasing).words if w not in STOPWORDS)
                if words:
                    phrasings.append(phrasing)
                    owners.append(index)
                    texts.append(words)
        return phrasings, owners, texts

    def _build_vocabulary(self, texts: list[tuple[str, ...]]) -> None:
        counts = Counter(w for words in texts for w in words)
        self._known = set(counts)
        # Most frequent first, so the commoner word wins when a typo is near two.
        self._typos = TypoIndex([w for w, _ in counts.most_common()], MIN_CORRECTION_LENGTH)

    def _build_index(self, texts: list[tuple[str, ...]]) -> None:
        stems_per_phrasing = [{self._stem(w) for w in words} for words in texts]
        df = Counter(s for stems in stems_per_phrasing for s in stems)
        n = len(texts)
        self._idf = {s: math.log(1 + n / count) for s, count in df.items()}
        self._unknown_idf = math.log(1 + n)
        postings: dict[str, list[int]] = {}
        for pid, stems in enumerate(stems_per_phrasing):
            for s in stems:
                postings.setdefault(s, []).append(pid)
        self._postings = {s: np.array(ids, dtype=np.int32) for s, ids in postings.items()}
        self._phrasing_total = np.array(
            [sum(self._idf[s] for s in stems) for stems in stems_per_phrasing], dtype=np.float64
        )

    # --- per message -------------------------------------------------------------------

    def _correct_uncached(self, word: str) -> str:
        """A word one typo away from a known word becomes that word."""
        if word in self._known:
            return word
        near = self._typos.near(word)
        return near[0] if near else word

    def _lexical_scores(self, stems: set[str]) -> np.ndarray:
        known = [s for s in stems if s in self._postings]
        message_total = sum(self._idf.get(s, self._unknown_idf) for s in stems)
        if not known:
            return np.zeros(len(self._phrasing_total))
        ids = np.concatenate([self._postings[s] for s in known])
        weights = np.concatenate([np.full(len(self._postings[s]), self._idf[s]) for s in known])
        shared = np.bincount(ids, weights=weights, minlength=len(self._phrasing_total))
        phrasing_coverage = shared / self._phrasing_total
        message_coverage = shared / message_total
        exponent = PHRASING_COVERAGE_EXPONENT
        return phrasing_coverage**exponent * message_coverage ** (1 - exponent)

    def _rescore(self, intent_index: int, lexical: np.ndarray, query: str) -> RankedIntent:
        start = int(self._intent_starts[intent_index])
        end = (
            int(self._intent_starts[intent_index + 1])
            if intent_index + 1 < len(self._intents)
            else len(self._phrasing_texts)
        )
        best_score, best_pid = -1.0, start
        for pid in range(start, end):
            similarity = fuzz.token_set_ratio(query, " ".join(self._phrasing_texts[pid])) / 100
            score = LEXICAL_WEIGHT * float(lexical[pid]) + (1 - LEXICAL_WEIGHT) * similarity
            if score > best_score:
                best_score, best_pid = score, pid
        return RankedIntent(
            self._intents[intent_index], round(best_score * 100, 1), self._phrasing_raw[best_pid]
        )
