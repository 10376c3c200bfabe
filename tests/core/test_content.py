"""The loader: the shipped library loads, and each kind of broken file is refused precisely."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.core.content import found_verbatim, load_library, normalise_quote
from bot.core.located_yaml import ContentError, ContentProblem
from tests.helpers import CONTENT

SOURCE = """---
id: clinic
title: "A clinic page"
publisher: "A clinic"
trust: clinical
---
Once your back pain starts, stop running. It\u2019s typically not a sign of a serious injury.
"""

INTENT = """intents:
  - id: stop_running
    topic: should_i_run
    question: "Should I stop running?"
    examples: [should i stop running, do i stop, stop running now, must i stop, quit running,
               halt my run, stop the run, pause running]
    answer:
      - source: clinic
        quote: "Once your back pain starts, stop running."
"""


@pytest.fixture
def content(tmp_path: Path) -> Path:
    """A tiny valid library: the shipped red flags, messages and vocabulary; one source, one intent."""
    (tmp_path / "sources").mkdir()
    (tmp_path / "intents").mkdir()
    (tmp_path / "sources" / "clinic.txt").write_text(SOURCE, encoding="utf-8")
    (tmp_path / "intents" / "should_i_run.yaml").write_text(INTENT, encoding="utf-8")
    shutil.copy(CONTENT / "red_flags.yaml", tmp_path)
    shutil.copy(CONTENT / "messages.yaml", tmp_path)
    shutil.copy(CONTENT / "vocabulary.yaml", tmp_path)
    return tmp_path


def problems(content: Path) -> list[ContentProblem]:
    with pytest.raises(ContentError) as info:
        load_library(content)
    return info.value.problems


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_shipped_library_loads_and_covers_every_topic() -> None:
    library = load_library(CONTENT)
    assert len(library.intents) >= 30
    topics = {i.topic for i in library.intents}
    assert topics == {
        "causes", "should_i_run", "prevention", "relief", "see_a_doctor",
        "sciatica_leg", "upper_back", "return_to_running", "smalltalk",
    }  # fmt: skip
    assert all(len(i.examples) >= 8 for i in library.intents)
    assert len(library.sources) == len(list((CONTENT / "sources").glob("*.txt")))


def test_tiny_library_loads(content: Path) -> None:
    library = load_library(content)
    assert library.intent("stop_running").snippets[0].source.id == "clinic"


def test_quote_compared_without_case_spaces_or_curly_quotes(content: Path) -> None:
    edit(content / "intents" / "should_i_run.yaml", "Once your back pain starts, stop running.",
         "ONCE your   back pain starts, stop running.")  # fmt: skip
    load_library(content)
    assert normalise_quote("It\u2019s  \u201cok\u201d") == 'it\'s "ok"'


def test_quote_not_in_source(content: Path) -> None:
    edit(content / "intents" / "should_i_run.yaml", 'stop running."', 'keep running."')
    [problem] = problems(content)
    assert problem.file.endswith("should_i_run.yaml")
    assert (problem.line, problem.field) == (9, "intents[0].answer[0].quote")
    assert "not found verbatim in source 'clinic'" in problem.message


def test_unknown_source_id(content: Path) -> None:
    edit(content / "intents" / "should_i_run.yaml", "source: clinic", "source: blog")
    [problem] = problems(content)
    assert (problem.line, problem.field) == (8, "intents[0].answer[0].source")
    assert "unknown source id 'blog'" in problem.message


def test_unknown_topic(content: Path) -> None:
    edit(content / "intents" / "should_i_run.yaml", "topic: should_i_run", "topic: knees")
    [problem] = problems(content)
    assert (problem.line, problem.field) == (3, "intents[0].topic")
    assert "unknown topic 'knees'" in problem.message


def test_missing_field(content: Path) -> None:
    edit(content / "intents" / "should_i_run.yaml", '    question: "Should I stop running?"\n', "")
    [problem] = problems(content)
    assert (problem.line, problem.field) == (2, "intents[0]")
    assert "missing field 'question'" in problem.message


def test_unknown_field_is_named(content: Path) -> None:
    edit(content / "intents" / "should_i_run.yaml", "    answer:", "    answr: x\n    answer:")
    found = problems(content)
    assert any(p.field == "intents[0].answr" and "unknown field" in p.message for p in found)


def test_duplicate_intent_id(content: Path) -> None:
    second = INTENT.split("intents:\n", 1)[1]
    (content / "intents" / "should_i_run.yaml").write_text(INTENT + second, encoding="utf-8")
    found = problems(content)
    assert [p.field for p in found] == ["intents[1].id"]
    assert "duplicate intent id" in found[0].message and found[0].line == 10


def test_phrasing_shared_by_two_intents(content: Path) -> None:
    other = INTENT.replace("id: stop_running", "id: other").replace("pause running", "pause it")
    (content / "intents" / "relief.yaml").write_text(
        other.replace("should_i_run", "relief"), encoding="utf-8"
    )
    found = problems(content)
    # Files load in name order: relief.yaml claims the phrasing first.
    assert any(
        p.file.endswith("should_i_run.yaml") and p.field == "intents[0].examples[0]"
        and "also used by intent 'other'" in p.message
        for p in found
    )  # fmt: skip


def test_too_few_phrasings(content: Path) -> None:
    edit(content / "intents" / "should_i_run.yaml", "halt my run, stop the run, pause running", "halt")
    [problem] = problems(content)
    assert problem.field == "intents[0].examples" and "at least 8" in problem.message


def test_broken_yaml_names_file_and_line(content: Path) -> None:
    edit(content / "intents" / "should_i_run.yaml", "    topic: should_i_run", "    topic: [oops")
    [problem] = problems(content)
    assert problem.file.endswith("should_i_run.yaml") and problem.line >= 3
    assert "not valid YAML" in problem.message


def test_yes_no_words_need_quotes(content: Path) -> None:
    edit(content / "red_flags.yaml", 'negation_cues: ["no",', "negation_cues: [no,")
    [problem] = problems(content)
    assert problem.field == "negation_cues[0]" and "quotes" in problem.message


def test_source_front_matter_checked(content: Path) -> None:
    edit(content / "sources" / "clinic.txt", "trust: clinical", "trust: gospel")
    [problem] = problems(content)
    assert (problem.line, problem.field) == (5, "trust")


def test_unknown_follow_up(content: Path) -> None:
    edit(content / "intents" / "should_i_run.yaml", "    answer:", "    follow_ups: [nowhere]\n    answer:")
    [problem] = problems(content)
    assert problem.field == "intents[0].follow_ups[0]" and "unknown intent id 'nowhere'" in problem.message


def test_red_flag_level_checked(content: Path) -> None:
    edit(content / "red_flags.yaml", "level: emergency", "level: panic")
    [problem] = problems(content)
    assert problem.file.endswith("red_flags.yaml") and problem.field == "signs[0].level"


def test_every_problem_is_reported_at_once(content: Path) -> None:
    edit(content / "intents" / "should_i_run.yaml", "topic: should_i_run", "topic: knees")
    edit(content / "intents" / "should_i_run.yaml", "source: clinic", "source: blog")
    edit(content / "messages.yaml", "Call {number}", "Call {phone}")
    assert len(problems(content)) == 3


def test_unsafe_yaml_tags_are_refused(content: Path) -> None:
    edit(content / "intents" / "should_i_run.yaml", "    topic: should_i_run",
         "    topic: !!python/object/apply:os.system ['true']")  # fmt: skip
    [problem] = problems(content)
    assert "not valid YAML" in problem.message


def test_upper_back_words_are_optional_but_must_be_a_list(content: Path) -> None:
    vocabulary = content / "vocabulary.yaml"
    edit(vocabulary, "upper_back_words: [", "upper_back_words: 'shoulders' #[")
    found = problems(content)
    assert any(p.file.endswith("vocabulary.yaml") and "upper_back_words" in p.field for p in found)
    text = vocabulary.read_text(encoding="utf-8")
    vocabulary.write_text(text[: text.index("upper_back_words:")], encoding="utf-8")
    assert load_library(content).vocabulary.upper_back_words == ()


# --- every kind of bad file is a file:line: field: problem, never a traceback (hardening) ---

INTENT_FILE = Path("intents") / "should_i_run.yaml"


def _write_bytes(relative: Path | str, data: bytes) -> Callable[[Path], None]:
    return lambda content: (content / relative).write_bytes(data)


def _edit(relative: Path | str, old: str, new: str) -> Callable[[Path], None]:
    return lambda content: edit(content / relative, old, new)


BAD_FILES = [
    (
        "answer is a number",
        _edit(
            INTENT_FILE,
            '    answer:\n      - source: clinic\n        quote: "Once your back pain starts, stop running."',
            "    answer: 5",
        ),
        ("should_i_run.yaml", 7, "intents[0].answer", "expected a list"),
    ),
    (
        "not_covered is a number",
        _edit(INTENT_FILE, "    topic: should_i_run", "    not_covered: 3\n    topic: should_i_run"),
        ("should_i_run.yaml", 3, "intents[0].not_covered", "list"),
    ),
    (
        "topic is a list",
        _edit(INTENT_FILE, "topic: should_i_run", "topic: [relief]"),
        ("should_i_run.yaml", 3, "intents[0].topic", "unknown topic"),
    ),
    (
        "signs is a number",
        _edit("red_flags.yaml", "\nsigns:\n", "\nsigns: 7\nxsigns:\n"),
        ("red_flags.yaml", None, "signs", "expected a list of signs"),
    ),
    (
        "an unknown concept in the check-question words",
        _edit("red_flags.yaml", '"@bowel_words", "@saddle_region"]', '"@bowel_wordz", "@saddle_region"]'),
        ("red_flags.yaml", None, "body_function_terms[1]", "unknown concept '@bowel_wordz'"),
    ),
    (
        "a list as a key",
        _edit(INTENT_FILE, "    topic: should_i_run", "    [a, b]: 1\n    topic: should_i_run"),
        ("should_i_run.yaml", 3, "", "a key must be plain text"),
    ),
    (
        "an unpaired brace",
        _edit("messages.yaml", "Call {number} or go", "Call {number or go"),
        ("messages.yaml", None, "safety.emergency", "without its pair"),
    ),
    (
        "a format spec",
        _edit("messages.yaml", "Call {number} or go", "Call {number:>300000000} or go"),
        ("messages.yaml", None, "safety.emergency", "plainly"),
    ),
    (
        "UTF-16",
        lambda c: (c / "messages.yaml").write_bytes((c / "messages.yaml").read_text().encode("utf-16")),
        ("messages.yaml", 1, "", "UTF-16"),
    ),
    (
        "a Latin-1 byte",
        _write_bytes("vocabulary.yaml", b"synonyms: {}\nback_words: [caf\xe9]\n"),
        ("vocabulary.yaml", 2, "", "not UTF-8"),
    ),
    (
        "a NUL",
        _write_bytes("vocabulary.yaml", b"synonyms: {}\n\nback_words: [a\x00]\n"),
        ("vocabulary.yaml", 3, "", "NUL"),
    ),
    (
        "a folder named x.txt",
        lambda c: (c / "sources" / "x.txt").mkdir(),
        ("x.txt", 0, "", "not a regular file"),
    ),
    ("a FIFO", lambda c: os.mkfifo(c / "sources" / "pipe.txt"), ("pipe.txt", 0, "", "not a regular file")),
    (
        "a symlink out",
        lambda c: (c / "sources" / "out.txt").symlink_to("/etc/hostname"),
        ("out.txt", 0, "", "outside the content folder"),
    ),
    (
        "an alias bomb",
        _write_bytes(
            "vocabulary.yaml",
            b"a: &a [x,x,x,x,x,x,x,x,x]\n"
            + b"".join(
                b"%c: &%c [" % (98 + i, 98 + i) + b",".join([b"*%c" % (97 + i)] * 9) + b"]\n"
                for i in range(7)
            ),
        ),
        ("vocabulary.yaml", None, "", "aliases expanding"),
    ),
    (
        "an example merged into the one above",
        _edit(
            INTENT_FILE,
            "examples: [should i stop running, do i stop,",
            "examples:\n      - should i stop running\n        do i stop\n      - x\n    zz: [do i stop,",
        ),
        ("should_i_run.yaml", 6, "intents[0].examples[0]", "runs over two lines"),
    ),
]


@pytest.mark.parametrize(
    ("breakage", "expected"), [(b, e) for _, b, e in BAD_FILES], ids=[n for n, _, _ in BAD_FILES]
)
def test_a_bad_file_is_named_with_its_line_and_field(
    content: Path, breakage: Callable[[Path], None], expected: tuple[str, int | None, str, str]
) -> None:
    breakage(content)
    file, line, field, message = expected
    found = problems(content)
    assert any(
        p.file.endswith(file)
        and (line is None or p.line == line)
        and p.field == field
        and message in p.message
        for p in found
    ), [str(p) for p in found]


STUDY_TEXT = normalise_quote(
    "Over the counter pain medication, such as acetaminophen (e. g. Tylenol) (e. g. ibuprofen, naprosyn)"
    " This type of pain will often improve over the course of one to three weeks just by activity"
    " restriction. For more in-depth information, see Sports-health. com."
)


@pytest.mark.parametrize(
    ("quote", "found"),
    [
        ("This type of pain will often improve over the course of one to three weeks", True),
        ("such as acetaminophen … ibuprofen, naprosyn", True),  # a parenthesis left out
        ("such as acetaminophen ... ibuprofen, naprosyn", True),  # three dots as typed
        ("such as paracetamol … ibuprofen, naprosyn", False),  # a word changed
        ("ibuprofen, naprosyn … acetaminophen", False),  # out of order
        ("such as acetaminophen … see Sports-health", False),  # a whole passage left out
        ("…", False),
    ],
)
def test_a_quote_may_leave_out_an_aside_but_never_change_or_reorder_words(quote: str, found: bool) -> None:
    assert found_verbatim(quote, STUDY_TEXT) is found
