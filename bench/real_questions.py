"""The real-questions corpus for the matcher: where each item's site belongs (train, dev, held-out).

Items are real messages copied verbatim from public pages (running forums, club and beginner
communities, back-pain forums, blogs' comment threads), each with its page's address, in
tests/data/real_questions/. Each was labelled twice, blind (topic, second topic, red-flag
level: first by its harvester, second by a labeller who saw the text alone); a third read
settled differences, and items it could not settle carry "disputed": true and stay out of
the figures. Agreement before the third read: Cohen's kappa 0.819 on 1,191 items
(five later removed: their pages overlap reserved pages).

The split is by site, fixed before any item was read for tuning: a site's salted hash picks
its part (HELDOUT_SHARE held out, DEV_SHARE development, the rest train). The held-out part
is read only as figures.

    python bench/real_questions.py build HARVEST_FOLDER   # merge labels, split, write
    python bench/real_questions.py add RAW.jsonl... SECOND.jsonl THIRD.jsonl   # a later harvest
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.red_flag_corpus import EXCLUDED_SITES, site_of  # noqa: E402

CORPUS = ROOT / "tests" / "data" / "real_questions"
SALT = "topic-split-v1"
HELDOUT_SHARE = 0.30
DEV_SHARE = 0.20
PARTS = ("train", "dev", "heldout")


def part_of(site: str) -> str:
    """The part a site's items belong to, by its name's salted hash."""
    position = int(hashlib.sha256(f"{SALT}:{site}".encode()).hexdigest()[:8], 16) / 16**8
    if position < HELDOUT_SHARE:
        return "heldout"
    return "dev" if position < HELDOUT_SHARE + DEV_SHARE else "train"


def same_text(text: str) -> str:
    """The key two copies of one message share, whatever their case and spacing."""
    return " ".join(text.casefold().split())


def load_part(part: str) -> list[dict]:
    path = CORPUS / f"{part}.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def build(folder: Path) -> None:
    """Merge the harvest's first, second and third labels and write the three parts."""
    raw: dict[str, dict] = {}
    for tag in "ABCDF":
        for number, line in enumerate((folder / f"raw_{tag}.jsonl").read_text(encoding="utf-8").splitlines()):
            if line.strip():
                raw[f"{tag}{number:04d}"] = json.loads(line)
    second = _labels(folder, ("second_ABD_1.jsonl", "second_ABD_2.jsonl", "second_C.jsonl", "second_F.jsonl"))
    third = _labels(folder, ("third.jsonl", "third_F.jsonl"))
    parts: dict[str, list[dict]] = {part: [] for part in PARTS}
    seen: set[str] = set()
    for item_id, item in raw.items():
        key = same_text(item["text"])
        site = site_of(item["url"])
        if key in seen or site in EXCLUDED_SITES:
            continue
        seen.add(key)
        first, blind = item["topic"], second[item_id]["topic"]
        settled = first if first == blind else third[item_id]["topic"]
        parts[part_of(site)].append(_corpus_item(item, site, first, blind, settled))
    _write_parts(parts, "w")


def _corpus_item(item: dict, site: str, first: str, blind: str, settled: str) -> dict:
    """A corpus line: the text, its page, the agreed topic and every label that led to it."""
    labels = {"first": first, "second": blind} | ({} if first == blind else {"third": settled})
    out = {"text": item["text"], "url": item["url"], "site": site, "topic": settled}
    if item.get("previous"):
        out["previous"] = item["previous"]
    out |= {"red_flag": item.get("red_flag", "none"), "labels": labels}
    if settled == "disputed":
        out["disputed"] = True
    return out


def _write_parts(parts: dict[str, list[dict]], mode: str) -> None:
    """Write ("w") or append ("a") each part's items and say how many."""
    for part, items in parts.items():
        with (CORPUS / f"{part}.jsonl").open(mode, encoding="utf-8") as file:
            for item in items:
                file.write(json.dumps(item, ensure_ascii=False) + "\n")
        sites = len({item["site"] for item in items})
        print(f"{part}: {'+' if mode == 'a' else ''}{len(items)} items from {sites} sites")


def add(raw_files: list[Path], second_file: Path, third_file: Path | None) -> None:
    """Append a later harvest to the parts its sites' hashes pick, as `build` does.

    Raw files hold the harvester's items (first label); their ids are FILESTEM:line. The
    second file holds the blind labels by id, the third the settling reads of differences.
    Items already in the corpus (same text) or from an excluded site are skipped.
    """
    second = _labels(second_file.parent, (second_file.name,))
    third = _labels(third_file.parent, (third_file.name,)) if third_file else {}
    seen = {same_text(item["text"]) for part in PARTS for item in load_part(part)}
    added: dict[str, list[dict]] = {part: [] for part in PARTS}
    pairs = []
    for raw_file in raw_files:
        for number, line in enumerate(raw_file.read_text(encoding="utf-8").splitlines()):
            item_id = f"{raw_file.stem}:{number}"
            if not line.strip() or item_id not in second:
                continue
            item = json.loads(line)
            key, site = same_text(item["text"]), site_of(item["url"])
            if key in seen or site in EXCLUDED_SITES:
                continue
            seen.add(key)
            first, blind = item["topic"], second[item_id]["topic"]
            pairs.append((first, blind))
            settled = first if first == blind else third.get(item_id, {}).get("topic", "disputed")
            added[part_of(site)].append(_corpus_item(item, site, first, blind, settled))
    _write_parts(added, "a")
    print(f"agreement before the third read: Cohen's kappa {cohen_kappa(pairs):.3f} on {len(pairs)} items")


def cohen_kappa(pairs: list[tuple[str, str]]) -> float:
    """Agreement of two labellers beyond chance."""
    if not pairs:
        return 0.0
    observed = sum(a == b for a, b in pairs) / len(pairs)
    firsts, seconds = Counter(a for a, _ in pairs), Counter(b for _, b in pairs)
    chance = sum(firsts[label] * seconds[label] for label in firsts) / len(pairs) ** 2
    return 1.0 if chance == 1 else (observed - chance) / (1 - chance)


def _labels(folder: Path, names: tuple[str, ...]) -> dict[str, dict]:
    labels = {}
    for name in names:
        for line in (folder / name).read_text(encoding="utf-8").splitlines():
            if line.strip():
                item = json.loads(line)
                labels[item["id"]] = item
    return labels


if __name__ == "__main__":
    if sys.argv[1:2] == ["build"] and len(sys.argv) == 3:
        build(Path(sys.argv[2]))
    elif sys.argv[1:2] == ["add"] and len(sys.argv) >= 5:
        *raws, second_labels, third_labels = map(Path, sys.argv[2:])
        add(raws, second_labels, third_labels if third_labels.name != "-" else None)
    else:
        print(__doc__)
