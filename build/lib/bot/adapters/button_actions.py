"""What the bot's buttons carry, the same on every platform.

A suggestion button says "ask:<intent_id>"; a feedback button "fb:<intent_id>:1" (👍) or
":0" (👎); under a group-sized answer, "more:<intent_id>" asks for the whole answer and
"src:<intent_id>" for its sources. The data alone says what to do, so a press on an old
message still works after a restart or a content reload.
"""

from __future__ import annotations

from dataclasses import dataclass

_ASK = "ask"
_FEEDBACK = "fb"
_MORE = "more"
_SOURCES = "src"


@dataclass(frozen=True, slots=True)
class AskPress:
    """A suggestion button was pressed: answer this intent."""

    intent_id: str


@dataclass(frozen=True, slots=True)
class MorePress:
    """ "More" was pressed under a group-sized answer: give this intent's whole answer."""

    intent_id: str


@dataclass(frozen=True, slots=True)
class SourcesPress:
    """ "Sources" was pressed under an answer: name the sources this intent quotes."""

    intent_id: str


@dataclass(frozen=True, slots=True)
class FeedbackPress:
    """A 👍 (helpful) or 👎 button was pressed under this intent's answer."""

    intent_id: str
    helpful: bool


def ask_data(intent_id: str) -> str:
    return f"{_ASK}:{intent_id}"


def feedback_data(intent_id: str, helpful: bool) -> str:
    return f"{_FEEDBACK}:{intent_id}:{int(helpful)}"


def more_data(intent_id: str) -> str:
    return f"{_MORE}:{intent_id}"


def sources_data(intent_id: str) -> str:
    return f"{_SOURCES}:{intent_id}"


MORE_LABEL = "More"
SOURCES_LABEL = "Sources"
VOTE_LABELS = {True: "👍", False: "👎"}


def answer_buttons(intent_id: str, *, more: bool) -> list[tuple[str, str]]:
    """(data, label) of the row under an answer with quotes, the same on every platform:
    "More" (only when the answer was shortened), "Sources", 👍 and 👎."""
    buttons = [(more_data(intent_id), MORE_LABEL)] if more else []
    buttons.append((sources_data(intent_id), SOURCES_LABEL))
    return buttons + [(feedback_data(intent_id, helpful), label) for helpful, label in VOTE_LABELS.items()]


ButtonPress = AskPress | MorePress | SourcesPress | FeedbackPress
_BY_INTENT: dict[str, type[AskPress | MorePress | SourcesPress]] = {
    _ASK: AskPress,
    _MORE: MorePress,
    _SOURCES: SourcesPress,
}


def parse_button_data(data: str | None) -> ButtonPress | None:
    """What a press asks for; None for data this bot did not make."""
    kind, _, rest = (data or "").partition(":")
    if kind in _BY_INTENT and rest:
        return _BY_INTENT[kind](rest)
    intent_id, _, flag = rest.rpartition(":")
    if kind == _FEEDBACK and intent_id and flag in ("0", "1"):
        return FeedbackPress(intent_id, helpful=flag == "1")
    return None
