"""The core: one call turns an incoming message into a reply (or into silence).

Order per message: normalise, red-flag screen (always, addressed or not), then, only for
messages addressed to the bot, intent matching and the answer. `handle` is synchronous
on purpose: it is pure CPU work well under a millisecond, so adapters call it directly
from their async handlers without a thread hop.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.content import Intent, Library
from bot.core.conversation import ConversationMemory
from bot.core.feedback import MessageRecorder, NoRecording
from bot.core.matching import IntentMatcher, MatchResult, RankedIntent
from bot.core.normalisation import NormalisedText, normalise
from bot.core.replies import safety_notice, suggestions_for
from bot.core.safety import RedFlagScreener
from bot.core.types import IncomingMessage, MatchExplanation, Reply, SafetyNotice, Urgency

ANSWER_THRESHOLD = 46.0  # a match below this is never given as an answer (chosen as in bench/quality.py)
# With an emergency or urgent sign, the sign's own words dominate the match; only a clear
# question alongside it gets an answer under the safety message.
RED_FLAG_MARGIN = 9.0
SUGGEST_THRESHOLD = 25.0  # below this the message is treated as off topic
MAX_SUGGESTIONS = 3
FOLLOW_UP_MAX_WORDS = 10
LONG_MESSAGE_WORDS = 25  # beyond this, a message with several sentences is read sentence by sentence
QUESTION_VOTE = 2.0  # a story's sentence that asks something weighs this much more than one that tells
# Openings that refer back to the last answer ("and stretching?", "what about ice?").
_FOLLOW_UP_OPENERS = frozenset(
    tuple(opener.split())
    for opener in ("and", "what about", "how about", "why", "what if", "also", "so", "then", "ok and", "but")
)


@dataclass(frozen=True, slots=True)
class PreparedLibrary:
    """A library with its compiled screen and index: swapped as one object on reload."""

    library: Library
    screener: RedFlagScreener
    matcher: IntentMatcher

    @classmethod
    def build(cls, library: Library) -> PreparedLibrary:
        return cls(
            library, RedFlagScreener(library.red_flags), IntentMatcher(library.intents, library.vocabulary)
        )


class Engine:
    """Answers messages from the current library; `replace_library` swaps it atomically."""

    def __init__(
        self,
        library: Library,
        emergency_number: str = "999",
        recorder: MessageRecorder | None = None,
        answer_threshold: float = ANSWER_THRESHOLD,
    ) -> None:
        """`answer_threshold` other than the default serves measurements only (bench/quality.py
        compares systems at the same share of questions answered)."""
        self._prepared = PreparedLibrary.build(library)
        self._threshold = answer_threshold
        self.emergency_number = emergency_number
        self._recorder = recorder or NoRecording()
        self._memory = ConversationMemory()

    @property
    def library(self) -> Library:
        return self._prepared.library

    def replace_library(self, library: Library) -> None:
        """Compile first, then swap one reference: in-flight messages keep the old one."""
        self._prepared = PreparedLibrary.build(library)

    def handle(self, message: IncomingMessage) -> Reply | None:
        """The reply to send, or None when the bot should stay quiet."""
        reply = self._reply(message)
        if reply is not None:
            self._recorder.message_handled(message, reply)
        return reply

    def _reply(self, message: IncomingMessage) -> Reply | None:
        prepared = self._prepared  # one consistent library for the whole message
        messages = prepared.library.messages
        text = normalise(message.text)
        screening = prepared.screener.screen(text)
        safety = safety_notice(screening, messages, self.emergency_number)
        if not message.addressed:
            return None if safety is None else _safety_only(safety)
        if not text.words:
            return Reply(answered=False, safety=safety, lead_in=messages.empty)
        match = self._match_in_context(prepared, text, message.conversation_id, safety)
        leg_topic = match.best is not None and match.best.intent.topic == "sciatica_leg"
        # Only when nothing was flagged: a negated sign already brought its own safety line.
        leg_check = (
            messages.leg_check
            if not screening.found_anything and (screening.leg_symptoms or leg_topic)
            else ""
        )
        return self._compose(prepared, match, safety, leg_check)

    def _match_in_context(
        self,
        prepared: PreparedLibrary,
        text: NormalisedText,
        conversation_id: str,
        safety: SafetyNotice | None,
    ) -> MatchResult:
        """Match the message alone; if that is not confident, with the last question before it.

        The answered wording is remembered, so "why?" after "back hurts on long runs" works.
        """
        match = self._match_story(prepared, text)
        context = self._memory.recall(conversation_id)
        short = len(text.words) <= FOLLOW_UP_MAX_WORDS  # a long message stands on its own
        leans_back = text.words[:2] in _FOLLOW_UP_OPENERS or text.words[:1] in _FOLLOW_UP_OPENERS
        # A red-flag report stands on its own: it must not pick up the last question's answer.
        reporting_red_flag = safety is not None and safety.is_urgent
        if (
            short
            and context
            and not reporting_red_flag
            and not match.off_topic
            and (leans_back or not self._confident(match, safety))
        ):
            combined = NormalisedText((*context, *text.words), text.clause_starts)
            in_context = prepared.matcher.match(combined)
            if self._confident(in_context, safety):
                self._memory.remember(conversation_id, combined.words)
                return in_context
        if self._confident(match, safety):
            self._memory.remember(conversation_id, text.words)
        return match

    def _match_story(self, prepared: PreparedLibrary, text: NormalisedText) -> MatchResult:
        """Match a message; a long story by what its sentences say, one by one.

        Members often tell the story first and ask at the end or in the middle: matched
        as a whole, the incidental words of the story (the race, the physio, the car)
        drown the few that say what is asked. Each sentence is matched on its own and
        votes for topics with its best score, a question counting double; the topic with
        the most votes wins, answered by its best-scoring intent in any one sentence.
        """
        match = prepared.matcher.match(text)
        if match.best is None or len(text.words) <= LONG_MESSAGE_WORDS or len(text.sentence_starts) < 2:
            return match
        votes = _TopicVotes()
        votes.count(match, 1.0)
        # The story mentioned the back or pain: a sentence need not say it again.
        for start, end in text.sentences():
            weight = QUESTION_VOTE if end in text.question_ends else 1.0
            votes.count(prepared.matcher.match(text.part(start, end), require_subject=False), weight)
        return votes.result()

    def reply_for_intent(self, intent_id: str) -> Reply | None:
        """The answer of a known intent (a follow-up button press); None if it no longer exists."""
        prepared = self._prepared
        intent = prepared.library.intents_by_id.get(intent_id)
        if intent is None:
            return None
        return self._answer(prepared, intent, score=100.0, safety=None, leg_check="")

    def _compose(
        self, prepared: PreparedLibrary, match: MatchResult, safety: SafetyNotice | None, leg_check: str
    ) -> Reply:
        messages = prepared.library.messages
        best = match.best
        explanation = MatchExplanation(
            best_phrasing=best.phrasing if best else None,
            runner_up_intent=match.ranked[1].intent.id if len(match.ranked) > 1 else None,
            runner_up_score=match.ranked[1].score if len(match.ranked) > 1 else 0.0,
        )
        score = best.score if best else 0.0
        if best is not None and self._confident(match, safety):
            return self._answer(prepared, best.intent, score, safety, leg_check, explanation)
        if safety is not None and safety.level is not None:
            # A bare red-flag report: the safety message is the whole answer.
            topic = "urgent" if safety.is_urgent else "see_a_doctor"
            return Reply(answered=False, topic=topic, score=score, safety=safety, explanation=explanation)
        candidates = [r.intent for r in match.ranked if r.score >= SUGGEST_THRESHOLD]
        candidates = [i for i in candidates if i.topic != "smalltalk"][:MAX_SUGGESTIONS]
        return Reply(
            answered=False,
            score=score,
            safety=safety,
            lead_in=messages.not_sure if candidates else messages.off_topic,
            suggestions=suggestions_for(candidates),
            closing_check=leg_check,
            explanation=explanation,
        )

    def _confident(self, match: MatchResult, safety: SafetyNotice | None) -> bool:
        """Whether the best match is sure enough to be given as an answer."""
        threshold = self._threshold + (RED_FLAG_MARGIN if safety and safety.is_urgent else 0.0)
        return match.best is not None and match.best.score >= threshold

    @staticmethod
    def _answer(
        prepared: PreparedLibrary,
        intent: Intent,
        score: float,
        safety: SafetyNotice | None,
        leg_check: str,
        explanation: MatchExplanation | None = None,
    ) -> Reply:
        follow_ups = [prepared.library.intent(i) for i in intent.follow_ups]
        return Reply(
            answered=True,
            intent_id=intent.id,
            topic=intent.topic,
            score=score,
            safety=safety,
            lead_in=intent.lead_in,
            snippets=intent.snippets,
            suggestions=suggestions_for(follow_ups),
            closing_check=leg_check,
            disclaimer=prepared.library.messages.disclaimer if intent.snippets else "",
            explanation=explanation or MatchExplanation(),
        )


class _TopicVotes:
    """Topics voted for by the parts of a story, each part with its best intent per topic."""

    def __init__(self) -> None:
        self._votes: dict[str, float] = {}
        self._best: dict[str, RankedIntent] = {}  # per topic, its best intent in any part

    def count(self, result: MatchResult, weight: float) -> None:
        voted: set[str] = set()
        for ranked in result.ranked:  # best first
            topic = ranked.intent.topic
            if topic == "smalltalk" or topic in voted:  # a story is never small talk
                continue
            voted.add(topic)
            self._votes[topic] = self._votes.get(topic, 0.0) + weight * ranked.score
            if topic not in self._best or ranked.score > self._best[topic].score:
                self._best[topic] = ranked

    def result(self) -> MatchResult:
        """The topics' best intents, the most voted-for topic first."""
        ranked = sorted(self._votes, key=self._votes.__getitem__, reverse=True)
        return MatchResult(tuple(self._best[topic] for topic in ranked))


def _safety_only(safety: SafetyNotice) -> Reply:
    """The reply to an unaddressed message: the safety block and nothing else."""
    topic = "urgent" if safety.is_urgent else ("see_a_doctor" if safety.level is Urgency.SOON else None)
    return Reply(answered=False, topic=topic, safety=safety)
