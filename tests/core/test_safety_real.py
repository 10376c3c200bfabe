"""The red-flag screen on real people's words (tests/data/real_red_flags/), held at floors.

The floors sit a little under what the shipped screen measured (bench/safety_bench.py,
2026-12-07, 3,563 messages: held-out emergency and urgent reports caught at urgent or above
75.0%, false alarms on real chat 17.8%; development part 97.6% and 9.6%, in-sample), so a
change that makes the screen miss more real reports fails here. The held-out false-alarm
ceiling rose from 17% to 19% when the learned line learned word pieces (1.4 points more
caught for 1.6 more false alarms, by its threshold chosen on the development part). The
held-out part is only read as these figures; nothing is tuned on it. Issue 12's goal (97%
held out, at most 5% false alarms) is not met yet: see README, "Measured".
"""

from __future__ import annotations

import json
from functools import cache

import pytest

from bot.core.engine import PreparedLibrary
from bot.core.normalisation import normalise
from bot.core.safety import RedFlagScreener
from bot.core.types import Urgency
from tests.helpers import TEST_DATA, shipped_library

CORPUS = TEST_DATA / "real_red_flags"
FLOORS = {  # part: (recall of emergency and urgent reports at urgent or above, most false alarms)
    "dev": (0.88, 0.11),
    "heldout": (0.73, 0.19),
}


@cache
def items(part: str) -> tuple[dict, ...]:
    lines = (CORPUS / f"{part}.jsonl").read_text(encoding="utf-8").splitlines()
    return tuple(item for item in map(json.loads, lines) if not item.get("disputed"))


@cache
def _screener() -> RedFlagScreener:
    return PreparedLibrary.build(shipped_library()).screener


def alarm_rank(text: str) -> int:
    """0 (nothing), 1 (soon) or 2 (urgent or emergency: the reply says see a doctor today or call)."""
    screener = _screener()
    result = screener.screen(normalise(text, limit=None))
    if result.possible or (result.level and result.level.rank >= Urgency.URGENT.rank):
        return 2
    return 1 if result.level else 0


@pytest.mark.parametrize("part", sorted(FLOORS))
def test_real_reports_are_caught_and_real_chat_is_left_alone(part: str) -> None:
    serious = [i for i in items(part) if i["level"] in ("emergency", "urgent")]
    negatives = [i for i in items(part) if i["level"] == "none"]
    recall = sum(alarm_rank(i["text"]) == 2 for i in serious) / len(serious)
    false_alarms = sum(alarm_rank(i["text"]) > 0 for i in negatives) / len(negatives)
    least_recall, most_false_alarms = FLOORS[part]
    assert recall >= least_recall, f"{part}: recall {recall:.1%}"
    assert false_alarms <= most_false_alarms, f"{part}: false alarms {false_alarms:.1%}"


def test_the_corpus_is_real_split_by_site_and_big_enough() -> None:
    dev, heldout = items("dev"), items("heldout")
    assert not {i["site"] for i in dev} & {i["site"] for i in heldout}, "a site in both parts"
    assert len(heldout) >= 0.4 * (len(dev) + len(heldout))
    everything = dev + heldout
    assert all(i["url"].startswith(("http://", "https://")) and i["text"].strip() for i in everything)
    assert sum(i["level"] != "none" for i in everything) >= 400
    assert sum(i["level"] == "none" for i in everything) >= 400
