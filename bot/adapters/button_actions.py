"""What the bot's buttons carry, the same on every platform.

A suggestion button says "ask:<intent_id>"; a feedback button "fb:<intent_id>:1" (👍) or
":0" (👎). The data alone says what to do, so a press on an old message still works after
a restart or a content reload.
"""

from __future__ import annotations

from dataclasses import dataclass

_ASK = "ask"
_FEEDBACK = "fb"


@dataclass(frozen=True, slots=True)
class AskPress:
    """A suggestion button was pressed: answer this intent."""

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


def parse_button_data(data: str | None) -> AskPress | FeedbackPress | None:
    """What a press asks for; None for data this bot did not make."""
    kind, _, rest = (data or "").partition(":")
    if kind == _ASK and rest:
        return AskPress(rest)
    intent_id, _, flag = rest.rpartition(":")
    if kind == _FEEDBACK and intent_id and flag in ("0", "1"):
        return FeedbackPress(intent_id, helpful=flag == "1")
    return None
