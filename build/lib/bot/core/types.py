"""The objects that cross the boundary between the core and the adapters."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

TOPICS: tuple[str, ...] = (
    "causes",
    "should_i_run",
    "prevention",
    "relief",
    "see_a_doctor",
    "sciatica_leg",
    "upper_back",
    "return_to_running",
    "urgent",
    "smalltalk",
)


class Urgency(Enum):
    """Red-flag levels, most serious first; `rank` orders them."""

    EMERGENCY = "emergency"
    URGENT = "urgent"
    SOON = "soon"

    @property
    def rank(self) -> int:
        return {"emergency": 3, "urgent": 2, "soon": 1}[self.value]


@dataclass(frozen=True, slots=True)
class IncomingMessage:
    """A message as every adapter hands it to the engine.

    `addressed` is true when the member spoke to the bot: a direct message, a mention,
    a reply to the bot or a command. Unaddressed group messages are only screened for
    red flags. `user_id` is the platform's id of the sender ("" when unknown): the admin
    store keeps only a salted hash of it, and only with a stored unanswered question.
    """

    text: str
    conversation_id: str = "console"
    addressed: bool = True
    platform: str = "console"
    user_id: str = ""


SHORT_TITLE_CHARS = 48  # a source's title in its one-line label


@dataclass(frozen=True, slots=True)
class Source:
    id: str
    title: str
    publisher: str  # short: who published it ("Cleveland Clinic"); the admin's note says more
    trust: str
    url: str = ""  # the page's address, when the library has it

    @property
    def label(self) -> str:
        """How a reply names the source, once: publisher and short title."""
        return f"{self.publisher}, \u201c{shorten(self.title, SHORT_TITLE_CHARS)}\u201d"


def shorten(text: str, limit: int) -> str:
    """`text` on one line, cut at a word break to at most `limit` characters, with "…" if cut."""
    line = " ".join(text.split())
    if len(line) <= limit:
        return line
    cut = line[: limit - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit // 2 else cut).rstrip(" ,;:") + "\u2026"


@dataclass(frozen=True, slots=True)
class Snippet:
    quote: str
    source: Source


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A question the member may want to ask next (a button on chat platforms)."""

    intent_id: str
    question: str


@dataclass(frozen=True, slots=True)
class SafetyNotice:
    """The red-flag part of a reply; it always opens the reply."""

    level: Urgency | None  # None when every sign found was negated
    signs: tuple[str, ...]
    negated_signs: tuple[str, ...]
    text: str

    @property
    def is_urgent(self) -> bool:
        return self.level in (Urgency.EMERGENCY, Urgency.URGENT)

    @property
    def topic(self) -> str | None:
        """The topic of a reply that is this notice alone: a bare red-flag report."""
        if self.is_urgent:
            return "urgent"
        return "see_a_doctor" if self.level is Urgency.SOON else None


@dataclass(frozen=True, slots=True)
class MatchExplanation:
    """Why the matcher chose what it chose (shown by `ask --json --explain`)."""

    best_phrasing: str | None = None
    runner_up_intent: str | None = None
    runner_up_score: float = 0.0
    follow_up: bool = False  # the message was read with the conversation's last question


@dataclass(frozen=True, slots=True)
class Reply:
    """A platform-neutral reply; adapters only render it."""

    answered: bool
    intent_id: str | None = None
    topic: str | None = None
    score: float = 0.0
    safety: SafetyNotice | None = None
    lead_in: str = ""
    snippets: tuple[Snippet, ...] = ()
    suggestions: tuple[Suggestion, ...] = ()
    closing_check: str = ""  # the leg-symptom check question, when it applies
    disclaimer: str = ""
    more: bool = False  # a group-sized form of a longer answer: "More" gives the whole
    explanation: MatchExplanation = field(default_factory=MatchExplanation)

    @property
    def sources(self) -> tuple[Source, ...]:
        """The distinct sources quoted, in order of first use."""
        seen: dict[str, Source] = {}
        for snippet in self.snippets:
            seen.setdefault(snippet.source.id, snippet.source)
        return tuple(seen.values())
