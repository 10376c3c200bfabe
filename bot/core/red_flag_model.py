"""The learned second line of the red-flag screen: a small linear model over hashed words.

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
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from itertools import pairwise
from pathlib import Path

import numpy as np

from bot.core.normalisation import NormalisedText

MODEL_FILE = Path(__file__).with_name("red_flag_model.npz")
BUCKETS = 1 << 18  # hashed feature slots; collisions cost little at this size
PREFIX_LENGTH = 5  # a long word also counts by its beginning: "paralysed", "paralysis" share "paral"
MAX_WINDOW_WORDS = 80  # a run-on "sentence" is read in pieces of this many words


def features(words: Sequence[str]) -> list[int]:
    """Hashed feature ids of a span of words: words, word pairs and word beginnings."""
    keys = [f"w:{w}" for w in words]
    keys += [f"b:{a} {b}" for a, b in pairwise(words)]
    keys += [f"p:{w[:PREFIX_LENGTH]}" for w in words if len(w) > PREFIX_LENGTH]
    return sorted({zlib.crc32(key.encode()) % BUCKETS for key in keys})


def windows(text: NormalisedText) -> list[tuple[str, ...]]:
    """The spans the model reads: each sentence, and each pair of neighbouring sentences."""
    sentences: list[tuple[str, ...]] = []
    for start, end in text.sentences():
        for piece in range(start, end, MAX_WINDOW_WORDS):
            sentences.append(text.words[piece : min(end, piece + MAX_WINDOW_WORDS)])
    pairs = [a + b for a, b in pairwise(sentences)]
    return sentences + pairs


@dataclass(frozen=True)
class RedFlagModel:
    """Weights per hashed feature, a bias, and the probability from which it fires."""

    weights: np.ndarray
    bias: float
    threshold: float
    data_digest: str = ""  # sha256 of the training data, so a test can tell it is current

    def probability(self, words: Sequence[str]) -> float:
        """How much a span of words reads like a red-flag report, 0 to 1."""
        ids = features(words)
        logit = self.bias + (float(self.weights[ids].sum()) if ids else 0.0)
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, logit))))

    def best(self, text: NormalisedText) -> float:
        """The highest probability over the message's sentences and sentence pairs."""
        return max((self.probability(span) for span in windows(text)), default=0.0)

    def fires(self, text: NormalisedText) -> bool:
        return self.best(text) >= self.threshold

    def save(self, path: Path) -> None:
        nonzero = np.flatnonzero(self.weights)
        np.savez_compressed(
            path,
            ids=nonzero.astype(np.int32),
            values=self.weights[nonzero].astype(np.float32),
            bias=np.float64(self.bias),
            threshold=np.float64(self.threshold),
            data_digest=np.str_(self.data_digest),
        )

    @classmethod
    def load(cls, path: Path) -> RedFlagModel:
        with np.load(path) as data:
            weights = np.zeros(BUCKETS, dtype=np.float32)
            weights[data["ids"]] = data["values"]
            return cls(weights, float(data["bias"]), float(data["threshold"]), str(data["data_digest"]))


@cache
def shipped_red_flag_model() -> RedFlagModel | None:
    """The model that ships with the bot, read once per process (None if it was never built)."""
    return RedFlagModel.load(MODEL_FILE) if MODEL_FILE.exists() else None
