"""The learned second line of the red-flag screen: a small linear model over hashed words
and word pieces.

The patterns (safety.py) name each sign; this model only says "this sentence reads like a
red-flag report". It catches wordings no pattern foresaw, so where it fires and no
emergency or urgent pattern does, the reply starts with an urgent-level message that lists
the emergency signs. It reads each sentence and each pair of neighbouring sentences (a
sign is often told across two), so its cost is linear in the message's length.

The weights are trained from the repository's own data by bench/train_red_flag_model.py
and shipped with the package (red_flag_model.npz); nothing is downloaded at run time.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence, Set
from dataclasses import dataclass
from enum import Enum
from functools import cache, lru_cache
from itertools import chain, pairwise
from pathlib import Path

import numpy as np

from bot.core.feature_hashing import BUCKETS, PairHalves, pair_halves, pair_slots, slot
from bot.core.normalisation import WORD_CACHE_SIZE, NormalisedText

MODEL_FILE = Path(__file__).with_name("red_flag_model.npz")
PREFIX_LENGTH = 5  # a long word also counts by its beginning: "paralysed", "paralysis" share "paral"
# A word also counts by its four-letter pieces, its edges marked: typos and lay spellings
# ("numbess", "tingly") share most pieces with the words training saw. Out of fold on the
# development part, the model alone caught 55.9% -> 60.2% of reports at 10% false alarms.
PIECE_LENGTH = 4
MAX_WINDOW_WORDS = 80  # a run-on "sentence" is read in pieces of this many words


class Verdict(Enum):
    """The learned line's reading of a message."""

    QUIET = "quiet"
    ASKS = "asks"  # half like a report: the answer ends with the check question
    FIRES = "fires"  # like a report: the reply opens with the urgent-level message


def features(words: Sequence[str]) -> list[int]:
    """Hashed feature ids of a span of words: words, word pairs, word beginnings and pieces."""
    return sorted(_feature_set(tuple(words)))


def _feature_set(words: tuple[str, ...]) -> set[int]:
    return set().union(*map(_word_ids, words), pair_slots(list(map(_pair_halves, words))))


@lru_cache(maxsize=WORD_CACHE_SIZE)
def _word_ids(word: str) -> tuple[int, ...]:
    """The word's own feature, its pieces' and, for a long word, its beginning's (cached:
    words repeat)."""
    marked = f"<{word}>"
    pieces = (slot(f"g:{marked[i : i + PIECE_LENGTH]}") for i in range(len(marked) - PIECE_LENGTH + 1))
    beginning = (slot(f"p:{word[:PREFIX_LENGTH]}"),) if len(word) > PREFIX_LENGTH else ()
    return slot(f"w:{word}"), *beginning, *pieces


_pair_halves: Callable[[str], PairHalves] = lru_cache(maxsize=WORD_CACHE_SIZE)(pair_halves)


def _pair_id(first: str, second: str) -> int:
    return pair_slots((_pair_halves(first), _pair_halves(second)))[0]


def sentence_pieces(text: NormalisedText) -> list[tuple[str, ...]]:
    """The message's sentences, a run-on one cut into pieces of MAX_WINDOW_WORDS words."""
    return [
        text.words[piece : min(end, piece + MAX_WINDOW_WORDS)]
        for start, end in text.sentences()
        for piece in range(start, end, MAX_WINDOW_WORDS)
    ]


def reading_units(text: NormalisedText) -> list[set[int]]:
    """Feature ids of each sentence and each pair of neighbouring sentences: what the model
    scores. A pair's ids are its two sentences' plus the word pair across the boundary, so
    each sentence is hashed once."""
    pieces = sentence_pieces(text)
    sets = [_feature_set(piece) for piece in pieces]
    units = list(sets)
    for (first, second), (first_ids, second_ids) in zip(pairwise(pieces), pairwise(sets), strict=True):
        units.append(first_ids | second_ids | {_pair_id(first[-1], second[0])})
    return units


@dataclass(frozen=True)
class RedFlagModel:
    """Weights per hashed feature, a bias, the probability from which it fires, and a lower
    one from which it only asks: the answer ends with the check question about the signs."""

    weights: np.ndarray
    bias: float
    threshold: float
    data_digest: str = ""  # sha256 of the training data, so a test can tell it is current
    check_threshold: float = 1.0  # 1.0: never asks (a model trained before the check)

    def best(self, text: NormalisedText) -> float:
        """The highest probability over the spans of `reading_units`, without building the
        pairs' sets: a pair's logit is its two sentences' sums less what they share, plus
        the word pair across the boundary if neither sentence has it (a fifth faster)."""
        pieces = sentence_pieces(text)
        sentences = [_feature_set(piece) for piece in pieces]
        overlaps = [first & second for first, second in pairwise(sentences)]
        sums = self._sums([*sentences, *overlaps])
        logits = list(sums[: len(sentences)])
        for index, (first, second) in enumerate(pairwise(pieces)):
            crossing = _pair_id(first[-1], second[0])
            new = crossing not in sentences[index] and crossing not in sentences[index + 1]
            extra = float(self.weights[crossing]) if new else 0.0
            logits.append(logits[index] + logits[index + 1] - sums[len(sentences) + index] + extra)
        return _sigmoid(self.bias + max(logits)) if logits else 0.0

    def _sums(self, spans: list[set[int]]) -> np.ndarray:
        """Each span's weight sum, from one gather (a numpy call per span costs more)."""
        sizes = list(map(len, spans))
        ids = np.fromiter(chain.from_iterable(spans), dtype=np.intp, count=sum(sizes))
        owners = np.repeat(np.arange(len(spans)), sizes)
        sums: np.ndarray = np.bincount(owners, self.weights[ids], len(spans))
        return sums

    def probability(self, ids: Set[int]) -> float:
        """The probability that a span with these feature ids reports a red flag."""
        return _sigmoid(self.bias + (float(self.weights[list(ids)].sum()) if ids else 0.0))

    def verdict(self, text: NormalisedText) -> Verdict:
        """What the reply does about the message's most report-like span."""
        best = self.best(text)
        if best >= self.threshold:
            return Verdict.FIRES
        return Verdict.ASKS if best >= self.check_threshold else Verdict.QUIET

    def save(self, path: Path) -> None:
        nonzero = np.flatnonzero(self.weights)
        np.savez_compressed(
            path,
            ids=nonzero.astype(np.int32),
            values=self.weights[nonzero].astype(np.float32),
            bias=np.float64(self.bias),
            threshold=np.float64(self.threshold),
            check_threshold=np.float64(self.check_threshold),
            data_digest=np.str_(self.data_digest),
        )

    @classmethod
    def load(cls, path: Path) -> RedFlagModel:
        with np.load(path) as data:
            weights = np.zeros(BUCKETS, dtype=np.float32)
            weights[data["ids"]] = data["values"]
            check = float(data["check_threshold"]) if "check_threshold" in data else 1.0
            return cls(
                weights, float(data["bias"]), float(data["threshold"]), str(data["data_digest"]), check
            )


def _sigmoid(logit: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, logit))))


@cache
def shipped_red_flag_model() -> RedFlagModel | None:
    """The model that ships with the bot, read once per process (None if it was never built)."""
    return RedFlagModel.load(MODEL_FILE) if MODEL_FILE.exists() else None
