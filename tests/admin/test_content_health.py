"""`validate --report`: each kind of warning, on the shipped content and on a planted copy."""

from __future__ import annotations

import shutil
from pathlib import Path

from bot.admin.content_health import (
    MAX_QUOTE_CHARS,
    RECOMMENDED_EXAMPLES,
    advice_sentences,
    check_health,
    find_confusions,
)
from bot.core.content import load_library
from tests.helpers import CONTENT, shipped_library

HEADINGS = (
    "1. Phrasings that match another intent better than their own:",
    "2. Intents with few phrasings",
    "3. Sources never quoted:",
    "4. Snippets too long for a chat message:",
    "5. Coverage of each source",
)
LONG = " ".join(["Easy running on soft ground helps to keep the back happy for most club runners."] * 6)


def source_file(source_id: str, body: str) -> str:
    return f'---\nid: {source_id}\ntitle: "{source_id}"\npublisher: "A blog"\ntrust: editorial\n---\n{body}\n'


PLANTED_SOURCES = {
    "never_quoted.txt": source_file("never_quoted", "You should always warm up before you run."),
    "long_one.txt": source_file("long_one", LONG),
}
PLANTED_INTENT = f"""intents:
  - id: planted_long_answer
    topic: prevention
    question: "Is soft ground kinder to my back?"
    examples: [soft ground kinder to back, is grass softer for my back, trail vs road for back,
               soft surface back pain, softer ground sore back, running on soft ground,
               soft ground back, grass running back]
    answer:
      - source: long_one
        quote: "{LONG}"
"""


def test_shipped_content_prints_every_kind() -> None:
    report = check_health(shipped_library(), CONTENT)
    text = report.render()
    for heading in HEADINGS:
        assert heading in text
    assert {c.source_id for c in report.coverage} == set(shipped_library().sources)
    assert all(0 <= c.quoted <= c.advice_sentences for c in report.coverage)


def test_planted_problems_are_each_found(tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(CONTENT, content)
    for name, text in PLANTED_SOURCES.items():
        (content / "sources" / name).write_text(text, encoding="utf-8")
    (content / "intents" / "planted.yaml").write_text(PLANTED_INTENT, encoding="utf-8")
    library = load_library(content)
    report = check_health(library, content)

    assert report.unquoted_sources == ("never_quoted",)
    [long] = [s for s in report.long_snippets if s.intent_id == "planted_long_answer"]
    assert long.length == len(LONG) > MAX_QUOTE_CHARS and long.where == "answer[0] (long_one)"
    assert ("planted_long_answer", 8) in report.thin_intents and RECOMMENDED_EXAMPLES > 8
    coverage = {c.source_id: c for c in report.coverage}
    assert (coverage["never_quoted"].advice_sentences, coverage["never_quoted"].quoted) == (1, 0)
    assert coverage["long_one"].quoted == coverage["long_one"].advice_sentences == 6
    text = report.render()
    assert "   never_quoted\n" in text and "planted_long_answer answer[0] (long_one)" in text


def test_a_phrasing_that_belongs_elsewhere_is_a_confusion(tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(CONTENT, content)
    relief = content / "intents" / "relief.yaml"
    text = relief.read_text(encoding="utf-8")
    # An ibuprofen question planted among the phrasings of "will rest fix it".
    relief.write_text(
        text.replace(
            "      - will rest fix my lower back pain\n",
            "      - will rest fix my lower back pain\n      - which painkiller dose of ibuprofen is safe\n",
            1,
        ),
        encoding="utf-8",
    )
    confusions = find_confusions(load_library(content))
    planted = [c for c in confusions if c.phrasing == "which painkiller dose of ibuprofen is safe"]
    assert [(c.intent_id, c.matched_intent_id) for c in planted] == [("relief_rest", "relief_otc_meds")]


def test_advice_sentences() -> None:
    body = (
        "How To Prevent Back Pain\n"
        "You should warm up before every run. The hips are near the back.\n"
        "Try a gentle stretch after running, it helps. Stop.\n"
    )
    assert advice_sentences(body) == [
        "you should warm up before every run.",
        "try a gentle stretch after running, it helps.",
    ]
