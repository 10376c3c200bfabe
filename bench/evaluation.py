"""Measuring answer quality against a labelled question set (used by tests and bench/)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.core.types import Reply

NO_ANSWER = "none"
NOT_ADVICE = frozenset({NO_ANSWER, "smalltalk", "urgent"})  # expected topics that are no advice topic


@dataclass(frozen=True, slots=True)
class LabelledQuestion:
    text: str
    topic: str  # a PRODUCT.md topic, or "none" when no back-pain answer must be given
    urgent: bool
    split: str = "tune"
    group: str = ""
    topic2: str | None = None
    context: str | None = None

    @property
    def accepted_topics(self) -> set[str]:
        return {self.topic} | ({self.topic2} if self.topic2 else set())


@dataclass
class QualityReport:
    total: int = 0
    answered: int = 0
    answered_correct: int = 0
    wrong: int = 0  # answered with a wrong topic, or answered when it should not
    correct: int = 0  # the reply's topic is acceptable (including "not answered" for none)
    urgent_expected: int = 0
    urgent_caught: int = 0
    false_alarms: int = 0
    misses: list[str] = field(default_factory=list)
    mistakes: Counter[str] = field(default_factory=Counter)
    by_topic: Counter[str] = field(default_factory=Counter)  # questions per expected topic
    right_by_topic: Counter[str] = field(default_factory=Counter)  # of those, handled right

    @property
    def on_topic_accuracy(self) -> float:
        """Share of back-pain questions (an advice topic expected) given that topic."""
        advice = [topic for topic in self.by_topic if topic not in NOT_ADVICE]
        total = sum(self.by_topic[topic] for topic in advice)
        return sum(self.right_by_topic[topic] for topic in advice) / total if total else 0.0

    @property
    def accuracy(self) -> float:
        """Share of answered questions whose topic was right."""
        return self.answered_correct / self.answered if self.answered else 0.0

    @property
    def topic_accuracy(self) -> float:
        """Share of all questions handled right (answered correctly or rightly declined)."""
        return self.correct / self.total if self.total else 0.0

    @property
    def answered_share(self) -> float:
        return self.answered / self.total if self.total else 0.0

    @property
    def wrong_rate(self) -> float:
        return self.wrong / self.total if self.total else 0.0

    @property
    def red_flag_recall(self) -> float:
        return self.urgent_caught / self.urgent_expected if self.urgent_expected else 1.0


def load_questions(path: Path | str) -> list[LabelledQuestion]:
    entries: list[dict[str, Any]] = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    fields = set(LabelledQuestion.__dataclass_fields__)
    return [LabelledQuestion(**{k: v for k, v in e.items() if k in fields}) for e in entries]


def evaluate(
    answer: Callable[[LabelledQuestion], Reply], questions: Iterable[LabelledQuestion]
) -> QualityReport:
    """Run every question through `answer` and count what a member would have seen."""
    report = QualityReport()
    for question in questions:
        reply = answer(question)
        report.total += 1
        urgent = bool(reply.safety and reply.safety.is_urgent)
        got = reply.topic if reply.answered else NO_ANSWER
        # A bare red-flag report's reply is its safety message: "see a doctor or a
        # physiotherapist within days" is the see_a_doctor answer (and "urgent" the urgent one).
        said = reply.safety.topic if not reply.answered and reply.safety and reply.safety.topic else got
        if question.urgent:
            report.urgent_expected += 1
            report.urgent_caught += urgent
            if not urgent:
                report.misses.append(question.text)
        elif urgent:
            report.false_alarms += 1
        if question.topic == "urgent":
            ok = urgent  # a bare report: the safety message is the right reply
        elif question.topic == NO_ANSWER:
            ok = not reply.answered or got == "smalltalk"
        else:
            ok = said in question.accepted_topics
        report.correct += ok
        report.by_topic[question.topic] += 1
        report.right_by_topic[question.topic] += ok
        if reply.answered:
            report.answered += 1
            right = got in question.accepted_topics or (question.topic == "urgent" and urgent)
            report.answered_correct += right
            report.wrong += not right
        if not ok:
            report.mistakes[f"{question.topic}->{got}"] += 1
    return report
