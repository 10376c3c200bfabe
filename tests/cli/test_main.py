"""The command line, run as a user runs it: `python -m bot ...` in a subprocess."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import ROOT

FIELDS = {"answered", "intent", "topic", "score", "urgent", "urgency", "red_flags", "text", "sources"}


def run(*args: str, stdin: str = "", env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.endswith("_TOKEN")}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin, capture_output=True, text=True, cwd=ROOT, env={**clean, **(env or {})}, timeout=60,
    )  # fmt: skip


def test_ask_json_follows_the_contract() -> None:
    result = run("ask", "--json", "why does my lower back hurt after running?")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) == FIELDS
    assert data["answered"] is True and data["topic"] == "causes" and isinstance(data["score"], float)
    assert data["urgent"] is False and data["urgency"] is None and data["red_flags"] == []
    assert all(set(s) == {"id", "title"} for s in data["sources"]) and data["sources"]


def test_ask_json_urgent() -> None:
    data = json.loads(run("ask", "--json", "cant pee and my back is killing me").stdout)
    assert data["urgent"] is True and data["urgency"] == "emergency" and "bladder" in data["red_flags"]
    assert data["topic"] == "urgent" and data["text"].startswith("🚨") and "999" in data["text"]


def test_ask_json_reads_one_message_per_line_from_stdin() -> None:
    result = run("ask", "--json", "-", stdin="hi\nwhy does my back hurt\n\nmy knee hurts\n")
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == 4 and all(set(d) == FIELDS for d in lines)
    assert lines[0]["topic"] == "smalltalk" and lines[3]["answered"] is False


@pytest.mark.parametrize("flags", [(), ("--one-conversation",)])
def test_ask_reads_lines_as_separate_members_unless_one_conversation(flags: tuple[str, ...]) -> None:
    stdin = "why does my lower back hurt after long runs?\nand how do I stop it?\n"
    output = run("ask", "--json", "--explain", *flags, "-", stdin=stdin).stdout
    lines = [json.loads(line) for line in output.splitlines()]
    assert lines[0]["topic"] == "causes"
    assert lines[1]["topic"] == "prevention"
    assert lines[1]["explain"]["follow_up"] is bool(flags)


def test_emergency_number_setting() -> None:
    data = json.loads(run("ask", "--json", "numb down there", env={"EMERGENCY_NUMBER": "112"}).stdout)
    assert "112" in data["text"]


def test_bad_setting_is_one_clear_line() -> None:
    result = run("ask", "hi", env={"EMERGENCY_NUMBER": "9-9-9"})
    assert result.returncode == 2 and "EMERGENCY_NUMBER: use 2 to 4 digits" in result.stderr


def test_explain_shows_why() -> None:
    data = json.loads(run("ask", "--json", "--explain", "ice or heat for back pain?").stdout)
    assert data["explain"]["best_phrasing"] and "runner_up_intent" in data["explain"]


def test_validate_ok_and_broken(tmp_path: Path) -> None:
    ok = run("validate")
    assert ok.returncode == 0 and ok.stdout.startswith("OK:")
    broken = tmp_path / "content"
    shutil.copytree(ROOT / "content", broken)
    intents = broken / "intents" / "relief.yaml"
    intents.write_text(intents.read_text(encoding="utf-8").replace("topic: relief", "topic: relif", 1))
    result = run("validate", str(broken))
    assert result.returncode == 1
    assert "relief.yaml:" in result.stderr and "topic: unknown topic 'relif'" in result.stderr


def test_chat_reads_until_end_of_input() -> None:
    result = run("chat", stdin="hello\nwhy does my back hurt after running\nquit\n")
    assert result.returncode == 0 and result.stdout.count("bot>") == 2


def test_chat_leaves_on_a_slash_command_too() -> None:
    result = run("chat", stdin="hello\n/quit\nwhy does my back hurt after running\n")
    assert result.returncode == 0 and result.stdout.count("bot>") == 1


def test_help_on_every_command() -> None:
    for args in (
        ["--help"],
        ["ask", "--help"],
        ["chat", "--help"],
        ["validate", "--help"],
        ["run", "--help"],
    ):
        result = run(*args)
        assert result.returncode == 0 and "usage:" in result.stdout
