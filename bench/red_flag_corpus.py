"""The real red-flag corpus: where each item's page belongs (development or held-out part).

Items are real messages copied verbatim from public pages, each with its page's address
(tests/data/real_red_flags/). The split is by site, never by item, so no page and no
site's way of writing is in both parts. The rule below was fixed and committed before
any item was read for tuning: a site is held out when the salted hash of its name falls
in the first HELDOUT_SHARE of the hash range. A site's part depends on its name alone, so
items added later never move a site from one part to the other.

    python bench/red_flag_corpus.py build HARVEST.jsonl...   # merge, de-duplicate, split, write

Each item was labelled twice, blind (sign ids and level; the first label by its harvester,
the second by a labeller who saw the text alone); where they differed a third read settled
it. Items the third read could not settle carry "disputed": true and stay out of the figures.
The held-out part is read only as figures (bench/safety_bench.py); nothing is tuned on it.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "data" / "real_red_flags"
SALT = "red-flag-split-v1"
HELDOUT_SHARE = 0.45  # at least 40% of items is asked for; with 400+ sites the share lands near this
# Solicitors' and barristers' case summaries tell patients' stories in lawyers' words, and
# content farms open their articles with made-up family stories: neither is members' words,
# so they are left out however apt their wording.
EXCLUDED_SITES = frozenset(
    {
        "visualfoodie.com",
        "winenfood.com",
        "eatsip365.com",
        "boyesturnerclaims.com",
        "jmw.co.uk",
        "glynns.co.uk",
        "rwkgoodman.com",
        "geldards.com",
        "seriousinjury.shoosmiths.com",
        "oreillystewart.com",
        "lexology.com",
        "staging.prd.uk.com",
    }
)
# Reddit is read through many mirror hosts; one subreddit's post is one page wherever it is read.
_REDDIT_PATH = re.compile(r"^/r/[^/]+/")


def site_of(url: str) -> str:
    """The site a page belongs to: its host without "www."; every Reddit mirror is reddit.com."""
    parts = urlsplit(url if "://" in url else "http://" + url)
    host = (parts.hostname or "").lower().removeprefix("www.")
    return "reddit.com" if _REDDIT_PATH.match(parts.path) else host


def is_heldout(site: str) -> bool:
    """Whether a site's items belong to the held-out part (by its name's salted hash)."""
    digest = hashlib.sha256(f"{SALT}:{site}".encode()).hexdigest()
    return int(digest[:8], 16) < HELDOUT_SHARE * 16**8


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
            if key in seen or site_of(item["url"]) in EXCLUDED_SITES:
                continue
            seen.add(key)
            items.append(item)
    CORPUS.mkdir(parents=True, exist_ok=True)
    for part in ("dev", "heldout"):
        chosen = [i for i in items if is_heldout(site_of(i["url"])) == (part == "heldout")]
        with (CORPUS / f"{part}.jsonl").open("w", encoding="utf-8") as out:
            for item in chosen:
                out.write(json.dumps({**item, "site": site_of(item["url"])}, ensure_ascii=False) + "\n")
        print(f"{part}: {len(chosen)} items from {len({site_of(i['url']) for i in chosen})} sites")


if __name__ == "__main__":
    if len(sys.argv) < 3 or sys.argv[1] != "build":
        sys.exit(__doc__)
    build([Path(p) for p in sys.argv[2:]])
