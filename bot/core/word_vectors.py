"""Static word vectors distilled from all-MiniLM-L6-v2 (see bench/distil_word_vectors.py).

They let the matcher see that "ease" and "relieve", or "sore" and "aching", are close, which
word overlap alone cannot. A lookup table shipped with the package: no model at run time.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np

VECTORS_FILE = Path(__file__).with_name("word_vectors.npz")


class WordVectors:
    """Unit vectors by word; `sentence` averages them with weights and normalises."""

    def __init__(self, words: list[str], vectors: np.ndarray) -> None:
        self._index = {word: i for i, word in enumerate(words)}
        self._vectors = vectors.astype(np.float32)
        self.dimensions = vectors.shape[1]

    def lookup(self, word: str) -> np.ndarray | None:
        for form in (word, word[:-1] if word.endswith("s") else None):
            if form and form in self._index:
                return self._vectors[self._index[form]]
        return None

    def sentence(self, words: list[str], weights: list[float]) -> np.ndarray:
        """The weighted mean of the known words' vectors, normalised (zero if none known)."""
        total = np.zeros(self.dimensions, dtype=np.float32)
        for word, weight in zip(words, weights, strict=True):
            vector = self.lookup(word)
            if vector is not None:
                total += weight * vector
        norm = float(np.linalg.norm(total))
        return total / norm if norm else total


@cache
def shipped_word_vectors() -> WordVectors:
    """The vectors that ship with the bot, read once per process."""
    with np.load(VECTORS_FILE) as data:
        return WordVectors([str(w) for w in data["words"]], data["vectors"])
