"""The real-message corpora (red flags, questions for the matcher, follow-up exchanges):
verbatim items with page addresses, split by site, none from a page kept for the independent check."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from bench.real_questions import PARTS, load_part, part_of
from bot.core.types import TOPICS
from tests.helpers import ROOT, TEST_DATA

DATA = TEST_DATA
RESERVED = ROOT.parent / "shared" / "reserved-pages.txt"
ADVICE_TOPICS = [t for t in TOPICS if t not in ("urgent", "smalltalk")]


def _page(url: str) -> str:
    """A page's address without scheme, "www.", query, anchor or trailing slash."""
    address = url.strip().split("://", 1)[-1].split("#", 1)[0].split("?", 1)[0].rstrip("/").lower()
    host, _, path = address.partition("/")
    return (host.removeprefix("www.").split(":", 1)[0] + "/" + path).rstrip("/")


def _overlaps(page: str, reserved: str) -> bool:
    """The same page, or one inside the other: a blog's month archive shows its posts' text."""
    return page == reserved or page.startswith(reserved + "/") or reserved.startswith(page + "/")


def every_url() -> Iterator[str]:
    for path in (DATA / "real_red_flags").glob("*.jsonl"):
        yield from (json.loads(line)["url"] for line in path.read_text(encoding="utf-8").splitlines())
    for part in PARTS:
        yield from (item["url"] for item in load_part(part))
    for line in (DATA / "follow_up_exchanges.jsonl").read_text(encoding="utf-8").splitlines():
        yield from json.loads(line)["urls"]


@pytest.mark.skipif(not RESERVED.exists(), reason="the list of reserved pages sits beside the repository")
def test_no_item_comes_from_a_page_reserved_for_the_independent_check() -> None:
    lines = RESERVED.read_text(encoding="utf-8").splitlines()
    reserved = [_page(line) for line in lines if line.strip() and not line.startswith("#")]
    pages = {_page(url) for url in every_url()}
    assert not [page for page in pages if any(_overlaps(page, r) for r in reserved)]


def test_real_questions_are_split_by_site_and_labelled_from_the_topic_list() -> None:
    for part in PARTS:
        for item in load_part(part):
            assert part_of(item["site"]) == part and item["url"] and item["text"].strip()
            assert item["topic"] in (*TOPICS, "off_topic") or item.get("disputed")


def test_real_questions_cover_every_advice_topic_and_off_topic_messages() -> None:
    items = [item for part in PARTS for item in load_part(part)]
    counts = {topic: sum(item["topic"] == topic for item in items) for topic in (*ADVICE_TOPICS, "off_topic")}
    assert len(items) >= 1000 and min(counts.values()) >= 60 and counts["off_topic"] >= 200, counts
    heldout = len(load_part("heldout")) / len(items)
    assert heldout >= 0.25
