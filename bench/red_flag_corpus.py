"""The real red-flag corpus: where each item's page belongs (development or held-out part).

Items are real messages copied verbatim from public pages, each with its page's address
(tests/data/real_red_flags/). The split is by site, never by item, so no page and no
site's way of writing is in both parts. The rule below was fixed and committed before
any item was read for tuning: sites are ordered by a salted hash of their name and go to
the held-out part, in that order, until it holds at least HELDOUT_SHARE of all items.

    python bench/red_flag_corpus.py build HARVEST.jsonl...   # merge, de-duplicate, split, write

The held-out part is read only as figures (bench/safety_bench.py); nothing is tuned on it.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "data" / "real_red_flags"
SALT = "red-flag-split-v1"
HELDOUT_SHARE = 0.45  # at least 40% is asked for; a little more so both parts stay useful
# Reddit is read through many mirror hosts; one subreddit's post is one page wherever it is read.
_REDDIT_PATH = re.compile(r"^/r/[^/]+/")


def site_of(url: str) -> str:
    """The site a page belongs to: its host without "www."; every Reddit mirror is reddit.com."""
    parts = urlsplit(url if "://" in url else "http://" + url)
    host = (parts.hostname or "").lower().removeprefix("www.")
    if _REDDIT_PATH.match(parts.path) and ("reddit" in host or "redlib" in host or "libreddit" in host):
        return "reddit.com"
    if _REDDIT_PATH.match(parts.path):
        return "reddit.com"  # any other front-end showing a subreddit's post
    return host


def site_order(sites: Iterable[str]) -> list[str]:
    """Sites in the fixed order in which they fill the held-out part."""
    return sorted(set(sites), key=lambda s: hashlib.sha256(f"{SALT}:{s}".encode()).hexdigest())


def heldout_sites(items_per_site: Counter[str]) -> set[str]:
    """The sites of the held-out part: the first in `site_order` up to HELDOUT_SHARE of items."""
    total = sum(items_per_site.values())
    chosen: set[str] = set()
    count = 0
    for site in site_order(items_per_site):
        if count >= HELDOUT_SHARE * total:
            break
        chosen.add(site)
        count += items_per_site[site]
    return chosen


def _normal_text(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.casefold()))


def build(harvest_files: list[Path]) -> None:
    """Merge harvested items, drop duplicates, split by site and write both parts."""
    items: list[dict] = []
    seen: set[str] = set()
    for path in harvest_files:
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            item = json.loads(line)
            key = _normal_text(item["text"])
            if key in seen:
                continue
            seen.add(key)
            items.append(item)
    per_site = Counter(site_of(item["url"]) for item in items)
    heldout = heldout_sites(per_site)
    CORPUS.mkdir(parents=True, exist_ok=True)
    for part in ("dev", "heldout"):
        chosen = [i for i in items if (site_of(i["url"]) in heldout) == (part == "heldout")]
        with (CORPUS / f"{part}.jsonl").open("w", encoding="utf-8") as out:
            for item in chosen:
                out.write(json.dumps({**item, "site": site_of(item["url"])}, ensure_ascii=False) + "\n")
        print(f"{part}: {len(chosen)} items from {len({site_of(i['url']) for i in chosen})} sites")


if __name__ == "__main__":
    if len(sys.argv) < 3 or sys.argv[1] != "build":
        sys.exit(__doc__)
    build([Path(p) for p in sys.argv[2:]])
