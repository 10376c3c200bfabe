"""Feature slots for the two learned models (topic_model.py, red_flag_model.py).

A feature is a short text ("w:numb", "g:<num", "b:lower back"); its slot is the CRC-32 of its
UTF-8 bytes modulo BUCKETS. A pair of neighbouring words gets no string of its own: its slot
continues the first word's running CRC ("b:lower ") over the second word's bytes, which is
the CRC of the whole text. Pairs rarely repeat in chat, so a cache per pair cost more than
it saved (the red-flag line's pairs: 21 µs a real message cached, 13 µs chained).
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from itertools import pairwise

BUCKETS = 1 << 18  # hashed feature slots; collisions cost little at this size

PairHalves = tuple[int, bytes]  # a word as a pair's first (running CRC) and as its second (bytes)


def slot(feature: str) -> int:
    """The slot of a feature's text."""
    return zlib.crc32(feature.encode()) % BUCKETS


def pair_halves(word: str) -> PairHalves:
    """What a pair needs of a word: as its first, the running CRC of "b:word "; as its
    second, the word's bytes (callers cache this per word)."""
    return zlib.crc32(f"b:{word} ".encode()), word.encode()


def pair_slots(words: Sequence[PairHalves]) -> list[int]:
    """The slot of each pair of neighbouring words: `slot(f"b:{first} {second}")`."""
    return [zlib.crc32(second, start) % BUCKETS for (start, _), (_, second) in pairwise(words)]
