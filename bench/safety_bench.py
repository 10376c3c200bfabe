"""Red-flag screen: recall and false alarms on real people's words, and the screen's cost.

    python bench/safety_bench.py                  # this checkout's screen
    python bench/safety_bench.py --code DIR       # the screen of another checkout (before/after)

Data: tests/data/real_red_flags/{dev,heldout}.jsonl (real messages, verbatim, split by
site; the held-out part is only ever read here, as figures) and the team's own tables
(tests/data/red_flags_positive.yaml / red_flags_negative.yaml).
A positive counts as caught when the screen's level reaches the item's own level, with
emergency and urgent counted together ("caught at urgent or above": both reply at once).
A false alarm is a negative on which any sign fires (a denied sign's "if you ever
notice" line does not count; the learned line's urgent message does). The last section reads
the bot's whole reply: a report the screen misses may still get the check question about the
emergency signs at the end of its answer (leg words, or bladder, bowel or saddle-area words
with back pain).
Prints figures only; nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from statistics import quantiles
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
RANK = {"emergency": 3, "urgent": 2, "soon": 1, "none": 0}
ADVERSARIAL = ("not no fall no chest pain no pee problem " * 110)[:4096]


@dataclass(frozen=True)
class Item:
    text: str
    level: str  # emergency, urgent, soon or none
    signs: tuple[str, ...]
    site: str


def wilson_lower(successes: int, total: int, z: float = 1.96) -> float:
    """The lower end of the 95% Wilson score interval of a proportion."""
    if total == 0:
        return 0.0
    p = successes / total
    centre = p + z * z / (2 * total)
    margin = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total))
    return max(0.0, (centre - margin) / (1 + z * z / total))


def real_items(part: str) -> list[Item]:
    lines = (DATA / "real_red_flags" / f"{part}.jsonl").read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    return [
        Item(d["text"], d["level"], tuple(d["signs"]), d["site"]) for d in records if not d.get("disputed")
    ]


def table_items() -> list[Item]:
    import yaml

    positive = yaml.safe_load((DATA / "red_flags_positive.yaml").read_text(encoding="utf-8"))
    negative = yaml.safe_load((DATA / "red_flags_negative.yaml").read_text(encoding="utf-8"))
    items = [Item(e["text"], e["level"], (e["sign"],), "table") for e in positive if not e["negated"]]
    return items + [Item(e["text"], "none", (), "table") for e in negative]


def rate(hits: int, total: int) -> str:
    if not total:
        return "   n/a"
    return f"{hits / total:6.1%} ({hits}/{total}, lower bound {wilson_lower(hits, total):.1%})"


def report(name: str, items: list[Item], screen: TimedScreen, *, per_sign: bool) -> None:
    results = [(item, *screen(item.text)) for item in items]
    serious = [lvl for i, lvl, _ in results if RANK[i.level] >= 2]
    emergency = [lvl for i, lvl, _ in results if i.level == "emergency"]
    soon = [lvl for i, lvl, _ in results if i.level == "soon"]
    negatives = [lvl for i, lvl, _ in results if i.level == "none"]
    print(f"\n{name}: {len(items)} items from {len({i.site for i in items})} sites")
    rows = [
        ("emergency+urgent caught at urgent or above", serious, 2),
        ("emergency caught at emergency", emergency, 3),
        ("soon caught at any level", soon, 1),
        ("false alarms on negatives (any level)", negatives, 1),
        ("false alarms at urgent or above", negatives, 2),
    ]
    for label, levels, needed_rank in rows:
        print(f"  {label:<44}{rate(sum(lvl >= needed_rank for lvl in levels), len(levels))}")
    if not per_sign:
        return
    by_sign: dict[str, list[int]] = defaultdict(list)
    needed: dict[str, int] = {}
    for item, level, _ in results:
        for sign in item.signs:
            by_sign[sign].append(level)
            needed[sign] = min(2, RANK[item.level]) if RANK[item.level] >= 2 else 1
    print("  per sign (caught at urgent or above; soon signs at any level):")
    for sign in sorted(by_sign, key=lambda s: (-needed[s], s)):
        levels = by_sign[sign]
        hits = sum(level >= needed[sign] for level in levels)
        print(f"    {sign:<22} {rate(hits, len(levels))}")


def report_replies(name: str, items: list[Item], code: Path) -> None:
    """The bot's whole reply to each message, addressed: where the screen misses a report,
    the answer may still end with the check question about the emergency signs."""
    from bot.core.content import load_library
    from bot.core.engine import Engine
    from bot.core.types import IncomingMessage

    engine = Engine(load_library(code / "content"))
    serious = negatives = urgent = asked = checked = 0
    for number, item in enumerate(items):
        reply = engine.handle(IncomingMessage(item.text, conversation_id=f"bench-{number}"))
        assert reply is not None
        is_urgent = reply.safety is not None and reply.safety.is_urgent
        if RANK[item.level] >= 2:
            serious += 1
            urgent += is_urgent
            asked += not is_urgent and bool(reply.closing_check)
        elif item.level == "none":
            negatives += 1
            checked += bool(reply.closing_check)
    print(f"\n{name}, the bot's whole reply:")
    print(f"  {'emergency+urgent: urgent message or check question':<52}{rate(urgent + asked, serious)}")
    print(f"  {'negatives whose answer ends with the check question':<52}{rate(checked, negatives)}")


@dataclass(frozen=True)
class TimedScreen:
    """A screen in its two steps, so the bench times the screen apart from normalising."""

    prepare: Callable[[str], Any]  # text -> normalised text (shared with matching)
    check: Callable[[Any], tuple[int, tuple[str, ...]]]  # normalised -> (level rank, sign ids)

    def __call__(self, text: str) -> tuple[int, tuple[str, ...]]:
        return self.check(self.prepare(text))


def timing(texts: list[str], screen: TimedScreen) -> None:
    prepared = [screen.prepare(text) for text in texts]
    for text in prepared[:50]:
        screen.check(text)
    normalise_costs, screen_costs = [], []
    for _ in range(3):
        for text, normalised in zip(texts, prepared, strict=True):
            start = time.perf_counter()
            screen.prepare(text)
            middle = time.perf_counter()
            screen.check(normalised)
            normalise_costs.append((middle - start) * 1000)
            screen_costs.append((time.perf_counter() - middle) * 1000)
    start = time.perf_counter()
    for _ in range(20):
        screen(ADVERSARIAL)
    adversarial = (time.perf_counter() - start) * 1000 / 20
    for label, costs in (("screen", screen_costs), ("normalise (shared with matching)", normalise_costs)):
        cuts = quantiles(costs, n=100)
        print(f"{label}, {len(texts)} real messages x3: p50 {cuts[49]:.3f} ms, p99 {cuts[98]:.3f} ms")
    print(f"adversarial 4,096 characters of negations, normalise + screen: {adversarial:.2f} ms")


def build_screen(code: Path, *, with_model: bool) -> TimedScreen:
    import inspect

    from bot.core.content import load_library
    from bot.core.normalisation import normalise
    from bot.core.safety import RedFlagScreener

    rules = load_library(code / "content").red_flags
    model = None
    if with_model:
        from bot.core.red_flag_model import shipped_red_flag_model

        model = shipped_red_flag_model()
    screener = RedFlagScreener(rules, model) if model else RedFlagScreener(rules)
    whole = {"limit": None} if "limit" in inspect.signature(normalise).parameters else {}

    def check(text: Any) -> tuple[int, tuple[str, ...]]:
        result = screener.screen(text)
        rank = result.level.rank if result.level else 0
        if getattr(result, "possible", False):
            rank = max(rank, 2)
        return rank, tuple(s.id for s in result.fired)

    return TimedScreen(lambda text: normalise(text, **whole), check)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--code", type=Path, help="import the bot from this checkout instead")
    args = parser.parse_args()
    code = (args.code or ROOT).resolve()  # its code and content; the data stays this checkout's
    sys.path.insert(0, str(code))
    development, heldout, tables = real_items("dev"), real_items("heldout"), table_items()
    for label, levels in (("development", development), ("held-out", heldout)):
        counts = Counter(i.level for i in levels)
        print(f"{label}: " + ", ".join(f"{counts[k]} {k}" for k in ("emergency", "urgent", "soon", "none")))
    variants = [("patterns only", False)]
    try:
        import bot.core.red_flag_model  # noqa: F401

        variants.append(("patterns + learned line", True))
    except ImportError:
        pass
    for variant, with_model in variants:
        screen = build_screen(code, with_model=with_model)
        print(f"\n===== {variant}")
        report("held-out part (real, never tuned on)", heldout, screen, per_sign=True)
        report("development part (real, tuned on)", development, screen, per_sign=False)
        report("the team's tables", tables, screen, per_sign=False)
        timing([i.text for i in development + heldout], screen)
    report_replies("held-out part", heldout, code)
    report_replies("development part", development, code)


if __name__ == "__main__":
    main()
