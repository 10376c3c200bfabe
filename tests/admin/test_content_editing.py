"""Adding a phrasing keeps the YAML file as it was, except for the one new line."""

from __future__ import annotations

import difflib
import shutil
from pathlib import Path

import pytest

from bot.admin.content_editing import EditError, add_phrasing, find_intent_file
from bot.core.content import load_library
from tests.helpers import CONTENT


@pytest.fixture
def content(tmp_path: Path) -> Path:
    shutil.copytree(CONTENT, tmp_path / "content")
    return tmp_path / "content"


def added_lines(before: str, after: str) -> list[str]:
    diff = list(difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0))
    changes = [line for line in diff[2:] if not line.startswith("@@")]
    assert all(line.startswith("+") for line in changes), changes
    return [line[1:] for line in changes]


@pytest.mark.parametrize(
    "intent_id", ["relief_rest", "relief_how_long", "smalltalk_greeting", "upper_back_pain"]
)
def test_only_the_new_line_changes(content: Path, intent_id: str) -> None:
    path = find_intent_file(content, intent_id)
    before = path.read_text(encoding="utf-8")
    added = add_phrasing(content, intent_id, "  Does a FOAM roller   help my back?  ")
    assert added.file == path and added.phrasing == "does a foam roller help my back?"
    after = path.read_text(encoding="utf-8")
    [line] = added_lines(before, after)
    assert line.strip() == "- does a foam roller help my back?"
    assert after.splitlines()[added.line - 1] == line
    library = load_library(content)  # still valid, and the phrasing is the intent's last
    assert library.intent(intent_id).examples[-1] == "does a foam roller help my back?"


def test_special_characters_are_quoted(content: Path) -> None:
    added = add_phrasing(content, "relief_rest", "rest: yes or no? #honest")
    assert load_library(content).intent("relief_rest").examples[-1] == "rest: yes or no? #honest"
    assert "'rest: yes or no? #honest'" in added.file.read_text(encoding="utf-8")


def test_comments_and_blank_lines_after_the_list_stay_put(tmp_path: Path, content: Path) -> None:
    path = content / "intents" / "relief.yaml"
    text = path.read_text(encoding="utf-8")
    marked = text.replace(
        "      - what can i do for back pain right after a race\n",
        "      - what can i do for back pain right after a race  # added after the 10k\n"
        "    # the lead-in is our own words\n",
        1,
    )
    path.write_text(marked, encoding="utf-8")
    add_phrasing(content, "relief_rest", "is rest better than stretching")
    after = path.read_text(encoding="utf-8")
    assert added_lines(marked, after) == ["      - is rest better than stretching"]
    assert "race  # added after the 10k\n      - is rest better than stretching\n    # the lead-in" in after


def test_refusals_leave_the_file_untouched(content: Path) -> None:
    path = content / "intents" / "relief.yaml"
    before = path.read_text(encoding="utf-8")
    with pytest.raises(EditError, match="no intent with id 'nope'"):
        add_phrasing(content, "nope", "anything")
    with pytest.raises(EditError, match="already a phrasing of 'relief_rest'"):
        add_phrasing(content, "relief_rest", "Should I rest my back")
    # A phrasing another intent already uses fails validation: the write is undone.
    with pytest.raises(EditError, match=r"would not validate(.|\n)*phrasing also used by intent"):
        add_phrasing(content, "relief_rest", "ice or heat for lower back pain")
    assert path.read_text(encoding="utf-8") == before
    assert not list(path.parent.glob(".*.tmp"))


def test_a_library_already_broken_is_not_edited(content: Path) -> None:
    messages = content / "messages.yaml"
    messages.write_text(messages.read_text(encoding="utf-8").replace("help:", "hlep:"), encoding="utf-8")
    before = (content / "intents" / "relief.yaml").read_text(encoding="utf-8")
    with pytest.raises(EditError, match="problems already"):
        add_phrasing(content, "relief_rest", "a new phrasing")
    assert (content / "intents" / "relief.yaml").read_text(encoding="utf-8") == before
