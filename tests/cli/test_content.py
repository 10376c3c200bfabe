"""The admin's loop as an admin runs it: `python -m bot report`, `suggest`, `validate --report`."""

from __future__ import annotations

import difflib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.admin.store import Store
from bot.admin.store_schema import async_database_url
from bot.core.types import IncomingMessage, Reply
from bot.ops.settings import Settings
from tests.helpers import ROOT

SALT = "a-salt-that-is-long-enough"
QUESTIONS = (  # oldest first
    "can i take ibuprofen before a race",
    "foam roller for back pain after a run?",
    "is a foam roller good for my lower back",
)


def run(*args: str, env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.endswith("_TOKEN")}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin, capture_output=True, text=True, cwd=ROOT, env={**clean, **env}, timeout=60,
    )  # fmt: skip


@pytest.fixture
def content(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "content", tmp_path / "content")
    return tmp_path / "content"


@pytest.fixture
async def env(tmp_path: Path) -> dict[str, str]:
    """Settings for a bot that collected three unanswered questions in a SQLite file."""
    values = {
        "DATA_DIR": str(tmp_path / "data"),
        "DATABASE_URL": "",
        "STORE_UNANSWERED": "true",
        "USER_ID_SALT": SALT,
    }
    settings = Settings.from_mapping(values)
    async with Store(async_database_url(settings), store_unanswered=True, salt=SALT) as store:
        for text in QUESTIONS:
            store.message_handled(IncomingMessage(text, platform="telegram"), Reply(answered=False))
    return values


def test_report_groups_questions_with_their_closest_intent(env: dict[str, str], content: Path) -> None:
    result = run("report", "--content-dir", str(content), env=env)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("3 unanswered questions in 2 groups")
    assert out.index(QUESTIONS[2]) < out.index(QUESTIONS[1]) < out.index(QUESTIONS[0])  # foam group first
    assert "Group 2: 1 question(s); closest intent: relief_otc_meds" in out
    assert "python -m bot suggest" in out


def test_suggest_writes_phrasings_and_the_library_still_validates(env: dict[str, str], content: Path) -> None:
    relief = content / "intents" / "relief.yaml"
    before = relief.read_text(encoding="utf-8")
    # Foam roller -> an intent named by the admin; its twin discarded; ibuprofen -> closest intent.
    result = run("suggest", "--content-dir", str(content), env=env, stdin="relief_stretches\nx\ny\n")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Question #3 (" in out and "Closest intent: " in out
    assert f"Added \u201c{QUESTIONS[2]}\u201d to relief_stretches in {relief}:" in out
    assert "Discarded." in out
    assert f"Added \u201c{QUESTIONS[0]}\u201d to relief_otc_meds" in out
    assert "Done: 2 phrasing(s) added, 3 question(s) cleared." in out

    diff = difflib.unified_diff(before.splitlines(), relief.read_text(encoding="utf-8").splitlines(), n=0)
    changed = [line for line in list(diff)[2:] if not line.startswith("@@")]
    assert sorted(changed) == [f"+      - {QUESTIONS[0]}", f"+      - {QUESTIONS[2]}"]  # two new lines only
    assert run("validate", str(content), env=env).stdout.startswith("OK:")
    assert "No unanswered questions stored." in run("report", "--content-dir", str(content), env=env).stdout


def test_suggest_a_typed_question_and_quit(env: dict[str, str], content: Path) -> None:
    before = {p: p.read_text(encoding="utf-8") for p in (content / "intents").glob("*.yaml")}
    result = run(
        "suggest", "--content-dir", str(content), "--question", "does tape help my back", env=env, stdin="q\n"
    )
    assert (
        result.returncode == 0
        and "Question #0" in result.stdout
        and "Done: 0 phrasing(s) added" in result.stdout
    )
    assert before == {p: p.read_text(encoding="utf-8") for p in (content / "intents").glob("*.yaml")}


def test_report_says_when_nothing_is_collected(tmp_path: Path) -> None:
    env = {"DATA_DIR": str(tmp_path / "data"), "DATABASE_URL": "", "STORE_UNANSWERED": "false"}
    result = run("report", env=env)
    assert result.returncode == 0 and "STORE_UNANSWERED is off" in result.stdout
    assert "No unanswered questions stored." in result.stdout


def test_validate_report_prints_every_kind_of_warning() -> None:
    result = run("validate", "--report", env={})
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("OK:")
    for heading in (
        "1. Phrasings that match another intent better than their own:",
        "2. Intents with few phrasings (under 10):",
        "3. Sources never quoted:",
        "4. Snippets too long for a chat message:",
        "5. Coverage of each source (its advice sentences quoted somewhere):",
    ):
        assert heading in result.stdout
    assert "cleveland_clinic (clinical):" in result.stdout


def test_help_on_the_admin_commands() -> None:
    for args in (["report", "--help"], ["suggest", "--help"], ["validate", "--help"]):
        result = run(*args, env={})
        assert result.returncode == 0 and "usage:" in result.stdout
