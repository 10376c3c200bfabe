"""Answer quality on the labelled questions, held at floors set from measured figures.

The floors sit a little under what the shipped library measured when they were set
(held-out part, 493 questions in two batches: 82.9% topic accuracy on answered questions,
79.7% handled right overall, 12.2% wrong answers, 100% red-flag recall with follow-ups;
follow-ups 70.6% handled right), so a change that makes answers worse fails here. No
timing is asserted.
"""

from __future__ import annotations

import pytest

from bench.evaluation import LabelledQuestion, QualityReport, evaluate, load_questions
from bot.core.engine import Engine
from bot.core.types import IncomingMessage, Reply, SafetyNotice, Urgency
from tests.helpers import TEST_DATA, shipped_library

QUESTIONS = load_questions(TEST_DATA / "questions.yaml")


def ask(engine: Engine, question: LabelledQuestion) -> Reply:
    """The reply in a fresh conversation; a follow-up comes after its context message."""
    conversation = question.text
    if question.context:
        engine.handle(IncomingMessage(question.context, conversation_id=conversation))
    reply = engine.handle(IncomingMessage(question.text, conversation_id=conversation))
    assert reply is not None
    return reply


def measure(engine: Engine, split: str, *, follow_ups: bool = False) -> QualityReport:
    questions = [q for q in QUESTIONS if q.split == split and bool(q.context) == follow_ups]
    return evaluate(lambda q: ask(engine, q), questions)


def test_labelled_set_is_big_and_varied() -> None:
    assert len(QUESTIONS) >= 200
    assert {q.topic for q in QUESTIONS} >= {"none", "urgent", "smalltalk", "causes", "upper_back"}
    assert len({q.text.casefold() for q in QUESTIONS}) == len(QUESTIONS)


def test_held_out_quality_floors(engine: Engine) -> None:
    report = measure(engine, "heldout")
    assert report.accuracy >= 0.80
    assert report.topic_accuracy >= 0.77
    assert report.wrong_rate <= 0.135


def test_held_out_follow_ups_use_the_conversation(engine: Engine) -> None:
    report = measure(engine, "heldout", follow_ups=True)
    assert report.topic_accuracy >= 0.64


@pytest.mark.parametrize("split", ["tune", "heldout"])
def test_every_red_flag_question_gets_the_urgent_reply(engine: Engine, split: str) -> None:
    # Follow-ups too, after their context: "oh and I've had a fever" after "sore back?".
    report = evaluate(lambda q: ask(engine, q), [q for q in QUESTIONS if q.split == split])
    assert report.red_flag_recall == 1.0, report.misses
    # A false alarm is a small failure, not none. The floor was 1% until the red-flag screen's
    # learned second line (issue 12) traded a few (3 of 493 held out) for recall on real wording.
    assert report.false_alarms <= 0.02 * report.total


def test_evaluation_counts_what_a_member_sees() -> None:
    questions = [
        LabelledQuestion("a", "causes", False),
        LabelledQuestion("b", "none", False),
        LabelledQuestion("c", "relief", False),
    ]
    replies = {
        "a": Reply(answered=True, topic="causes"),
        "b": Reply(answered=True, topic="relief"),
        "c": Reply(answered=False),
    }
    report = evaluate(lambda q: replies[q.text], questions)
    assert (report.answered, report.answered_correct, report.wrong, report.correct) == (2, 1, 1, 1)


def test_a_bare_soon_report_is_answered_by_its_safety_message() -> None:
    question = LabelledQuestion("it hurts when I hop on that leg", "see_a_doctor", False)
    soon = SafetyNotice(Urgency.SOON, ("hop_pain",), (), "See a doctor or a physiotherapist within days.")
    report = evaluate(lambda q: Reply(answered=False, topic=soon.topic, safety=soon), [question])
    assert (report.correct, report.answered, report.wrong) == (1, 0, 0)


def test_follow_up_floors_on_the_exchanges() -> None:
    """Measured 55.3% right, precision 96.8%, recall 26.9% with the topic classifier (issue 13);
    the word matcher before it had 42.7%, 97.8% and 39.6%: more answers are right, because
    more short follow-ups are clear on their own, but a few remarks are read as follow-ups."""
    from bench.follow_ups import figures, load_exchanges

    exchanges = load_exchanges()
    assert len(exchanges) >= 150 and sum(not e.follow_up for e in exchanges) >= 100
    found = figures(Engine(shipped_library()), exchanges)
    assert found.right / found.exchanges >= 0.53
    assert found.precision >= 0.95 and found.recall >= 0.25


def test_real_held_out_floors(engine: Engine) -> None:
    """Real members' messages, held-out part (bench/real_quality.py): measured 35.8% of
    back-pain messages given their topic and 10.3% wrong answers on 445 messages (on the
    first 311, before the second harvest and its higher threshold: 42.7% and 12.2%; the
    word matcher before the classifier had 20.1% and 27.9%)."""
    from bench.real_quality import real_questions

    report = evaluate(lambda q: ask(engine, q), real_questions("heldout"))
    assert report.total >= 400
    assert report.on_topic_accuracy >= 0.34
    assert report.wrong_rate <= 0.12  # the bar


def test_real_held_out_right_topic_is_answered_or_offered() -> None:
    """When not sure, the bot offers "did you mean" questions, one tap away: at the shipped
    threshold, 66.4% of held-out back-pain messages get their topic as the answer or among
    them (at the bench's threshold, 67.3%; 60.8% when only topics at 25% were offered)."""
    from bench.real_quality import answered_or_offered, real_questions
    from bot.core.engine import ANSWER_THRESHOLD

    assert answered_or_offered(shipped_library(), ANSWER_THRESHOLD, real_questions("heldout")) >= 0.64


@pytest.mark.parametrize(
    "remark",
    [
        "Poor you.",
        "Good luck with the last few runs!",
        "thanks mate",
        "ok thnx for the info",
        "Yikes, sorry to hear that!! hope your back gets better soon!",
        "and bummer, not even a running injury",
        "could it just be tight? I'll be praying for you!",
    ],
)
def test_a_remark_after_an_answer_does_not_repeat_it(engine: Engine, remark: str) -> None:
    conversation = f"remark-{remark}"
    first = engine.handle(IncomingMessage("upper back between shoulder blades aches on runs", conversation))
    after = engine.handle(IncomingMessage(remark, conversation))
    assert first is not None and first.answered and after is not None
    assert after.intent_id != first.intent_id and not after.explanation.follow_up


@pytest.mark.parametrize("question", ["thanks, and how do I prevent it?", "and how do I prevent it? thanks"])
def test_thanks_that_also_asks_still_gets_its_answer(engine: Engine, question: str) -> None:
    engine.handle(IncomingMessage("why does my lower back hurt after long runs?", f"ask-{question}"))
    after = engine.handle(IncomingMessage(question, f"ask-{question}"))
    assert after is not None and after.answered and after.topic == "prevention"
