"""Grouping unanswered questions by similarity, each group with its closest intent."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.admin.review import QuestionReview, render_groups
from bot.admin.store_schema import UnansweredQuestion
from tests.helpers import shipped_library

QUESTIONS = [
    "should i foam roll my lower back",
    "can i take ibuprofen before a race",
    "is foam rolling good for back pain",
    "what shoes are best for back pain",
    "foam roller for a sore back after my run?",
    "ibuprofen before a marathon ok?",
    "best running shoes for a bad back",
    "is yoga good for a runner's back",
]


def stored(texts: list[str]) -> list[UnansweredQuestion]:
    start = datetime(2026, 5, 1)
    return [
        UnansweredQuestion(n + 1, start - timedelta(hours=n), "telegram", text, None)
        for n, text in enumerate(texts)
    ]


def test_similar_questions_are_grouped() -> None:
    groups = QuestionReview(shipped_library()).group(stored(QUESTIONS))
    as_texts = [[q.text for q in g.questions] for g in groups]
    assert as_texts[0] == [QUESTIONS[0], QUESTIONS[2], QUESTIONS[4]]  # largest first
    assert [QUESTIONS[1], QUESTIONS[5]] in as_texts and [QUESTIONS[3], QUESTIONS[6]] in as_texts
    assert [QUESTIONS[7]] in as_texts
    assert sum(len(g) for g in as_texts) == len(QUESTIONS)


def test_each_group_has_its_closest_intent() -> None:
    library = shipped_library()
    groups = QuestionReview(library).group(stored(QUESTIONS))
    by_first = {g.questions[0].text: g for g in groups}
    ibuprofen = by_first[QUESTIONS[1]].closest
    shoes = by_first[QUESTIONS[3]].closest
    assert ibuprofen is not None and ibuprofen.intent.id == "relief_otc_meds"
    assert shoes is not None and shoes.intent.topic == "prevention"
    text = render_groups(groups, QuestionReview(library))
    assert text.startswith("8 unanswered questions in 4 groups")
    assert "closest intent: relief_otc_meds (score" in text
    assert "#2     2026-04-30  can i take ibuprofen" in text


def test_questions_the_library_answers_now_are_marked() -> None:
    review = QuestionReview(shipped_library())
    assert review.answered_now("should i use ice or heat on my back") == "relief_ice_heat"
    assert review.answered_now("my knee hurts after the long run") is None
    text = render_groups(review.group(stored(["should i use ice or heat on my back"])), review)
    assert "[answered now: relief_ice_heat]" in text


def test_no_questions_no_groups() -> None:
    assert QuestionReview(shipped_library()).group([]) == []
