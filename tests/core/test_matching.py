"""Matching: the shipped library routes typical questions to the right intents."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from bot.core.matching import IntentMatcher, MatchResult
from bot.core.normalisation import NormalisedText, normalise
from tests.helpers import shipped_library


@pytest.fixture(scope="module")
def matcher() -> IntentMatcher:
    library = shipped_library()
    return IntentMatcher(library.intents, library.vocabulary)


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("why does my lower back hurt after long runs?", "causes"),
        ("can i keep running with a sore lower back", "should_i_run"),
        ("how do i stop getting back pain when running", "prevention"),
        ("ice or heat for my back?", "relief"),
        ("when should i see a doctor about my back", "see_a_doctor"),
        ("pain shooting down my leg from my back", "sciatica_leg"),
        ("upper back and shoulders hurt when i run", "upper_back"),
        ("when can i start running again after back pain", "return_to_running"),
        ("hello", "smalltalk"),
        ("thx!", "smalltalk"),
        ("wy does my bak hurt aftr running", "causes"),  # typos
    ],
)
def test_typical_questions(matcher: IntentMatcher, text: str, topic: str) -> None:
    best = matcher.match(normalise(text)).best
    assert best is not None and best.intent.topic == topic


def test_other_body_part_is_off_topic(matcher: IntentMatcher) -> None:
    result = matcher.match(normalise("my knee hurts after the long run"))
    assert result.off_topic and result.best is None


def test_leg_symptoms_stay_on_topic(matcher: IntentMatcher) -> None:
    assert not matcher.match(normalise("numb calf and foot after runs")).off_topic


def test_long_message_never_smalltalk(matcher: IntentMatcher) -> None:
    best = matcher.match(normalise("hi, does doing planks every day help my back?")).best
    assert best is not None and best.intent.topic != "smalltalk"


def test_ranking_is_sorted_and_bounded(matcher: IntentMatcher) -> None:
    ranked = matcher.match(normalise("back pain running")).ranked
    scores = [r.score for r in ranked]
    assert scores == sorted(scores, reverse=True) and all(0 <= s <= 100 for s in scores)


@pytest.mark.parametrize("text", ["", "🏃", "!!!", "zzzz qqqq", "a" * 5000])
def test_odd_input_does_not_crash(matcher: IntentMatcher, text: str) -> None:
    matcher.match(normalise(text))


def test_a_story_is_read_for_its_topic_and_never_as_small_talk(matcher: IntentMatcher) -> None:
    story = normalise(
        "Hi all! Thanks for the lift to the relay on Saturday, the cake was great. Since the last leg "
        "my lower back has been stiff and sore, nothing dramatic. What can I do this week to ease it?"
    )
    result = matcher.match_message(story)
    # The classifier is unsure between easing it and what to do meanwhile (both under the
    # answer threshold, so the member is offered both); small talk is never among them.
    assert "relief" in [r.intent.topic for r in result.ranked[:2]]
    assert all(r.intent.topic != "smalltalk" for r in result.ranked)


def test_a_phrasing_an_admin_adds_matches_itself_right_away() -> None:
    library = shipped_library()
    question = "does a standing desk help"
    before = IntentMatcher(library.intents, library.vocabulary).match_message(normalise(question))
    assert before.best is None or before.best.intent.id != "prevention_desk_job"
    intents = [
        replace(i, examples=(*i.examples, question)) if i.id == "prevention_desk_job" else i
        for i in library.intents
    ]
    after = IntentMatcher(intents, library.vocabulary).match_message(normalise(question.upper() + "?"))
    assert after.best is not None and after.best.intent.id == "prevention_desk_job"


@pytest.mark.parametrize(
    "text",
    [
        "my mid back gets stiff when I wear a hydration vest, any tips?",
        "ache between my shoulder blades on long runs, is that posture?",
        "traps burning by km 5, how do I fix it",
        "ache between my shoulder blades, no chest pain or anything, just tight. why?",  # not off topic
    ],
)
def test_the_upper_or_mid_back_gets_upper_back_answers_only(matcher: IntentMatcher, text: str) -> None:
    result = matcher.match(normalise(text))
    assert result.within_topic == "upper_back"
    assert result.ranked and all(r.intent.topic in {"upper_back", "smalltalk"} for r in result.ranked)


def test_the_lower_back_named_too_leaves_every_topic_open(matcher: IntentMatcher) -> None:
    result = matcher.match(normalise("shoulders fine but my lower back aches after runs, why?"))
    assert result.within_topic is None and result.best and result.best.intent.topic == "causes"


def test_a_huge_message_is_classified_once_and_matched_by_words_at_most_twice() -> None:
    library = shipped_library()

    class CountingMatcher(IntentMatcher):
        calls = 0

        def match(self, text: NormalisedText, **options: Any) -> MatchResult:
            CountingMatcher.calls += 1
            return super().match(text, **options)

    matcher = CountingMatcher(library.intents, library.vocabulary)
    result = matcher.match_message(normalise("my lower back hurts. " * 500 + "should I keep running?"))
    assert result.best is not None
    assert CountingMatcher.calls <= 2  # the whole message; again within its topic if no intent of it fit
