"""Follow-up precision and recall on two- and three-message exchanges (tests/data/follow_up_exchanges.jsonl).

    python bench/follow_ups.py          # also printed by bench/quality.py

Each exchange is one member's messages in order; only the last is judged. It is labelled
"follow_up" when it only makes sense with the earlier messages ("what about ice?"), and not
when it stands alone (thanks, small talk, an off-topic aside, a new complete question).
Precision: of the last messages the bot read with the earlier ones, the share that were
follow-ups. Recall: of the follow-ups, the share it read so. "right" is the share whose
reply has the labelled topic (an off-topic message is right when declined).

Kinds: "real thread" (an exchange as a public thread has it), "real messages paired" (a
real back-pain question, then a real message from another page that stands alone),
"team" (the follow-ups of tests/data/questions.yaml). Split by the last message's site:
tune and held-out parts, with the red-flag corpus's rule.
"""

from __future__ import annotations

import itertools
import json
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.red_flag_corpus import is_heldout, site_of  # noqa: E402
from bot.core.content import load_library  # noqa: E402
from bot.core.engine import Engine  # noqa: E402
from bot.core.types import IncomingMessage, Reply  # noqa: E402

EXCHANGES = ROOT / "tests" / "data" / "follow_up_exchanges.jsonl"
_CONVERSATIONS = itertools.count()


@dataclass(frozen=True)
class Exchange:
    messages: tuple[str, ...]
    urls: tuple[str, ...]
    follow_up: bool
    topic: str
    kind: str

    @property
    def heldout(self) -> bool:
        return bool(self.urls) and is_heldout(site_of(self.urls[-1]))


@dataclass(frozen=True)
class FollowUpFigures:
    exchanges: int
    read_as_follow_up: int
    true_follow_ups: int
    both: int
    right: int

    @property
    def precision(self) -> float:
        return self.both / self.read_as_follow_up if self.read_as_follow_up else 1.0

    @property
    def recall(self) -> float:
        return self.both / self.true_follow_ups if self.true_follow_ups else 1.0

    def line(self, name: str) -> str:
        return (
            f"{name:<26}{self.exchanges:>5}  precision {self.precision:6.1%}"
            f" ({self.both}/{self.read_as_follow_up})  recall {self.recall:6.1%}"
            f" ({self.both}/{self.true_follow_ups})"
            f"  right topic {self.right / self.exchanges:6.1%}"
        )


def load_exchanges(path: Path = EXCHANGES) -> list[Exchange]:
    exchanges = []
    for line in path.read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        exchanges.append(
            Exchange(
                tuple(item["messages"]), tuple(item["urls"]), item["follow_up"], item["topic"], item["kind"]
            )
        )
    return exchanges


def last_reply(engine: Engine, exchange: Exchange, conversation: str) -> Reply:
    reply = None
    for text in exchange.messages:
        reply = engine.handle(IncomingMessage(text, conversation_id=conversation))
    assert reply is not None  # addressed messages always get a reply
    return reply


def is_right(reply: Reply, topic: str) -> bool:
    """An off-topic message is right when declined; any other when answered in its topic."""
    return not reply.answered if topic == "off_topic" else reply.topic == topic


def figures(engine: Engine, exchanges: list[Exchange]) -> FollowUpFigures:
    read = true = both = right = 0
    for exchange in exchanges:
        # A fresh conversation each time: the engine remembers the last question for ten
        # minutes, so a reused id would carry one run's exchange into the next run's.
        reply = last_reply(engine, exchange, f"exchange-{next(_CONVERSATIONS)}")
        read += reply.explanation.follow_up
        true += exchange.follow_up
        both += reply.explanation.follow_up and exchange.follow_up
        right += is_right(reply, exchange.topic)
    return FollowUpFigures(len(exchanges), read, true, both, right)


def report(engine: Engine) -> None:
    exchanges = load_exchanges()
    real = [e for e in exchanges if e.kind != "team"]
    print(f"\nFollow-ups ({len(exchanges)} exchanges; the last message of each is judged):")
    print(figures(engine, [e for e in real if not e.heldout]).line("real, tune part"))
    print(figures(engine, [e for e in real if e.heldout]).line("real, held-out part"))
    print(figures(engine, [e for e in exchanges if e.kind == "team"]).line("team-written follow-ups"))
    print(figures(engine, exchanges).line("all"))


if __name__ == "__main__":
    report(Engine(load_library(ROOT / "content")))
