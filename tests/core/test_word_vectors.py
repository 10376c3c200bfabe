"""The shipped word vectors: one text's mean, and many texts' means at once."""

from __future__ import annotations

import numpy as np
import pytest

from bot.core.word_vectors import shipped_word_vectors


@pytest.mark.parametrize(
    "entries",
    [
        [[(5, 1.5), (9, 0.5)], [], [(100, 2.0)]],  # a text with no vector stays zero
        [[(7, 1.0), (7, 1.0), (3, 0.2)]],  # a word twice counts twice
        [],
    ],
)
def test_many_texts_at_once_equal_one_at_a_time(entries: list[list[tuple[int, float]]]) -> None:
    vectors = shipped_word_vectors()
    at_once = vectors.sentences(entries)
    one_by_one = [vectors.sentence([row for row, _ in text], [w for _, w in text]) for text in entries]
    assert at_once.shape == (len(entries), vectors.dimensions)
    for row, expected in zip(at_once, one_by_one, strict=True):
        assert np.allclose(row, expected, atol=1e-6)
