"""From unanswered questions to content: group them by similarity, find the closest intent.

Similarity is weighted word overlap on word stems (weighted Jaccard, rare words weighing
more, as in IDF), with the weights counted over the library's phrasings and the questions
themselves: words every back-pain question shares ("back", "pain", "run") count for little,
"foam roller" or "ibuprofen" for a lot. Each question joins the group it is most similar to
on average, or starts a new one. A group's closest intent is the one the matcher ranks first
for most of its questions.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import snowballstemmer

from bot.admin.store_schema import UnansweredQuestion
from bot.core.content import Intent, Library
from bot.core.engine import Engine
from bot.core.matching import STOPWORDS, IntentMatcher
from bot.core.normalisation import normalise
from bot.core.types import IncomingMessage

GROUP_SIMILARITY = 0.2  # average weighted overlap needed to join a group, 0 to 1


@dataclass(frozen=True, slots=True)
class ClosestIntent:
    intent: Intent
    score: float  # the matcher's 0-100 score for the question closest to it


@dataclass(frozen=True, slots=True)
class QuestionGroup:
    """Similar questions, newest first, and the intent they came closest to (if any)."""

    questions: tuple[UnansweredQuestion, ...]
    closest: ClosestIntent | None


class QuestionReview:
    """Ranks questions against a library and groups them; built once per library."""

    def __init__(self, library: Library) -> None:
        self._library = library
        self._matcher = IntentMatcher(library.intents, library.vocabulary)
        self._engine = Engine(library)  # records nothing
        self._stem = snowballstemmer.stemmer("english").stemWord
        phrasings = [p for i in library.intents for p in (i.question, *i.examples)]
        self._corpus = Counter(s for p in phrasings for s in self._stems(p))
        self._corpus_size = len(phrasings)

    def closest(self, text: str) -> ClosestIntent | None:
        """The intent the matcher ranks first for `text`, with its score; None if nothing is near."""
        best = self._matcher.match(normalise(text), require_subject=False).best
        return ClosestIntent(best.intent, best.score) if best is not None else None

    def answered_now(self, text: str) -> str | None:
        """The intent the bot would answer with today (the library may have grown since), or None."""
        # A conversation of its own: nothing said before may help it.
        reply = self._engine.handle(IncomingMessage(text, conversation_id=f"review:{text}"))
        return reply.intent_id if reply is not None and reply.answered else None

    def group(
        self, questions: Sequence[UnansweredQuestion], threshold: float = GROUP_SIMILARITY
    ) -> list[QuestionGroup]:
        """Groups of similar questions, largest first (ties: newest first)."""
        stems = [self._stems(q.text) for q in questions]
        weight = self._weights(stems)
        members: list[list[int]] = []
        for index, own in enumerate(stems):
            scored = [
                (sum(_overlap(own, stems[j], weight) for j in group) / len(group), g)
                for g, group in enumerate(members)
            ]
            best = max(scored, default=(0.0, -1))
            if best[0] >= threshold:
                members[best[1]].append(index)
            else:
                members.append([index])
        groups = [self._group([questions[i] for i in group]) for group in members]
        return sorted(groups, key=lambda g: -len(g.questions))  # stable: newest groups first on ties

    def _group(self, questions: list[UnansweredQuestion]) -> QuestionGroup:
        ranked = [c for c in (self.closest(q.text) for q in questions) if c is not None]
        if not ranked:
            return QuestionGroup(tuple(questions), None)
        votes = Counter(c.intent.id for c in ranked)
        top_score = {c.intent.id: 0.0 for c in ranked}
        for c in ranked:
            top_score[c.intent.id] = max(top_score[c.intent.id], c.score)
        winner = max(votes, key=lambda i: (votes[i], top_score[i]))
        intent = self._library.intents_by_id[winner]
        return QuestionGroup(tuple(questions), ClosestIntent(intent, top_score[winner]))

    def _stems(self, text: str) -> frozenset[str]:
        return frozenset(self._stem(w) for w in normalise(text).words if w not in STOPWORDS)

    def _weights(self, extra: Sequence[frozenset[str]]) -> dict[str, float]:
        df = self._corpus + Counter(s for stems in extra for s in stems)
        n = self._corpus_size + len(extra)
        return {s: math.log(1 + n / count) for s, count in df.items()}


def _overlap(a: frozenset[str], b: frozenset[str], weight: dict[str, float]) -> float:
    """Weighted Jaccard: the weight of the shared words over the weight of all words."""
    union = sum(weight[s] for s in a | b)
    return sum(weight[s] for s in a & b) / union if union else 0.0


def render_groups(groups: Sequence[QuestionGroup], review: QuestionReview) -> str:
    """The `python -m bot report` text: groups, their closest intent, each question with its #id."""
    total = sum(len(g.questions) for g in groups)
    lines = [f"{total} unanswered questions in {len(groups)} groups (largest first).", ""]
    for number, group in enumerate(groups, 1):
        closest = group.closest
        near = (
            f"closest intent: {closest.intent.id} (score {closest.score:.0f}) "
            f"\u2014 \u201c{closest.intent.question}\u201d"
            if closest
            else "closest intent: none (a new topic?)"
        )
        lines.append(f"Group {number}: {len(group.questions)} question(s); {near}")
        for q in group.questions:
            now = review.answered_now(q.text)
            note = f"   [answered now: {now}]" if now else ""
            lines.append(f"  #{q.id:<5} {q.at:%Y-%m-%d}  {q.text}{note}")
        lines.append("")
    lines.append("Next: python -m bot suggest  (adds a question as a new phrasing of an intent)")
    return "\n".join(lines)
